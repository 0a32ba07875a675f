//! Who is asking, and may they: sessions and API tokens resolve to an [`Identity`], and
//! one middleware ([`authorize`]) checks every route against the table in [`access`].

pub mod access;
pub mod bootstrap;
pub mod oidc;
pub mod password;
pub mod secret;
pub mod session;

use std::net::IpAddr;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use torro_model::{Actor, AuthSource, Permission, Role, User};

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use access::Access;

/// How the request proved who it is.
#[derive(Clone, Debug, PartialEq)]
pub enum AuthVia {
    /// A browser session; mutations must echo `csrf_token`.
    Session {
        id_hash: String,
        csrf_token: String,
    },
    Token {
        token_id: i64,
    },
    /// `torro serve --no-auth` on loopback.
    NoAuth,
}

impl AuthVia {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthVia::Session { .. } => "session",
            AuthVia::Token { .. } => "token",
            AuthVia::NoAuth => "none",
        }
    }
}

/// The signed-in user of a request, put there by [`authorize`].
#[derive(Clone, Debug)]
pub struct Identity {
    pub user: User,
    pub via: AuthVia,
    pub ip: IpAddr,
}

impl Identity {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The audit log's view of this request.
    pub fn actor(&self) -> Actor {
        Actor::user(&self.user.username, self.user.role, Some(self.ip.to_string()))
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.user.role.allows(permission)
    }

    /// A body field that names the acting user (`approved_by`, `actor`...) may repeat the
    /// signed-in user's name, nothing else: the audit log must name who really acted.
    pub fn check_claimed(&self, field: &str, claimed: Option<&str>) -> Result<(), ApiError> {
        match claimed.map(str::trim).filter(|s| !s.is_empty()) {
            Some(name) if name != self.user.username => Err(ApiError::invalid(format!(
                "{field} is {name:?} but you are signed in as {:?}; leave {field} out, the signed-in user is recorded",
                self.user.username
            ))),
            _ => Ok(()),
        }
    }
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Identity>().cloned().ok_or_else(unauthenticated)
    }
}

/// The client address of a request, as the audit log records it.
pub fn client_ip(parts: &Parts, state: &AppState) -> IpAddr {
    crate::security::client_ip(&parts.headers, &parts.extensions, &state.config().security)
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "sign in first: send the session cookie from POST /api/auth/login, or an API token as `Authorization: Bearer <token>`",
    )
}

/// The user `--no-auth` acts as.
fn local_admin() -> User {
    let epoch = chrono::DateTime::<Utc>::UNIX_EPOCH;
    User {
        id: 0,
        username: "local".into(),
        display_name: Some("Local user (--no-auth)".into()),
        email: None,
        role: Role::Admin,
        auth_source: AuthSource::Local,
        disabled: false,
        created_at: epoch,
        updated_at: epoch,
        last_login_at: None,
    }
}

/// The middleware on every matched route: resolves the identity, checks CSRF for
/// cookie-authenticated mutations, and the route's permission.
pub async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let access = access::required(&parts.method, &route);
    if access == Access::Public {
        return Ok(next.run(Request::from_parts(parts, body)).await);
    }
    let identity = identify(&state, &parts).await?.ok_or_else(unauthenticated)?;
    let mutating = !matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if let AuthVia::Session { csrf_token, .. } = &identity.via
        && mutating
    {
        let sent = parts
            .headers
            .get(session::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !secret::constant_time_eq(sent, csrf_token) {
            return Err(ApiError::new(
                ErrorCode::CsrfFailed,
                "missing or wrong X-CSRF-Token header: send the csrf_token from POST /api/auth/login or GET /api/auth/me",
            ));
        }
    }
    if let Access::Needs(permission) = access
        && !identity.can(permission)
    {
        return Err(forbidden(identity.role(), permission));
    }
    parts.extensions.insert(identity);
    Ok(next.run(Request::from_parts(parts, body)).await)
}

fn forbidden(role: Role, permission: Permission) -> ApiError {
    let allowed: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| r.allows(permission))
        .map(|r| r.as_str())
        .collect();
    ApiError::new(
        ErrorCode::Forbidden,
        format!(
            "your role {role} does not have the {} permission; it needs one of: {}. Ask an admin to change your role",
            permission.as_str(),
            allowed.join(", ")
        ),
    )
}

/// The identity a request carries: a bearer token first, then the session cookie.
async fn identify(state: &AppState, parts: &Parts) -> Result<Option<Identity>, ApiError> {
    let ip = client_ip(parts, state);
    if !state.config().auth.enabled {
        return Ok(Some(Identity {
            user: local_admin(),
            via: AuthVia::NoAuth,
            ip,
        }));
    }
    let now = Utc::now();
    if let Some(value) = parts.headers.get(AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthenticated,
                    "the Authorization header must be `Bearer <token>`",
                )
            })?;
        return match state.store().auth().token_user(&secret::sha256_hex(token), now).await? {
            Some((token, user)) => Ok(Some(Identity {
                user,
                via: AuthVia::Token { token_id: token.id },
                ip,
            })),
            None => Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "the API token is unknown, expired or revoked: create a new one under API tokens",
            )),
        };
    }
    let Some(id) = session::session_id(&parts.headers) else {
        return Ok(None);
    };
    let id_hash = secret::sha256_hex(id);
    let idle = chrono::Duration::from_std(state.config().auth.session_idle).map_err(ApiError::internal)?;
    match state.store().auth().session_user(&id_hash, now, now - idle).await? {
        Some((session, user)) => Ok(Some(Identity {
            user,
            via: AuthVia::Session {
                id_hash,
                csrf_token: session.csrf_token,
            },
            ip,
        })),
        None => Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "your session has expired: sign in again",
        )),
    }
}
