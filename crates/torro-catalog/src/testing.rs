//! Test support (feature `testing`): a fresh catalog per test on each backend (STYLE.md section 1).
//! Used by this crate's store suite and by the engine's and server's tests.
//!
//! SQLite: a temp file. PostgreSQL / MariaDB: `CREATE DATABASE torro_t_<unique>` on the
//! server named by `TORRO_TEST_POSTGRES_URL` / `TORRO_TEST_MYSQL_URL`, dropped afterwards
//! (best effort). An unreachable server fails the test when `CI=true`, else the test
//! prints `SKIPPED: ...` to stderr and passes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{CatalogStore, connect};
use sqlx::Connection;

pub struct TestDb {
    pub store: Arc<dyn CatalogStore>,
    /// The database URL, for tests that open more stores on the same database.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Held only so the folder is removed when the test ends.
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin: String,
        name: String,
    },
    MySql {
        admin: String,
        name: String,
    },
}

impl TestDb {
    pub async fn drop_database(self) {
        let TestDb { store, cleanup, .. } = self;
        drop(store);
        match cleanup {
            Cleanup::Dir(_) => {}
            Cleanup::Postgres { admin, name } => {
                if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await;
                }
            }
            Cleanup::MySql { admin, name } => {
                if let Ok(mut c) = sqlx::MySqlConnection::connect(&admin).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                        .execute(&mut c)
                        .await;
                }
            }
        }
    }
}

fn unique_name() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "torro_t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// `scheme://auth@host:port[/db][?query]` with the database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..].find('/').map_or(base.len(), |i| after_scheme + i);
    format!("{}/{name}{query}", &base[..host_end])
}

fn unreachable(what: &str, url: &str, err: impl std::fmt::Display) -> Option<TestDb> {
    let msg = format!("{what} not reachable at {}: {err}", crate::redact_url(url));
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: a missing service is a failure)");
    }
    eprintln!("\n*** SKIPPED: {msg} ***\n");
    None
}

/// Opens the store at `url`; `migrate` false leaves the database empty.
async fn ready(url: String, cleanup: Cleanup, migrate: bool) -> TestDb {
    let store = connect(&url).await.expect("open store");
    if migrate {
        store.migrate().await.expect("migrate");
    }
    TestDb { store, url, cleanup }
}

pub async fn sqlite(migrate: bool) -> Option<TestDb> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("catalog.db").display());
    Some(ready(url, Cleanup::Dir(dir), migrate).await)
}

pub async fn postgres(migrate: bool) -> Option<TestDb> {
    let admin = std::env::var("TORRO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => return unreachable("PostgreSQL", &admin, e),
    };
    let name = unique_name();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let _ = conn.close().await;
    Some(ready(with_database(&admin, &name), Cleanup::Postgres { admin, name }, migrate).await)
}

pub async fn mysql(migrate: bool) -> Option<TestDb> {
    let admin = std::env::var("TORRO_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
    let mut conn = match sqlx::MySqlConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => return unreachable("MySQL/MariaDB", &admin, e),
    };
    let name = unique_name();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
    )))
    .execute(&mut conn)
    .await
    .expect("create database");
    let _ = conn.close().await;
    Some(ready(with_database(&admin, &name), Cleanup::MySql { admin, name }, migrate).await)
}

/// One `#[tokio::test]` per (backend, test fn): `backend_suite!(a, b)` runs `async fn a(db: &TestDb)`
/// and `b` on SQLite, PostgreSQL and MySQL/MariaDB, each with a fresh migrated database.
#[macro_export]
macro_rules! backend_suite {
    ($($test:ident),+ $(,)?) => {
        $crate::backend_suite!(@on sqlite; $($test),+);
        $crate::backend_suite!(@on postgres; $($test),+);
        $crate::backend_suite!(@on mysql; $($test),+);
    };
    (@on $backend:ident; $($test:ident),+) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(db) = $crate::testing::$backend(true).await else { return };
                    super::$test(&db).await;
                    db.drop_database().await;
                }
            )+
        }
    };
}
