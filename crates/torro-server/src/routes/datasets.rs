//! `/api/datasets`: logical datasets that Hive-style partition folders and numbered part
//! files roll up into. Read-only: the store maintains them as files are discovered.

use axum::Json;
use axum::extract::State;

use crate::AppState;
use crate::dto::Pagination;
use crate::dto::datasets::{DatasetBody, DatasetList};
use crate::dto::discovery::DiscoveryList;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, IdPath};
use crate::params::{DatasetListParams, DiscoveryListParams};

/// Lists logical datasets, newest change first.
#[utoipa::path(
    get,
    path = "/api/datasets",
    tag = "datasets",
    params(DatasetListParams),
    responses(
        (status = 200, body = DatasetList),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<DatasetListParams>,
) -> Result<Json<DatasetList>, ApiError> {
    let (page, size, search) = params.validate()?;
    let datasets = state.store().list_datasets(page, size, search.as_deref()).await?;
    Ok(Json(DatasetList {
        datasets: datasets.items.iter().map(DatasetBody::from).collect(),
        pagination: Pagination::from(&datasets),
    }))
}

/// One dataset with its aggregates and current schema.
#[utoipa::path(
    get,
    path = "/api/datasets/{id}",
    tag = "datasets",
    params(("id" = i64, Path, description = "Dataset id")),
    responses(
        (status = 200, body = DatasetBody),
        (status = 404, description = "No such dataset", body = ErrorBody),
    )
)]
pub async fn show(State(state): State<AppState>, IdPath(id): IdPath) -> Result<Json<DatasetBody>, ApiError> {
    let dataset = state
        .store()
        .get_dataset(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset {id} not found")))?;
    Ok(Json(DatasetBody::from(&dataset)))
}

/// The files of one dataset: the discovery list (same parameters and body) narrowed to it.
#[utoipa::path(
    get,
    path = "/api/datasets/{id}/files",
    tag = "datasets",
    params(("id" = i64, Path, description = "Dataset id"), DiscoveryListParams),
    responses(
        (status = 200, body = DiscoveryList),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorBody),
        (status = 404, description = "No such dataset", body = ErrorBody),
    )
)]
pub async fn files(
    State(state): State<AppState>,
    IdPath(id): IdPath,
    ApiQuery(params): ApiQuery<DiscoveryListParams>,
) -> Result<Json<DiscoveryList>, ApiError> {
    let mut query = params.to_query()?;
    if state.store().get_dataset(id).await?.is_none() {
        return Err(ApiError::not_found(format!("dataset {id} not found")));
    }
    query.dataset_id = Some(id);
    Ok(Json(super::discovery::discovery_list(&state, &query).await?))
}
