//! The HTTP routes. Each handler reads like a checklist: validate → call the store or
//! engine → map to a response body.

pub mod assets;
pub mod audit;
pub mod auth;
pub mod connections;
pub mod datasets;
pub mod discovery;
pub mod events;
pub mod health;
pub mod lineage;
pub mod notifications;
pub mod oidc;
pub mod openlineage;
pub mod scans;
pub mod tokens;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{delete, get, patch, post, put};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/api/openapi.json", get(crate::openapi::openapi_json))
        .route("/api/auth/config", get(auth::config))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/me", get(auth::me))
        .route("/api/auth/password", post(auth::change_password))
        .route("/api/auth/oidc/login", get(oidc::login))
        .route("/api/auth/oidc/callback", get(oidc::callback))
        .route("/api/users", get(users::list).post(users::create))
        .route("/api/users/{id}", patch(users::patch))
        .route("/api/tokens", get(tokens::list).post(tokens::create))
        .route("/api/tokens/{id}", delete(tokens::revoke))
        .route("/api/audit", get(audit::list))
        .route("/api/discovery", get(discovery::list))
        .route("/api/discovery/stats", get(discovery::stats))
        .route("/api/discovery/trigger", post(discovery::trigger))
        .route("/api/discovery/{id}", get(discovery::show))
        .route("/api/discovery/{id}/schema-history", get(discovery::schema_history))
        .route("/api/discovery/{id}/audit", get(discovery::audit))
        .route("/api/discovery/{id}/approve", put(discovery::approve))
        .route("/api/discovery/{id}/reject", put(discovery::reject))
        .route("/api/discovery/{id}/publish", put(discovery::publish))
        .route("/api/discovery/{id}/archive", put(discovery::archive))
        .route("/api/connections", get(connections::list).post(connections::create))
        .route("/api/connections/test-config", post(connections::test_config))
        .route(
            "/api/connections/{id}",
            get(connections::show)
                .put(connections::update)
                .delete(connections::delete),
        )
        .route("/api/connections/{id}/test", post(connections::test))
        .route("/api/connections/{id}/scan", post(connections::scan))
        .route("/api/connections/{id}/discoveries", get(connections::discoveries))
        .route("/api/datasets", get(datasets::list))
        .route("/api/datasets/{id}", get(datasets::show))
        .route("/api/datasets/{id}/files", get(datasets::files))
        .route("/api/assets", get(assets::list))
        .route("/api/assets/{id}", get(assets::show).patch(assets::patch))
        .route("/api/assets/{id}/schema-history", get(assets::schema_history))
        .route("/api/scans", get(scans::list))
        .route("/api/scans/{id}", get(scans::show))
        .route("/api/scans/{id}/errors", get(scans::errors))
        .route("/api/scans/{id}/cancel", post(scans::cancel))
        .route("/api/events", get(events::events))
        .route("/api/notifications/test", post(notifications::test))
        .route("/api/lineage/process", post(lineage::process))
        .route("/api/lineage/manual", post(lineage::manual))
        .route("/api/lineage/manual/{id}", delete(lineage::close_manual))
        .route("/api/lineage/graph", get(lineage::graph))
        .route("/api/lineage/impact", get(lineage::impact))
        .route("/api/lineage/sql", post(lineage::sql))
        .route("/api/lineage/folders", post(lineage::folders))
        .route("/api/lineage/audit", get(lineage::audit))
        .route(
            "/api/v1/lineage",
            post(openlineage::intake)
                .layer(DefaultBodyLimit::max(openlineage::EVENT_BODY_LIMIT_BYTES))
                .get(openlineage::graph),
        )
        .route("/api/v1/namespaces", get(openlineage::namespaces))
        .route("/api/v1/namespaces/{namespace}/datasets", get(openlineage::datasets))
        .route(
            "/api/v1/namespaces/{namespace}/datasets/{name}",
            get(openlineage::dataset),
        )
        .route("/api/v1/namespaces/{namespace}/jobs", get(openlineage::jobs))
        .route("/api/v1/namespaces/{namespace}/jobs/{name}", get(openlineage::job))
}

/// Unknown routes answer with the JSON error shape too.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("method {method} is not allowed on {}", uri.path()),
    )
}
