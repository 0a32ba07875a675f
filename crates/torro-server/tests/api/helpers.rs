use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::oneshot;
use torro_catalog::CatalogStore;
use torro_engine::{Engine, TorroConfig};
use torro_model::{AuthSource, NewApiToken, NewUser, Role};
use torro_model::{
    DataType, Field, FileFormat, NewScanRun, Observation, ScanCounts, ScanStatus, Schema, SourceLabels,
    StorageLocation, StorageType, fingerprint,
};
use torro_server::auth::secret;
use torro_server::{AppState, serve};

/// Creates a user with `role` (no password: tokens only), or takes the existing one of
/// that name, and returns a fresh API token of theirs.
pub async fn create_user_with_token(store: &Arc<dyn CatalogStore>, username: &str, role: Role) -> String {
    try_user_with_token(store, username, role)
        .await
        .expect("create user and token")
}

async fn try_user_with_token(
    store: &Arc<dyn CatalogStore>,
    username: &str,
    role: Role,
) -> torro_catalog::Result<String> {
    let actor = torro_model::Actor::system("test");
    let user = match store.auth().user_credentials(username).await? {
        Some((user, _)) => user,
        None => {
            let new = NewUser {
                username: username.into(),
                display_name: None,
                email: None,
                role,
                password_hash: None,
                auth_source: AuthSource::Local,
                oidc: None,
            };
            store.auth().create_user(&new, &actor).await?
        }
    };
    let token = secret::new_api_token();
    let new = NewApiToken {
        user_id: user.id,
        name: "tests".into(),
        prefix: secret::display_prefix(&token),
        token_hash: secret::sha256_hex(&token),
        expires_at: None,
    };
    store.auth().create_token(&new, &actor).await?;
    Ok(token)
}

/// A client that sends `token` as `Authorization: Bearer` on every request.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("token is a header value");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

/// A running server with its own catalog; stops when dropped.
pub struct TestApp {
    pub base: String,
    /// Sends the admin's API token on every request.
    pub client: reqwest::Client,
    pub store: Arc<dyn CatalogStore>,
    _dir: TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    worker: tokio_util::sync::CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.worker.cancel();
    }
}

