use async_trait::async_trait;
use torro_model::{
    AuditEntry, Discovery, DiscoveryQuery, DiscoveryStats, KnownObject, NewScanError, NewScanRun, Observation, Page,
    ScanCounts, ScanError, ScanRun, ScanStatus, SchemaVersion, StatusChange, StorageLocation, UpsertResult,
};

use crate::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

/// Everything Torro keeps. Object-safe: held as `Arc<dyn CatalogStore>`.
///
/// Rules every implementation keeps (DESIGN.md section 5): upserts are idempotent on
/// (storage type, account, container, path); schema versions are append-only; each
/// user-visible mutation writes its audit row in the same transaction; nothing is hard-deleted.
#[async_trait]
pub trait CatalogStore: Send + Sync + 'static {
    fn backend(&self) -> Backend;

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
    async fn known_objects(&self, location: &StorageLocation, prefix: &str) -> Result<Vec<KnownObject>>;
    /// Upserts a batch in one transaction; appends a schema version (with diff against the
    /// previous one) when a file's schema hash is new. Results are in input order.
    async fn apply_observations(&self, scan_id: i64, batch: &[Observation]) -> Result<Vec<UpsertResult>>;
    /// Records that unchanged files were seen again (sets last_seen and last_scan_id).
    async fn touch_seen(&self, scan_id: i64, ids: &[i64], seen_at: chrono::DateTime<chrono::Utc>) -> Result<()>;
    /// Marks vanished files deleted (status deleted, deleted flag, deleted_at). Returns how many changed.
    async fn mark_deleted(&self, scan_id: i64, ids: &[i64], at: chrono::DateTime<chrono::Utc>) -> Result<u64>;

    // ---- discovery (read by people) ----
    async fn list_discoveries(&self, query: &DiscoveryQuery) -> Result<Page<Discovery>>;
    async fn get_discovery(&self, id: i64) -> Result<Option<Discovery>>;
    /// Oldest first.
    async fn schema_history(&self, discovery_id: i64) -> Result<Vec<SchemaVersion>>;
    async fn stats(&self) -> Result<DiscoveryStats>;

    // ---- review workflow ----
    /// Checks the transition (Conflict when not allowed, NotFound when no such record),
    /// updates the record and writes an audit row, in one transaction.
    async fn change_status(&self, id: i64, change: &StatusChange) -> Result<Discovery>;
    /// Newest first.
    async fn audit_log(&self, entity_type: &str, entity_id: i64) -> Result<Vec<AuditEntry>>;
}
