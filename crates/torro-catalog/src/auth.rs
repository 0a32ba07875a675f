//! Users, API tokens, browser sessions and the audit log's search.
//!
//! The store keeps only hashes (Argon2id for passwords, SHA-256 for tokens and session
//! ids); hashing and verifying happen in the server. Every user and token change writes
//! its audit row in the same transaction (DESIGN.md section 5).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use torro_model::{
    Actor, ApiToken, AuditEntry, AuditQuery, NewApiToken, NewAuditEntry, NewSession, NewUser, Page, Session, User,
    UserPatch,
};

use crate::Result;

#[async_trait]
pub trait AuthStore: Send + Sync {
    async fn count_users(&self) -> Result<i64>;

    /// Creates a user; a taken username (or OIDC issuer + subject) is `CatalogError::AlreadyExists`.
    /// Audit: entity "user", action "create", after = the user (no hash).
    async fn create_user(&self, user: &NewUser, by: &Actor) -> Result<User>;

    /// Applies `patch`; `CatalogError::NotFound` for an unknown id. Audit: "user"/"update",
    /// before and after (a password change shows as `"password": "changed"`, never a hash).
    /// Disabling a user or changing their password also deletes their sessions.
    async fn update_user(&self, id: i64, patch: &UserPatch, by: &Actor) -> Result<User>;

    async fn get_user(&self, id: i64) -> Result<Option<User>>;

    /// The user and their password hash (`None` for OIDC users).
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, Option<String>)>>;

    async fn list_users(&self) -> Result<Vec<User>>;

    /// The user for an OIDC (issuer, subject); created on first login (audit "user"/"create"),
    /// otherwise display name, e-mail and role are refreshed from the claims (audit "user"/"update"
    /// only when something changed).
    async fn upsert_oidc_user(&self, user: &NewUser, by: &Actor) -> Result<User>;

    /// Sets `last_login_at`.
    async fn record_login(&self, user_id: i64, at: DateTime<Utc>) -> Result<()>;

    async fn create_session(&self, session: &NewSession) -> Result<()>;

    /// The session and its user when the session exists, has not reached `expires_at`, was
    /// seen after `idle_since` and its user is enabled; bumps `last_seen_at` to `now`.
    /// Expired sessions are deleted on the way.
    async fn session_user(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<(Session, User)>>;

    async fn delete_session(&self, id_hash: &str) -> Result<()>;

    /// Audit: "token"/"create" with the token's metadata (never the hash).
    async fn create_token(&self, token: &NewApiToken, by: &Actor) -> Result<ApiToken>;

    /// All tokens, or one user's, newest first, revoked ones included.
    async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>>;

    async fn get_token(&self, id: i64) -> Result<Option<ApiToken>>;

    /// The token and its user when the hash matches a token that is not revoked, not
    /// expired at `now`, and whose user is enabled. Sets `last_used_at` to `now` (at most
    /// once a minute, so busy clients do not write on every request).
    async fn token_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(ApiToken, User)>>;

    /// Sets `revoked_at` (idempotent: revoking twice keeps the first time). `NotFound` for
    /// an unknown id. Audit: "token"/"revoke".
    async fn revoke_token(&self, id: i64, by: &Actor) -> Result<ApiToken>;

    /// An audit row on its own: logins, failed logins, logouts.
    async fn record_audit(&self, entry: &NewAuditEntry) -> Result<()>;

    /// The audit log, newest first: `audit_log` and `lineage_audit` together (lineage rows
    /// show entity types prefixed `lineage_`, e.g. `lineage_edge`).
    async fn search_audit(&self, query: &AuditQuery) -> Result<Page<AuditEntry>>;
}
