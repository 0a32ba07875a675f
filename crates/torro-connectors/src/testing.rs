//! Test support (feature `testing`), for this crate's and the engine's tests: fixtures on
//! the emulators `scripts/services.sh` starts: each test gets its own
//! fresh bucket/container, a writer store to put objects with, and the config of a
//! Torro source over it. Missing env vars skip loudly, or fail when `CI=true`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::{AZURITE_ACCOUNT, AZURITE_KEY};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::client::{HttpClient, HttpConnector, HttpRequestBody, ReqwestConnector};
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload};
use sha2::Sha256;
use torro_model::{ConnectorConfig, StorageType};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emulator {
    S3,
    Azure,
    Gcs,
}

impl Emulator {
    fn env_var(self) -> &'static str {
        match self {
            Emulator::S3 => "TORRO_TEST_S3_URL",
            Emulator::Azure => "TORRO_TEST_AZURITE_URL",
            Emulator::Gcs => "TORRO_TEST_GCS_URL",
        }
    }
}

/// The value of `var`, or `None` after saying loudly that the test skips (panics with `CI=true`).
pub fn env_or_skip(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{var} is not set and CI=true: scripts/test.sh must start the emulators (scripts/services.sh)")
        }
        _ => {
            eprintln!("SKIPPED: {test}: {var} is not set; run scripts/test.sh (it starts the emulators)");
            None
        }
    }
}

pub struct Fixture {
    pub emulator: Emulator,
    pub url: String,
    pub container: String,
    /// Writes and deletes test objects (object_store, outside the code under test).
    pub writer: Arc<dyn ObjectStore>,
    /// A Torro source config for the fresh container.
    pub config: ConnectorConfig,
}

fn unique_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "torro-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000
    )
}

fn http_client() -> HttpClient {
    ReqwestConnector::default()
        .connect(&ClientOptions::new().with_allow_http(true))
        .unwrap()
}

async fn send(request: http::Request<HttpRequestBody>) -> (u16, String) {
    let response = http_client().execute(request).await.expect("emulator request failed");
    let status = response.status().as_u16();
    let body = response.into_body().bytes().await.unwrap_or_default();
    (status, String::from_utf8_lossy(&body).into_owned())
}

pub fn s3_keys() -> (String, String) {
    (
        std::env::var("TORRO_TEST_S3_ACCESS_KEY_ID").unwrap_or_else(|_| "torro-test-key".into()),
        std::env::var("TORRO_TEST_S3_SECRET_ACCESS_KEY").unwrap_or_else(|_| "torro-test-secret".into()),
    )
}

/// The source settings for `container` on `emulator` at `url` (what a user would write).
pub fn source_config(emulator: Emulator, url: &str, container: &str) -> ConnectorConfig {
    let mut options = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    let (storage_type, auth) = match emulator {
        Emulator::S3 => {
            let (key, secret) = s3_keys();
            options.insert("access_key_id".to_string(), key);
            secrets.insert("secret_access_key".to_string(), secret);
            (StorageType::S3, "access_key")
        }
        Emulator::Azure => {
            secrets.insert(
                "connection_string".to_string(),
                format!("DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};BlobEndpoint={url};"),
            );
            (StorageType::AzureBlob, "connection_string")
        }
        Emulator::Gcs => (StorageType::Gcs, "anonymous"),
    };
    // Fail fast in tests: few retries, short timeouts.
    options.insert("max_retries".to_string(), "1".to_string());
    options.insert("connect_timeout_seconds".to_string(), "2".to_string());
    options.insert("timeout_seconds".to_string(), "20".to_string());
    ConnectorConfig {
        storage_type,
        account: None,
        container: container.to_string(),
        auth: Some(auth.to_string()),
        endpoint: Some(url.to_string()),
        region: None,
        options,
        secrets,
    }
}

