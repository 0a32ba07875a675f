//! Test support (feature `testing`): a throwaway database per test on the local
//! PostgreSQL / MariaDB servers (`TORRO_TEST_POSTGRES_URL`, `TORRO_TEST_MYSQL_URL`, the same
//! servers the catalog tests use), with the [`DatabaseConfig`] of a Torro connection to it.
//! An unreachable server skips loudly, or fails the test when `CI=true`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{AssertSqlSafe, Connection, MySqlConnection, PgConnection};
use torro_model::{DatabaseConfig, DatabaseSettings, StorageType};

/// A database made for one test; [`ScratchDb::drop_database`] removes it.
pub struct ScratchDb {
    pub kind: StorageType,
    pub name: String,
    /// URL of the admin (superuser) connection, without a database.
    pub admin_url: String,
    /// URL of the scratch database itself, as the admin.
    pub url: String,
    pub host: String,
    pub port: u16,
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn unreachable(what: &str, err: impl std::fmt::Display) -> Option<ScratchDb> {
    let msg = format!("{what} not reachable: {err}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: a missing service is a failure)");
    }
    eprintln!("\n*** SKIPPED: {msg} ***\n");
    None
}

/// `host` and `port` of a `scheme://user@host:port/...` URL.
fn host_port(url: &str, default_port: u16) -> (String, u16) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hostport = authority.rsplit('@').next().unwrap_or(authority);
    match hostport.rsplit_once(':') {
        Some((h, p)) => (h.to_string(), p.parse().unwrap_or(default_port)),
        None => (hostport.to_string(), default_port),
    }
}

fn base(url: &str) -> String {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..].find(['/', '?']).map_or(url.len(), |i| after + i);
    url[..end].to_string()
}

impl ScratchDb {
    pub async fn postgres() -> Option<ScratchDb> {
        Self::postgres_with("").await
    }

    /// A PostgreSQL database created with `options` after `CREATE DATABASE name`
    /// (e.g. `ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`).
    pub async fn postgres_with(options: &str) -> Option<ScratchDb> {
        let admin = std::env::var("TORRO_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut conn = match PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => return unreachable("PostgreSQL", e),
        };
        let name = unique("torro_src");
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name} {options}")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let (host, port) = host_port(&admin, 5432);
        Some(ScratchDb {
            kind: StorageType::Postgres,
            url: format!("{}/{name}", base(&admin)),
            admin_url: admin,
            name,
            host,
            port,
        })
    }

    pub async fn mysql() -> Option<ScratchDb> {
        let admin = std::env::var("TORRO_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".into());
        let mut conn = match MySqlConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) => return unreachable("MySQL/MariaDB", e),
        };
        let name = unique("torro_src");
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name} CHARACTER SET utf8mb4")))
            .execute(&mut conn)
            .await
            .expect("create database");
        let (host, port) = host_port(&admin, 3306);
        Some(ScratchDb {
            kind: StorageType::Mysql,
            url: format!("{}/{name}", base(&admin)),
            admin_url: admin,
            name,
            host,
            port,
        })
    }

    /// The admin user's name in the admin URL.
    pub fn admin_user(&self) -> String {
        let rest = self.admin_url.split_once("://").map_or("", |(_, r)| r);
        match rest.split_once('@') {
            Some((creds, _)) => creds.split(':').next().unwrap_or_default().to_string(),
            None => String::new(),
        }
    }

    /// Runs `sql` (several statements allowed) in the scratch database as the admin.
    pub async fn execute(&self, sql: &str) {
        match self.kind {
            StorageType::Postgres => {
                let mut c = PgConnection::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect(sql);
                let _ = c.close().await;
            }
            _ => {
                let mut c = MySqlConnection::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect(sql);
                let _ = c.close().await;
            }
        }
    }

    /// Runs `sql` on the server as the admin, outside the scratch database (roles, users).
    pub async fn execute_admin(&self, sql: &str) {
        match self.kind {
            StorageType::Postgres => {
                let mut c = PgConnection::connect(&self.admin_url).await.expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect(sql);
                let _ = c.close().await;
            }
            _ => {
                let mut c = MySqlConnection::connect(&self.admin_url).await.expect("connect");
                sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                    .execute(&mut c)
                    .await
                    .expect(sql);
                let _ = c.close().await;
            }
        }
    }

    /// Connection settings for this database as `user` (the admin when `None`).
    pub fn settings(&self, user: Option<&str>) -> DatabaseSettings {
        DatabaseSettings {
            host: Some(self.host.clone()),
            port: Some(self.port),
            database: Some(self.name.clone()),
            user: Some(user.map_or_else(|| self.admin_user(), str::to_string)),
            ..Default::default()
        }
    }

    /// The resolved config of a connection as the admin.
    pub fn config(&self) -> DatabaseConfig {
        DatabaseConfig::resolve(self.kind, &self.settings(None), &BTreeMap::new()).expect("valid settings")
    }

    pub async fn drop_database(self) {
        let sql = match self.kind {
            StorageType::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        match self.kind {
            StorageType::Postgres => {
                if let Ok(mut c) = PgConnection::connect(&self.admin_url).await {
                    let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut c).await;
                }
            }
            _ => {
                if let Ok(mut c) = MySqlConnection::connect(&self.admin_url).await {
                    let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut c).await;
                }
            }
        }
    }
}
