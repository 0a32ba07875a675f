//! `/api/connections`: managed connections. Each handler: parse the body → call the
//! engine's [`torro_engine::Connections`] service (which validates, encrypts secrets and
//! writes the audit row in the store's transaction) → map to a response body.
//! Responses never hold a secret value.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;

use crate::AppState;
use crate::auth::Identity;
use crate::dto::connections::{ConnectionBody, ConnectionList, ConnectionRequest, ConnectionTestBody};
use crate::dto::discovery::DiscoveryList;
use crate::dto::scans::TriggerResponse;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::params::DiscoveryListParams;

/// Creates a connection; its secrets are stored encrypted.
#[utoipa::path(
    post,
    path = "/api/connections",
    tag = "connections",
    request_body = ConnectionRequest,
    responses(
        (status = 201, description = "Created; Location names it", body = ConnectionBody),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(body): ApiJson<ConnectionRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let input = body.into_input()?;
    let connection = state.engine().connections().create(&input, &identity.actor()).await?;
    let body = ConnectionBody::from(&connection);
    let location = body.links.self_.clone();
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(body)))
}

/// Every connection, by name.
#[utoipa::path(
    get,
    path = "/api/connections",
    tag = "connections",
    responses((status = 200, body = ConnectionList))
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<ConnectionList>, ApiError> {
    let connections = state.engine().connections().list().await?;
    Ok(Json(ConnectionList {
        connections: connections.iter().map(ConnectionBody::from).collect(),
    }))
}

/// One connection (secret names only).
#[utoipa::path(
    get,
    path = "/api/connections/{id}",
    tag = "connections",
    params(("id" = i64, Path, description = "Connection id")),
    responses(
        (status = 200, body = ConnectionBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    )
)]
pub async fn show(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Json<ConnectionBody>, ApiError> {
    let connection = state.engine().connections().get(id).await?;
    Ok(Json(ConnectionBody::from(&connection)))
}

/// Replaces a connection's settings. A secret left out keeps its stored value; a secret
/// set to "" removes it.
#[utoipa::path(
    put,
    path = "/api/connections/{id}",
    tag = "connections",
    params(("id" = i64, Path, description = "Connection id")),
    request_body = ConnectionRequest,
    responses(
        (status = 200, description = "The updated connection", body = ConnectionBody),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
        (status = 409, description = "The new name is taken", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<ConnectionRequest>,
) -> Result<Json<ConnectionBody>, ApiError> {
    let input = body.into_input()?;
    let connection = state
        .engine()
        .connections()
        .update(id, &input, &identity.actor())
        .await?;
    Ok(Json(ConnectionBody::from(&connection)))
}

/// Removes a connection and its stored secrets; its discoveries stay in the catalog.
#[utoipa::path(
    delete,
    path = "/api/connections/{id}",
    tag = "connections",
    params(("id" = i64, Path, description = "Connection id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such connection", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    state.engine().connections().delete(id, &identity.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tests settings before saving them: opens each container and makes one cheap call.
/// A failed test is a 200 with `ok: false` and a message per container.
#[utoipa::path(
    post,
    path = "/api/connections/test-config",
    tag = "connections",
    request_body = ConnectionRequest,
    responses(
        (status = 200, description = "The outcome per container", body = ConnectionTestBody),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn test_config(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ConnectionRequest>,
) -> Result<Json<ConnectionTestBody>, ApiError> {
    let input = body.into_input()?;
    let result = state.engine().connections().test_config(&input).await?;
    Ok(Json(result.into()))
}

/// Tests a stored connection and records the outcome on it (last_tested_at, last_test_error).
#[utoipa::path(
    post,
    path = "/api/connections/{id}/test",
    tag = "connections",
    params(("id" = i64, Path, description = "Connection id")),
    responses(
        (status = 200, description = "The outcome per container", body = ConnectionTestBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    )
)]
pub async fn test(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Json<ConnectionTestBody>, ApiError> {
    let result = state.engine().connections().test(id).await?;
    Ok(Json(result.into()))
}

/// Queues a scan of this connection only; a worker runs it.
#[utoipa::path(
    post,
    path = "/api/connections/{id}/scan",
    tag = "connections",
    params(("id" = i64, Path, description = "Connection id")),
    responses(
        (status = 202, description = "The scan is queued; a worker runs it. Follow links.self", body = TriggerResponse),
        (status = 404, description = "No such connection", body = ErrorBody),
        (status = 409, description = "The connection is disabled", body = ErrorBody),
    )
)]
pub async fn scan(State(state): State<AppState>, IdPath(id): IdPath) -> Result<impl IntoResponse, ApiError> {
    let run = state.engine().trigger_connection_scan(id).await?;
    let body = TriggerResponse::from(&run);
    let location = body.links.self_.clone();
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(body)))
}

/// The catalog entries this connection discovered: `GET /api/discovery` filtered to its name.
#[utoipa::path(
    get,
    path = "/api/connections/{id}/discoveries",
    tag = "connections",
    params(("id" = i64, Path, description = "Connection id"), DiscoveryListParams),
    responses(
        (status = 200, body = DiscoveryList),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorBody),
        (status = 404, description = "No such connection", body = ErrorBody),
    )
)]
pub async fn discoveries(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    ApiQuery(params): ApiQuery<DiscoveryListParams>,
) -> Result<Json<DiscoveryList>, ApiError> {
    let mut query = params.to_query()?;
    let connection = state.engine().connections().get(id).await?;
    query.source_name = Some(connection.name);
    Ok(Json(super::discovery::discovery_list(&state, &query).await?))
}
