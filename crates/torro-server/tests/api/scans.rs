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
    assert_eq!(body["status"], "running");
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
    // The engine frees its one-scan slot just after the run is recorded as finished.
    let mut answer = app.post("/api/discovery/trigger").await;
    for _ in 0..50 {
        if answer.1["code"] != "scan_running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        answer = app.post("/api/discovery/trigger").await;
    }
    let (status, body) = answer;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let rescan = wait_for(&app, body["scan_id"].as_i64().unwrap()).await;
    assert_eq!(rescan["status"], "succeeded", "{rescan}");
    assert_eq!(
        (rescan["counts"]["new"].as_i64(), rescan["counts"]["unchanged"].as_i64()),
        (Some(0), Some(2))
    );
}

/// Polls a scan run until it is no longer running (10 s at most).
async fn wait_for(app: &TestApp, id: i64) -> serde_json::Value {
    for _ in 0..200 {
        let (status, body) = app.get(&format!("/api/scans/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["status"] != "running" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("scan {id} still running after 10 s");
}
