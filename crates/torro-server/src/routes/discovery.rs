use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use torro_model::{Actor, ApprovalStatus, Discovery, Role, StatusChange};

use crate::AppState;
use crate::auth::Identity;
use crate::dto::Pagination;
use crate::dto::discovery::{
    ApproveRequest, AuditEntryBody, AuditLog, DiscoveryDetail, DiscoveryList, DiscoverySummary, RejectRequest,
    SchemaHistory, SchemaVersionBody, Stats, WorkflowRequest,
};
use crate::dto::scans::TriggerResponse;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::extract::{ApiJson, ApiQuery, IdPath};
use crate::params::DiscoveryListParams;

/// Lists catalog entries, filtered, sorted and paged.
#[utoipa::path(
    get,
    path = "/api/discovery",
    tag = "discovery",
    params(DiscoveryListParams),
    responses(
        (status = 200, body = DiscoveryList),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<DiscoveryListParams>,
) -> Result<Json<DiscoveryList>, ApiError> {
    Ok(Json(discovery_list(&state, &params.to_query()?).await?))
}

/// A page of the catalog with the facet counts of the same query.
pub(crate) async fn discovery_list(
    state: &AppState,
    query: &torro_model::DiscoveryQuery,
) -> Result<DiscoveryList, ApiError> {
    let page = state.store().list_discoveries(query).await?;
    let facets = state.store().discovery_facets(query).await?;
    Ok(DiscoveryList {
        discoveries: page.items.iter().map(DiscoverySummary::from).collect(),
        pagination: Pagination::from(&page),
        facets: facets.into(),
    })
}

/// Totals over the catalog, grouped.
#[utoipa::path(
    get,
    path = "/api/discovery/stats",
    tag = "discovery",
    responses((status = 200, body = Stats))
)]
pub async fn stats(State(state): State<AppState>) -> Result<Json<Stats>, ApiError> {
    Ok(Json(Stats::from(state.store().stats().await?)))
}

/// One catalog entry with its schema and format details.
#[utoipa::path(
    get,
    path = "/api/discovery/{id}",
    tag = "discovery",
    params(("id" = i64, Path, description = "Discovery id")),
    responses(
        (status = 200, body = DiscoveryDetail),
        (status = 404, description = "No such discovery", body = ErrorBody),
    )
)]
pub async fn show(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Json<DiscoveryDetail>, ApiError> {
    let discovery = load(&state, id).await?;
    Ok(Json(DiscoveryDetail::from(&discovery)))
}

/// The schema versions of one file, oldest first, each with its diff against the previous one.
#[utoipa::path(
    get,
    path = "/api/discovery/{id}/schema-history",
    tag = "discovery",
    params(("id" = i64, Path, description = "Discovery id")),
    responses(
        (status = 200, body = SchemaHistory),
        (status = 404, description = "No such discovery", body = ErrorBody),
    )
)]
pub async fn schema_history(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<Json<SchemaHistory>, ApiError> {
    load(&state, id).await?;
    let versions = state.store().schema_history(id).await?;
    Ok(Json(SchemaHistory {
        discovery_id: id,
        versions: versions.iter().map(SchemaVersionBody::from).collect(),
    }))
}

/// The review history of one file, newest first.
#[utoipa::path(
    get,
    path = "/api/discovery/{id}/audit",
    tag = "discovery",
    params(("id" = i64, Path, description = "Discovery id")),
    responses(
        (status = 200, body = AuditLog),
        (status = 404, description = "No such discovery", body = ErrorBody),
    )
)]
pub async fn audit(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Json<AuditLog>, ApiError> {
    load(&state, id).await?;
    let entries = state.store().audit_log("discovery", id).await?;
    Ok(Json(AuditLog {
        discovery_id: id,
        entries: entries.iter().map(AuditEntryBody::from).collect(),
    }))
}

/// Approves an entry (from pending).
#[utoipa::path(
    put,
    path = "/api/discovery/{id}/approve",
    tag = "workflow",
    params(("id" = i64, Path, description = "Discovery id")),
    request_body = ApproveRequest,
    responses(
        (status = 200, description = "The updated entry", body = DiscoveryDetail),
        (status = 400, description = "approved_by missing or body malformed", body = ErrorBody),
        (status = 404, description = "No such discovery", body = ErrorBody),
        (status = 409, description = "Not allowed from the current status", body = ErrorBody),
    )
)]
pub async fn approve(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<ApproveRequest>,
) -> Result<Json<DiscoveryDetail>, ApiError> {
    let change = StatusChange {
        to: ApprovalStatus::Approved,
        actor: acting(
            &identity,
            "approved_by",
            body.approved_by.as_deref(),
            body.role.as_deref(),
        )?,
        comment: optional(body.comments),
        reason: None,
    };
    apply(&state, id, change).await
}

