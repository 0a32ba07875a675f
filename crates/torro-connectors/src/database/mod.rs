//! Databases as sources: one trait, [`DatabaseSource`], that tests a connection and
//! lists every table, view, materialized view, routine and trigger with its columns,
//! keys, indexes, comments and definitions. Metadata only: no connector reads table data.
//!
//! Each connector reads in a read-only transaction where the database has one, with a
//! statement timeout, and binds every name it sends (identifiers are never spliced into
//! SQL), so quotes and spaces in names are harmless.

mod mysql;
pub mod oracle;
mod postgres;
mod snowflake;
mod sqlite;

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use sqlx::{ColumnIndex, Decode, Row, Type};
use torro_model::{DatabaseConfig, NameFilter, ObservedAsset, StorageType};

pub use mysql::MySqlSource;
pub use postgres::PostgresSource;
pub use snowflake::{Rows, SnowflakeSession, SnowflakeSource, decode_result};
pub use sqlite::SqliteSource;

/// Why a database could not be reached or read at all. Messages say what to check;
/// they never hold a password.
#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    /// Bad settings: fix the connection.
    #[error("{0}")]
    Config(String),
    /// Could not connect or log in.
    #[error("{0}")]
    Connect(String),
    /// A metadata query failed as a whole.
    #[error("{0}")]
    Query(String),
}

/// One object (or group of objects) that could not be read; the rest of the scan goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectError {
    /// `schema`, `schema.object` or a kind (`functions`), for the scan's error list.
    pub object: String,
    pub message: String,
}

/// Everything one scan of a database saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatabaseScan {
    pub objects: Vec<ObservedAsset>,
    pub errors: Vec<ObjectError>,
    /// Schemas (catalogs for MySQL) whose objects could not all be listed: assets there
    /// that the scan did not see must not be marked deleted.
    pub incomplete: BTreeSet<String>,
}

impl DatabaseScan {
    fn error(&mut self, object: impl Into<String>, message: impl std::fmt::Display) {
        self.errors.push(ObjectError {
            object: object.into(),
            message: message.to_string(),
        });
    }
}

#[async_trait]
pub trait DatabaseSource: Send + Sync {
    /// The OpenLineage namespace of the assets (`postgres://host:5432`).
    fn namespace(&self) -> String;

    /// Connects, logs in and runs one trivial query.
    async fn test_connection(&self) -> Result<(), DatabaseError>;

    /// Lists every object the include/exclude patterns keep. Fails only when the database
    /// cannot be reached; a part that cannot be read becomes an [`ObjectError`].
    async fn scan(&self) -> Result<DatabaseScan, DatabaseError>;
}

/// The connector for `config`'s kind (Oracle only with the `oracle` feature).
pub fn open(config: &DatabaseConfig) -> Result<Box<dyn DatabaseSource>, DatabaseError> {
    Ok(match config.kind {
        StorageType::Postgres => Box::new(PostgresSource::new(config.clone())),
        StorageType::Mysql => Box::new(MySqlSource::new(config.clone())),
        StorageType::Sqlite => Box::new(SqliteSource::new(config.clone())),
        StorageType::Snowflake => Box::new(SnowflakeSource::new(config.clone())),
        #[cfg(feature = "oracle")]
        StorageType::Oracle => Box::new(oracle::OracleSource::new(config.clone())),
        #[cfg(not(feature = "oracle"))]
        StorageType::Oracle => {
            return Err(DatabaseError::Config(
                "the oracle connector is not in this build of Torro: build torro-connectors with its `oracle` \
                 feature (the torro binary has it by default)"
                    .into(),
            ));
        }
        other => return Err(DatabaseError::Config(format!("{other} is not a database"))),
    })
}

/// Text of a column, lossily decoded when it is not valid UTF-8 (a comment written in a
/// legacy encoding must not fail the whole query).
pub(crate) fn text<'r, R, I>(row: &'r R, col: I) -> Option<String>
where
    R: Row,
    I: ColumnIndex<R> + Copy,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database>,
{
    match row.try_get::<Option<String>, _>(col) {
        Ok(v) => v,
        Err(_) => row
            .try_get_unchecked::<Option<Vec<u8>>, _>(col)
            .ok()
            .flatten()
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
    }
}

/// `text` for a column that must be there; "" when it is NULL.
pub(crate) fn name<'r, R, I>(row: &'r R, col: I) -> String
where
    R: Row,
    I: ColumnIndex<R> + Copy,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database>,
{
    text(row, col).unwrap_or_default()
}

/// Objects grouped by (schema, table), in the order the queries return them.
pub(crate) type ByTable<T> = BTreeMap<(String, String), Vec<T>>;

/// Keeps what the connection's include/exclude patterns allow.
pub(crate) fn keep(filter: &NameFilter, schema: &str, name: &str) -> bool {
    filter.object(schema, name)
}

/// Connection error text without the password, with a hint of what to check.
pub(crate) fn connect_error(config: &DatabaseConfig, e: impl std::fmt::Display) -> DatabaseError {
    let mut message = format!("cannot connect to {} at {}: {e}", config.kind, config.authority());
    if let Some(p) = config.password().filter(|p| p.len() >= 4) {
        message = message.replace(p, "***");
    }
    let lower = message.to_lowercase();
    let hint = if lower.contains("password") || lower.contains("access denied") || lower.contains("authentication") {
        " (check the user and the password secret)"
    } else if lower.contains("refused") || lower.contains("resolve") || lower.contains("timed out") {
        " (check host and port, and that the server accepts connections from here)"
    } else {
        ""
    };
    DatabaseError::Connect(format!("{message}{hint}"))
}
