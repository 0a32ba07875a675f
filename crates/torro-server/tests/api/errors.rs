use reqwest::StatusCode;

use crate::helpers::{TestApp, error_message};

#[tokio::test]
async fn bad_query_parameters_are_named() {
    let app = TestApp::spawn().await;

    let cases = [
        ("page=-1", "page must be a non-negative integer, got \"-1\""),
        ("page=abc", "page must be a non-negative integer, got \"abc\""),
        ("size=1000", "size must be between 1 and 100, got 1000"),
        ("size=0", "size must be between 1 and 100, got 0"),
        (
            "status=done",
            "unknown status \"done\"; expected one of active, error, deleted, pending, approved",
        ),
        ("approval_status=active", "unknown approval_status \"active\""),
        ("sort=bogus", "unknown sort \"bogus\"; expected one of last_changed"),
        ("order=sideways", "unknown order \"sideways\""),
        ("format=xlsx", "unknown format \"xlsx\""),
        ("storage=ftp", "unknown storage \"ftp\""),
        ("include_deleted=perhaps", "include_deleted must be true or false"),
    ];
    for (query, expected) in cases {
        let (status, body) = app.get(&format!("/api/discovery?{query}")).await;
        let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
        assert!(message.starts_with(expected), "{query}: {message}");
    }
    let (status, body) = app.get("/api/discovery?page=1&page=2").await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.contains("page"), "{message}");
    let (status, body) = app.get("/api/scans?size=1000").await;
    let message = error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(message.starts_with("size must be between 1 and 100"), "{message}");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::spawn().await;

    let (status, body) = app.get("/api/nope").await;
    let message = error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(message, "no route for GET /api/nope");
    // Outside /api a GET serves the web UI (see ui.rs); other methods still answer in JSON.
    let response = app.client.post(format!("{}/nope", app.base)).send().await.unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    error_message(status, &body, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

    let response = app
        .client
        .delete(format!("{}/api/discovery", app.base))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap();
    error_message(status, &body, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}
