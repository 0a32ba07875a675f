use axum::Json;
use axum::extract::State;

use crate::AppState;
use crate::dto::Pagination;
use crate::dto::scans::{JobBody, ScanErrorBody, ScanErrorList, ScanRunBody, ScanRunDetail, ScanRunList};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, IdPath};
use crate::params::{DEFAULT_PAGE_SIZE, PageParams, ScanListParams};

/// Scan runs, newest first, optionally of one status and one connection.
#[utoipa::path(
    get,
    path = "/api/scans",
    tag = "scans",
    params(ScanListParams),
    responses(
        (status = 200, body = ScanRunList),
        (status = 400, description = "Bad paging parameter or filter", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ScanListParams>,
) -> Result<Json<ScanRunList>, ApiError> {
    let filter = params.validate()?;
    let runs = state.store().jobs().list_scan_runs_filtered(&filter).await?;
    Ok(Json(ScanRunList {
        scans: runs.items.iter().map(ScanRunBody::from).collect(),
        pagination: Pagination::from(&runs),
    }))
}

/// One scan run with its counts, timings, its job (attempts, worker) and the first page of its per-file errors.
#[utoipa::path(
    get,
    path = "/api/scans/{id}",
    tag = "scans",
    params(("id" = i64, Path, description = "Scan run id")),
    responses(
        (status = 200, body = ScanRunDetail),
        (status = 404, description = "No such scan run", body = ErrorBody),
    )
)]
pub async fn show(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Json<ScanRunDetail>, ApiError> {
    let store = state.store();
    let run = store
        .get_scan_run(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("scan run {id} not found")))?;
    let errors = store.list_scan_errors(id, 0, DEFAULT_PAGE_SIZE).await?;
    let job = store.jobs().job_for_scan(id).await?;
    Ok(Json(ScanRunDetail {
        run: ScanRunBody::from(&run),
        job: job.as_ref().map(JobBody::from),
        errors: errors.items.iter().map(ScanErrorBody::from).collect(),
        errors_pagination: Pagination::from(&errors),
    }))
}

/// The per-file errors of a scan run, paged.
#[utoipa::path(
    get,
    path = "/api/scans/{id}/errors",
    tag = "scans",
    params(("id" = i64, Path, description = "Scan run id"), PageParams),
    responses(
        (status = 200, body = ScanErrorList),
        (status = 400, description = "Bad paging parameter", body = ErrorBody),
        (status = 404, description = "No such scan run", body = ErrorBody),
    )
)]
pub async fn errors(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Json<ScanErrorList>, ApiError> {
    let (page, size) = params.validate()?;
    let store = state.store();
    if store.get_scan_run(id).await?.is_none() {
        return Err(ApiError::not_found(format!("scan run {id} not found")));
    }
    let errors = store.list_scan_errors(id, page, size).await?;
    Ok(Json(ScanErrorList {
        scan_id: id,
        errors: errors.items.iter().map(ScanErrorBody::from).collect(),
        pagination: Pagination::from(&errors),
    }))
}

/// Cancels a scan: a queued one at once, a running one at its next file (within a few
/// seconds when another worker process runs it). Cancelling an ended scan changes nothing.
#[utoipa::path(
    post,
    path = "/api/scans/{id}/cancel",
    tag = "scans",
    params(("id" = i64, Path, description = "Scan run id")),
    responses(
        (status = 202, description = "Cancelled, or asked to stop; follow links.self", body = ScanRunBody),
        (status = 404, description = "No such scan run", body = ErrorBody),
        (status = 409, description = "The scan was run by the command line, not by a worker", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    IdPath(id): IdPath,
) -> Result<(axum::http::StatusCode, Json<ScanRunBody>), ApiError> {
    let run = state.engine().cancel_scan(id).await?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(ScanRunBody::from(&run))))
}
