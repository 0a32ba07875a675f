//! OpenID Connect login: `/api/auth/oidc/login` sends the browser to the provider with a
//! sealed pending-login cookie; `/api/auth/oidc/callback` checks what comes back, creates
//! or updates the user, starts a session and returns to the page the login began on.
//! Every failed callback writes a `login_failed` audit row and answers with a short HTML
//! page (browsers) or the JSON error (API clients), without a session.

use axum::extract::{Query, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use torro_model::{Actor, AuthSource, NewAuditEntry, NewUser};

use crate::AppState;
use crate::auth::client_ip;
use crate::auth::oidc::{OidcError, OidcIdentity, PENDING_COOKIE, PENDING_TTL};
use crate::auth::session::{cookie_value, start_session};
use crate::error::{ApiError, ErrorBody, ErrorCode};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LoginQuery {
    /// Where to go after signing in: a path on this site (default `/`).
    pub return_to: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// Set by the provider when it refused or the user cancelled.
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Starts a single sign-on login: redirects to the OpenID provider.
#[utoipa::path(
    get,
    path = "/api/auth/oidc/login",
    tag = "auth",
    params(LoginQuery),
    responses(
        (status = 302, description = "To the provider's login page; sets the short-lived login cookie"),
        (status = 400, description = "return_to is not a path on this site", body = ErrorBody),
        (status = 404, description = "OpenID Connect login is not configured", body = ErrorBody),
        (status = 503, description = "The provider cannot be reached", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    Query(query): Query<LoginQuery>,
) -> Result<Response, ApiError> {
    let oidc = state.oidc().ok_or_else(not_configured)?;
    let (url, pending) = oidc
        .begin(query.return_to.as_deref().unwrap_or("/"))
        .await
        .map_err(api_error)?;
    let sealed = oidc.seal(&pending).map_err(api_error)?;
    let cookie = pending_cookie(&state, &parts, &sealed, PENDING_TTL.as_secs());
    Ok(redirect(url.as_str(), [cookie]))
}

/// Where the provider sends the browser back: signs the user in and redirects to the page
/// the login began on.
#[utoipa::path(
    get,
    path = "/api/auth/oidc/callback",
    tag = "auth",
    params(CallbackQuery),
    responses(
        (status = 302, description = "Signed in: to return_to, with the session cookie"),
        (status = 401, description = "The login failed (provider error, bad token, expired or forged login cookie)", body = ErrorBody),
        (status = 403, description = "The user has no Torro role or is disabled", body = ErrorBody),
        (status = 404, description = "OpenID Connect login is not configured", body = ErrorBody),
        (status = 503, description = "The provider cannot be reached", body = ErrorBody),
    )
)]
pub async fn callback(State(state): State<AppState>, parts: Parts, Query(query): Query<CallbackQuery>) -> Response {
    let clear = pending_cookie(&state, &parts, "", 0);
    match sign_in(&state, &parts, &query).await {
        Ok((return_to, session_cookie)) => redirect(&return_to, [session_cookie, clear]),
        Err((error, who)) => {
            let ip = client_ip(&parts, &state).to_string();
            let audit = NewAuditEntry {
                entity_type: "session".into(),
                entity_id: 0,
                action: "login_failed".into(),
                actor: Actor {
                    name: who.unwrap_or_else(|| "oidc".into()),
                    role: None,
                    source_ip: Some(ip),
                },
                at: Utc::now(),
                before: None,
                after: None,
                comment: Some(format!("oidc: {}", error.message())),
            };
            if let Err(e) = state.store().auth().record_audit(&audit).await {
                tracing::error!(error = %e, "could not write the login_failed audit row");
            }
            failure(&parts.headers, error, clear)
        }
    }
}

/// The checklist of a callback; an error carries the username when it is known.
async fn sign_in(
    state: &AppState,
    parts: &Parts,
    query: &CallbackQuery,
) -> Result<(String, HeaderValue), (ApiError, Option<String>)> {
    let oidc = state.oidc().ok_or_else(|| (not_configured(), None))?;
    let fail = |e: OidcError| (api_error(e), None);
    // 1. The login this browser started, sealed by us (or another replica).
    let sealed = cookie_value(&parts.headers, PENDING_COOKIE).ok_or_else(|| fail(OidcError::NoPendingLogin))?;
    let pending = oidc.open(sealed).map_err(fail)?;
    let returned_state = query.state.as_deref().unwrap_or_default();
    // 2. The provider's answer.
    if let Some(error) = &query.error {
        // Only the login we started may show its error: a forged link is a state mismatch.
        if pending.state != returned_state {
            return Err(fail(OidcError::StateMismatch));
        }
        let text: String = match &query.error_description {
            Some(d) => format!("{error}: {d}"),
            None => error.clone(),
        };
        return Err(fail(OidcError::Provider(text.chars().take(300).collect())));
    }
    let code = query
        .code
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| (ApiError::invalid("the callback has no code"), None))?;
    // 3. Code → verified ID token → identity and role.
    let identity: OidcIdentity = oidc.complete(&pending, returned_state, code).await.map_err(|e| {
        let who = match &e {
            OidcError::NoRole { username, .. } => Some(username.clone()),
            _ => None,
        };
        (api_error(e), who)
    })?;
    // 4. The Torro user: created on first login, role and profile refreshed on every one.
    let actor = Actor::user(
        &identity.username,
        identity.role,
        Some(client_ip(parts, state).to_string()),
    );
    let user = state
        .store()
        .auth()
        .upsert_oidc_user(
            &NewUser {
                username: identity.username.clone(),
                display_name: identity.display_name.clone(),
                email: identity.email.clone(),
                role: identity.role,
                password_hash: None,
                auth_source: AuthSource::Oidc,
                oidc: Some((identity.issuer.clone(), identity.subject.clone())),
            },
            &actor,
        )
        .await
        .map_err(|e| (ApiError::from(e), Some(identity.username.clone())))?;
    if user.disabled {
        return Err((
            ApiError::new(ErrorCode::Forbidden, format!("{} is disabled in Torro", user.username)),
            Some(user.username),
        ));
    }
    // 5. The session, and its audit row.
    let now = Utc::now();
    let with_name = |e: ApiError| (e, Some(user.username.clone()));
    state
        .store()
        .auth()
        .record_login(user.id, now)
        .await
        .map_err(|e| with_name(e.into()))?;
    let started = start_session(state, &user, parts).await.map_err(with_name)?;
    state
        .store()
        .auth()
        .record_audit(&NewAuditEntry {
            entity_type: "session".into(),
            entity_id: user.id,
            action: "login".into(),
            actor,
            at: now,
            before: None,
            after: None,
            comment: Some("oidc".into()),
        })
        .await
        .map_err(|e| with_name(e.into()))?;
    Ok((pending.return_to, started.set_cookie))
}

