//! The asset catalog: database objects written by database scans, listed together with
//! the files and datasets of the object-store scans.
//!
//! Files and datasets are not copied into `assets`: `discoveries` and `datasets` stay
//! their one truth (review workflow, schema versions, roll-ups), and the listing reads
//! them as assets of type `file` / `dataset` at query time, so nothing can drift.
//! Ids say where an asset lives: `db-<n>`, `file-<n>`, `dataset-<n>`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use torro_model::{
    Asset, AssetKey, AssetOutcome, AssetPatch, AssetQuery, AssetSchemaVersion, AssetType, BusinessMetadata, Dataset,
    Discovery, ObservedAsset, Page,
};

use crate::Result;

/// Where a batch of observed objects comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetScope {
    pub scan_id: Option<i64>,
    pub connector_id: i64,
    /// The connection's name.
    pub source_name: String,
    /// OpenLineage namespace of the connection (`postgres://host:5432`).
    pub namespace: String,
    pub seen_at: DateTime<Utc>,
}

/// Object-safe: reached from `Arc<dyn CatalogStore>` through `CatalogStore::assets`.
///
/// Rules: upserts are idempotent on (connector, type, catalog, schema, name); a changed
/// schema hash appends a schema version with its diff; rows are never removed (a dropped
/// object is marked deleted and comes back when seen again); scans never touch business
/// metadata; every business-metadata change writes its audit row in the same transaction.
#[async_trait]
pub trait AssetStore: Send + Sync {
    /// Upserts `batch` in one transaction; returns each object's id and outcome, in order.
    async fn upsert_assets(&self, scope: &AssetScope, batch: &[ObservedAsset]) -> Result<Vec<(i64, AssetOutcome)>>;

    /// Live (not deleted) database assets of one connection.
    async fn live_asset_keys(&self, connector_id: i64) -> Result<Vec<AssetKey>>;

    /// Marks database assets `ids` deleted; returns how many were live.
    async fn mark_assets_deleted(&self, scan_id: Option<i64>, ids: &[i64], at: DateTime<Utc>) -> Result<u64>;

    /// Database assets, files (not rolled into a dataset) and datasets, by qualified name.
    async fn list_assets(&self, query: &AssetQuery) -> Result<Page<Asset>>;

    /// `db-<n>`, `file-<n>` or `dataset-<n>`; `None` for an unknown or malformed id.
    async fn get_asset(&self, id: &str) -> Result<Option<Asset>>;

    /// Applies `patch` to database asset `id`'s business metadata with an audit row
    /// (entity type `asset`). NotFound when there is no such asset.
    async fn patch_asset(&self, id: i64, patch: &AssetPatch, actor: &torro_model::Actor) -> Result<Asset>;

    /// Schema versions of database asset `id`, oldest first.
    async fn asset_schema_history(&self, id: i64) -> Result<Vec<AssetSchemaVersion>>;
}

/// SHA-256 over (connector, type, catalog, schema, name), each length-prefixed.
pub(crate) fn asset_key(connector_id: i64, o: &ObservedAsset) -> String {
    let mut h = Sha256::new();
    h.update(connector_id.to_le_bytes());
    for part in [o.asset_type.as_str(), &o.catalog, &o.schema, &o.name] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A discovered file as an asset: catalog = container, schema = folder.
pub fn file_asset(d: &Discovery, connector_id: Option<i64>) -> Asset {
    let columns = d.schema.as_ref().map(columns_of).unwrap_or_default();
    Asset {
        id: format!("file-{}", d.id),
        asset_type: AssetType::File,
        name: d.name.clone(),
        catalog: d.location.container.clone(),
        schema: d.folder.clone(),
        qualified_name: d.path.clone(),
        urn: format!("{}/{}", d.location.namespace(), d.location.dataset_name(&d.path)),
        connector_id,
        source_name: d.labels.source_name.clone(),
        discovered_at: d.first_seen,
        last_seen: d.last_seen,
        last_changed: d.last_changed,
        deleted: d.deleted,
        technical_metadata: serde_json::json!({
            "format": d.format,
            "size": d.size,
            "row_count": d.row_count,
            "storage_type": d.location.storage_type,
            "format_details": d.format_details,
        }),
        operational_metadata: serde_json::json!({"last_modified": d.last_modified, "status": d.status}),
        business_metadata: BusinessMetadata {
            tags: d.labels.tags.clone(),
            ..Default::default()
        },
        source_comment: None,
        columns,
        definition: None,
        schema_hash: d.schema_hash.clone(),
    }
}

/// A logical dataset as an asset: catalog = container, schema = "".
pub fn dataset_asset(d: &Dataset) -> Asset {
    Asset {
        id: format!("dataset-{}", d.id),
        asset_type: AssetType::Dataset,
        name: d.path.rsplit('/').next().unwrap_or_default().to_string(),
        catalog: d.location.container.clone(),
        schema: String::new(),
        qualified_name: d.path.clone(),
        urn: d.urn.clone(),
        connector_id: None,
        source_name: String::new(),
        discovered_at: d.first_seen,
        last_seen: d.last_changed,
        last_changed: d.last_changed,
        deleted: d.file_count == 0,
        technical_metadata: serde_json::json!({
            "file_count": d.file_count,
            "total_size": d.total_size,
            "formats": d.formats,
            "partition_columns": d.partition_columns,
            "partition_count": d.partition_count,
        }),
        operational_metadata: serde_json::json!({}),
        business_metadata: BusinessMetadata::default(),
        source_comment: None,
        columns: d.schema.as_ref().map(columns_of).unwrap_or_default(),
        definition: None,
        schema_hash: d.schema_hash.clone(),
    }
}

fn columns_of(s: &torro_model::Schema) -> Vec<torro_model::AssetColumn> {
    s.fields
        .iter()
        .enumerate()
        .map(|(i, f)| torro_model::AssetColumn {
            name: f.name.clone(),
            ordinal: i as i64 + 1,
            data_type: f.data_type.to_string(),
            nullable: f.nullable,
            default: None,
            comment: f.description.clone(),
            is_pk: false,
        })
        .collect()
}
