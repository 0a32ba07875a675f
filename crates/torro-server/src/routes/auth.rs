//! Signing in and out, the signed-in user, and changing one's own password.

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use torro_model::{Actor, AuthSource, NewAuditEntry, UserPatch};

use crate::AppState;
use crate::auth::session::{self, start_session};
use crate::auth::{AuthVia, Identity, client_ip, password};
use crate::dto::auth::{
    AuthConfigBody, LoginRequest, LoginResponse, MeResponse, OidcConfigBody, PasswordChange, UserBody,
};
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::extract::ApiJson;

/// Usernames longer than this are cut in the failed-login audit row.
const MAX_AUDITED_NAME: usize = 100;

/// What the login page should offer.
#[utoipa::path(get, path = "/api/auth/config", tag = "auth", responses((status = 200, body = AuthConfigBody)))]
pub async fn config(State(state): State<AppState>) -> Json<AuthConfigBody> {
    Json(AuthConfigBody {
        auth_enabled: state.config().auth.enabled,
        local_login: true,
        oidc: OidcConfigBody {
            enabled: state.oidc().is_some(),
            label: state.oidc().map(|o| {
                o.config()
                    .label
                    .clone()
                    .unwrap_or_else(|| "Sign in with single sign-on".into())
            }),
        },
    })
}

/// Signs in with a username and password; sets the session cookie.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = LoginResponse),
        (status = 401, description = "Wrong username or password, or the user is disabled", body = ErrorBody),
        (status = 429, description = "Too many attempts from this address", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let auth = state.store().auth();
    let found = auth.user_credentials(&body.username).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    // Always verify, so the time taken does not tell whether the username exists.
    let matches = password::verify(&body.password, hash).await?;
    let ip = client_ip(&parts, &state).to_string();
    let user = match user {
        Some(user) if matches && !user.disabled => user,
        other => {
            let why = match &other {
                None => "unknown user",
                Some(u) if u.disabled => "user disabled",
                Some(u) if u.auth_source == AuthSource::Oidc => "user signs in through OIDC",
                Some(_) => "wrong password",
            };
            let name: String = body.username.chars().take(MAX_AUDITED_NAME).collect();
            auth.record_audit(&NewAuditEntry {
                entity_type: "session".into(),
                entity_id: other.as_ref().map_or(0, |u| u.id),
                action: "login_failed".into(),
                actor: Actor {
                    name,
                    role: None,
                    source_ip: Some(ip),
                },
                at: Utc::now(),
                before: None,
                after: None,
                comment: Some(why.into()),
            })
            .await?;
            return Err(ApiError::new(ErrorCode::Unauthenticated, "wrong username or password"));
        }
    };
    let now = Utc::now();
    auth.record_login(user.id, now).await?;
    let started = start_session(&state, &user, &parts).await?;
    auth.record_audit(&NewAuditEntry {
        entity_type: "session".into(),
        entity_id: user.id,
        action: "login".into(),
        actor: Actor::user(&user.username, user.role, Some(ip)),
        at: now,
        before: None,
        after: None,
        comment: Some("password".into()),
    })
    .await?;
    let body = LoginResponse {
        user: UserBody::from(&user),
        csrf_token: started.csrf_token,
    };
    Ok(([(SET_COOKIE, started.set_cookie)], Json(body)).into_response())
}

/// Ends the current browser session and clears its cookie.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "auth",
    responses((status = 204, description = "Signed out"), (status = 401, body = ErrorBody))
)]
pub async fn logout(State(state): State<AppState>, identity: Identity, parts: Parts) -> Result<Response, ApiError> {
    if let AuthVia::Session { id_hash, .. } = &identity.via {
        state.store().auth().delete_session(id_hash).await?;
        state
            .store()
            .auth()
            .record_audit(&audit_row(&identity, "logout"))
            .await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(SET_COOKIE, session::clear_cookie(&state, &parts))],
    )
        .into_response())
}

fn audit_row(identity: &Identity, action: &str) -> NewAuditEntry {
    NewAuditEntry {
        entity_type: "session".into(),
        entity_id: identity.user.id,
        action: action.into(),
        actor: identity.actor(),
        at: Utc::now(),
        before: None,
        after: None,
        comment: None,
    }
}

/// The signed-in user, how they signed in, and what their role allows.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, description = "Not signed in", body = ErrorBody))
)]
pub async fn me(identity: Identity) -> Json<MeResponse> {
    let csrf_token = match &identity.via {
        AuthVia::Session { csrf_token, .. } => Some(csrf_token.clone()),
        _ => None,
    };
    Json(MeResponse {
        user: UserBody::from(&identity.user),
        auth: identity.via.as_str().into(),
        csrf_token,
        permissions: identity
            .role()
            .permissions()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    })
}

/// Changes the signed-in local user's password. Every session of the user ends; a
/// browser gets a fresh session cookie, so it stays signed in.
#[utoipa::path(
    post,
    path = "/api/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "The new password is too short, or the user signs in through OIDC", body = ErrorBody),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    identity: Identity,
    parts: Parts,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<Response, ApiError> {
    if identity.via == AuthVia::NoAuth || identity.user.auth_source != AuthSource::Local {
        return Err(ApiError::invalid("this user has no Torro password to change"));
    }
    password::check_policy(&body.new_password)?;
    let (_, hash) = state
        .store()
        .auth()
        .user_credentials(&identity.user.username)
        .await?
        .ok_or_else(|| ApiError::not_found("your user no longer exists"))?;
    if !password::verify(&body.current_password, hash).await? {
        return Err(ApiError::new(ErrorCode::Forbidden, "the current password is wrong"));
    }
    let patch = UserPatch {
        password_hash: Some(password::hash(&body.new_password).await?),
        ..UserPatch::default()
    };
    let user = state
        .store()
        .auth()
        .update_user(identity.user.id, &patch, &identity.actor())
        .await?;
    let mut headers = HeaderMap::new();
    if matches!(identity.via, AuthVia::Session { .. }) {
        headers.insert(SET_COOKIE, start_session(&state, &user, &parts).await?.set_cookie);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}
