//! [`AuthStore`] for [`SqlStore`], stamped out per backend like `impl_catalog_store!`.
//!
//! Hashes go in and are compared with `=` on bound parameters; they never come back out,
//! except the password hash from [`AuthStore::user_credentials`], which the server verifies.
//! Audit rows of user and token changes are written in the change's own transaction and
//! hold the public shape of the user or token ([`User`], [`ApiToken`]), which has no hash.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use sqlx::Database;
use torro_model::{
    Actor, ApiToken, AuditEntry, AuditQuery, AuthSource, NewApiToken, NewAuditEntry, NewSession, NewUser, Page, Role,
    Session, User, UserPatch,
};

use crate::auth::AuthStore;
use crate::dialect::{Arg, Dialect};
use crate::sql::{AUDIT_COLUMNS, AuditRow, SqlStore, corrupt, limits, map_unique, now};
use crate::{Backend, CatalogError, Result};

const USER_COLUMNS: &str =
    "id, username, display_name, email, role, auth_source, disabled, created_at, updated_at, last_login_at";

const TOKEN_COLUMNS: &str = "t.id, t.user_id, u.username, t.name, t.prefix, t.created_at, t.expires_at, \
     t.last_used_at, t.revoked_at";

const TOKEN_FROM: &str = "api_tokens t JOIN users u ON u.id = t.user_id";

/// `last_used_at` is written at most this often per token.
const TOKEN_USE_RESOLUTION: Duration = Duration::seconds(60);

fn auth_source(s: &str) -> Result<AuthSource> {
    match s {
        "local" => Ok(AuthSource::Local),
        "oidc" => Ok(AuthSource::Oidc),
        other => Err(corrupt("auth_source", format!("unknown value {other:?}"))),
    }
}

fn user_json(u: &User) -> Result<Value> {
    serde_json::to_value(u).map_err(|e| corrupt("user", e))
}

fn token_json(t: &ApiToken) -> Result<Value> {
    serde_json::to_value(t).map_err(|e| corrupt("token", e))
}

fn invalid(field: &str, message: &str) -> CatalogError {
    CatalogError::InvalidInput {
        field: field.into(),
        message: message.into(),
    }
}

/// What a duplicate of `user` collides with, for `AlreadyExists`.
fn user_taken(user: &NewUser) -> String {
    match &user.oidc {
        Some((issuer, subject)) => {
            format!(
                "user {:?} (or the OIDC identity {subject:?} of {issuer:?})",
                user.username
            )
        }
        None => format!("user {:?}", user.username),
    }
}

fn check_new_user(user: &NewUser) -> Result<()> {
    if user.username.trim().is_empty() {
        return Err(invalid("username", "must not be empty"));
    }
    // MySQL's PAD SPACE collations would make "ana" and "ana " one key there and two elsewhere.
    if user.username.trim() != user.username {
        return Err(invalid("username", "must not start or end with white space"));
    }
    match (user.auth_source, &user.oidc) {
        (AuthSource::Oidc, None) => Err(invalid("oidc", "an OIDC user needs an issuer and a subject")),
        (AuthSource::Local, Some(_)) => Err(invalid("oidc", "a local user has no OIDC identity")),
        _ => Ok(()),
    }
}

/// `col = ?` that also tells trailing spaces apart on MySQL/MariaDB, whose `utf8mb4_bin`
/// pads (`'ana' = 'ana '`); the equality still uses the column's index.
fn text_eq(col: &str, value: &str, backend: Backend, args: &mut Vec<Arg>) -> String {
    args.push(Arg::Str(value.to_string()));
    if backend == Backend::MySql {
        args.push(Arg::Str(value.to_string()));
        format!("{col} = ? AND LENGTH({col}) = LENGTH(?)")
    } else {
        format!("{col} = ?")
    }
}

