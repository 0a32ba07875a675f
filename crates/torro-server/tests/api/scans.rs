use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use torro_engine::{SourceConfig, TorroConfig};
use torro_model::{NewScanError, NewScanRun, ScanErrorKind};

use crate::helpers::{TestApp, error_message};

#[tokio::test]
async fn scans_are_listed_newest_first_with_their_errors() {
    let app = TestApp::spawn().await;
    app.seed_fixture().await; // two runs
    let run = app
        .store
        .create_scan_run(&NewScanRun {
            trigger: "cli".into(),
            target: "lake".into(),
            started_at: Utc::now(),
        })
        .await
        .unwrap();
    let errors: Vec<_> = (0..3)
        .map(|i| NewScanError {
            path: format!("bad{i}.csv"),
            kind: ScanErrorKind::Format,
            message: "no header".into(),
        })
        .collect();
    app.store.record_scan_errors(run.id, &errors).await.unwrap();

    let (status, body) = app.get("/api/scans?size=2").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["pagination"],
        serde_json::json!({"page": 0, "size": 2, "total": 3, "total_pages": 2})
    );
    assert_eq!(body["scans"][0]["id"], run.id);
    assert_eq!(body["scans"][0]["status"], "running");
    assert_eq!(body["scans"][0]["links"]["self"], format!("/api/scans/{}", run.id));
    assert_eq!(body["scans"][1]["status"], "running");

    let (status, body) = app.get(&format!("/api/scans/{}", run.id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], run.id);
    assert_eq!(body["trigger"], "cli");
    assert_eq!(body["error_count"], 3);
    assert!(body["counts"]["listed"].is_i64(), "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 3);
    assert_eq!(body["errors"][0]["kind"], "format");
    assert_eq!(body["errors_pagination"]["total"], 3);

    let (status, body) = app.get(&format!("/api/scans/{}/errors?size=2&page=1", run.id)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scan_id"], run.id);
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    assert_eq!(body["pagination"]["total_pages"], 2);

    for path in ["/api/scans/999", "/api/scans/999/errors"] {
        let (status, body) = app.get(path).await;
        assert_eq!(
            error_message(status, &body, StatusCode::NOT_FOUND, "not_found"),
            "scan run 999 not found"
        );
    }
}

#[tokio::test]
async fn trigger_without_sources_says_what_to_do() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post("/api/discovery/trigger").await;
    let message = error_message(status, &body, StatusCode::CONFLICT, "no_sources");
    assert!(message.contains("no sources are configured"), "{message}");
}

#[tokio::test]
async fn trigger_scans_a_folder_in_the_background() {
    let app = TestApp::spawn_with(|dir| {
        let data = dir.join("data");
        std::fs::create_dir_all(data.join("raw")).unwrap();
        std::fs::write(data.join("raw/orders.csv"), "order_id,amount\n1,9.5\n2,3.25\n").unwrap();
        std::fs::write(data.join("customers.csv"), "customer_id,full_name\n7,Ana\n").unwrap();
        TorroConfig {
            sources: vec![SourceConfig::local_folder(&data)],
            ..TorroConfig::default()
        }
    })
    .await;

    let (status, body) = app.post("/api/discovery/trigger").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["status"], "queued");
    let id = body["scan_id"].as_i64().unwrap();
    assert_eq!(body["links"]["self"], format!("/api/scans/{id}"));

    let run = wait_for(&app, id).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["counts"]["new"], 2, "{run}");
    assert!(run["finished_at"].as_str().is_some(), "{run}");

    let (_, list) = app.get("/api/discovery?search=amount").await;
    assert_eq!(list["discoveries"][0]["name"], "orders.csv", "{list}");
    let orders = list["discoveries"][0]["id"].as_i64().unwrap();
    let (_, show) = app.get(&format!("/api/discovery/{orders}")).await;
    assert_eq!(show["schema_json"]["fields"][0]["name"], "order_id", "{show}");
    assert_eq!(show["discovery_info"]["last_scan_id"], id);

    // A rescan of unchanged files reads nothing new.
    let (status, body) = app.post("/api/discovery/trigger").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let rescan = wait_for(&app, body["scan_id"].as_i64().unwrap()).await;
    assert_eq!(rescan["status"], "succeeded", "{rescan}");
    assert_eq!(
        (rescan["counts"]["new"].as_i64(), rescan["counts"]["unchanged"].as_i64()),
        (Some(0), Some(2))
    );
}

