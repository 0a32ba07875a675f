//! Health, the OpenAPI document, and what clients see when the database fails.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use torro_catalog::{Backend, CatalogError, CatalogStore, NewConnectionRow, Result};
use torro_engine::{Engine, TorroConfig};
use torro_model::{
    AuditEntry, Connection, Discovery, DiscoveryQuery, DiscoveryStats, KnownObject, NewScanError, NewScanRun,
    Observation, Page, ScanCounts, ScanError, ScanRun, ScanStatus, SchemaVersion, StatusChange, StorageLocation,
    UpsertResult,
};
use torro_server::AppState;

use crate::helpers::{TestApp, error_message};

#[tokio::test]
async fn health_reports_the_database() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/health").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn notification_test_reports_each_channel() {
    // Nothing listens on this port: the webhook fails, and the answer says why.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(|_| {
        TorroConfig::from_toml(&format!(
            "[[notifications.webhooks]]\nname = \"down\"\nurl = \"http://127.0.0.1:{port}/hook\"\nsecret = \"never-shown\"\n"
        ))
        .unwrap()
    })
    .await;
    let (status, body) = app.post("/api/notifications/test").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], false, "{body}");
    assert_eq!(body["channels"][0]["channel"], "webhook");
    assert_eq!(body["channels"][0]["name"], "down");
    assert_eq!(body["channels"][0]["ok"], false);
    assert!(
        body["channels"][0]["error"]
            .as_str()
            .unwrap()
            .contains("webhook \"down\""),
        "{body}"
    );
    assert!(!body.to_string().contains("never-shown"));

    let (status, body) = TestApp::spawn().await.post("/api/notifications/test").await;
    assert_eq!(
        (status, body["ok"].clone(), body["channels"].clone()),
        (StatusCode::OK, false.into(), serde_json::json!([]))
    );
}

#[tokio::test]
async fn openapi_document_lists_every_path() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/health",
        "/api/discovery",
        "/api/discovery/stats",
        "/api/discovery/trigger",
        "/api/discovery/{id}",
        "/api/discovery/{id}/schema-history",
        "/api/discovery/{id}/audit",
        "/api/discovery/{id}/approve",
        "/api/discovery/{id}/reject",
        "/api/discovery/{id}/publish",
        "/api/discovery/{id}/archive",
        "/api/scans",
        "/api/scans/{id}",
        "/api/scans/{id}/errors",
        "/api/notifications/test",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys().collect::<Vec<_>>()
        );
    }
    let params = doc["paths"]["/api/discovery"]["get"]["parameters"].as_array().unwrap();
    let names: Vec<_> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["page", "size", "status", "search", "sort", "order", "include_deleted"] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "ErrorBody",
        "DiscoveryList",
        "DiscoveryDetail",
        "ScanRunDetail",
        "ApproveRequest",
    ] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
}

#[tokio::test]
async fn a_failing_database_gives_503_health_and_500_without_internals() {
    let store: Arc<dyn CatalogStore> = Arc::new(BrokenStore);
    let state = AppState::new(Engine::new(store.clone(), TorroConfig::default()));
    let app = TestApp::spawn_state(state, store, tempfile::tempdir().unwrap()).await;

    let (status, body) = app.get("/health").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "unavailable");

    let (status, body) = app.get("/api/discovery").await;
    let message = error_message(status, &body, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert!(!message.contains(SECRET), "{message}");
    let id = body["error_id"].as_str().unwrap();
    assert_eq!(
        message,
        format!("internal error; quote error_id {id} when reporting it")
    );
}

const SECRET: &str = "password=hunter2";

/// A store whose database is always broken.
struct BrokenStore;

fn broken<T>() -> Result<T> {
    Err(CatalogError::Corrupt(format!("row 1 of table users holds {SECRET}")))
}

