//! Torro's HTTP API: the routes of `/api` and `/health`, the error → HTTP mapping and
//! the OpenAPI document. The binary binds a listener and calls [`serve`].

pub mod auth;
pub mod config;
pub mod dto;
pub mod error;
mod extract;
pub mod openapi;
pub mod params;
mod routes;
pub mod security;
pub mod tls;
pub mod ui;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use torro_catalog::CatalogStore;
use torro_engine::Engine;

pub use config::{AuthConfig, ServerConfig};
pub use error::{ApiError, ErrorCode};

/// Largest request body accepted by default (1 MiB); larger ones get a JSON 413.
pub const BODY_LIMIT_BYTES: usize = security::DEFAULT_MAX_BODY_BYTES;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    engine: Engine,
    config: Arc<ServerConfig>,
    /// The OIDC login with its cached provider metadata, when configured.
    oidc: Option<Arc<auth::oidc::Oidc>>,
}

impl AppState {
    /// The default [`ServerConfig`]: authentication on, no CORS, no TLS.
    pub fn new(engine: Engine) -> Self {
        Self::with_config(engine, ServerConfig::default())
    }

    /// An OIDC configuration that does not validate is logged and left off (`torro serve`
    /// validates it first and refuses to start).
    pub fn with_config(engine: Engine, config: ServerConfig) -> Self {
        let oidc = config.auth.oidc.clone().and_then(|c| match auth::oidc::Oidc::new(c) {
            Ok(oidc) => Some(Arc::new(oidc)),
            Err(e) => {
                tracing::error!(error = %e, "OpenID Connect login is off");
                None
            }
        });
        AppState {
            engine,
            config: Arc::new(config),
            oidc,
        }
    }

    /// The OpenID Connect login, when configured.
    pub fn oidc(&self) -> Option<&Arc<auth::oidc::Oidc>> {
        self.oidc.as_ref()
    }

    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn store(&self) -> &Arc<dyn CatalogStore> {
        self.engine.store()
    }
}

/// The whole API with its middleware: JSON 404/405 for unknown routes and methods, and
/// the hardening of [`security::harden`] (security headers, CORS, limits, rate limit,
/// request tracing). Other GET paths serve the web UI ([`ui`]).
pub fn router(state: AppState) -> Router {
    let app = routes::routes()
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::authorize))
        .fallback(ui::fallback)
        .method_not_allowed_fallback(routes::method_not_allowed);
    security::harden(app, &state).with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then lets in-flight
/// requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
