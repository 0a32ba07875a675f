use async_trait::async_trait;
use chrono::{DateTime, Utc};
use torro_model::{
    AuditEntry, Connection, ConnectionSettings, Discovery, DiscoveryQuery, DiscoveryStats, KnownObject, NewScanError,
    NewScanRun, Observation, Page, ScanCounts, ScanError, ScanRun, ScanStatus, SchemaVersion, SourceLabels,
    StatusChange, StorageLocation, StorageType, UpsertResult,
};

use crate::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

/// What the store writes for a connection on create and update: everything but the
/// secrets' plain text. The engine encrypts the secrets; the store keeps the ciphertext
/// opaque and shows only `secret_names`.
#[derive(Clone, Debug, PartialEq)]
pub struct NewConnectionRow {
    pub name: String,
    pub connector_type: StorageType,
    pub connection_type: String,
    pub config: ConnectionSettings,
    /// Names of the secrets inside `secrets_ciphertext`, sorted.
    pub secret_names: Vec<String>,
    /// `None` when the connection has no secrets.
    pub secrets_ciphertext: Option<String>,
    /// "active" or "disabled".
    pub status: String,
    pub schedule: Option<String>,
    /// `source_name` is ignored: a connection's discoveries carry its `name`.
    pub labels: SourceLabels,
}

