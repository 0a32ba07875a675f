//! What differs between the three databases, and nothing else.

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use sqlx::{MySql, Postgres, Sqlite};

use crate::search::MYSQL_STOPWORDS;
use crate::{Backend, CatalogError, Result};

/// A value bound to a query built at run time.
#[derive(Clone, Debug)]
pub(crate) enum Arg {
    Str(String),
    OptStr(Option<String>),
    I64(i64),
    OptI64(Option<i64>),
    Bool(bool),
    Ts(DateTime<Utc>),
    OptTs(Option<DateTime<Utc>>),
}

/// Timestamps are stored with microsecond precision on every backend (PostgreSQL and
/// MySQL `DATETIME(6)` cannot hold more); nanoseconds are truncated on write.
pub(crate) fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// SQLite keeps timestamps as TEXT in this one fixed-width format, so they sort as strings.
const SQLITE_TS: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

pub(crate) trait Dialect: sqlx::Database {
    const BACKEND: Backend;
    /// Opens a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`)
    /// so a read-then-write transaction cannot fail with SQLITE_BUSY half way.
    const BEGIN_WRITE: &'static str;
    /// Row lock for read-then-write inside a transaction (SQLite locks the whole file).
    const FOR_UPDATE: &'static str;
    /// `INSERT ... RETURNING id` is available (not on MySQL: we read LAST_INSERT_ID()).
    const RETURNING: bool;
    /// Largest `IN (...)` list per statement, below the bind-parameter limit
    /// (SQLite 32766, PostgreSQL and MySQL 65535).
    const MAX_IN_LIST: usize;
    /// The integer type to CAST an aggregate to.
    const BIGINT: &'static str;
    /// The FTS5 table is kept beside `discoveries` (PostgreSQL and MySQL index a column).
    const SEPARATE_FTS_TABLE: bool;

    /// SQL to take and release a database-wide lock around migrations, where sqlx's own
    /// lock is not enough (its MySQL `GET_LOCK(id, -1)` returns NULL at once on MariaDB,
    /// which has no infinite timeout, so concurrent starts raced).
    const MIGRATION_LOCK: Option<(&'static str, &'static str)> = None;

    /// How this backend stores a timestamp.
    type Ts;
    fn ts(t: DateTime<Utc>) -> Self::Ts;
    fn from_ts(v: Self::Ts) -> Result<DateTime<Utc>>;

    /// SQL written with `?` placeholders, in this backend's syntax.
    fn sql(sql: &str) -> String {
        sql.to_string()
    }

    fn last_insert_id(result: &Self::QueryResult) -> Option<i64>;

    /// Appended to an `INSERT`: skip the row when `unique_col` already holds its value
    /// (another transaction may have inserted it meanwhile) instead of failing.
    fn on_conflict_ignore(unique_col: &str) -> String {
        format!(" ON CONFLICT ({unique_col}) DO NOTHING")
    }

    /// A condition on `d` (discoveries) matching every term (as a prefix), pushing its binds.
    fn search_condition(terms: &[String], args: &mut Vec<Arg>) -> String;
}

impl Dialect for Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const FOR_UPDATE: &'static str = "";
    const RETURNING: bool = true;
    const MAX_IN_LIST: usize = 30_000;
    const BIGINT: &'static str = "INTEGER";
    const SEPARATE_FTS_TABLE: bool = true;
    type Ts = String;

    fn ts(t: DateTime<Utc>) -> String {
        truncate_micros(t).format(SQLITE_TS).to_string()
    }

    fn from_ts(v: String) -> Result<DateTime<Utc>> {
        NaiveDateTime::parse_from_str(&v, SQLITE_TS)
            .map(|n| n.and_utc())
            .or_else(|_| DateTime::parse_from_rfc3339(&v).map(|t| t.with_timezone(&Utc)))
            .map_err(|e| CatalogError::Corrupt(format!("timestamp {v:?}: {e}")))
    }

    fn last_insert_id(result: &Self::QueryResult) -> Option<i64> {
        Some(result.last_insert_rowid())
    }

    fn search_condition(terms: &[String], args: &mut Vec<Arg>) -> String {
        // Terms are letters and digits only, so quoting them cannot break the FTS5 syntax;
        // quoted terms are never operators (AND, OR, NOT, NEAR). Space = AND.
        let expr: Vec<String> = terms.iter().map(|t| format!("\"{t}\"*")).collect();
        args.push(Arg::Str(expr.join(" ")));
        "d.id IN (SELECT rowid FROM discoveries_fts WHERE discoveries_fts MATCH ?)".to_string()
    }
}

