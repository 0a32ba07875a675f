//! Bodies of sign-in, users, tokens and the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use torro_model::{ApiToken, AuditEntry, User};
use utoipa::{IntoParams, ToSchema};

use super::Pagination;

/// A user; never the password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// viewer, engineer, steward or admin.
    pub role: String,
    /// local or oidc.
    pub auth_source: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<&User> for UserBody {
    fn from(u: &User) -> Self {
        UserBody {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            email: u.email.clone(),
            role: u.role.as_str().into(),
            auth_source: u.auth_source.as_str().into(),
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
            last_login_at: u.last_login_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: UserBody,
    /// Send it as `X-CSRF-Token` on every non-GET request made with the session cookie.
    pub csrf_token: String,
}

/// `GET /api/auth/me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserBody,
    /// session, token or none (`--no-auth`).
    pub auth: String,
    /// The session's CSRF token; null for token or no-auth requests.
    pub csrf_token: Option<String>,
    /// What the role allows: read, review, edit_metadata, operate, write_lineage, read_audit, manage_users.
    pub permissions: Vec<String>,
}

/// `GET /api/auth/config`: what the login page should offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthConfigBody {
    /// False only under `torro serve --no-auth`.
    pub auth_enabled: bool,
    pub local_login: bool,
    pub oidc: OidcConfigBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OidcConfigBody {
    pub enabled: bool,
    /// The button's text, e.g. "Sign in with Okta".
    pub label: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    /// Required: at least 10 characters.
    pub password: Option<String>,
    /// viewer, engineer, steward (or data_governor) or admin.
    pub role: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// Fields to change; absent fields stay as they are, `null` clears display name or e-mail.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchRequest {
    pub role: Option<String>,
    #[serde(default, with = "super::assets::double_option")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    #[serde(default, with = "super::assets::double_option")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub disabled: Option<bool>,
    /// A new password (at least 10 characters); signs the user out everywhere.
    pub password: Option<String>,
}

/// A token as listed; never its secret or hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<&ApiToken> for TokenBody {
    fn from(t: &ApiToken) -> Self {
        TokenBody {
            id: t.id,
            user_id: t.user_id,
            username: t.username.clone(),
            name: t.name.clone(),
            prefix: t.prefix.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<TokenBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for, e.g. "airflow".
    pub name: String,
    /// 1..=3650; default 90.
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    /// The token itself: shown this once, never again.
    pub token: String,
    pub info: TokenBody,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenListParams {
    /// Admins only: every user's tokens.
    #[param(value_type = Option<bool>)]
    pub all: Option<String>,
}

/// Filters of `GET /api/audit`. Empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Exact username of who acted.
    pub actor: Option<String>,
    /// discovery, connection, asset, user, token, session, lineage_edge...
    pub entity_type: Option<String>,
    #[param(value_type = Option<i64>)]
    pub entity_id: Option<String>,
    /// approve, reject, create, update, delete, login, login_failed, logout, revoke...
    pub action: Option<String>,
    /// RFC 3339 time, inclusive.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// RFC 3339 time, exclusive.
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    #[param(value_type = Option<u32>, minimum = 0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// json (default) or csv (every matching row, as a download).
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub entity_type: String,
    pub entity_id: i64,
    pub action: String,
    pub actor: String,
    pub role: Option<String>,
    pub source_ip: Option<String>,
    pub at: DateTime<Utc>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub comment: Option<String>,
}

impl From<&AuditEntry> for AuditRow {
    fn from(e: &AuditEntry) -> Self {
        AuditRow {
            id: e.id,
            entity_type: e.entity_type.clone(),
            entity_id: e.entity_id,
            action: e.action.clone(),
            actor: e.actor.clone(),
            role: e.role.clone(),
            source_ip: e.source_ip.clone(),
            at: e.at,
            before: e.before.clone(),
            after: e.after.clone(),
            comment: e.comment.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditRow>,
    pub pagination: Pagination,
}
