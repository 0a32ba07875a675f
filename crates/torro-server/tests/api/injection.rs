//! Injection strings through the query parameters and path segments of every list and
//! search endpoint, on SQLite, PostgreSQL and MariaDB/MySQL: each answer is a 200 or a
//! JSON 400/404, never a 500, and the catalog keeps what it had. Secrets sent in
//! connection settings never come back in any answer.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use torro_catalog::testing::TestDb;
use torro_engine::{Engine, SecretBox, SecretKey, TorroConfig};
use torro_model::lineage::{ChangeContext, EdgeInput, LineageOrigin};
use torro_server::AppState;

use crate::helpers::TestApp;

/// The strings of the store's injection suite (`torro-catalog/tests/injection.rs`).
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "'; DROP TABLE discoveries; --",
        "' OR '1'='1",
        "%' OR 1=1 --",
        "\" OR \"\"=\"",
        "\\'; SELECT pg_sleep(5); --",
        "1; DELETE FROM audit_log",
        "%",
        "_",
        "\\",
        "\0",
        "ünïcødé 数据 🚀",
        "\"",
        "*",
        "NEAR(",
        "AND OR NOT",
        "-",
        "+",
        "@",
        "~",
        "(",
        ")",
        "orders:*",
        "../../etc/passwd",
        "1 OR 1=1",
        "-1",
        "9223372036854775808",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    v.push("x".repeat(10 * 1024));
    v
}

/// Every byte but letters and digits percent-encoded: safe in a query value and a path segment.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn ctx() -> ChangeContext {
    ChangeContext {
        actor: torro_model::Actor {
            name: "ada".into(),
            ..Default::default()
        },
        source_system: "test".into(),
        ingestion_id: None,
        origin: Some(LineageOrigin::Api),
        at: None,
    }
}

/// A server on a fresh catalog of `backend`, or `None` when that database is not running
/// (the store's test support prints SKIPPED, or fails under CI=true).
async fn spawn_on(backend: &str) -> Option<(TestApp, Option<TestDb>)> {
    let db = match backend {
        "sqlite" => return Some((TestApp::spawn().await, None)),
        "postgres" => torro_catalog::testing::postgres(true).await?,
        _ => torro_catalog::testing::mysql(true).await?,
    };
    let store = db.store.clone();
    let engine = Engine::new(store.clone(), TorroConfig::default());
    let app = TestApp::spawn_state(AppState::new(engine), store, tempfile::tempdir().unwrap()).await;
    Some((app, Some(db)))
}

/// What the catalog holds, as the API counts it.
async fn totals(app: &TestApp) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for path in [
        "/api/discovery?include_deleted=true&size=1",
        "/api/assets?include_deleted=true&size=1",
        "/api/datasets?size=1",
        "/api/scans?size=1",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        out.push((path.to_string(), body["pagination"]["total"].clone()));
    }
    let (status, body) = app.get("/api/connections").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    out.push(("connections".into(), body.to_string().len().into()));
    let (_, body) = app.get("/api/v1/namespaces").await;
    out.push(("namespaces".into(), body));
    out.push((
        "audit".into(),
        app.store.audit_log("discovery", 1).await.unwrap().len().into(),
    ));
    out
}

/// A 200, or a JSON client error; a 500 (or any other status) fails with the request named.
fn check(path: &str, status: StatusCode, body: &Value) {
    let ok = status == StatusCode::OK
        || ([StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND].contains(&status)
            && body["code"].is_string()
            && body["error_id"].is_string());
    let shown: String = path.chars().take(200).collect();
    assert!(ok, "GET {shown}: {status} {body}");
}

