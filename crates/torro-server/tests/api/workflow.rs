use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, error_message};

#[tokio::test]
async fn approve_changes_status_and_writes_an_audit_row() {
    let app = TestApp::spawn().await;
    let id = app.seed_fixture().await[0];

    let (status, body) = app
        .put(
            &format!("/api/discovery/{id}/approve"),
            json!({"approved_by": "admin", "role": "admin", "comments": "looks right"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], id);
    assert_eq!(body["discovery_info"]["approval_status"], "approved");

    let (status, audit) = app.get(&format!("/api/discovery/{id}/audit")).await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    let row = &entries[0];
    assert_eq!(row["entity_type"], "discovery");
    assert_eq!(row["entity_id"], id);
    assert_eq!(row["action"], "approve");
    assert_eq!(row["actor"], "admin");
    assert_eq!(row["role"], "admin");
    assert_eq!(row["comment"], "looks right");
    assert!(row["at"].as_str().is_some());

    let (_, listed) = app.get("/api/discovery?status=approved").await;
    assert_eq!(listed["pagination"]["total"], 1);

    // Approving twice is not a valid transition.
    let (status, body) = app.put(&format!("/api/discovery/{id}/approve"), json!({})).await;
    let message = error_message(status, &body, StatusCode::CONFLICT, "conflict");
    assert!(message.contains("published, rejected, archived"), "{message}");
}

#[tokio::test]
async fn the_whole_workflow_is_reachable_and_audited_newest_first() {
    let app = TestApp::spawn().await;
    let id = app.seed_fixture().await[1];
    let path = |action: &str| format!("/api/discovery/{id}/{action}");

    let (status, body) = app
        .put(&path("reject"), json!({"rejection_reason": "contains PII"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["discovery_info"]["approval_status"], "rejected");
    let (status, body) = app.put(&path("publish"), json!({})).await;
    let message = error_message(status, &body, StatusCode::CONFLICT, "conflict");
    assert!(message.contains("pending, archived"), "{message}");
    let (status, body) = app.put(&path("archive"), json!({"by": "admin", "role": "admin"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["discovery_info"]["approval_status"], "archived");

    let (_, audit) = app.get(&path("audit")).await;
    let actions: Vec<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions, [json!("archive"), json!("reject")]);
}

#[tokio::test]
async fn required_fields_are_named() {
    let app = TestApp::spawn().await;
    let id = app.seed_fixture().await[0];

    let (status, body) = app.put(&format!("/api/discovery/{id}/reject"), json!({})).await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("rejection_reason"), "{message}");
    let (status, body) = app
        .put(
            &format!("/api/discovery/{id}/reject"),
            json!({"rejection_reason": "  "}),
        )
        .await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("rejection_reason"));
    let (status, body) = app
        .put(
            &format!("/api/discovery/{id}/approve"),
            json!({"approved_by": "ana", "comments": "ok"}),
        )
        .await;
    assert!(
        error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("approved_by is \"ana\"")
    );
    let (status, body) = app
        .put(&format!("/api/discovery/{id}/approve"), json!({"role": "steward"}))
        .await;
    assert!(
        error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").starts_with("role is \"steward\"")
    );
    let (status, body) = app
        .put(&format!("/api/discovery/{id}/publish"), json!({"by": "bo"}))
        .await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").starts_with("by is \"bo\""));

    // Nothing changed.
    let (_, show) = app.get(&format!("/api/discovery/{id}")).await;
    assert_eq!(show["discovery_info"]["approval_status"], "pending");
    let (_, audit) = app.get(&format!("/api/discovery/{id}/audit")).await;
    assert_eq!(audit["entries"], json!([]));
}

#[tokio::test]
async fn malformed_bodies_get_json_errors() {
    let app = TestApp::spawn().await;
    let id = app.seed_fixture().await[0];
    let path = format!("/api/discovery/{id}/approve");

    let (status, body) = app.put_raw(&path, "{\"approved_by\": ").await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("not valid JSON"), "{message}");
    let (status, body) = app.put_raw(&path, "{\"approved_by\": 7}").await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("approved_by"), "{message}");

    let response = app
        .client
        .put(format!("{}{path}", app.base))
        .body("approved_by=ana")
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    error_message(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );

    let huge = format!("{{\"approved_by\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let (status, body) = app.put_raw(&path, &huge).await;
    error_message(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let app = TestApp::spawn().await;
    app.seed_fixture().await;

    for path in [
        "/api/discovery/999",
        "/api/discovery/999/schema-history",
        "/api/discovery/999/audit",
    ] {
        let (status, body) = app.get(path).await;
        let message = error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(message, "discovery 999 not found");
    }
    let (status, body) = app
        .put("/api/discovery/999/approve", json!({"approved_by": "admin"}))
        .await;
    error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
    let (status, body) = app.get("/api/discovery/abc").await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("id must be a positive integer"), "{message}");
}