/// A fresh, empty container on `emulator`, or `None` when the emulator is not configured.
pub async fn fixture(emulator: Emulator, test: &str) -> Option<Fixture> {
    let url = env_or_skip(emulator.env_var(), test)?.trim_end_matches('/').to_string();
    let container = unique_name();
    let writer: Arc<dyn ObjectStore> = match emulator {
        Emulator::S3 => {
            let (key, secret) = s3_keys();
            let store = AmazonS3Builder::new()
                .with_endpoint(&url)
                .with_allow_http(true)
                .with_region("us-east-1")
                .with_bucket_name(&container)
                .with_access_key_id(key)
                .with_secret_access_key(secret)
                .build()
                .unwrap();
            create_s3_bucket(&store).await;
            Arc::new(store)
        }
        Emulator::Azure => {
            create_azure_container(&url, &container).await;
            Arc::new(
                MicrosoftAzureBuilder::new()
                    .with_account(AZURITE_ACCOUNT)
                    .with_access_key(AZURITE_KEY)
                    .with_endpoint(url.clone())
                    .with_allow_http(true)
                    .with_container_name(&container)
                    .build()
                    .unwrap(),
            )
        }
        Emulator::Gcs => {
            create_gcs_bucket(&url, &container).await;
            // fake-gcs-server does not take object_store's (XML API) uploads; Fixture::put
            // uses the JSON upload API instead. This store is for nothing else.
            Arc::new(object_store::memory::InMemory::new())
        }
    };
    let config = source_config(emulator, &url, &container);
    Some(Fixture {
        emulator,
        url,
        container,
        writer,
        config,
    })
}

impl Fixture {
    pub async fn put(&self, path: &str, bytes: impl Into<Bytes>) {
        let bytes = bytes.into();
        if self.emulator == Emulator::Gcs {
            let request = http::Request::builder()
                .method(http::Method::POST)
                .uri(format!(
                    "{}/upload/storage/v1/b/{}/o?uploadType=media&name={}",
                    self.url,
                    self.container,
                    encode(path)
                ))
                .header("content-type", "application/octet-stream")
                .body(HttpRequestBody::from(bytes))
                .unwrap();
            let (status, body) = send(request).await;
            assert!(status == 200, "put {path}: {status} {body}");
            return;
        }
        self.writer
            .put(&Path::from(path), PutPayload::from(bytes))
            .await
            .unwrap_or_else(|e| panic!("put {path}: {e}"));
    }

    pub async fn delete(&self, path: &str) {
        if self.emulator == Emulator::Gcs {
            let request = http::Request::builder()
                .method(http::Method::DELETE)
                .uri(format!(
                    "{}/storage/v1/b/{}/o/{}",
                    self.url,
                    self.container,
                    encode(path)
                ))
                .body(HttpRequestBody::empty())
                .unwrap();
            let (status, body) = send(request).await;
            assert!(status == 204 || status == 200, "delete {path}: {status} {body}");
            return;
        }
        self.writer.delete(&Path::from(path)).await.unwrap();
    }
}

/// Percent-encodes all but RFC 3986 unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// S3 CreateBucket: a PUT on the bucket, presigned by object_store's own signer.
async fn create_s3_bucket(store: &object_store::aws::AmazonS3) {
    let url = store
        .signed_url(http::Method::PUT, &Path::from(""), Duration::from_secs(300))
        .await
        .unwrap();
    let request = http::Request::builder()
        .method(http::Method::PUT)
        .uri(url.as_str())
        .body(HttpRequestBody::empty())
        .unwrap();
    let (status, body) = send(request).await;
    assert!(status == 200, "creating the S3 bucket failed: {status} {body}");
}

/// Azure Create Container, signed with the account key (Shared Key authorization).
async fn create_azure_container(url: &str, container: &str) {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let version = "2021-08-06";
    let target = format!("{url}/{container}?restype=container");
    let uri: http::Uri = target.parse().unwrap();
    let string_to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZURITE_ACCOUNT}{}\nrestype:container",
        uri.path()
    );
    let key = BASE64.decode(AZURITE_KEY).expect("the Azurite key is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    let signature = BASE64.encode(mac.finalize().into_bytes());
    let request = http::Request::builder()
        .method(http::Method::PUT)
        .uri(uri)
        .header("x-ms-date", &date)
        .header("x-ms-version", version)
        .header("content-length", "0")
        .header("authorization", format!("SharedKey {AZURITE_ACCOUNT}:{signature}"))
        .body(HttpRequestBody::empty())
        .unwrap();
    let (status, body) = send(request).await;
    assert!(status == 201, "creating the Azure container failed: {status} {body}");
}

/// fake-gcs-server: JSON API buckets.insert, no auth.
async fn create_gcs_bucket(url: &str, bucket: &str) {
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(format!("{url}/storage/v1/b?project=torro-test"))
        .header("content-type", "application/json")
        .body(HttpRequestBody::from(format!("{{\"name\":\"{bucket}\"}}")))
        .unwrap();
    let (status, body) = send(request).await;
    assert!(status == 200, "creating the GCS bucket failed: {status} {body}");
}