#[async_trait]
impl CatalogStore for BrokenStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }
    fn jobs(&self) -> &dyn torro_catalog::JobStore {
        self
    }
    fn lineage(&self) -> &dyn torro_catalog::lineage::LineageStore {
        unreachable!("the broken-database tests never read lineage")
    }
    fn outbox(&self) -> &dyn torro_catalog::OutboxStore {
        unreachable!("the broken-database tests never send notifications")
    }
    fn auth(&self) -> &dyn torro_catalog::AuthStore {
        self
    }
    async fn migrate(&self) -> Result<()> {
        broken()
    }
    async fn health(&self) -> Result<()> {
        broken()
    }
    async fn create_scan_run(&self, _: &NewScanRun) -> Result<ScanRun> {
        broken()
    }
    async fn update_scan_progress(&self, _: i64, _: &ScanCounts) -> Result<()> {
        broken()
    }
    async fn finish_scan_run(&self, _: i64, _: ScanStatus, _: &ScanCounts, _: Option<&str>) -> Result<ScanRun> {
        broken()
    }
    async fn record_scan_errors(&self, _: i64, _: &[NewScanError]) -> Result<()> {
        broken()
    }
    async fn get_scan_run(&self, _: i64) -> Result<Option<ScanRun>> {
        broken()
    }
    async fn list_scan_runs(&self, _: u32, _: u32) -> Result<Page<ScanRun>> {
        broken()
    }
    async fn list_scan_errors(&self, _: i64, _: u32, _: u32) -> Result<Page<ScanError>> {
        broken()
    }
    async fn for_each_known_object(
        &self,
        _: &StorageLocation,
        _: &str,
        _: &mut (dyn FnMut(KnownObject) + Send),
    ) -> Result<()> {
        broken()
    }
    async fn apply_observations(&self, _: i64, _: &[Observation]) -> Result<Vec<UpsertResult>> {
        broken()
    }
    async fn touch_seen(&self, _: i64, _: &[i64], _: DateTime<Utc>, _: &torro_model::SourceLabels) -> Result<()> {
        broken()
    }
    async fn mark_deleted(&self, _: i64, _: &[i64], _: DateTime<Utc>) -> Result<u64> {
        broken()
    }
    async fn list_discoveries(&self, _: &DiscoveryQuery) -> Result<Page<Discovery>> {
        broken()
    }
    async fn get_discovery(&self, _: i64) -> Result<Option<Discovery>> {
        broken()
    }
    async fn schema_history(&self, _: i64) -> Result<Vec<SchemaVersion>> {
        broken()
    }
    async fn stats(&self) -> Result<DiscoveryStats> {
        broken()
    }
    async fn discovery_facets(&self, _: &DiscoveryQuery) -> Result<torro_model::DiscoveryFacets> {
        broken()
    }
    async fn change_status(&self, _: i64, _: &StatusChange) -> Result<Discovery> {
        broken()
    }
    async fn audit_log(&self, _: &str, _: i64) -> Result<Vec<AuditEntry>> {
        broken()
    }
    async fn create_connection(&self, _: &NewConnectionRow, _: &torro_model::Actor) -> Result<Connection> {
        broken()
    }
    async fn update_connection(&self, _: i64, _: &NewConnectionRow, _: &torro_model::Actor) -> Result<Connection> {
        broken()
    }
    async fn get_connection(&self, _: i64) -> Result<Option<Connection>> {
        broken()
    }
    async fn get_connection_by_name(&self, _: &str) -> Result<Option<Connection>> {
        broken()
    }
    async fn list_connections(&self) -> Result<Vec<Connection>> {
        broken()
    }
    async fn delete_connection(&self, _: i64, _: &torro_model::Actor) -> Result<()> {
        broken()
    }
    async fn record_connection_test(&self, _: i64, _: DateTime<Utc>, _: Option<&str>) -> Result<Connection> {
        broken()
    }
    async fn connection_secrets(&self, _: i64) -> Result<Option<String>> {
        broken()
    }
    async fn list_datasets(&self, _: u32, _: u32, _: Option<&str>) -> Result<Page<torro_model::Dataset>> {
        broken()
    }
    async fn get_dataset(&self, _: i64) -> Result<Option<torro_model::Dataset>> {
        broken()
    }
    fn assets(&self) -> &dyn torro_catalog::AssetStore {
        self
    }
}

#[async_trait]
impl torro_catalog::AssetStore for BrokenStore {
    async fn upsert_assets(
        &self,
        _: &torro_catalog::AssetScope,
        _: &[torro_model::ObservedAsset],
    ) -> Result<Vec<(i64, torro_model::AssetOutcome)>> {
        broken()
    }
    async fn live_asset_keys(&self, _: i64) -> Result<Vec<torro_model::AssetKey>> {
        broken()
    }
    async fn mark_assets_deleted(&self, _: Option<i64>, _: &[i64], _: DateTime<Utc>) -> Result<u64> {
        broken()
    }
    async fn list_assets(&self, _: &torro_model::AssetQuery) -> Result<Page<torro_model::Asset>> {
        broken()
    }
    async fn get_asset(&self, _: &str) -> Result<Option<torro_model::Asset>> {
        broken()
    }
    async fn patch_asset(
        &self,
        _: i64,
        _: &torro_model::AssetPatch,
        _: &torro_model::Actor,
    ) -> Result<torro_model::Asset> {
        broken()
    }
    async fn asset_schema_history(&self, _: i64) -> Result<Vec<torro_model::AssetSchemaVersion>> {
        broken()
    }
}

#[tokio::test]
async fn serve_stops_when_shutdown_completes() {
    let store: Arc<dyn CatalogStore> = Arc::new(BrokenStore);
    let state = AppState::new(Engine::new(store, TorroConfig::default()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(torro_server::serve(listener, state, async move {
        let _ = rx.await;
    }));

    let response = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    tx.send(()).unwrap();
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), server).await;
    assert!(
        matches!(result, Ok(Ok(Ok(())))),
        "serve did not return Ok after shutdown: {result:?}"
    );
}