/// Rejects an entry; a reason is required.
#[utoipa::path(
    put,
    path = "/api/discovery/{id}/reject",
    tag = "workflow",
    params(("id" = i64, Path, description = "Discovery id")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "The updated entry", body = DiscoveryDetail),
        (status = 400, description = "rejected_by or rejection_reason missing, or body malformed", body = ErrorBody),
        (status = 404, description = "No such discovery", body = ErrorBody),
        (status = 409, description = "Not allowed from the current status", body = ErrorBody),
    )
)]
pub async fn reject(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<RejectRequest>,
) -> Result<Json<DiscoveryDetail>, ApiError> {
    let change = StatusChange {
        to: ApprovalStatus::Rejected,
        actor: acting(
            &identity,
            "rejected_by",
            body.rejected_by.as_deref(),
            body.role.as_deref(),
        )?,
        reason: Some(required("rejection_reason", &body.rejection_reason)?),
        comment: optional(body.comments),
    };
    apply(&state, id, change).await
}

/// Publishes an approved entry.
#[utoipa::path(
    put,
    path = "/api/discovery/{id}/publish",
    tag = "workflow",
    params(("id" = i64, Path, description = "Discovery id")),
    request_body = WorkflowRequest,
    responses(
        (status = 200, description = "The updated entry", body = DiscoveryDetail),
        (status = 400, description = "by missing or body malformed", body = ErrorBody),
        (status = 404, description = "No such discovery", body = ErrorBody),
        (status = 409, description = "Not allowed from the current status", body = ErrorBody),
    )
)]
pub async fn publish(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<WorkflowRequest>,
) -> Result<Json<DiscoveryDetail>, ApiError> {
    apply(&state, id, workflow_change(&identity, ApprovalStatus::Published, body)?).await
}

/// Archives an entry.
#[utoipa::path(
    put,
    path = "/api/discovery/{id}/archive",
    tag = "workflow",
    params(("id" = i64, Path, description = "Discovery id")),
    request_body = WorkflowRequest,
    responses(
        (status = 200, description = "The updated entry", body = DiscoveryDetail),
        (status = 400, description = "by missing or body malformed", body = ErrorBody),
        (status = 404, description = "No such discovery", body = ErrorBody),
        (status = 409, description = "Not allowed from the current status", body = ErrorBody),
    )
)]
pub async fn archive(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<WorkflowRequest>,
) -> Result<Json<DiscoveryDetail>, ApiError> {
    apply(&state, id, workflow_change(&identity, ApprovalStatus::Archived, body)?).await
}

/// Queues a scan of every configured source; a worker runs it.
#[utoipa::path(
    post,
    path = "/api/discovery/trigger",
    tag = "scans",
    responses(
        (status = 202, description = "The scan is queued; a worker runs it. Follow links.self", body = TriggerResponse),
        (status = 409, description = "No sources are configured", body = ErrorBody),
    )
)]
pub async fn trigger(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let run = state.engine().trigger_scan("api").await?;
    let body = TriggerResponse::from(&run);
    let location = body.links.self_.clone();
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, location)], Json(body)))
}

async fn load(state: &AppState, id: i64) -> Result<Discovery, ApiError> {
    state
        .store()
        .get_discovery(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("discovery {id} not found")))
}

/// Checks the transition up front for a clear 409, then lets the store apply it
/// (the store checks again inside its transaction and writes the audit row).
async fn apply(state: &AppState, id: i64, change: StatusChange) -> Result<Json<DiscoveryDetail>, ApiError> {
    let current = load(state, id).await?;
    current
        .approval_status
        .check_transition(change.to)
        .map_err(|e| ApiError::new(ErrorCode::Conflict, format!("discovery {id}: {e}")))?;
    let updated = state.store().change_status(id, &change).await?;
    Ok(Json(DiscoveryDetail::from(&updated)))
}

fn workflow_change(identity: &Identity, to: ApprovalStatus, body: WorkflowRequest) -> Result<StatusChange, ApiError> {
    Ok(StatusChange {
        to,
        actor: acting(identity, "by", body.by.as_deref(), body.role.as_deref())?,
        comment: optional(body.comments),
        reason: None,
    })
}

/// The signed-in user as the audit row's actor; a body naming someone else, or another
/// role, is refused rather than recorded.
fn acting(identity: &Identity, field: &str, claimed: Option<&str>, role: Option<&str>) -> Result<Actor, ApiError> {
    identity.check_claimed(field, claimed)?;
    if let Some(role) = role.map(str::trim).filter(|r| !r.is_empty()) {
        let parsed = role
            .parse::<Role>()
            .map_err(|e| ApiError::invalid(format!("role: {e}")))?;
        if parsed != identity.role() {
            return Err(ApiError::invalid(format!(
                "role is {role:?} but your role is {}; leave role out, your role is recorded",
                identity.role()
            )));
        }
    }
    Ok(identity.actor())
}

fn required(field: &str, value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        Err(ApiError::invalid(format!("{field} is required and must not be empty")))
    } else {
        Ok(value.to_string())
    }
}

fn optional(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}