/// The WHERE clauses of `audit_log` and `lineage_audit` for `q`, each with its binds.
/// Lineage rows are shown as `lineage_<type>`, so an entity-type filter reaches the
/// lineage trail only with that prefix.
fn audit_filters(q: &AuditQuery, backend: Backend) -> ((String, Vec<Arg>), (String, Vec<Arg>)) {
    let mut main: (Vec<String>, Vec<Arg>) = (Vec::new(), Vec::new());
    let mut lineage: (Vec<String>, Vec<Arg>) = (Vec::new(), Vec::new());
    let both = |cond: &str, arg: Arg, main: &mut (Vec<String>, Vec<Arg>), lineage: &mut (Vec<String>, Vec<Arg>)| {
        main.0.push(cond.to_string());
        main.1.push(arg.clone());
        lineage.0.push(cond.to_string());
        lineage.1.push(arg);
    };
    let text = |col: &str, value: &str, part: &mut (Vec<String>, Vec<Arg>)| {
        let cond = text_eq(col, value, backend, &mut part.1);
        part.0.push(cond);
    };
    if let Some(actor) = &q.actor {
        text("actor", actor, &mut main);
        text("actor", actor, &mut lineage);
    }
    if let Some(t) = &q.entity_type {
        text("entity_type", t, &mut main);
        match t.strip_prefix("lineage_") {
            Some(rest) => text("entity_type", rest, &mut lineage),
            None => lineage.0.push("1 = 0".into()),
        }
    }
    if let Some(id) = q.entity_id {
        both("entity_id = ?", Arg::I64(id), &mut main, &mut lineage);
    }
    if let Some(action) = &q.action {
        text("action", action, &mut main);
        text("action", action, &mut lineage);
    }
    if let Some(since) = q.since {
        both("at >= ?", Arg::Ts(since), &mut main, &mut lineage);
    }
    if let Some(until) = q.until {
        both("at < ?", Arg::Ts(until), &mut main, &mut lineage);
    }
    let clause = |conds: Vec<String>| {
        if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        }
    };
    ((clause(main.0), main.1), (clause(lineage.0), lineage.1))
}

