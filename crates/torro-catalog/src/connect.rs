//! Picking a backend from a database URL.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::sql::SqlStore;
use crate::{CatalogError, CatalogStore, Result};

/// Torro's default catalog: a SQLite file in the working directory.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://torro.db";

const SUPPORTED: &str = "expected sqlite:<path> (or a path ending in .db), postgres://… / postgresql://…, \
                         or mysql://… / mariadb://…";

/// Opens a connection pool to the catalog named by `url` and returns the store.
///
/// - `sqlite:path`, `sqlite://path`, or a bare path ending in `.db`: the file is created
///   when missing; WAL journal, 5 s busy timeout, foreign keys on. `sqlite::memory:` works
///   (one connection, so one database).
/// - `postgres://` / `postgresql://`.
/// - `mysql://` / `mariadb://` (MySQL 8, MariaDB 10.11+).
///
/// Does not migrate: call [`CatalogStore::migrate`] once after connecting.
pub async fn connect(url: &str) -> Result<Arc<dyn CatalogStore>> {
    let unsupported = |message: String| CatalogError::UnsupportedUrl {
        url: redact_url(url),
        message,
    };
    let lower = url.trim().to_ascii_lowercase();
    if lower.starts_with("sqlite:") || (!lower.contains("://") && lower.ends_with(".db")) {
        let memory = lower.contains(":memory:") || lower.contains("mode=memory");
        let opts = if lower.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url.trim()).map_err(|e| unsupported(e.to_string()))?
        } else {
            SqliteConnectOptions::new().filename(url.trim())
        };
        let opts = opts
            .create_if_missing(true)
            .journal_mode(if memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(if memory { 1 } else { 4 })
            .connect_with(opts)
            .await?;
        Ok(Arc::new(SqlStore::new(pool)))
    } else if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        let opts = PgConnectOptions::from_str(url.trim()).map_err(|e| unsupported(e.to_string()))?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Arc::new(SqlStore::new(pool)))
    } else if lower.starts_with("mysql://") || lower.starts_with("mariadb://") {
        // sqlx only knows the mysql scheme; MariaDB speaks the same protocol.
        let rest = &url.trim()[url.trim().find("://").expect("checked above")..];
        let opts = MySqlConnectOptions::from_str(&format!("mysql{rest}"))
            .map_err(|e| unsupported(e.to_string()))?
            .charset("utf8mb4");
        let pool = MySqlPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(Arc::new(SqlStore::new(pool)))
    } else {
        Err(unsupported(SUPPORTED.to_string()))
    }
}

/// The URL with any password replaced by `***`, fit for logs.
/// Handles `scheme://user:password@host/...` and a `password=` query parameter.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let auth_start = scheme_end + 3;
        let auth_end = out[auth_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| auth_start + i);
        if let Some(at) = out[auth_start..auth_end].rfind('@') {
            let userinfo = &out[auth_start..auth_start + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(auth_start + colon + 1..auth_start + at, "***");
            }
        }
    }
    if let Some(q) = out.find('?') {
        let (head, query) = out.split_at(q + 1);
        let redacted: Vec<String> = query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => kv.to_string(),
            })
            .collect();
        out = format!("{head}{}", redacted.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("mysql://root@127.0.0.1:3306"), "mysql://root@127.0.0.1:3306");
        assert_eq!(
            redact_url("mysql://u:p%40ss@h/db?password=x&ssl-mode=off"),
            "mysql://u:***@h/db?password=***&ssl-mode=off"
        );
        assert_eq!(redact_url("sqlite://torro.db"), "sqlite://torro.db");
    }

    #[tokio::test]
    async fn unsupported_schemes_say_what_is_supported() {
        let err = connect("oracle://x").await.err().expect("unsupported");
        match err {
            CatalogError::UnsupportedUrl { message, .. } => assert!(message.contains("postgres://"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn sqlite_urls_and_bare_paths_create_the_file() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            format!("sqlite://{}", dir.path().join("a.db").display()),
            format!("sqlite:{}", dir.path().join("b.sqlite").display()),
            dir.path().join("c.db").display().to_string(),
        ] {
            let store = connect(&url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(store.backend(), crate::Backend::Sqlite);
            store.migrate().await.unwrap();
            store.health().await.unwrap();
        }
        assert!(dir.path().join("c.db").exists());
        let mem = connect("sqlite::memory:").await.unwrap();
        mem.migrate().await.unwrap();
        assert_eq!(mem.stats().await.unwrap().total, 0);
    }
}