async fn hostile_parameters_on(backend: &str) {
    let Some((app, db)) = spawn_on(backend).await else {
        return;
    };
    app.seed_fixture().await;
    app.store
        .lineage()
        .add_edges(
            &[EdgeInput::new(
                "postgres://db:5432/shop.public.orders",
                "postgres://db:5432/shop.public.o'rders\"; DROP TABLE lineage_edges; --",
            )],
            &ctx(),
        )
        .await
        .unwrap();
    let before = totals(&app).await;

    for s in hostile() {
        let q = enc(&s);
        let mut paths = Vec::new();
        for p in [
            "search",
            "environment",
            "data_source_type",
            "status",
            "approval_status",
            "format",
            "storage",
            "sort",
            "order",
            "include_deleted",
            "page",
            "size",
        ] {
            paths.push(format!("/api/discovery?{p}={q}"));
            paths.push(format!("/api/discovery/stats?{p}={q}"));
        }
        paths.push(format!("/api/discovery?search={q}&sort=name&order=asc"));
        for p in [
            "search",
            "catalog",
            "schema",
            "connector",
            "asset_type",
            "include_deleted",
            "page",
            "size",
        ] {
            paths.push(format!("/api/assets?{p}={q}"));
        }
        for p in ["search", "page", "size"] {
            paths.push(format!("/api/datasets?{p}={q}"));
        }
        for p in ["status", "connection", "page", "size"] {
            paths.push(format!("/api/scans?{p}={q}"));
        }
        for p in ["urn", "direction", "depth", "as_of", "column", "max_nodes", "format"] {
            paths.push(format!(
                "/api/lineage/graph?urn=postgres%3A%2F%2Fdb%3A5432%2Fshop.public.orders&{p}={q}"
            ));
        }
        paths.push(format!("/api/lineage/graph?urn=postgres%3A%2F%2Fdb%3A5432%2F{q}"));
        paths.push(format!("/api/lineage/impact?urn={q}"));
        paths.push(format!(
            "/api/lineage/impact?urn=postgres%3A%2F%2Fdb%3A5432%2Fshop.public.orders&column={q}"
        ));
        paths.push(format!("/api/lineage/audit?entity_type={q}&id=1"));
        paths.push(format!("/api/lineage/audit?entity_type=dataset&id={q}"));
        paths.push(format!("/api/lineage/audit?limit={q}"));
        paths.push(format!("/api/v1/lineage?nodeId={q}"));
        paths.push(format!("/api/v1/lineage?nodeId=dataset%3A{q}%3A{q}"));
        paths.push(format!("/api/v1/namespaces/{q}/datasets"));
        paths.push(format!("/api/v1/namespaces/{q}/datasets/{q}"));
        paths.push(format!("/api/v1/namespaces/postgres%3A%2F%2Fdb%3A5432/datasets/{q}"));
        paths.push(format!("/api/v1/namespaces/{q}/jobs"));
        paths.push(format!("/api/v1/namespaces/{q}/jobs/{q}"));
        paths.push(format!("/api/v1/namespaces/{q}/datasets?limit={q}&offset={q}"));
        // Ids in paths: a 400 or 404, never a lookup by text.
        for p in [
            "/api/discovery/{}",
            "/api/discovery/{}/schema-history",
            "/api/discovery/{}/audit",
            "/api/assets/{}",
            "/api/assets/{}/schema-history",
            "/api/datasets/{}",
            "/api/datasets/{}/files",
            "/api/scans/{}",
            "/api/scans/{}/errors",
            "/api/connections/{}",
            "/api/connections/{}/discoveries",
        ] {
            paths.push(p.replace("{}", &q));
        }
        // A few at a time: the strings are many, and the answers independent.
        for chunk in paths.chunks(8) {
            let answers = futures::future::join_all(chunk.iter().map(|p| app.get(p))).await;
            for (path, (status, body)) in chunk.iter().zip(answers) {
                check(path, status, &body);
            }
        }
    }
    // `%` and `_` are literal in the discovery search and the asset search.
    let (_, body) = app.get("/api/assets?search=%25").await;
    assert_eq!(body["pagination"]["total"], 0, "{body}");
    let (_, body) = app.get("/api/discovery?environment=%25").await;
    assert_eq!(body["pagination"]["total"], 0, "{body}");

    assert_eq!(totals(&app).await, before, "a GET changed the catalog");
    drop(app);
    if let Some(db) = db {
        db.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_parameters_sqlite() {
    hostile_parameters_on("sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_parameters_postgres() {
    hostile_parameters_on("postgres").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_parameters_mysql() {
    hostile_parameters_on("mysql").await;
}

const DB_PASSWORD: &str = "s3cr3t-db-password-41";
const URL_PASSWORD: &str = "s3cr3t-url-password-42";
const S3_SECRET: &str = "s3cr3t-aws-secret-key-43";

/// Every answer about connections with secrets, from create to test, scan, list and show,
/// holds none of the secret values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_secrets_never_reach_responses() {
    let dir = tempfile::tempdir().unwrap();
    let store = torro_catalog::connect(&format!("sqlite:{}", dir.path().join("catalog.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let key = SecretKey::generate().unwrap();
    let engine = Engine::with_secrets(store.clone(), TorroConfig::default(), SecretBox::new(&key));
    let app = TestApp::spawn_state(AppState::new(engine), store, dir).await;
    let secrets = [DB_PASSWORD, URL_PASSWORD, S3_SECRET];
    let leaks = |what: &str, text: &str| {
        for s in secrets {
            assert!(!text.contains(s), "{what} leaks {s}: {text}");
        }
    };
    // Port 1 is closed: the test and scan fail, and their errors must not quote secrets.
    let bodies = [
        json!({
            "name": "pg-closed",
            "connector_type": "postgres",
            "config": {"database": {"jdbc_url": "jdbc:postgresql://127.0.0.1:1/shop", "user": "app"}},
            "secrets": {"password": DB_PASSWORD}
        }),
        json!({
            "name": "s3-closed",
            "connector_type": "s3",
            "connection_type": "access_key",
            "config": {
                "containers": ["lake"], "endpoint": "http://127.0.0.1:1", "region": "us-east-1",
                "options": {"access_key_id": "AKIDEXAMPLE", "allow_http": "true"}
            },
            "secrets": {"secret_access_key": S3_SECRET}
        }),
    ];
    let mut ids = Vec::new();
    for body in bodies {
        let (status, text) = app
            .request_text(Method::POST, "/api/connections", Some(body), &[])
            .await;
        leaks("create", &text);
        assert_eq!(status, StatusCode::CREATED, "{text}");
        ids.push(serde_json::from_str::<Value>(&text).unwrap()["id"].as_i64().unwrap());
    }
    // A password inside the JDBC URL is refused (it would be stored and shown as a setting).
    let (status, text) = app
        .request_text(
            Method::POST,
            "/api/connections",
            Some(json!({
                "name": "pg-url-password",
                "connector_type": "postgres",
                "config": {"database": {
                    "jdbc_url": format!("jdbc:postgresql://127.0.0.1:1/shop?user=app&password={URL_PASSWORD}")
                }}
            })),
            &[],
        )
        .await;
    leaks("create with a password in the URL", &text);
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (_, text) = app
        .request_text(
            Method::POST,
            "/api/connections/test-config",
            Some(json!({
                "name": "t",
                "connector_type": "postgres",
                "config": {"database": {"jdbc_url": "jdbc:postgresql://127.0.0.1:1/shop", "user": "app"}},
                "secrets": {"password": DB_PASSWORD}
            })),
            &[],
        )
        .await;
    leaks("test-config", &text);

    for id in &ids {
        let (_, text) = app
            .request_text(Method::POST, &format!("/api/connections/{id}/test"), None, &[])
            .await;
        leaks("test", &text);
        let (status, text) = app
            .request_text(Method::POST, &format!("/api/connections/{id}/scan"), None, &[])
            .await;
        leaks("scan", &text);
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        let scan_id = serde_json::from_str::<Value>(&text).unwrap()["scan_id"]
            .as_i64()
            .unwrap();
        let mut finished = false;
        for _ in 0..400 {
            let (_, text) = app
                .request_text(Method::GET, &format!("/api/scans/{scan_id}"), None, &[])
                .await;
            leaks("scan run", &text);
            let run: Value = serde_json::from_str(&text).unwrap();
            if run["status"] != "running" && run["status"] != "queued" {
                finished = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(finished, "scan {scan_id} did not finish");
        for path in [
            format!("/api/connections/{id}"),
            format!("/api/scans/{scan_id}/errors"),
            format!("/api/connections/{id}/discoveries"),
            "/api/connections".to_string(),
            "/api/scans".to_string(),
            "/api/assets".to_string(),
            "/api/lineage/audit".to_string(),
        ] {
            let (status, text) = app.request_text(Method::GET, &path, None, &[]).await;
            assert_eq!(status, StatusCode::OK, "{path}: {text}");
            leaks(&path, &text);
        }
    }
    for entry in app.store.audit_log("connection", ids[0]).await.unwrap() {
        leaks("audit row", &format!("{:?} {:?}", entry.before, entry.after));
    }
}
