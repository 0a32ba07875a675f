//! `/api/assets`: one catalog of database objects (tables, views, materialized views,
//! routines, triggers), files and datasets. Ids say where an asset lives: `db-<n>`,
//! `file-<n>` (a discovery), `dataset-<n>`.

use axum::Json;
use axum::extract::{Path, State};
use torro_model::{AssetIdKind, parse_asset_id};

use crate::AppState;
use crate::auth::Identity;
use crate::dto::Pagination;
use crate::dto::assets::{AssetBody, AssetList, AssetListParams, AssetPatchRequest, AssetSchemaVersionBody};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};

fn asset_id(raw: &str) -> Result<(AssetIdKind, i64), ApiError> {
    parse_asset_id(raw).ok_or_else(|| {
        ApiError::invalid(format!(
            "asset id must look like db-12, file-3 or dataset-7, got {raw:?}"
        ))
    })
}

/// Lists assets by qualified name.
#[utoipa::path(
    get,
    path = "/api/assets",
    tag = "assets",
    params(AssetListParams),
    responses(
        (status = 200, body = AssetList),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AssetListParams>,
) -> Result<Json<AssetList>, ApiError> {
    let query = params.to_query()?;
    let page = state.store().assets().list_assets(&query).await?;
    Ok(Json(AssetList {
        assets: page.items.iter().map(AssetBody::from).collect(),
        pagination: Pagination::from(&page),
    }))
}

/// One asset with its columns, metadata and definition.
#[utoipa::path(
    get,
    path = "/api/assets/{id}",
    tag = "assets",
    params(("id" = String, Path, description = "Asset id: db-<n>, file-<n> or dataset-<n>")),
    responses(
        (status = 200, body = AssetBody),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such asset", body = ErrorBody),
    )
)]
pub async fn show(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<AssetBody>, ApiError> {
    asset_id(&id)?;
    let asset = state
        .store()
        .assets()
        .get_asset(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("asset {id} not found")))?;
    Ok(Json(AssetBody::from(&asset)))
}

/// Changes a database asset's business metadata (description, tags, owners, glossary
/// terms); writes an audit row. Scans never touch these fields.
#[utoipa::path(
    patch,
    path = "/api/assets/{id}",
    tag = "assets",
    params(("id" = String, Path, description = "Asset id: db-<n>")),
    request_body = AssetPatchRequest,
    responses(
        (status = 200, body = AssetBody),
        (status = 400, description = "Invalid body or id, or a file/dataset id", body = ErrorBody),
        (status = 404, description = "No such asset", body = ErrorBody),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssetPatchRequest>,
) -> Result<Json<AssetBody>, ApiError> {
    let (kind, n) = asset_id(&id)?;
    if kind != AssetIdKind::Database {
        return Err(ApiError::invalid(format!(
            "{id} is a file or dataset: label files through their connection or the discovery review"
        )));
    }
    let (patch, by) = body.into_patch()?;
    identity.check_claimed("by", by.as_deref())?;
    let asset = state.store().assets().patch_asset(n, &patch, &identity.actor()).await?;
    Ok(Json(AssetBody::from(&asset)))
}

/// Versions of an asset's columns, oldest first, each with its diff to the one before.
#[utoipa::path(
    get,
    path = "/api/assets/{id}/schema-history",
    tag = "assets",
    params(("id" = String, Path, description = "Asset id: db-<n> or file-<n>")),
    responses(
        (status = 200, body = Vec<AssetSchemaVersionBody>),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 404, description = "No such asset", body = ErrorBody),
    )
)]
pub async fn schema_history(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<AssetSchemaVersionBody>>, ApiError> {
    let (kind, n) = asset_id(&id)?;
    let store = state.store();
    if store.assets().get_asset(&id).await?.is_none() {
        return Err(ApiError::not_found(format!("asset {id} not found")));
    }
    Ok(Json(match kind {
        AssetIdKind::Database => store
            .assets()
            .asset_schema_history(n)
            .await?
            .iter()
            .map(AssetSchemaVersionBody::from)
            .collect(),
        AssetIdKind::File => store
            .schema_history(n)
            .await?
            .iter()
            .map(AssetSchemaVersionBody::from)
            .collect(),
        // A dataset's schema is its newest file's; the files keep the history.
        AssetIdKind::Dataset => Vec::new(),
    }))
}
