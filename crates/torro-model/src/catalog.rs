//! Catalog records: what the store keeps and the API shows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::format::FileFormat;
use crate::location::{StorageLocation, StorageType};
use crate::schema::{Schema, SchemaDiff};
use crate::status::{ApprovalStatus, FileStatus, ScanStatus};

/// Business labels a configured source stamps on every file it finds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLabels {
    /// The configured source's name ("finance-lake").
    pub source_name: String,
    /// e.g. "production", "staging".
    pub environment: String,
    /// e.g. "prod", "non-prod".
    pub env_type: String,
    /// e.g. "finance", "crm".
    pub data_source_type: String,
    pub tags: Vec<String>,
}

/// One file in the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    pub id: i64,
    pub location: StorageLocation,
    /// Path inside the container, `/`-separated, no leading slash.
    pub path: String,
    pub folder: String,
    pub name: String,
    pub extension: String,
    pub format: Option<FileFormat>,
    pub size: i64,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    /// size + etag/mtime: equal fingerprints mean "unchanged, do not read".
    pub fingerprint: String,
    pub row_count: Option<i64>,
    pub column_count: Option<i64>,
    pub schema: Option<Schema>,
    pub schema_hash: Option<String>,
    /// Format-specific facts (delimiter, encoding, compression, row groups, key-value metadata...).
    pub format_details: serde_json::Value,
    pub status: FileStatus,
    pub approval_status: ApprovalStatus,
    /// Why the schema could not be read, when `status` is `error`.
    pub error: Option<String>,
    pub labels: SourceLabels,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub last_changed: DateTime<Utc>,
    pub deleted: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    /// The scan run that last wrote this record.
    pub last_scan_id: Option<i64>,
    /// The logical dataset this file rolls up into ([`crate::dataset_of`]); `None` for a lone file.
    pub dataset_id: Option<i64>,
    /// `(column, value)` of its `key=value` folders, in path order; `None` unless partitioned.
    pub partition_values: Option<Vec<(String, String)>>,
}

impl Discovery {
    pub fn urn(&self) -> String {
        self.location.urn(&self.path)
    }
}

/// What the engine learned about one new or changed file; the store upserts it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub location: StorageLocation,
    pub path: String,
    pub size: i64,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub fingerprint: String,
    pub format: Option<FileFormat>,
    pub schema: Option<Schema>,
    pub row_count: Option<i64>,
    pub format_details: serde_json::Value,
    /// Set when the file was listed but its schema could not be read.
    pub error: Option<String>,
    pub labels: SourceLabels,
    pub seen_at: DateTime<Utc>,
}

/// What the store already knows of a path, enough to decide "unchanged" with zero reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownObject {
    pub id: i64,
    pub path: String,
    pub fingerprint: String,
    pub deleted: bool,
}

/// How one observation landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpsertOutcome {
    Inserted,
    /// Existing record rewritten (content changed, or a deleted file came back).
    Updated,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertResult {
    pub id: i64,
    pub outcome: UpsertOutcome,
    /// A new schema version was appended (first schema, or a new hash).
    pub schema_changed: bool,
}