impl TestApp {
    /// A server whose config has no sources.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| TorroConfig::default()).await
    }

    /// A server whose config is built from the test's temp dir.
    pub async fn spawn_with(config: impl FnOnce(&std::path::Path) -> TorroConfig) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("catalog.db").display());
        let store = torro_catalog::connect(&url).await.expect("connect to SQLite");
        store.migrate().await.expect("migrate");
        let engine = Engine::new(store.clone(), config(dir.path()));
        Self::spawn_state(AppState::new(engine), store, dir).await
    }

    pub async fn spawn_state(state: AppState, store: Arc<dyn CatalogStore>, dir: TempDir) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        // An in-process worker runs queued scans, as in `torro serve`.
        let worker = tokio_util::sync::CancellationToken::new();
        let options = torro_engine::WorkerOptions {
            poll: std::time::Duration::from_millis(50),
            ..torro_engine::WorkerOptions::new(1)
        };
        torro_engine::Worker::new(state.engine().clone(), options).spawn(worker.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            serve(listener, state, async move {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        // A store that fails on purpose (tests/api/meta.rs) gets a token nobody knows.
        let admin_token = try_user_with_token(&store, "admin", Role::Admin)
            .await
            .unwrap_or_else(|_| secret::new_api_token());
        TestApp {
            base: format!("http://{addr}"),
            client: client_with_token(&admin_token),
            store,
            _dir: dir,
            shutdown: Some(tx),
            worker,
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        read(response).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .put(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("PUT");
        read(response).await
    }

    pub async fn put_raw(&self, path: &str, body: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .put(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("PUT");
        read(response).await
    }

    pub async fn post(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .send()
            .await
            .expect("POST");
        read(response).await
    }

    /// Writes observations as one finished scan run; returns their ids in order.
    pub async fn seed(&self, observations: &[Observation]) -> Vec<i64> {
        let run = self
            .store
            .create_scan_run(&NewScanRun {
                trigger: "test".into(),
                target: "fixtures".into(),
                started_at: Utc::now(),
            })
            .await
            .expect("create scan run");
        let results = self
            .store
            .apply_observations(run.id, observations)
            .await
            .expect("apply observations");
        self.store
            .finish_scan_run(run.id, ScanStatus::Succeeded, &ScanCounts::default(), None)
            .await
            .expect("finish");
        results.into_iter().map(|r| r.id).collect()
    }

    /// The standard fixture: five files over three stores; the last one deleted.
    /// Returns ids of [orders, customers, events, broken, gone].
    pub async fn seed_fixture(&self) -> Vec<i64> {
        let ids = self.seed(&fixture()).await;
        let run = self
            .store
            .create_scan_run(&NewScanRun {
                trigger: "test".into(),
                target: "fixtures".into(),
                started_at: Utc::now(),
            })
            .await
            .unwrap();
        assert_eq!(self.store.mark_deleted(run.id, &[ids[4]], Utc::now()).await.unwrap(), 1);
        ids
    }
}

async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text:?}"));
    (status, body)
}

/// Asserts the JSON error shape and returns the message.
pub fn error_message(status: StatusCode, body: &Value, expected: StatusCode, code: &str) -> String {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["error_id"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
    body["message"].as_str().expect("message").to_string()
}

pub fn schema(cols: &[(&str, DataType)]) -> Schema {
    Schema::new(cols.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect())
}

fn base_time() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

/// One file observation with plausible defaults; tests change what they need.
#[allow(clippy::too_many_arguments)]
pub fn observation(
    storage_type: StorageType,
    container: &str,
    path: &str,
    size: i64,
    schema: Option<Schema>,
    environment: &str,
    data_source_type: &str,
    minutes: i64,
) -> Observation {
    let last_modified = Some(base_time() + Duration::minutes(minutes));
    Observation {
        location: StorageLocation {
            storage_type,
            account: if storage_type == StorageType::AzureBlob {
                "acct".into()
            } else {
                String::new()
            },
            container: container.into(),
        },
        path: path.into(),
        size,
        etag: None,
        last_modified,
        fingerprint: fingerprint(size, None, last_modified),
        format: FileFormat::from_file_name(path).map(|(f, _)| f),
        row_count: schema.as_ref().map(|_| 10),
        schema,
        format_details: serde_json::json!({"delimiter": ","}),
        error: None,
        labels: SourceLabels {
            source_name: "fixture".into(),
            environment: environment.into(),
            env_type: if environment == "production" {
                "prod"
            } else {
                "non-prod"
            }
            .into(),
            data_source_type: data_source_type.into(),
            tags: vec!["pii".into()],
        },
        seen_at: base_time() + Duration::minutes(minutes),
    }
}

pub fn fixture() -> Vec<Observation> {
    let orders = observation(
        StorageType::S3,
        "lake",
        "raw/orders.csv",
        100,
        Some(schema(&[("order_id", DataType::Int64), ("amount", DataType::Float64)])),
        "production",
        "finance",
        1,
    );
    let customers = observation(
        StorageType::S3,
        "lake",
        "raw/customers.parquet",
        200,
        Some(schema(&[
            ("customer_id", DataType::Int64),
            ("full_name", DataType::String),
        ])),
        "production",
        "crm",
        2,
    );
    let events = observation(
        StorageType::AzureBlob,
        "events",
        "staging/events.ndjson",
        300,
        Some(schema(&[("event_id", DataType::String), ("payload", DataType::String)])),
        "staging",
        "web",
        3,
    );
    let mut broken = observation(
        StorageType::Local,
        "/data",
        "broken.csv",
        50,
        None,
        "staging",
        "finance",
        4,
    );
    broken.error = Some("bad header".into());
    let gone = observation(
        StorageType::S3,
        "lake",
        "old/gone.csv",
        70,
        Some(schema(&[("x", DataType::Int64)])),
        "production",
        "finance",
        5,
    );
    vec![orders, customers, events, broken, gone]
}

/// Names of the discoveries in a list response, in order.
pub fn names(body: &Value) -> Vec<String> {
    body["discoveries"]
        .as_array()
        .unwrap_or_else(|| panic!("no discoveries in {body}"))
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}
