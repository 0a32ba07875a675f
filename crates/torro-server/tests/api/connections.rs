//! `/api/connections`: create, list, get, update, delete, test, scan, discoveries; secrets
//! go in and never come out (not in responses, audit rows or the database file).

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use torro_engine::{Engine, SecretBox, SecretKey, TorroConfig};
use torro_server::AppState;

use crate::helpers::{TestApp, error_message};

const ACCOUNT_KEY: &str = "AZURE-KEY-Zm9vYmFyYmF6cXV4-plaintext";
const SAS_TOKEN: &str = "sv=2024-01-01&sig=SAS-TOKEN-plaintext";

struct App {
    app: TestApp,
    db_file: PathBuf,
}

/// A server whose engine encrypts secrets with `key`, on a fresh SQLite file.
async fn spawn(key: &SecretKey) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_file = dir.path().join("catalog.db");
    let store = torro_catalog::connect(&format!("sqlite:{}", db_file.display()))
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    let engine = Engine::with_secrets(store.clone(), TorroConfig::default(), SecretBox::new(key));
    let app = TestApp::spawn_state(AppState::new(engine), store, dir).await;
    App { app, db_file }
}

/// A second server on the same database with another key.
async fn spawn_on(db_file: &std::path::Path, key: &SecretKey) -> TestApp {
    let store = torro_catalog::connect(&format!("sqlite:{}", db_file.display()))
        .await
        .expect("connect");
    let engine = Engine::with_secrets(store.clone(), TorroConfig::default(), SecretBox::new(key));
    TestApp::spawn_state(AppState::new(engine), store, tempfile::tempdir().unwrap()).await
}

