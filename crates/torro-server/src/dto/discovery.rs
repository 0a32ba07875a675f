//! Bodies of the `/api/discovery` endpoints.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use torro_model::{AuditEntry, Discovery, DiscoveryStats, Field, Schema, SchemaDiff, SchemaVersion};
use utoipa::ToSchema;

use super::Pagination;
use super::datasets::{PartitionValue, partition_values};

/// One catalog entry in a list: flat, for tables.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoverySummary {
    pub id: i64,
    /// OpenLineage-style dataset URN, e.g. `s3://lake/raw/orders.csv`.
    pub urn: String,
    /// local, s3, azure_blob or gcs.
    pub storage_type: String,
    pub account: String,
    pub container: String,
    /// Path inside the container.
    pub path: String,
    pub folder: String,
    /// File name.
    pub name: String,
    pub extension: String,
    /// csv, tsv, json, ndjson, parquet, avro; null when unknown.
    pub format: Option<String>,
    /// Bytes.
    pub size: i64,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub row_count: Option<i64>,
    pub column_count: Option<i64>,
    pub schema_hash: Option<String>,
    /// active, error or deleted.
    pub status: String,
    /// pending, approved, rejected, published or archived.
    pub approval_status: String,
    pub environment: String,
    pub env_type: String,
    pub data_source_type: String,
    pub tags: Vec<String>,
    pub source_name: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub last_changed: DateTime<Utc>,
    pub deleted: bool,
    /// Why the schema could not be read, when status is error.
    pub error: Option<String>,
    /// The logical dataset this file rolls up into; null for a lone file.
    pub dataset_id: Option<i64>,
    /// Its `key=value` partition folders in path order; null unless partitioned.
    pub partition_values: Option<Vec<PartitionValue>>,
}

impl From<&Discovery> for DiscoverySummary {
    fn from(d: &Discovery) -> Self {
        DiscoverySummary {
            id: d.id,
            urn: d.urn(),
            storage_type: d.location.storage_type.as_str().to_string(),
            account: d.location.account.clone(),
            container: d.location.container.clone(),
            path: d.path.clone(),
            folder: d.folder.clone(),
            name: d.name.clone(),
            extension: d.extension.clone(),
            format: d.format.map(|f| f.as_str().to_string()),
            size: d.size,
            etag: d.etag.clone(),
            last_modified: d.last_modified,
            row_count: d.row_count,
            column_count: d.column_count,
            schema_hash: d.schema_hash.clone(),
            status: d.status.as_str().to_string(),
            approval_status: d.approval_status.as_str().to_string(),
            environment: d.labels.environment.clone(),
            env_type: d.labels.env_type.clone(),
            data_source_type: d.labels.data_source_type.clone(),
            tags: d.labels.tags.clone(),
            source_name: d.labels.source_name.clone(),
            first_seen: d.first_seen,
            last_seen: d.last_seen,
            last_changed: d.last_changed,
            deleted: d.deleted,
            error: d.error.clone(),
            dataset_id: d.dataset_id,
            partition_values: partition_values(d.partition_values.as_ref()),
        }
    }
}

/// `GET /api/discovery`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryList {
    pub discoveries: Vec<DiscoverySummary>,
    pub pagination: Pagination,
    /// How many entries the same filters match, by value of each filterable field.
    pub facets: Facets,
}

/// Counts by value; files without a format count under "unknown".
#[derive(Debug, Serialize, ToSchema)]
pub struct Facets {
    pub storage_type: BTreeMap<String, i64>,
    pub account: BTreeMap<String, i64>,
    pub container: BTreeMap<String, i64>,
    pub format: BTreeMap<String, i64>,
    pub environment: BTreeMap<String, i64>,
    pub data_source_type: BTreeMap<String, i64>,
    pub status: BTreeMap<String, i64>,
    pub approval_status: BTreeMap<String, i64>,
}