macro_rules! impl_auth_store {
    ($db:ty) => {
        impl SqlStore<$db> {
            fn user_row(row: &<$db as Database>::Row) -> Result<User> {
                use sqlx::Row;
                Ok(User {
                    id: row.try_get("id")?,
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    email: row.try_get("email")?,
                    role: row
                        .try_get::<String, _>("role")?
                        .parse::<Role>()
                        .map_err(|e| corrupt("role", e))?,
                    auth_source: auth_source(&row.try_get::<String, _>("auth_source")?)?,
                    disabled: row.try_get("disabled")?,
                    created_at: Self::ts(row, "created_at")?,
                    updated_at: Self::ts(row, "updated_at")?,
                    last_login_at: Self::opt_ts(row, "last_login_at")?,
                })
            }

            fn token_row(row: &<$db as Database>::Row) -> Result<ApiToken> {
                use sqlx::Row;
                Ok(ApiToken {
                    id: row.try_get("id")?,
                    user_id: row.try_get("user_id")?,
                    username: row.try_get("username")?,
                    name: row.try_get("name")?,
                    prefix: row.try_get("prefix")?,
                    created_at: Self::ts(row, "created_at")?,
                    expires_at: Self::opt_ts(row, "expires_at")?,
                    last_used_at: Self::opt_ts(row, "last_used_at")?,
                    revoked_at: Self::opt_ts(row, "revoked_at")?,
                })
            }

            async fn user_in(conn: &mut <$db as Database>::Connection, id: i64, lock: bool) -> Result<Option<User>> {
                let lock = if lock { <$db as Dialect>::FOR_UPDATE } else { "" };
                let row = Self::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?{lock}"), vec![Arg::I64(id)])
                    .fetch_optional(&mut *conn)
                    .await?;
                row.as_ref().map(Self::user_row).transpose()
            }

            async fn token_in(conn: &mut <$db as Database>::Connection, id: i64, lock: bool) -> Result<Option<ApiToken>> {
                let lock = if lock { <$db as Dialect>::FOR_UPDATE } else { "" };
                let row = Self::query(&format!("SELECT {TOKEN_COLUMNS} FROM {TOKEN_FROM} WHERE t.id = ?{lock}"), vec![Arg::I64(id)])
                    .fetch_optional(&mut *conn)
                    .await?;
                row.as_ref().map(Self::token_row).transpose()
            }

            /// Inserts `user` with its "create" audit row, inside the caller's transaction.
            async fn insert_user(conn: &mut <$db as Database>::Connection, user: &NewUser, by: &Actor) -> Result<User> {
                check_new_user(user)?;
                let at = now();
                let (issuer, subject) = match &user.oidc {
                    Some((i, s)) => (Some(i.clone()), Some(s.clone())),
                    None => (None, None),
                };
                let id = Self::insert_id(
                    &mut *conn,
                    "INSERT INTO users (username, display_name, email, role, password_hash, auth_source, oidc_issuer, \
                     oidc_subject, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        Arg::Str(user.username.clone()),
                        Arg::OptStr(user.display_name.clone()),
                        Arg::OptStr(user.email.clone()),
                        Arg::Str(user.role.as_str().into()),
                        Arg::OptStr(user.password_hash.clone()),
                        Arg::Str(user.auth_source.as_str().into()),
                        Arg::OptStr(issuer),
                        Arg::OptStr(subject),
                        Arg::Bool(false),
                        Arg::Ts(at),
                        Arg::Ts(at),
                    ],
                )
                .await
                .map_err(|e| map_unique(e, || user_taken(user)))?;
                let created = Self::user_in(&mut *conn, id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("user {id}")))?;
                Self::insert_audit(
                    &mut *conn,
                    AuditRow {
                        entity_type: "user",
                        entity_id: id,
                        action: "create",
                        actor: by,
                        at,
                        before: None,
                        after: Some(user_json(&created)?),
                        comment: None,
                    },
                )
                .await?;
                Ok(created)
            }
        }

        #[async_trait::async_trait]
        impl AuthStore for SqlStore<$db> {
            async fn count_users(&self) -> Result<i64> {
                self.count("SELECT COUNT(*) FROM users", vec![]).await
            }

            async fn create_user(&self, user: &NewUser, by: &Actor) -> Result<User> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let created = Self::insert_user(&mut *tx, user, by).await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn update_user(&self, id: i64, patch: &UserPatch, by: &Actor) -> Result<User> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let before = Self::user_in(&mut *tx, id, true)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("user {id}")))?;
                if patch.password_hash.is_some() && before.auth_source == AuthSource::Oidc {
                    return Err(invalid("password", "an OIDC user signs in with their provider and has no password"));
                }
                let display_name = patch.display_name.clone().unwrap_or_else(|| before.display_name.clone());
                let email = patch.email.clone().unwrap_or_else(|| before.email.clone());
                let role = patch.role.unwrap_or(before.role);
                let disabled = patch.disabled.unwrap_or(before.disabled);
                Self::query(
                    "UPDATE users SET display_name = ?, email = ?, role = ?, disabled = ?, \
                     password_hash = COALESCE(?, password_hash), updated_at = ? WHERE id = ?",
                    vec![
                        Arg::OptStr(display_name),
                        Arg::OptStr(email),
                        Arg::Str(role.as_str().into()),
                        Arg::Bool(disabled),
                        Arg::OptStr(patch.password_hash.clone()),
                        Arg::Ts(now().max(before.updated_at)),
                        Arg::I64(id),
                    ],
                )
                .execute(&mut *tx)
                .await?;
                // A disabled user or a new password ends every open browser session.
                if (disabled && !before.disabled) || patch.password_hash.is_some() {
                    Self::query("DELETE FROM sessions WHERE user_id = ?", vec![Arg::I64(id)])
                        .execute(&mut *tx)
                        .await?;
                }
                let after = Self::user_in(&mut *tx, id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("user {id}")))?;
                let mut after_json = user_json(&after)?;
                if patch.password_hash.is_some() {
                    after_json["password"] = json!("changed");
                }
                Self::insert_audit(
                    &mut *tx,
                    AuditRow {
                        entity_type: "user",
                        entity_id: id,
                        action: "update",
                        actor: by,
                        at: now(),
                        before: Some(user_json(&before)?),
                        after: Some(after_json),
                        comment: None,
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn get_user(&self, id: i64) -> Result<Option<User>> {
                let mut conn = self.pool.acquire().await?;
                Self::user_in(&mut *conn, id, false).await
            }

            async fn user_credentials(&self, username: &str) -> Result<Option<(User, Option<String>)>> {
                use sqlx::Row;
                let mut args = Vec::new();
                let cond = text_eq("username", username, <$db as Dialect>::BACKEND, &mut args);
                let row = Self::query(&format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE {cond}"), args)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(r) => Ok(Some((Self::user_row(&r)?, r.try_get("password_hash")?))),
                    None => Ok(None),
                }
            }

            async fn list_users(&self) -> Result<Vec<User>> {
                let rows = Self::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY username ASC, id ASC"), vec![])
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::user_row).collect()
            }

            async fn upsert_oidc_user(&self, user: &NewUser, by: &Actor) -> Result<User> {
                let Some((issuer, subject)) = &user.oidc else {
                    return Err(invalid("oidc", "an OIDC user needs an issuer and a subject"));
                };
                if user.auth_source != AuthSource::Oidc {
                    return Err(invalid("auth_source", "an OIDC login creates OIDC users only"));
                }
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let row = Self::query(
                    &format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE oidc_issuer = ? AND oidc_subject = ?{}",
                        <$db as Dialect>::FOR_UPDATE
                    ),
                    vec![Arg::Str(issuer.clone()), Arg::Str(subject.clone())],
                )
                .fetch_optional(&mut *tx)
                .await?;
                let Some(before) = row.as_ref().map(Self::user_row).transpose()? else {
                    let created = Self::insert_user(&mut *tx, user, by).await?;
                    tx.commit().await?;
                    return Ok(created);
                };
                if (&before.display_name, &before.email, before.role) == (&user.display_name, &user.email, user.role) {
                    return Ok(before);
                }
                Self::query(
                    "UPDATE users SET display_name = ?, email = ?, role = ?, updated_at = ? WHERE id = ?",
                    vec![
                        Arg::OptStr(user.display_name.clone()),
                        Arg::OptStr(user.email.clone()),
                        Arg::Str(user.role.as_str().into()),
                        Arg::Ts(now().max(before.updated_at)),
                        Arg::I64(before.id),
                    ],
                )
                .execute(&mut *tx)
                .await?;
                let after = Self::user_in(&mut *tx, before.id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("user {}", before.id)))?;
                Self::insert_audit(
                    &mut *tx,
                    AuditRow {
                        entity_type: "user",
                        entity_id: before.id,
                        action: "update",
                        actor: by,
                        at: now(),
                        before: Some(user_json(&before)?),
                        after: Some(user_json(&after)?),
                        comment: Some("refreshed from the identity provider".into()),
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn record_login(&self, user_id: i64, at: DateTime<Utc>) -> Result<()> {
                Self::query("UPDATE users SET last_login_at = ? WHERE id = ?", vec![Arg::Ts(at), Arg::I64(user_id)])
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn create_session(&self, s: &NewSession) -> Result<()> {
                // Logins are rare next to requests: sweep sessions past their absolute end here.
                Self::query("DELETE FROM sessions WHERE expires_at <= ?", vec![Arg::Ts(s.created_at)])
                    .execute(&self.pool)
                    .await?;
                Self::query(
                    "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, \
                     source_ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        Arg::Str(s.id_hash.clone()),
                        Arg::I64(s.user_id),
                        Arg::Str(s.csrf_token.clone()),
                        Arg::Ts(s.created_at),
                        Arg::Ts(s.expires_at),
                        Arg::Ts(s.created_at),
                        Arg::OptStr(s.source_ip.clone()),
                        Arg::OptStr(s.user_agent.clone()),
                    ],
                )
                .execute(&self.pool)
                .await
                .map_err(|e| match e.as_database_error() {
                    Some(d) if d.is_foreign_key_violation() => CatalogError::NotFound(format!("user {}", s.user_id)),
                    Some(d) if d.is_unique_violation() => CatalogError::AlreadyExists("session".into()),
                    _ => CatalogError::Database(e),
                })?;
                Ok(())
            }

            async fn session_user(
                &self,
                id_hash: &str,
                now: DateTime<Utc>,
                idle_since: DateTime<Utc>,
            ) -> Result<Option<(Session, User)>> {
                use sqlx::Row;
                let row = Self::query(
                    "SELECT user_id, csrf_token, created_at, expires_at, last_seen_at FROM sessions WHERE id_hash = ?",
                    vec![Arg::Str(id_hash.into())],
                )
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let session = Session {
                    user_id: r.try_get("user_id")?,
                    csrf_token: r.try_get("csrf_token")?,
                    created_at: Self::ts(&r, "created_at")?,
                    expires_at: Self::ts(&r, "expires_at")?,
                    last_seen_at: Self::ts(&r, "last_seen_at")?,
                };
                if now >= session.expires_at || session.last_seen_at <= idle_since {
                    self.delete_session(id_hash).await?;
                    return Ok(None);
                }
                let Some(user) = self.get_user(session.user_id).await? else { return Ok(None) };
                if user.disabled {
                    return Ok(None);
                }
                let seen = crate::dialect::truncate_micros(now).max(session.last_seen_at);
                Self::query(
                    "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?",
                    vec![Arg::Ts(seen), Arg::Str(id_hash.into())],
                )
                .execute(&self.pool)
                .await?;
                Ok(Some((Session { last_seen_at: seen, ..session }, user)))
            }

            async fn delete_session(&self, id_hash: &str) -> Result<()> {
                Self::query("DELETE FROM sessions WHERE id_hash = ?", vec![Arg::Str(id_hash.into())])
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn create_token(&self, token: &NewApiToken, by: &Actor) -> Result<ApiToken> {
                if token.name.trim().is_empty() {
                    return Err(invalid("name", "must not be empty"));
                }
                let at = now();
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let id = Self::insert_id(
                    &mut *tx,
                    "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at) \
                     VALUES (?, ?, ?, ?, ?, ?)",
                    vec![
                        Arg::I64(token.user_id),
                        Arg::Str(token.name.clone()),
                        Arg::Str(token.prefix.clone()),
                        Arg::Str(token.token_hash.clone()),
                        Arg::Ts(at),
                        Arg::OptTs(token.expires_at),
                    ],
                )
                .await
                .map_err(|e| match e.as_database_error() {
                    Some(d) if d.is_foreign_key_violation() => CatalogError::NotFound(format!("user {}", token.user_id)),
                    // A 256-bit random token colliding means the caller reused one.
                    Some(d) if d.is_unique_violation() => CatalogError::AlreadyExists("a token with this hash".into()),
                    _ => CatalogError::Database(e),
                })?;
                let created = Self::token_in(&mut *tx, id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("token {id}")))?;
                Self::insert_audit(
                    &mut *tx,
                    AuditRow {
                        entity_type: "token",
                        entity_id: id,
                        action: "create",
                        actor: by,
                        at,
                        before: None,
                        after: Some(token_json(&created)?),
                        comment: None,
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
                let (cond, args) = match user_id {
                    Some(id) => (" WHERE t.user_id = ?", vec![Arg::I64(id)]),
                    None => ("", vec![]),
                };
                let rows = Self::query(
                    &format!("SELECT {TOKEN_COLUMNS} FROM {TOKEN_FROM}{cond} ORDER BY t.created_at DESC, t.id DESC"),
                    args,
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::token_row).collect()
            }

            async fn get_token(&self, id: i64) -> Result<Option<ApiToken>> {
                let mut conn = self.pool.acquire().await?;
                Self::token_in(&mut *conn, id, false).await
            }

            async fn token_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<(ApiToken, User)>> {
                let row = Self::query(
                    &format!("SELECT {TOKEN_COLUMNS} FROM {TOKEN_FROM} WHERE t.token_hash = ?"),
                    vec![Arg::Str(token_hash.into())],
                )
                .fetch_optional(&self.pool)
                .await?;
                let Some(mut token) = row.as_ref().map(Self::token_row).transpose()? else { return Ok(None) };
                if token.revoked_at.is_some() || token.expires_at.is_some_and(|e| now >= e) {
                    return Ok(None);
                }
                let Some(user) = self.get_user(token.user_id).await? else { return Ok(None) };
                if user.disabled {
                    return Ok(None);
                }
                let now = crate::dialect::truncate_micros(now);
                if token.last_used_at.is_none_or(|t| now - t >= TOKEN_USE_RESOLUTION) {
                    // The condition repeats the check, so concurrent requests write once.
                    Self::query(
                        "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)",
                        vec![Arg::Ts(now), Arg::I64(token.id), Arg::Ts(now - TOKEN_USE_RESOLUTION)],
                    )
                    .execute(&self.pool)
                    .await?;
                    token.last_used_at = Some(now);
                }
                Ok(Some((token, user)))
            }

            async fn revoke_token(&self, id: i64, by: &Actor) -> Result<ApiToken> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let before = Self::token_in(&mut *tx, id, true)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("token {id}")))?;
                if before.revoked_at.is_some() {
                    // Already revoked: nothing changes, so nothing is audited.
                    return Ok(before);
                }
                let at = now().max(before.created_at);
                Self::query("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", vec![Arg::Ts(at), Arg::I64(id)])
                    .execute(&mut *tx)
                    .await?;
                let after = ApiToken { revoked_at: Some(at), ..before.clone() };
                Self::insert_audit(
                    &mut *tx,
                    AuditRow {
                        entity_type: "token",
                        entity_id: id,
                        action: "revoke",
                        actor: by,
                        at,
                        before: Some(token_json(&before)?),
                        after: Some(token_json(&after)?),
                        comment: None,
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn record_audit(&self, entry: &NewAuditEntry) -> Result<()> {
                if entry.entity_type.trim().is_empty() || entry.action.trim().is_empty() {
                    return Err(invalid("audit entry", "entity type and action must not be empty"));
                }
                let mut conn = self.pool.acquire().await?;
                Self::insert_audit(
                    &mut *conn,
                    AuditRow {
                        entity_type: &entry.entity_type,
                        entity_id: entry.entity_id,
                        action: &entry.action,
                        actor: &entry.actor,
                        at: entry.at,
                        before: entry.before.clone(),
                        after: entry.after.clone(),
                        comment: entry.comment.clone(),
                    },
                )
                .await
            }

            async fn search_audit(&self, q: &AuditQuery) -> Result<Page<AuditEntry>> {
                use sqlx::Row;
                let ((main_where, main_args), (lineage_where, lineage_args)) = audit_filters(q, <$db as Dialect>::BACKEND);
                let page = q.page.max(1);
                let (limit, offset) = limits(page - 1, q.size);
                let total = self.count(&format!("SELECT COUNT(*) FROM audit_log{main_where}"), main_args.clone()).await?
                    + self.count(&format!("SELECT COUNT(*) FROM lineage_audit{lineage_where}"), lineage_args.clone()).await?;
                let bigint = <$db as Dialect>::BIGINT;
                let sql = format!(
                    "SELECT {AUDIT_COLUMNS}, CAST(0 AS {bigint}) AS lineage FROM audit_log{main_where} \
                     UNION ALL \
                     SELECT id, entity_type, entity_id, action, actor, role, source_ip, at, before_json, after_json, \
                     NULL AS comment, CAST(1 AS {bigint}) AS lineage FROM lineage_audit{lineage_where} \
                     ORDER BY at DESC, lineage ASC, id DESC LIMIT ? OFFSET ?"
                );
                let mut args = main_args;
                args.extend(lineage_args);
                args.extend([Arg::I64(limit), Arg::I64(offset)]);
                let rows = Self::query(&sql, args).fetch_all(&self.pool).await?;
                let mut items = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut e = Self::audit_entry(r)?;
                    if r.try_get::<i64, _>("lineage")? == 1 {
                        e.entity_type = format!("lineage_{}", e.entity_type);
                    }
                    items.push(e);
                }
                Ok(Page { items, page, size: limit as u32, total })
            }
        }
    };
}

impl_auth_store!(sqlx::Sqlite);
impl_auth_store!(sqlx::Postgres);
impl_auth_store!(sqlx::MySql);