/// Polls a scan run until it is no longer queued or running (10 s at most).
pub async fn wait_for(app: &TestApp, id: i64) -> serde_json::Value {
    for _ in 0..200 {
        let (status, body) = app.get(&format!("/api/scans/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The worker finishes the run, then its job: wait for both.
        let busy = |s: &serde_json::Value| s == "running" || s == "queued";
        if !busy(&body["status"]) && !busy(&body["job"]["status"]) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("scan {id} or its job still running after 10 s");
}

/// A folder of `files` small CSV files under `raw/`.
fn csv_lake(files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    for i in 0..files {
        std::fs::write(dir.path().join(format!("raw/f{i:05}.csv")), format!("id,v\n{i},x\n")).unwrap();
    }
    dir
}

async fn create_connection(app: &TestApp, name: &str, root: &std::path::Path) -> i64 {
    let response = app
        .client
        .post(format!("{}/api/connections", app.base))
        .json(&serde_json::json!({
            "name": name,
            "connector_type": "local",
            "config": {"root": root.display().to_string(), "containers": ["raw"]}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_scan_is_cancelled_and_runs_filter_by_status_and_connection() {
    let app = TestApp::spawn().await;
    let big = csv_lake(1500);
    let small = csv_lake(2);
    let big_id = create_connection(&app, "big", big.path()).await;
    let small_id = create_connection(&app, "small", small.path()).await;

    let (status, body) = app.post(&format!("/api/connections/{big_id}/scan")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let big_scan = body["scan_id"].as_i64().unwrap();
    let (status, body) = app.post(&format!("/api/scans/{big_scan}/cancel")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let run = wait_for(&app, big_scan).await;
    assert_eq!(run["status"], "cancelled", "{run}");
    assert!(run["counts"]["new"].as_i64().unwrap() < 1500, "{run}");
    assert_eq!(run["job"]["status"], "cancelled", "{run}");

    let (_, body) = app.post(&format!("/api/connections/{small_id}/scan")).await;
    let small_scan = body["scan_id"].as_i64().unwrap();
    let run = wait_for(&app, small_scan).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        (run["job"]["attempts"].as_i64(), run["job"]["status"].as_str()),
        (Some(1), Some("succeeded"))
    );

    let (_, list) = app.get(&format!("/api/scans?connection={big_id}")).await;
    assert_eq!(list["pagination"]["total"], 1, "{list}");
    assert_eq!(list["scans"][0]["id"], big_scan);
    let (_, list) = app.get("/api/scans?status=succeeded").await;
    assert_eq!(list["scans"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["scans"][0]["id"], small_scan);

    let (status, body) = app.get("/api/scans?status=done").await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("queued, running"), "{message}");
    let (status, body) = app.get("/api/scans?connection=abc").await;
    error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    let (status, body) = app.post("/api/scans/424242/cancel").await;
    error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_event_stream_shows_a_scan_and_its_new_files() {
    use futures::StreamExt;
    let app = TestApp::spawn().await;
    let lake = csv_lake(3);
    let id = create_connection(&app, "lake", lake.path()).await;
    let response = app.client.get(format!("{}/api/events", app.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"),
        "{:?}",
        response.headers()
    );
    let mut stream = response.bytes_stream();
    let (_, body) = app.post(&format!("/api/connections/{id}/scan")).await;
    let scan = body["scan_id"].as_i64().unwrap();

    let mut text = String::new();
    let read = async {
        while let Some(chunk) = stream.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if text.contains("event: scan_finished") {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), read)
        .await
        .expect("scan_finished within 20 s");
    assert!(text.contains("event: scan_queued"), "{text}");
    assert!(text.contains("event: scan_started"), "{text}");
    assert_eq!(text.matches("event: discovered").count(), 3, "{text}");
    assert!(text.contains(&format!("\"scan_id\":{scan}")), "{text}");
    assert!(text.contains("\"status\":\"succeeded\""), "{text}");
}