impl Dialect for Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const BEGIN_WRITE: &'static str = "BEGIN";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const RETURNING: bool = true;
    const MAX_IN_LIST: usize = 60_000;
    const BIGINT: &'static str = "BIGINT";
    const SEPARATE_FTS_TABLE: bool = false;
    type Ts = DateTime<Utc>;

    fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
        truncate_micros(t)
    }

    fn from_ts(v: DateTime<Utc>) -> Result<DateTime<Utc>> {
        Ok(v)
    }

    /// `?` → `$1, $2, ...` (our SQL never has `?` inside a literal).
    fn sql(sql: &str) -> String {
        let mut out = String::with_capacity(sql.len() + 16);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    }

    fn last_insert_id(_: &Self::QueryResult) -> Option<i64> {
        None
    }

    fn search_condition(terms: &[String], args: &mut Vec<Arg>) -> String {
        // Each term: a word prefix in the tsvector, or a substring of the path (trigram index).
        let mut parts = Vec::new();
        for t in terms {
            args.push(Arg::Str(format!("'{t}':*")));
            args.push(Arg::Str(format!("%{t}%")));
            parts.push("(d.search_tsv @@ to_tsquery('simple', ?) OR lower(d.path) LIKE ?)".to_string());
        }
        parts.join(" AND ")
    }
}

impl Dialect for MySql {
    const BACKEND: Backend = Backend::MySql;
    const BEGIN_WRITE: &'static str = "BEGIN";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const RETURNING: bool = false;
    const MAX_IN_LIST: usize = 60_000;
    const BIGINT: &'static str = "SIGNED";
    const SEPARATE_FTS_TABLE: bool = false;
    const MIGRATION_LOCK: Option<(&'static str, &'static str)> = Some((
        "SELECT GET_LOCK(CONCAT('torro_migrate_', MD5(DATABASE())), 600)",
        "SELECT RELEASE_LOCK(CONCAT('torro_migrate_', MD5(DATABASE())))",
    ));
    type Ts = DateTime<Utc>;

    fn ts(t: DateTime<Utc>) -> DateTime<Utc> {
        truncate_micros(t)
    }

    fn from_ts(v: DateTime<Utc>) -> Result<DateTime<Utc>> {
        Ok(v)
    }

    fn last_insert_id(result: &Self::QueryResult) -> Option<i64> {
        i64::try_from(result.last_insert_id()).ok()
    }

    fn on_conflict_ignore(unique_col: &str) -> String {
        format!(" ON DUPLICATE KEY UPDATE {unique_col} = {unique_col}")
    }

    fn search_condition(terms: &[String], args: &mut Vec<Arg>) -> String {
        // FULLTEXT ignores words shorter than innodb_ft_min_token_size (3) and stopwords:
        // those terms fall back to LIKE on the same column.
        let (indexed, short): (Vec<&String>, Vec<&String>) = terms
            .iter()
            .partition(|t| t.chars().count() >= 3 && !MYSQL_STOPWORDS.contains(&t.as_str()));
        let mut parts = Vec::new();
        if !indexed.is_empty() {
            let expr: Vec<String> = indexed.iter().map(|t| format!("+{t}*")).collect();
            args.push(Arg::Str(expr.join(" ")));
            parts.push("MATCH (d.search_doc) AGAINST (? IN BOOLEAN MODE)".to_string());
        }
        for t in short {
            args.push(Arg::Str(format!("%{t}%")));
            parts.push("d.search_doc LIKE ?".to_string());
        }
        parts.join(" AND ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered() {
        assert_eq!(
            <Postgres as Dialect>::sql("a = ? AND b IN (?, ?)"),
            "a = $1 AND b IN ($2, $3)"
        );
    }

    #[test]
    fn sqlite_timestamps_are_fixed_width_and_round_trip() {
        let t = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        let s = <Sqlite as Dialect>::ts(t);
        assert_eq!(s, "2023-11-14T22:13:20.123456Z");
        assert_eq!(<Sqlite as Dialect>::from_ts(s).unwrap(), truncate_micros(t));
        assert_eq!(
            <Sqlite as Dialect>::ts(DateTime::from_timestamp(0, 0).unwrap()),
            "1970-01-01T00:00:00.000000Z"
        );
    }
}
