//! Torro's HTTP API: the routes of `/api` and `/health`, the error → HTTP mapping and
//! the OpenAPI document. The binary binds a listener and calls [`serve`].

pub mod dto;
pub mod error;
mod extract;
pub mod openapi;
pub mod params;
mod routes;
pub mod ui;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use torro_catalog::CatalogStore;
use torro_engine::Engine;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ErrorCode};

/// Largest request body accepted (1 MiB); larger ones get a JSON 413.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    engine: Engine,
}

impl AppState {
    pub fn new(engine: Engine) -> Self {
        AppState { engine }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn store(&self) -> &Arc<dyn CatalogStore> {
        self.engine.store()
    }
}

/// The whole API with its middleware: JSON 404/405 for unknown routes and methods,
/// a request body limit, request tracing and CORS for reads. Other GET paths serve the
/// web UI ([`ui`]).
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any);
    routes::routes()
        .fallback(ui::fallback)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(TraceLayer::new_for_http())
        .layer(cors)
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then lets in-flight
/// requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}