#[async_trait]
impl torro_catalog::JobStore for BrokenStore {
    async fn enqueue(&self, _: &torro_catalog::NewJob, _: DateTime<Utc>) -> Result<torro_catalog::Enqueued> {
        broken()
    }
    async fn enqueue_scan(
        &self,
        _: &torro_catalog::NewJob,
        _: &NewScanRun,
        _: Option<i64>,
        _: DateTime<Utc>,
    ) -> Result<torro_catalog::EnqueuedScan> {
        broken()
    }
    async fn claim(&self, _: &str, _: &[&str], _: Duration, _: DateTime<Utc>) -> Result<Option<torro_catalog::Job>> {
        broken()
    }
    async fn heartbeat(&self, _: i64, _: &str, _: Duration, _: DateTime<Utc>) -> Result<torro_catalog::Lease> {
        broken()
    }
    async fn complete(&self, _: i64, _: &str, _: DateTime<Utc>) -> Result<bool> {
        broken()
    }
    async fn fail(
        &self,
        _: i64,
        _: &str,
        _: &str,
        _: bool,
        _: Duration,
        _: DateTime<Utc>,
    ) -> Result<Option<torro_catalog::Job>> {
        broken()
    }
    async fn cancel(&self, _: i64, _: DateTime<Utc>) -> Result<torro_catalog::Job> {
        broken()
    }
    async fn finish_cancelled(&self, _: i64, _: &str, _: DateTime<Utc>) -> Result<bool> {
        broken()
    }
    async fn get_job(&self, _: i64) -> Result<Option<torro_catalog::Job>> {
        broken()
    }
    async fn job_for_scan(&self, _: i64) -> Result<Option<torro_catalog::Job>> {
        broken()
    }
    async fn list_jobs(&self, _: Option<torro_catalog::JobStatus>, _: u32) -> Result<Vec<torro_catalog::Job>> {
        broken()
    }
    async fn start_scan_run(&self, _: i64, _: DateTime<Utc>) -> Result<ScanRun> {
        broken()
    }
    async fn requeue_scan_run(&self, _: i64, _: &str) -> Result<()> {
        broken()
    }
    async fn list_scan_runs_filtered(&self, _: &torro_catalog::ScanRunFilter) -> Result<Page<ScanRun>> {
        broken()
    }
    async fn scan_run_connection(&self, _: i64) -> Result<Option<i64>> {
        broken()
    }
}

#[async_trait]
impl torro_catalog::AuthStore for BrokenStore {
    async fn count_users(&self) -> Result<i64> {
        broken()
    }
    async fn create_user(&self, _: &torro_model::NewUser, _: &torro_model::Actor) -> Result<torro_model::User> {
        broken()
    }
    async fn update_user(
        &self,
        _: i64,
        _: &torro_model::UserPatch,
        _: &torro_model::Actor,
    ) -> Result<torro_model::User> {
        broken()
    }
    async fn get_user(&self, _: i64) -> Result<Option<torro_model::User>> {
        broken()
    }
    async fn user_credentials(&self, _: &str) -> Result<Option<(torro_model::User, Option<String>)>> {
        broken()
    }
    async fn list_users(&self) -> Result<Vec<torro_model::User>> {
        broken()
    }
    async fn upsert_oidc_user(&self, _: &torro_model::NewUser, _: &torro_model::Actor) -> Result<torro_model::User> {
        broken()
    }
    async fn record_login(&self, _: i64, _: DateTime<Utc>) -> Result<()> {
        broken()
    }
    async fn create_session(&self, _: &torro_model::NewSession) -> Result<()> {
        broken()
    }
    async fn session_user(
        &self,
        _: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
    ) -> Result<Option<(torro_model::Session, torro_model::User)>> {
        broken()
    }
    async fn delete_session(&self, _: &str) -> Result<()> {
        broken()
    }
    async fn create_token(
        &self,
        _: &torro_model::NewApiToken,
        _: &torro_model::Actor,
    ) -> Result<torro_model::ApiToken> {
        broken()
    }
    async fn list_tokens(&self, _: Option<i64>) -> Result<Vec<torro_model::ApiToken>> {
        broken()
    }
    async fn get_token(&self, _: i64) -> Result<Option<torro_model::ApiToken>> {
        broken()
    }
    async fn token_user(
        &self,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<Option<(torro_model::ApiToken, torro_model::User)>> {
        broken()
    }
    async fn revoke_token(&self, _: i64, _: &torro_model::Actor) -> Result<torro_model::ApiToken> {
        broken()
    }
    async fn record_audit(&self, _: &torro_model::NewAuditEntry) -> Result<()> {
        broken()
    }
    async fn search_audit(&self, _: &torro_model::AuditQuery) -> Result<Page<AuditEntry>> {
        broken()
    }
}