/// Everything Torro keeps. Object-safe: held as `Arc<dyn CatalogStore>`.
///
/// Rules every implementation keeps (DESIGN.md section 5): upserts are idempotent on
/// (storage type, account, container, path); schema versions are append-only; each
/// user-visible mutation writes its audit row in the same transaction; discoveries are never
/// hard-deleted (a deleted connection's row is removed; its audit rows keep its history).
#[async_trait]
pub trait CatalogStore: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// The job queue and scan-run bookkeeping of workers (see [`crate::jobs`]).
    fn jobs(&self) -> &dyn crate::JobStore;
    /// Lineage: datasets, processes, runs, edges over time (see [`crate::lineage`]).
    fn lineage(&self) -> &dyn crate::lineage::LineageStore;
    /// The notification outbox (see [`crate::outbox`]).
    fn outbox(&self) -> &dyn crate::OutboxStore;
    /// Users, API tokens, sessions and the audit search (see [`crate::auth`]).
    fn auth(&self) -> &dyn crate::AuthStore;

    /// Applies pending migrations; safe to call on every start.
    async fn migrate(&self) -> Result<()>;

    /// One cheap round trip to the database.
    async fn health(&self) -> Result<()>;

    // ---- scan runs ----
    async fn create_scan_run(&self, run: &NewScanRun) -> Result<ScanRun>;
    /// Updates the running counters so progress is visible while a scan runs.
    async fn update_scan_progress(&self, id: i64, counts: &ScanCounts) -> Result<()>;
    async fn finish_scan_run(
        &self,
        id: i64,
        status: ScanStatus,
        counts: &ScanCounts,
        message: Option<&str>,
    ) -> Result<ScanRun>;
    async fn record_scan_errors(&self, scan_id: i64, errors: &[NewScanError]) -> Result<()>;
    async fn get_scan_run(&self, id: i64) -> Result<Option<ScanRun>>;
    /// Newest first.
    async fn list_scan_runs(&self, page: u32, size: u32) -> Result<Page<ScanRun>>;
    async fn list_scan_errors(&self, scan_id: i64, page: u32, size: u32) -> Result<Page<ScanError>>;

    // ---- discovery (written by the engine) ----
    /// All records (deleted ones too) under `location` whose path starts with `prefix` ("" = all).
    async fn known_objects(&self, location: &StorageLocation, prefix: &str) -> Result<Vec<KnownObject>> {
        let mut out = Vec::new();
        self.for_each_known_object(location, prefix, &mut |k| out.push(k))
            .await?;
        Ok(out)
    }
    /// Like [`CatalogStore::known_objects`], handing each record to `visit` as it is read,
    /// so the caller keeps only what it needs of a very large container.
    async fn for_each_known_object(
        &self,
        location: &StorageLocation,
        prefix: &str,
        visit: &mut (dyn FnMut(KnownObject) + Send),
    ) -> Result<()>;
    /// Upserts a batch in one transaction; appends a schema version (with diff against the
    /// previous one) when a file's schema hash is new. Results are in input order.
    async fn apply_observations(&self, scan_id: i64, batch: &[Observation]) -> Result<Vec<UpsertResult>>;
    /// Records that unchanged files were seen again: sets last_seen and last_scan_id, and the
    /// labels of the source that saw them (so relabeling a source relabels its files without
    /// reading them; labels are not content, so last_changed stays).
    async fn touch_seen(
        &self,
        scan_id: i64,
        ids: &[i64],
        seen_at: chrono::DateTime<chrono::Utc>,
        labels: &torro_model::SourceLabels,
    ) -> Result<()>;
    /// Marks vanished files deleted (status deleted, deleted flag, deleted_at). Returns how many changed.
    async fn mark_deleted(&self, scan_id: i64, ids: &[i64], at: chrono::DateTime<chrono::Utc>) -> Result<u64>;

    // ---- discovery (read by people) ----
    async fn list_discoveries(&self, query: &DiscoveryQuery) -> Result<Page<Discovery>>;
    async fn get_discovery(&self, id: i64) -> Result<Option<Discovery>>;
    /// Oldest first.
    async fn schema_history(&self, discovery_id: i64) -> Result<Vec<SchemaVersion>>;
    async fn stats(&self) -> Result<DiscoveryStats>;
    /// Counts of what `query` matches (its filters and search; not its page or sort),
    /// grouped by each filterable field. Files without a format count under "unknown".
    async fn discovery_facets(&self, query: &DiscoveryQuery) -> Result<torro_model::DiscoveryFacets>;

    // ---- review workflow ----
    /// Checks the transition (Conflict when not allowed, NotFound when no such record),
    /// updates the record and writes an audit row, in one transaction.
    async fn change_status(&self, id: i64, change: &StatusChange) -> Result<Discovery>;
    /// Newest first. Entity types: "discovery", "connection".
    async fn audit_log(&self, entity_type: &str, entity_id: i64) -> Result<Vec<AuditEntry>>;

    // ---- managed connections ----
    /// Inserts a connection and its "create" audit row (by `actor`; before null, after
    /// the connection with secret names only) in one transaction.
    /// AlreadyExists when the name is taken.
    async fn create_connection(&self, row: &NewConnectionRow, actor: &torro_model::Actor) -> Result<Connection>;
    /// Replaces every field of connection `id` but `created_at` and the last test, with an
    /// "update" audit row (before/after without secret values) in the same transaction.
    /// NotFound when there is no such connection; AlreadyExists when renamed onto a taken name.
    async fn update_connection(
        &self,
        id: i64,
        row: &NewConnectionRow,
        actor: &torro_model::Actor,
    ) -> Result<Connection>;
    async fn get_connection(&self, id: i64) -> Result<Option<Connection>>;
    async fn get_connection_by_name(&self, name: &str) -> Result<Option<Connection>>;
    /// By name.
    async fn list_connections(&self) -> Result<Vec<Connection>>;
    /// Removes the connection (and its ciphertext) with a "delete" audit row keeping the
    /// last state without secret values. NotFound when there is no such connection.
    async fn delete_connection(&self, id: i64, actor: &torro_model::Actor) -> Result<()>;
    /// Records a connection test's time and error (`None` = it passed). Not audited: it
    /// changes no setting. NotFound when there is no such connection.
    async fn record_connection_test(&self, id: i64, at: DateTime<Utc>, error: Option<&str>) -> Result<Connection>;
    /// The stored secrets ciphertext of connection `id`, `None` when it has no secrets.
    /// NotFound when there is no such connection. Only the engine decrypts it.
    async fn connection_secrets(&self, id: i64) -> Result<Option<String>>;

    // ---- logical datasets (rolled up by `apply_observations`, see `torro_model::dataset_of`) ----
    /// Newest `last_changed` first. `search` matches datasets with a live file matching it
    /// (the discovery search: file name, path, column names). Aggregates count live files,
    /// except `deleted_file_count`.
    async fn list_datasets(&self, page: u32, size: u32, search: Option<&str>) -> Result<Page<torro_model::Dataset>>;
    async fn get_dataset(&self, id: i64) -> Result<Option<torro_model::Dataset>>;

    /// The asset catalog (database objects; files and datasets read as assets).
    fn assets(&self) -> &dyn crate::AssetStore;
}
