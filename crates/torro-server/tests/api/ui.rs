//! The web UI from the same origin: client-side routes fall back to index.html, hashed
//! assets are cached for a year, index.html revalidates, and `/api/*` keeps its JSON 404.
//! Works with the real build in `ui/dist` and with build.rs's placeholder alike.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

use crate::helpers::{TestApp, error_message};

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.client.get(format!("{}{path}", app.base)).send().await.expect("GET")
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(&name)
        .map(|v| v.to_str().expect("ascii header").to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn root_and_client_routes_serve_index_html_without_caching() {
    let app = TestApp::spawn().await;
    let root = get(&app, "/").await;
    assert_eq!(root.status(), StatusCode::OK);
    assert!(
        header(&root, CONTENT_TYPE).starts_with("text/html"),
        "{:?}",
        root.headers()
    );
    assert_eq!(header(&root, CACHE_CONTROL), "no-cache");
    let index = root.text().await.expect("body");
    assert!(index.contains("<title>Torro</title>"), "{index}");

    for route in [
        "/discoveries",
        "/discoveries/42?tab=history",
        "/scans/7",
        "/no/such/page",
    ] {
        let response = get(&app, route).await;
        assert_eq!(response.status(), StatusCode::OK, "{route}");
        assert_eq!(header(&response, CACHE_CONTROL), "no-cache", "{route}");
        assert_eq!(response.text().await.expect("body"), index, "{route} serves index.html");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_missing_ones_are_404() {
    let app = TestApp::spawn().await;
    let asset = torro_server::ui::file_names()
        .into_iter()
        .find(|n| n.starts_with("static/"))
        .expect("the build (or the placeholder) has a file under static/");
    let response = get(&app, &format!("/{asset}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, CACHE_CONTROL), "public, max-age=31536000, immutable");
    let kind = header(&response, CONTENT_TYPE);
    assert!(
        kind.contains("javascript") || kind.contains("css"),
        "{asset}: content-type {kind}"
    );

    let missing = get(&app, "/static/index-00000000.js").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(header(&missing, CONTENT_TYPE).starts_with("application/json"));
}

#[tokio::test]
async fn an_unchanged_index_answers_304_to_its_etag() {
    let app = TestApp::spawn().await;
    let first = get(&app, "/").await;
    let etag = header(&first, ETAG);
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");
    let again = app
        .client
        .get(format!("{}/discoveries", app.base))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("GET");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let other = app
        .client
        .get(format!("{}/", app.base))
        .header(IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .expect("GET");
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn api_paths_keep_their_json_errors() {
    let app = TestApp::spawn().await;
    for path in ["/api/nope", "/api", "/api/discovery/1/nothing"] {
        let (status, body) = app.get(path).await;
        let message = error_message(status, &body, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(message, format!("no route for GET {path}"));
    }
    // Writes to a UI path are not routes either.
    let (status, body) = app.post("/discoveries").await;
    error_message(status, &body, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    // Real API routes are untouched.
    let (status, body) = app.get("/api/discovery").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["discoveries"].is_array(), "{body}");
}