/// An append-only schema version of one file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SchemaVersion {
    pub id: i64,
    pub discovery_id: i64,
    /// 1, 2, 3... per file.
    pub version: i64,
    pub schema_hash: String,
    pub schema: Schema,
    /// Against the previous version; `None` for the first.
    pub diff: Option<SchemaDiff>,
    pub seen_at: DateTime<Utc>,
    pub scan_id: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanCounts {
    pub listed: i64,
    pub new: i64,
    pub changed: i64,
    pub unchanged: i64,
    pub deleted: i64,
    pub failed: i64,
    pub bytes_read: i64,
    pub requests: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewScanRun {
    /// "manual", "api", "cli", "schedule", "demo"...
    pub trigger: String,
    /// The sources (by name) and roots this run covers, for people.
    pub target: String,
    pub started_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanRun {
    pub id: i64,
    pub trigger: String,
    pub target: String,
    pub status: ScanStatus,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
    pub counts: ScanCounts,
    /// Why the run failed as a whole, when it did.
    pub message: Option<String>,
    pub error_count: i64,
}

/// The kind of a per-file error, for filtering and for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanErrorKind {
    /// The store refused or failed a list or read.
    Read,
    /// The bytes are not a valid file of the announced format.
    Format,
    /// The file is empty.
    Empty,
    /// The catalog could not record this file.
    Catalog,
    /// A view's or routine's SQL could not be read for lineage (the object itself is catalogued).
    Lineage,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewScanError {
    pub path: String,
    pub kind: ScanErrorKind,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanError {
    pub id: i64,
    pub scan_id: i64,
    pub path: String,
    pub kind: ScanErrorKind,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// A review decision; the store checks the transition and writes the audit row in one transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub to: ApprovalStatus,
    /// Who decides: name, role and client address all go into the audit row.
    pub actor: crate::Actor,
    pub comment: Option<String>,
    /// Required for rejections.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// "discovery", "scan"...
    pub entity_type: String,
    pub entity_id: i64,
    /// "approve", "reject"...
    pub action: String,
    pub actor: String,
    pub role: Option<String>,
    /// The client address of the request that made the change, when it came over HTTP.
    pub source_ip: Option<String>,
    pub at: DateTime<Utc>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub comment: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    #[default]
    LastChanged,
    FirstSeen,
    LastSeen,
    Name,
    Path,
    Size,
    Id,
}

impl SortField {
    pub const ALL: [(&'static str, SortField); 7] = [
        ("last_changed", SortField::LastChanged),
        ("first_seen", SortField::FirstSeen),
        ("last_seen", SortField::LastSeen),
        ("name", SortField::Name),
        ("path", SortField::Path),
        ("size", SortField::Size),
        ("id", SortField::Id),
    ];
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    #[default]
    Desc,
}

/// A page of the catalog, filtered. All filters are exact matches and combine with AND.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryQuery {
    /// 0-based.
    pub page: u32,
    /// 1..=100.
    pub size: u32,
    pub status: Option<FileStatus>,
    pub approval_status: Option<ApprovalStatus>,
    pub environment: Option<String>,
    pub data_source_type: Option<String>,
    pub format: Option<FileFormat>,
    pub storage_type: Option<StorageType>,
    /// Exact configured source (or managed connection) name.
    pub source_name: Option<String>,
    /// Full-text search over file name, path and column names.
    pub search: Option<String>,
    /// Only the files of this logical dataset.
    pub dataset_id: Option<i64>,
    /// Deleted files are hidden unless asked for (or `status = deleted`).
    pub include_deleted: bool,
    pub sort: SortField,
    pub order: SortOrder,
}

impl Default for DiscoveryQuery {
    fn default() -> Self {
        DiscoveryQuery {
            page: 0,
            size: 50,
            status: None,
            approval_status: None,
            environment: None,
            data_source_type: None,
            format: None,
            storage_type: None,
            source_name: None,
            search: None,
            dataset_id: None,
            include_deleted: false,
            sort: SortField::default(),
            order: SortOrder::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub size: u32,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn total_pages(&self) -> i64 {
        if self.size == 0 {
            0
        } else {
            (self.total + self.size as i64 - 1) / self.size as i64
        }
    }
}

/// Counts over non-deleted files, except `deleted` and `total_including_deleted`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryStats {
    pub total: i64,
    pub deleted: i64,
    pub by_status: BTreeMap<String, i64>,
    pub by_approval_status: BTreeMap<String, i64>,
    pub by_environment: BTreeMap<String, i64>,
    pub by_data_source_type: BTreeMap<String, i64>,
    pub by_format: BTreeMap<String, i64>,
    pub by_storage_type: BTreeMap<String, i64>,
    pub total_size_bytes: i64,
}

/// Counts of the entries a discovery query matches, by value of each filterable field,
/// so a UI can show how many results each filter value would give.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryFacets {
    pub storage_type: BTreeMap<String, i64>,
    pub account: BTreeMap<String, i64>,
    pub container: BTreeMap<String, i64>,
    pub format: BTreeMap<String, i64>,
    pub environment: BTreeMap<String, i64>,
    pub data_source_type: BTreeMap<String, i64>,
    pub status: BTreeMap<String, i64>,
    pub approval_status: BTreeMap<String, i64>,
}

/// A fingerprint that changes whenever the object's content may have changed:
/// size plus the store's ETag, else its modification time. Equal fingerprints
/// let a rescan skip the object without reading a byte.
pub fn fingerprint(size: i64, etag: Option<&str>, last_modified: Option<DateTime<Utc>>) -> String {
    match (etag, last_modified) {
        (Some(e), _) if !e.is_empty() => format!("{size}:{}", e.trim_matches('"')),
        (_, Some(t)) => format!(
            "{size}@{}",
            t.timestamp_nanos_opt().unwrap_or_else(|| t.timestamp_millis())
        ),
        _ => format!("{size}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_prefers_etag_then_mtime() {
        let t = DateTime::from_timestamp(1_700_000_000, 5).unwrap();
        assert_eq!(fingerprint(10, Some("\"abc\""), Some(t)), "10:abc");
        assert_eq!(fingerprint(10, None, Some(t)), "10@1700000000000000005");
        assert_ne!(fingerprint(11, None, Some(t)), fingerprint(10, None, Some(t)));
        assert_eq!(fingerprint(3, Some(""), None), "3");
    }

    #[test]
    fn total_pages_rounds_up() {
        let p = Page::<()> {
            items: vec![],
            page: 0,
            size: 50,
            total: 101,
        };
        assert_eq!(p.total_pages(), 3);
        let empty = Page::<()> {
            items: vec![],
            page: 0,
            size: 50,
            total: 0,
        };
        assert_eq!(empty.total_pages(), 0);
    }
}