fn not_configured() -> ApiError {
    ApiError::not_found("OpenID Connect login is not configured on this server (see --oidc-issuer)")
}

/// The HTTP face of an OIDC failure.
fn api_error(e: OidcError) -> ApiError {
    let code = match &e {
        OidcError::BadReturnTo(_) => ErrorCode::InvalidRequest,
        OidcError::NoRole { .. } => ErrorCode::Forbidden,
        OidcError::Discovery(_) | OidcError::TokenRequest(_) => ErrorCode::Unavailable,
        OidcError::Config(_) => return ApiError::internal(e),
        _ => ErrorCode::Unauthenticated,
    };
    ApiError::new(code, e.to_string())
}

/// The short-lived cookie of a pending login; `max_age` 0 deletes it. Only the OIDC
/// routes see it.
fn pending_cookie(state: &AppState, parts: &Parts, value: &str, max_age: u64) -> HeaderValue {
    let secure = if crate::security::request_is_https(parts, state) {
        "; Secure"
    } else {
        ""
    };
    let cookie =
        format!("{PENDING_COOKIE}={value}; Path=/api/auth/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    // The value is base64url, so the header is always valid.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("torro_oidc=; Max-Age=0"))
}

/// A 302 (what OAuth providers and browsers expect) with cookies.
fn redirect<const N: usize>(location: &str, cookies: [HeaderValue; N]) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            headers.insert(LOCATION, value);
        }
        Err(_) => return ApiError::invalid("the redirect target is not a valid header").into_response(),
    }
    for cookie in cookies {
        headers.append(SET_COOKIE, cookie);
    }
    response
}

/// A browser (Accept: text/html) gets a page with a link back to the login page; anything
/// else the JSON error.
fn failure(headers: &HeaderMap, error: ApiError, clear: HeaderValue) -> Response {
    let wants_html = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !wants_html {
        let mut response = error.into_response();
        response.headers_mut().append(SET_COOKIE, clear);
        return response;
    }
    let status = error.code().status();
    let message = if status.is_server_error() {
        "the server could not finish the login; try again, and tell your administrator if it persists".to_string()
    } else {
        error.message().to_string()
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in failed · Torro</title></head>\
         <body><h1>Sign-in failed</h1><p>{}</p><p><a href=\"/login\">Back to the login page</a></p></body></html>",
        escape_html(&message)
    );
    if status.is_server_error() {
        // Logs the full error with an id, as the JSON path would.
        drop(error.into_response());
    }
    (
        status,
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (SET_COOKIE, clear),
        ],
        page,
    )
        .into_response()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_the_provider_sent() {
        assert_eq!(
            escape_html("<script>\"x\"&'</script>"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;&lt;/script&gt;"
        );
    }
}