impl From<torro_model::DiscoveryFacets> for Facets {
    fn from(f: torro_model::DiscoveryFacets) -> Self {
        Facets {
            storage_type: f.storage_type,
            account: f.account,
            container: f.container,
            format: f.format,
            environment: f.environment,
            data_source_type: f.data_source_type,
            status: f.status,
            approval_status: f.approval_status,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StorageLocationInfo {
    pub storage_type: String,
    pub account: String,
    pub container: String,
    pub path: String,
    pub folder: String,
    pub name: String,
    pub extension: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FileMetadata {
    pub format: Option<String>,
    pub size: i64,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub row_count: Option<i64>,
    pub column_count: Option<i64>,
    /// size + etag/mtime; changes whenever the content may have changed.
    pub fingerprint: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryInfo {
    pub status: String,
    pub approval_status: String,
    pub environment: String,
    pub env_type: String,
    pub data_source_type: String,
    pub tags: Vec<String>,
    pub source_name: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub last_changed: DateTime<Utc>,
    pub deleted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub last_scan_id: Option<i64>,
    pub error: Option<String>,
}

/// One column. `type` is Torro's type text: `int64`, `decimal(10,2)`, `list<string>`...
#[derive(Debug, Serialize, ToSchema)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    #[schema(example = "int64")]
    pub data_type: String,
    pub nullable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl From<&Field> for Column {
    fn from(f: &Field) -> Self {
        Column {
            name: f.name.clone(),
            data_type: f.data_type.to_string(),
            nullable: f.nullable,
            description: f.description.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaBody {
    pub fields: Vec<Column>,
}

impl From<&Schema> for SchemaBody {
    fn from(s: &Schema) -> Self {
        SchemaBody {
            fields: s.fields.iter().map(Column::from).collect(),
        }
    }
}

/// `GET /api/discovery/{id}`: one entry, grouped.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscoveryDetail {
    pub id: i64,
    pub urn: String,
    pub storage_location: StorageLocationInfo,
    pub file_metadata: FileMetadata,
    /// The current schema; null when it could not be read.
    pub schema_json: Option<SchemaBody>,
    /// Format-specific facts (delimiter, encoding, compression, row groups, key-value metadata...).
    #[schema(value_type = Object)]
    pub storage_metadata: serde_json::Value,
    pub discovery_info: DiscoveryInfo,
    /// The logical dataset this file rolls up into; null for a lone file.
    pub dataset_id: Option<i64>,
    /// Its `key=value` partition folders in path order; null unless partitioned.
    pub partition_values: Option<Vec<PartitionValue>>,
}

impl From<&Discovery> for DiscoveryDetail {
    fn from(d: &Discovery) -> Self {
        let storage_metadata = match &d.format_details {
            serde_json::Value::Null => serde_json::Value::Object(Default::default()),
            other => other.clone(),
        };
        DiscoveryDetail {
            id: d.id,
            urn: d.urn(),
            storage_location: StorageLocationInfo {
                storage_type: d.location.storage_type.as_str().to_string(),
                account: d.location.account.clone(),
                container: d.location.container.clone(),
                path: d.path.clone(),
                folder: d.folder.clone(),
                name: d.name.clone(),
                extension: d.extension.clone(),
            },
            file_metadata: FileMetadata {
                format: d.format.map(|f| f.as_str().to_string()),
                size: d.size,
                etag: d.etag.clone(),
                last_modified: d.last_modified,
                row_count: d.row_count,
                column_count: d.column_count,
                fingerprint: d.fingerprint.clone(),
            },
            schema_json: d.schema.as_ref().map(SchemaBody::from),
            storage_metadata,
            discovery_info: DiscoveryInfo {
                status: d.status.as_str().to_string(),
                approval_status: d.approval_status.as_str().to_string(),
                environment: d.labels.environment.clone(),
                env_type: d.labels.env_type.clone(),
                data_source_type: d.labels.data_source_type.clone(),
                tags: d.labels.tags.clone(),
                source_name: d.labels.source_name.clone(),
                first_seen: d.first_seen,
                last_seen: d.last_seen,
                last_changed: d.last_changed,
                deleted: d.deleted,
                deleted_at: d.deleted_at,
                last_scan_id: d.last_scan_id,
                error: d.error.clone(),
            },
            dataset_id: d.dataset_id,
            partition_values: partition_values(d.partition_values.as_ref()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypeChangeBody {
    pub name: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NullabilityChangeBody {
    pub name: String,
    pub from: bool,
    pub to: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaDiffBody {
    pub added: Vec<Column>,
    pub removed: Vec<Column>,
    pub type_changed: Vec<TypeChangeBody>,
    pub nullability_changed: Vec<NullabilityChangeBody>,
    /// The same columns now come in another order.
    pub reordered: bool,
}

impl From<&SchemaDiff> for SchemaDiffBody {
    fn from(d: &SchemaDiff) -> Self {
        SchemaDiffBody {
            added: d.added.iter().map(Column::from).collect(),
            removed: d.removed.iter().map(Column::from).collect(),
            type_changed: d
                .type_changed
                .iter()
                .map(|c| TypeChangeBody {
                    name: c.name.clone(),
                    from: c.from.to_string(),
                    to: c.to.to_string(),
                })
                .collect(),
            nullability_changed: d
                .nullability_changed
                .iter()
                .map(|c| NullabilityChangeBody {
                    name: c.name.clone(),
                    from: c.from,
                    to: c.to,
                })
                .collect(),
            reordered: d.reordered,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaVersionBody {
    /// 1, 2, 3... per file.
    pub version: i64,
    pub schema_hash: String,
    pub seen_at: DateTime<Utc>,
    pub scan_id: Option<i64>,
    pub schema: SchemaBody,
    /// Against the previous version; null for the first.
    pub diff: Option<SchemaDiffBody>,
    /// For people: "+2 columns, -1 column, 1 type change", or "initial schema".
    #[schema(example = "+1 column, 1 type change")]
    pub summary: String,
}

impl From<&SchemaVersion> for SchemaVersionBody {
    fn from(v: &SchemaVersion) -> Self {
        SchemaVersionBody {
            version: v.version,
            schema_hash: v.schema_hash.clone(),
            seen_at: v.seen_at,
            scan_id: v.scan_id,
            schema: SchemaBody::from(&v.schema),
            diff: v.diff.as_ref().map(SchemaDiffBody::from),
            summary: v
                .diff
                .as_ref()
                .map(SchemaDiff::summary)
                .unwrap_or_else(|| "initial schema".into()),
        }
    }
}

/// `GET /api/discovery/{id}/schema-history`: versions oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SchemaHistory {
    pub discovery_id: i64,
    pub versions: Vec<SchemaVersionBody>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    pub id: i64,
    pub entity_type: String,
    pub entity_id: i64,
    /// approve, reject, publish, archive...
    pub action: String,
    pub actor: String,
    pub role: Option<String>,
    pub at: DateTime<Utc>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub comment: Option<String>,
}

impl From<&AuditEntry> for AuditEntryBody {
    fn from(a: &AuditEntry) -> Self {
        AuditEntryBody {
            id: a.id,
            entity_type: a.entity_type.clone(),
            entity_id: a.entity_id,
            action: a.action.clone(),
            actor: a.actor.clone(),
            role: a.role.clone(),
            at: a.at,
            before: a.before.clone(),
            after: a.after.clone(),
            comment: a.comment.clone(),
        }
    }
}

/// `GET /api/discovery/{id}/audit`: newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    pub discovery_id: i64,
    pub entries: Vec<AuditEntryBody>,
}

/// `GET /api/discovery/stats`: counts over non-deleted files, except `deleted`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    pub total: i64,
    pub deleted: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_approval_status: BTreeMap<String, i64>,
    pub by_environment: BTreeMap<String, i64>,
    pub by_data_source: BTreeMap<String, i64>,
    pub by_format: BTreeMap<String, i64>,
    pub by_storage_type: BTreeMap<String, i64>,
    pub total_size_bytes: i64,
}

impl From<DiscoveryStats> for Stats {
    fn from(s: DiscoveryStats) -> Self {
        Stats {
            total: s.total,
            deleted: s.deleted,
            by_status: s.by_status,
            by_approval_status: s.by_approval_status,
            by_environment: s.by_environment,
            by_data_source: s.by_data_source_type,
            by_format: s.by_format,
            by_storage_type: s.by_storage_type,
            total_size_bytes: s.total_size_bytes,
        }
    }
}

/// `PUT /api/discovery/{id}/approve`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ApproveRequest {
    /// Optional: the signed-in user is recorded; a different name is refused (400).
    pub approved_by: Option<String>,
    /// Optional: the signed-in user's role is recorded; a different role is refused (400).
    pub role: Option<String>,
    pub comments: Option<String>,
}

/// `PUT /api/discovery/{id}/reject`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RejectRequest {
    /// Optional: the signed-in user is recorded; a different name is refused (400).
    pub rejected_by: Option<String>,
    /// Why; required, non-empty.
    #[schema(required = true)]
    pub rejection_reason: String,
    /// Optional: the signed-in user's role is recorded; a different role is refused (400).
    pub role: Option<String>,
    pub comments: Option<String>,
}

/// `PUT /api/discovery/{id}/publish` and `/archive`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WorkflowRequest {
    /// Optional: the signed-in user is recorded; a different name is refused (400).
    pub by: Option<String>,
    /// Optional: the signed-in user's role is recorded; a different role is refused (400).
    pub role: Option<String>,
    pub comments: Option<String>,
}
