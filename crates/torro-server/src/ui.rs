//! The web UI: the production build of `ui/`, served from the same origin as the API.
//! Release builds embed the files in the binary (one file deploys); debug builds read
//! them from disk, so `npm run build` shows without recompiling. `build.rs` chooses the
//! folder (`ui/dist`, or a placeholder page when the UI could not be built).
//!
//! Client-side routes (`/discoveries/42`) get `index.html`; `/api/*` keeps its JSON 404.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "$TORRO_UI_DIR"]
struct Assets;

/// Vite puts content-hashed files under `static/` (`build.assetsDir` in ui/vite.config.ts):
/// a new build gives new names. Not `assets/`: that is the UI's page of catalog assets
/// (`/assets/db-12` must load index.html).
const HASHED_PREFIX: &str = "static/";
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Revalidate every time (cheap with the ETag), so a new release shows at once.
pub const REVALIDATE: &str = "no-cache";

/// The Cache-Control value for a file of the build.
pub fn cache_control(path: &str) -> &'static str {
    if path.starts_with(HASHED_PREFIX) {
        IMMUTABLE
    } else {
        REVALIDATE
    }
}

/// Paths the UI never answers: they stay the API's.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Names of the files in the build (for tests and diagnostics).
pub fn file_names() -> Vec<String> {
    Assets::iter().map(|name| name.into_owned()).collect()
}

/// The router's fallback: a file of the UI, `index.html` for a client-side route, or the
/// API's JSON 404/405.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if is_api(path) {
        return crate::routes::not_found(method, uri).await.into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return crate::routes::method_not_allowed(method, uri).await.into_response();
    }
    let name = path.trim_start_matches('/');
    if !name.is_empty()
        && let Some(response) = file(name, &headers)
    {
        return response;
    }
    // A missing hashed file is an old page asking for a previous build's asset:
    // answering with index.html would hand HTML to a <script> tag.
    if name.starts_with(HASHED_PREFIX) {
        return ApiError::not_found(format!("no UI file {path}")).into_response();
    }
    file("index.html", &headers)
        .unwrap_or_else(|| ApiError::not_found("the web UI is not part of this build").into_response())
}

fn file(name: &str, request: &HeaderMap) -> Option<Response> {
    let asset = Assets::get(name)?;
    let etag = etag(&asset.metadata.sha256_hash());
    let cache = HeaderValue::from_static(cache_control(name));
    if request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag))
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, cache);
        if let Ok(value) = HeaderValue::from_str(&etag) {
            response.headers_mut().insert(header::ETAG, value);
        }
        return Some(response);
    }
    let mut response = Response::new(Body::from(asset.data.into_owned()));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(asset.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, cache);
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Some(response)
}

/// A strong ETag from the file's SHA-256 (the first 16 bytes are plenty to tell builds apart).
fn etag(hash: &[u8; 32]) -> String {
    let hex: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_immutable_and_the_rest_revalidates() {
        assert_eq!(cache_control("static/index-Ct4bPI3Z.js"), IMMUTABLE);
        assert_eq!(cache_control("index.html"), REVALIDATE);
        assert_eq!(cache_control("favicon.svg"), REVALIDATE);
    }

    #[test]
    fn api_paths_are_recognised() {
        assert!(is_api("/api"));
        assert!(is_api("/api/discovery"));
        assert!(!is_api("/apis"));
        assert!(!is_api("/discoveries/1"));
    }

    #[test]
    fn the_build_has_an_index_page() {
        assert!(file_names().iter().any(|n| n == "index.html"), "{:?}", file_names());
    }
}