/// Sends `body` (or none) and returns status, Location header and the body as text and JSON.
async fn send(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Option<String>, String) {
    let url = format!("{}{path}", app.base);
    let mut request = app.client.request(method.parse().unwrap(), url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, response.text().await.expect("body"))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn azure(name: &str) -> Value {
    json!({
        "name": name,
        "connector_type": "azure_blob",
        "connection_type": "account_key",
        "config": {"account": "acct1", "containers": ["raw"], "options": {"use_emulator": "true"}},
        "secrets": {"account_key": ACCOUNT_KEY},
        "schedule": "0 2 * * *",
        "environment": "production",
        "env_type": "prod",
        "data_source_type": "finance",
        "tags": ["pii"]
    })
}

fn local(name: &str, root: &std::path::Path, containers: &[&str]) -> Value {
    json!({
        "name": name,
        "connector_type": "local",
        "config": {"root": root.display().to_string(), "containers": containers},
        "environment": "development"
    })
}

fn assert_secret_free(text: &str) {
    for secret in [ACCOUNT_KEY, SAS_TOKEN] {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
}

#[tokio::test]
async fn crud_keeps_omitted_secrets_and_never_returns_them() {
    let App { app, .. } = spawn(&SecretKey::generate().unwrap()).await;

    let (status, location, text) = send(&app, "POST", "/api/connections", Some(azure("finance-lake"))).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert_secret_free(&text);
    let created = parse(&text);
    let id = created["id"].as_i64().unwrap();
    assert_eq!(location.as_deref(), Some(format!("/api/connections/{id}").as_str()));
    assert_eq!(created["secrets"], json!({"account_key": "***"}));
    assert_eq!(created["config"]["account"], "acct1");
    assert_eq!(created["config"]["containers"], json!(["raw"]));
    assert_eq!(created["status"], "active");
    assert_eq!(created["schedule"], "0 2 * * *");
    assert_eq!(created["environment"], "production");
    assert_eq!(created["tags"], json!(["pii"]));
    assert_eq!(
        created["links"]["discoveries"],
        format!("/api/connections/{id}/discoveries")
    );

    let (status, _, text) = send(&app, "GET", "/api/connections", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_secret_free(&text);
    let list = parse(&text);
    assert_eq!(list["connections"].as_array().unwrap().len(), 1);
    assert_eq!(list["connections"][0]["name"], "finance-lake");

    let (status, _, text) = send(&app, "GET", &format!("/api/connections/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_secret_free(&text);
    assert_eq!(parse(&text), created);

    // Update without secrets: the stored one is kept; created_at too.
    let mut change = azure("finance-lake");
    change.as_object_mut().unwrap().remove("secrets");
    change["config"]["containers"] = json!(["raw", "curated"]);
    change["status"] = json!("disabled");
    let (status, _, text) = send(&app, "PUT", &format!("/api/connections/{id}"), Some(change.clone())).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let updated = parse(&text);
    assert_eq!(updated["secrets"], json!({"account_key": "***"}));
    assert_eq!(updated["config"]["containers"], json!(["raw", "curated"]));
    assert_eq!(updated["status"], "disabled");
    assert_eq!(updated["created_at"], created["created_at"]);
    let stored = app.store.connection_secrets(id).await.unwrap().unwrap();
    assert!(stored.starts_with("v1:"));

    // Add one, remove one ("").
    change["secrets"] = json!({"account_key": "", "sas_token": SAS_TOKEN});
    let (status, _, text) = send(&app, "PUT", &format!("/api/connections/{id}"), Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_secret_free(&text);
    assert_eq!(parse(&text)["secrets"], json!({"sas_token": "***"}));

    // A disabled connection is not scanned.
    let (status, _, text) = send(&app, "POST", &format!("/api/connections/{id}/scan"), None).await;
    let message = error_message(status, &parse(&text), StatusCode::CONFLICT, "conflict");
    assert!(message.contains("disabled"), "{message}");

    // The audit rows name secrets, never their values.
    let log = app.store.audit_log("connection", id).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["update", "update", "create"]);
    assert!(log.iter().all(|e| e.actor == "admin"));
    assert_eq!(log[0].after.as_ref().unwrap()["secret_names"], json!(["sas_token"]));
    assert_secret_free(&format!("{log:?}"));

    let (status, _, text) = send(&app, "DELETE", &format!("/api/connections/{id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{text}");
    let (status, _, text) = send(&app, "GET", &format!("/api/connections/{id}"), None).await;
    error_message(status, &parse(&text), StatusCode::NOT_FOUND, "not_found");
    let (status, _, text) = send(&app, "DELETE", &format!("/api/connections/{id}"), None).await;
    error_message(status, &parse(&text), StatusCode::NOT_FOUND, "not_found");
    let (status, _, text) = send(&app, "PUT", &format!("/api/connections/{id}"), Some(azure("x"))).await;
    error_message(status, &parse(&text), StatusCode::NOT_FOUND, "not_found");
    let log = app.store.audit_log("connection", id).await.unwrap();
    assert_eq!(log[0].action, "delete");
    assert_secret_free(&format!("{log:?}"));
}

#[tokio::test]
async fn duplicate_names_are_409() {
    let App { app, .. } = spawn(&SecretKey::generate().unwrap()).await;
    let (status, _, _) = send(&app, "POST", "/api/connections", Some(azure("lake"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, text) = send(&app, "POST", "/api/connections", Some(azure("lake"))).await;
    let message = error_message(status, &parse(&text), StatusCode::CONFLICT, "already_exists");
    assert!(message.contains("lake"), "{message}");
    // Renaming onto a taken name too.
    let (_, _, text) = send(&app, "POST", "/api/connections", Some(azure("other"))).await;
    let other = parse(&text)["id"].as_i64().unwrap();
    let (status, _, text) = send(&app, "PUT", &format!("/api/connections/{other}"), Some(azure("lake"))).await;
    error_message(status, &parse(&text), StatusCode::CONFLICT, "already_exists");
}

#[tokio::test]
async fn invalid_requests_are_400_naming_the_field() {
    let App { app, .. } = spawn(&SecretKey::generate().unwrap()).await;
    let mut no_root = local("l", std::path::Path::new("/x"), &[]);
    no_root["config"].as_object_mut().unwrap().remove("root");
    let mut bad_secret = azure("a");
    bad_secret["secrets"] = json!({"api_token": "x"});
    let mut bad_cron = azure("a");
    bad_cron["schedule"] = json!("every day");
    let mut no_account = azure("a");
    no_account["config"].as_object_mut().unwrap().remove("account");
    let mut s3 = azure("a");
    s3["connector_type"] = json!("s3");
    s3["config"]["containers"] = json!([]);
    let mut ftp = azure("a");
    ftp["connector_type"] = json!("ftp");
    let mut empty = azure("  ");
    empty["secrets"] = json!({});
    let mut typo = azure("a");
    typo["config"]["acount"] = json!("x");
    let cases = [
        (no_root, "config.root"),
        (bad_secret, "secrets.api_token"),
        (bad_cron, "schedule"),
        (no_account, "config.account"),
        (s3, "config.containers"),
        (ftp, "connector_type"),
        (empty, "name"),
        (typo, "acount"),
    ];
    for (body, field) in cases {
        for (method, path) in [("POST", "/api/connections"), ("POST", "/api/connections/test-config")] {
            let (status, _, text) = send(&app, method, path, Some(body.clone())).await;
            let message = error_message(status, &parse(&text), StatusCode::BAD_REQUEST, "invalid_request");
            assert!(message.contains(field), "{path} {field}: {message}");
        }
    }
    let (status, _, text) = send(&app, "POST", "/api/connections", Some(bad_secret_names())).await;
    let message = error_message(status, &parse(&text), StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("allowed: secret_access_key"), "{message}");
    assert!(app.store.list_connections().await.unwrap().is_empty());
}

fn bad_secret_names() -> Value {
    let mut body = azure("a");
    body["secrets"] = json!({"token": "x"});
    body
}

#[tokio::test]
async fn test_config_on_local_folders() {
    let App { app, .. } = spawn(&SecretKey::generate().unwrap()).await;
    let lake = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(lake.path().join("raw")).unwrap();

    let (status, _, text) = send(
        &app,
        "POST",
        "/api/connections/test-config",
        Some(local("lake", lake.path(), &["raw"])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let body = parse(&text);
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["results"][0]["ok"], true);
    assert_eq!(body["results"][0]["error"], Value::Null);

    let (status, _, text) = send(
        &app,
        "POST",
        "/api/connections/test-config",
        Some(local("lake", &lake.path().join("nope"), &[])),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a failed test is not an error: {text}");
    let body = parse(&text);
    assert_eq!(body["ok"], false);
    let error = body["results"][0]["error"].as_str().unwrap();
    assert!(error.contains("nope"), "{error}");
    assert!(
        app.store.list_connections().await.unwrap().is_empty(),
        "test-config saves nothing"
    );

    // A stored connection's test is recorded on it.
    let (_, _, text) = send(
        &app,
        "POST",
        "/api/connections",
        Some(local("lake", lake.path(), &["raw", "missing"])),
    )
    .await;
    let id = parse(&text)["id"].as_i64().unwrap();
    let (status, _, text) = send(&app, "POST", &format!("/api/connections/{id}/test"), None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let body = parse(&text);
    assert_eq!(
        (body["ok"].clone(), body["results"][0]["ok"].clone()),
        (json!(false), json!(true))
    );
    let (_, _, text) = send(&app, "GET", &format!("/api/connections/{id}"), None).await;
    let c = parse(&text);
    assert!(c["last_tested_at"].is_string(), "{c}");
    assert!(c["last_test_error"].as_str().unwrap().contains("missing"), "{c}");
    let (status, _, text) = send(&app, "POST", "/api/connections/999/test", None).await;
    error_message(status, &parse(&text), StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_database_file_never_holds_secret_plaintext() {
    let App { app, db_file } = spawn(&SecretKey::generate().unwrap()).await;
    let (status, _, text) = send(&app, "POST", "/api/connections", Some(azure("lake"))).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let id = parse(&text)["id"].as_i64().unwrap();
    let mut change = azure("lake");
    change["secrets"] = json!({"sas_token": SAS_TOKEN});
    let (status, _, text) = send(&app, "PUT", &format!("/api/connections/{id}"), Some(change)).await;
    assert_eq!(status, StatusCode::OK, "{text}");

    let mut bytes = std::fs::read(&db_file).unwrap();
    let wal = db_file.with_extension("db-wal");
    if let Ok(more) = std::fs::read(&wal) {
        bytes.extend(more);
    }
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(haystack.contains("v1:"), "the ciphertext is stored");
    assert!(haystack.contains("account_key"), "secret names are stored");
    for secret in [ACCOUNT_KEY, SAS_TOKEN] {
        assert!(!haystack.contains(secret), "{secret} is in the database file");
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in the database file"
        );
    }
}

#[tokio::test]
async fn a_changed_key_gives_a_clear_error() {
    let App { app, db_file } = spawn(&SecretKey::generate().unwrap()).await;
    let (_, _, text) = send(&app, "POST", "/api/connections", Some(azure("finance-lake"))).await;
    let id = parse(&text)["id"].as_i64().unwrap();
    let other = spawn_on(&db_file, &SecretKey::generate().unwrap()).await;
    // Reading works without the key...
    let (status, _, _) = send(&other, "GET", &format!("/api/connections/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    // ...using the secrets does not.
    let (status, _, text) = send(&other, "POST", &format!("/api/connections/{id}/test"), None).await;
    let message = error_message(status, &parse(&text), StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert!(
        message.contains("cannot decrypt the secrets of connection finance-lake: was TORRO_SECRET_KEY changed?"),
        "{message}"
    );
}

#[tokio::test]
async fn scan_one_connection_and_list_its_discoveries() {
    let App { app, .. } = spawn(&SecretKey::generate().unwrap()).await;
    let lake = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(lake.path().join("raw")).unwrap();
    std::fs::create_dir_all(lake.path().join("other")).unwrap();
    std::fs::write(lake.path().join("raw/orders.csv"), "id,amount\n1,2.5\n").unwrap();
    std::fs::write(lake.path().join("other/skip.csv"), "a\n1\n").unwrap();
    let (status, _, text) = send(
        &app,
        "POST",
        "/api/connections",
        Some(local("lake", lake.path(), &["raw"])),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let id = parse(&text)["id"].as_i64().unwrap();

    let (status, location, text) = send(&app, "POST", &format!("/api/connections/{id}/scan"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    let scan = location.unwrap();
    let mut finished = Value::Null;
    for _ in 0..200 {
        let (_, run) = app.get(&scan).await;
        if run["status"] != "running" && run["status"] != "queued" {
            finished = run;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(finished["status"], "succeeded", "{finished}");

    let (status, body) = app.get(&format!("/api/connections/{id}/discoveries")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["discoveries"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{body}");
    assert_eq!(items[0]["source_name"], "lake");
    assert!(items[0]["path"].as_str().unwrap().ends_with("orders.csv"), "{body}");
    assert_eq!(body["pagination"]["total"], 1);
    // The list handler's parameters apply.
    let (status, body) = app
        .get(&format!("/api/connections/{id}/discoveries?format=parquet"))
        .await;
    assert_eq!(
        (status, body["pagination"]["total"].clone()),
        (StatusCode::OK, json!(0))
    );
    let (status, body) = app.get(&format!("/api/connections/{id}/discoveries?size=0")).await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, body) = app.get("/api/connections/999/discoveries").await;
    error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn openapi_documents_the_connection_endpoints() {
    let App { app, .. } = spawn(&SecretKey::generate().unwrap()).await;
    let (_, doc) = app.get("/api/openapi.json").await;
    for path in [
        "/api/connections",
        "/api/connections/{id}",
        "/api/connections/test-config",
        "/api/connections/{id}/test",
        "/api/connections/{id}/scan",
        "/api/connections/{id}/discoveries",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["paths"]["/api/connections"]["post"].is_object());
    assert!(doc["paths"]["/api/connections/{id}"]["delete"].is_object());
}
