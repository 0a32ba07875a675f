//! Browser sessions: a random id in an HttpOnly cookie, its SHA-256 in the catalog, and a
//! CSRF token per session that cookie-authenticated mutations must echo in a header.

use axum::http::header::{COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use chrono::Utc;
use torro_model::{NewSession, User};

use super::secret::{random_secret, sha256_hex};
use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "torro_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a new session gives the client: the cookie to set and the CSRF token to echo.
pub struct SessionStart {
    pub set_cookie: HeaderValue,
    pub csrf_token: String,
}

/// Starts a session for `user` (after a password or OIDC login).
pub async fn start_session(state: &AppState, user: &User, parts: &Parts) -> Result<SessionStart, ApiError> {
    let id = random_secret();
    let csrf_token = random_secret();
    let now = Utc::now();
    let ttl = state.config().auth.session_ttl;
    let session = NewSession {
        id_hash: sha256_hex(&id),
        user_id: user.id,
        csrf_token: csrf_token.clone(),
        created_at: now,
        expires_at: now + chrono::Duration::from_std(ttl).map_err(ApiError::internal)?,
        source_ip: Some(super::client_ip(parts, state).to_string()),
        user_agent: parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect()),
    };
    state.store().auth().create_session(&session).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        ttl.as_secs(),
        secure_attribute(state, parts)
    );
    Ok(SessionStart {
        set_cookie: HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
        csrf_token,
    })
}

/// The cookie that makes the browser forget the session.
pub fn clear_cookie(state: &AppState, parts: &Parts) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        secure_attribute(state, parts)
    );
    HeaderValue::from_str(&cookie).expect("a fixed cookie is a valid header")
}

fn secure_attribute(state: &AppState, parts: &Parts) -> &'static str {
    if crate::security::request_is_https(parts, state) {
        "; Secure"
    } else {
        ""
    }
}

/// The session id from the `Cookie` header(s), if any.
pub fn session_id(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The non-empty value of cookie `name` in the `Cookie` header(s).
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark; torro_session=abc"));
        assert_eq!(session_id(&headers), Some("abc"));
        let mut empty = HeaderMap::new();
        empty.append(COOKIE, HeaderValue::from_static("torro_session="));
        assert_eq!(session_id(&empty), None);
        assert_eq!(session_id(&HeaderMap::new()), None);
        let mut two = HeaderMap::new();
        two.append(COOKIE, HeaderValue::from_static("a=1; torro_oidc=abc"));
        two.append(COOKIE, HeaderValue::from_static("torro_session=s"));
        assert_eq!(cookie_value(&two, "torro_oidc"), Some("abc"));
        assert_eq!(session_id(&two), Some("s"));
        assert_eq!(cookie_value(&two, "missing"), None);
    }
}
