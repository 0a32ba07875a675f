//! The one SQL implementation of [`CatalogStore`], instantiated for SQLite, PostgreSQL and
//! MySQL. The SQL text is shared; [`Dialect`] holds the differences.
//!
//! The trait impl is stamped out per backend by `impl_catalog_store!` rather than written
//! generically over `DB: Database`: sqlx's higher-ranked `Executor` bounds on generic
//! async code inside `async_trait` futures are fragile, while the concrete expansions
//! type-check plainly. The macro body is ordinary code over `$db`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, Database, Pool, SqlSafeStr};
use torro_model::{
    ApprovalStatus, Connection, DiscoveryQuery, FileStatus, Observation, SortField, SortOrder, StorageLocation,
};

use crate::dialect::{Arg, Dialect};
use crate::search::{query_terms, search_document};
use crate::{CatalogError, NewConnectionRow, Result};

pub(crate) struct SqlStore<DB: Database> {
    pub(crate) pool: Pool<DB>,
}

impl<DB: Database> SqlStore<DB> {
    pub(crate) fn new(pool: Pool<DB>) -> Self {
        SqlStore { pool }
    }
}

/// The embedded migrations of one backend, as a sqlx migrator (which takes a database
/// lock while it runs, so several processes may start at once).
fn migrator(files: &[(i64, &'static str, &'static str)]) -> Migrator {
    Migrator {
        migrations: Cow::Owned(
            files
                .iter()
                .map(|(version, name, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*name),
                        MigrationType::Simple,
                        AssertSqlSafe(*sql).into_sql_str(),
                        false,
                    )
                })
                .collect(),
        ),
        ..Migrator::DEFAULT
    }
}

/// SHA-256 over the unique key (storage type, account, container, path), hex encoded.
/// One short unique column on every backend; MySQL could not index the full key.
pub(crate) fn location_key(location: &StorageLocation, path: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        location.storage_type.as_str(),
        &location.account,
        &location.container,
        path,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> CatalogError {
    CatalogError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn parse<T: std::str::FromStr<Err = String>>(what: &str, s: &str) -> Result<T> {
    s.parse().map_err(|e| corrupt(what, e))
}

/// Times a batch rolled back by a deadlock is tried again. Concurrent scans inserting the same
/// new paths can deadlock on MySQL/MariaDB's gap locks (and rarely PostgreSQL); the whole
/// transaction rolled back, so running it again is safe.
const DEADLOCK_RETRIES: u32 = 5;

/// A deadlock or serialization failure (SQLSTATE 40001, PostgreSQL 40P01): retry the transaction.
pub(crate) fn is_deadlock(e: &CatalogError) -> bool {
    match e {
        CatalogError::Database(sqlx::Error::Database(d)) => matches!(d.code().as_deref(), Some("40001" | "40P01")),
        _ => false,
    }
}

/// Unique violations become AlreadyExists; everything else stays a database error.
pub(crate) fn map_unique(e: sqlx::Error, what: impl FnOnce() -> String) -> CatalogError {
    match e.as_database_error() {
        Some(d) if d.is_unique_violation() => CatalogError::AlreadyExists(what()),
        _ => CatalogError::Database(e),
    }
}

/// Page bounds that can never panic or overflow: size 1..=1000.
pub(crate) fn limits(page: u32, size: u32) -> (i64, i64) {
    let size = size.clamp(1, 1000) as i64;
    (size, page as i64 * size)
}

/// The columns of an `audit_log` row, as [`SqlStore::audit_entry`] reads them.
pub(crate) const AUDIT_COLUMNS: &str =
    "id, entity_type, entity_id, action, actor, role, source_ip, at, before_json, after_json, comment";

/// One `audit_log` row to write: who (name, role, client address), what, before and after.
pub(crate) struct AuditRow<'a> {
    pub(crate) entity_type: &'a str,
    pub(crate) entity_id: i64,
    pub(crate) action: &'a str,
    pub(crate) actor: &'a torro_model::Actor,
    pub(crate) at: DateTime<Utc>,
    pub(crate) before: Option<serde_json::Value>,
    pub(crate) after: Option<serde_json::Value>,
    pub(crate) comment: Option<String>,
}

pub(crate) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

const DISCOVERY_COLUMNS: &str = "d.id, d.storage_type, d.account, d.container, d.path, d.folder, d.name, \
     d.extension, d.format, d.size, d.etag, d.last_modified, d.fingerprint, d.row_count, d.column_count, \
     d.schema_json, d.schema_hash, d.format_details, d.status, d.approval_status, d.error, d.source_name, \
     d.environment, d.env_type, d.data_source_type, d.tags, d.first_seen, d.last_seen, d.last_changed, \
     d.deleted, d.deleted_at, d.last_scan_id, d.dataset_id, d.partition_values";

pub(crate) const SCAN_RUN_COLUMNS: &str = "r.id, r.trigger_kind, r.target, r.status, r.started_at, r.finished_at, \
     r.duration_ms, r.listed, r.new_count, r.changed, r.unchanged, r.deleted_count, r.failed, r.bytes_read, \
     r.requests, r.message, (SELECT COUNT(*) FROM scan_errors e WHERE e.scan_id = r.id) AS error_count";

/// The WHERE clause of the catalog's live (not deleted) entries.
const LIVE: &str = " WHERE d.deleted = FALSE";

/// WHERE clause (with binds) and ORDER BY of a discovery listing.
fn discovery_filter<DB: Dialect>(q: &DiscoveryQuery) -> (String, Vec<Arg>, String) {
    let mut conds: Vec<String> = Vec::new();
    let mut args = Vec::new();
    let eq = |col: &str, v: String, conds: &mut Vec<String>, args: &mut Vec<Arg>| {
        conds.push(format!("d.{col} = ?"));
        args.push(Arg::Str(v));
    };
    if let Some(s) = q.status {
        eq("status", s.as_str().into(), &mut conds, &mut args);
    }
    if !q.include_deleted && q.status != Some(FileStatus::Deleted) {
        conds.push("d.deleted = FALSE".into());
    }
    if let Some(s) = q.approval_status {
        eq("approval_status", s.as_str().into(), &mut conds, &mut args);
    }
    if let Some(s) = &q.environment {
        eq("environment", s.clone(), &mut conds, &mut args);
    }
    if let Some(s) = &q.data_source_type {
        eq("data_source_type", s.clone(), &mut conds, &mut args);
    }
    if let Some(s) = q.format {
        eq("format", s.as_str().into(), &mut conds, &mut args);
    }
    if let Some(s) = q.storage_type {
        eq("storage_type", s.as_str().into(), &mut conds, &mut args);
    }
    if let Some(s) = &q.source_name {
        eq("source_name", s.clone(), &mut conds, &mut args);
    }
    if let Some(id) = q.dataset_id {
        conds.push("d.dataset_id = ?".into());
        args.push(Arg::I64(id));
    }
    if let Some(search) = &q.search {
        let terms = query_terms(search);
        if !terms.is_empty() {
            conds.push(format!("({})", DB::search_condition(&terms, &mut args)));
        }
    }
    let where_sql = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    let col = match q.sort {
        SortField::LastChanged => "last_changed",
        SortField::FirstSeen => "first_seen",
        SortField::LastSeen => "last_seen",
        SortField::Name => "name",
        SortField::Path => "path",
        SortField::Size => "size",
        SortField::Id => "id",
    };
    let dir = match q.order {
        SortOrder::Asc => "ASC",
        SortOrder::Desc => "DESC",
    };
    let order = if col == "id" {
        format!(" ORDER BY d.id {dir}")
    } else {
        format!(" ORDER BY d.{col} {dir}, d.id {dir}")
    };
    (where_sql, args, order)
}

/// The values an observation writes into its row.
struct RowValues {
    folder: String,
    name: String,
    extension: String,
    format: Option<String>,
    schema_json: Option<String>,
    schema_hash: Option<String>,
    column_count: Option<i64>,
    status: FileStatus,
    search_doc: String,
    tags: String,
    format_details: String,
}

impl RowValues {
    fn of(o: &Observation) -> Result<Self> {
        let (folder, name, extension) = torro_model::split_path(&o.path);
        let schema_json = o
            .schema
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| corrupt("schema", e))?;
        Ok(RowValues {
            folder,
            name,
            extension,
            format: o.format.map(|f| f.as_str().to_string()),
            schema_json,
            schema_hash: o.schema.as_ref().map(|s| s.hash()),
            column_count: o.schema.as_ref().map(|s| s.fields.len() as i64),
            status: if o.error.is_some() {
                FileStatus::Error
            } else {
                FileStatus::Active
            },
            search_doc: search_document(&o.path, o.schema.as_ref()),
            tags: serde_json::to_string(&o.labels.tags).map_err(|e| corrupt("tags", e))?,
            format_details: o.format_details.to_string(),
        })
    }
}

/// Datasets with their aggregates, computed from their files at read time: counts, size,
/// partitions and schemas over live files; `last_changed` over all files (a deletion is a
/// change). `inner_where` narrows the aggregated files (`d`), `outer_where` the datasets
/// (`ds`); binds go inner first.
fn dataset_select<DB: Dialect>(inner_where: &str, outer_where: &str) -> String {
    let n = DB::BIGINT;
    format!(
        "SELECT ds.id, ds.storage_type, ds.account, ds.container, ds.path, ds.partition_columns, ds.first_seen, \
         CAST(COALESCE(a.file_count, 0) AS {n}) AS file_count, \
         CAST(COALESCE(a.deleted_file_count, 0) AS {n}) AS deleted_file_count, \
         CAST(COALESCE(a.total_size, 0) AS {n}) AS total_size, \
         CAST(COALESCE(a.partition_count, 0) AS {n}) AS partition_count, \
         CAST(COALESCE(a.distinct_schema_count, 0) AS {n}) AS distinct_schema_count, \
         COALESCE(a.last_changed, ds.first_seen) AS last_changed, \
         (SELECT s.schema_json FROM discoveries s WHERE s.dataset_id = ds.id AND s.deleted = FALSE \
          AND s.schema_json IS NOT NULL ORDER BY s.last_changed DESC, s.id DESC LIMIT 1) AS schema_json \
         FROM datasets ds LEFT JOIN (SELECT d.dataset_id, \
         SUM(CASE WHEN d.deleted = FALSE THEN 1 ELSE 0 END) AS file_count, \
         SUM(CASE WHEN d.deleted = FALSE THEN 0 ELSE 1 END) AS deleted_file_count, \
         SUM(CASE WHEN d.deleted = FALSE THEN d.size ELSE 0 END) AS total_size, \
         COUNT(DISTINCT CASE WHEN d.deleted = FALSE THEN d.partition_values END) AS partition_count, \
         COUNT(DISTINCT CASE WHEN d.deleted = FALSE THEN d.schema_hash END) AS distinct_schema_count, \
         MAX(d.last_changed) AS last_changed \
         FROM discoveries d WHERE d.dataset_id IS NOT NULL{inner_where} GROUP BY d.dataset_id) a \
         ON a.dataset_id = ds.id{outer_where}"
    )
}

/// Newest change first.
const DATASET_ORDER: &str = " ORDER BY COALESCE(a.last_changed, ds.first_seen) DESC, ds.id DESC";

fn action_of(to: ApprovalStatus) -> &'static str {
    match to {
        ApprovalStatus::Pending => "reopen",
        ApprovalStatus::Approved => "approve",
        ApprovalStatus::Rejected => "reject",
        ApprovalStatus::Published => "publish",
        ApprovalStatus::Archived => "archive",
    }
}

const CONNECTION_COLUMNS: &str = "id, name, connector_type, connection_type, config_json, secret_names, status, \
     schedule, environment, env_type, data_source_type, tags, created_at, updated_at, last_tested_at, last_test_error";

/// A connection as its audit rows show it: every setting, secret names, no secret values.
fn connection_audit(c: &Connection) -> serde_json::Value {
    json!({
        "name": c.name,
        "connector_type": c.connector_type.as_str(),
        "connection_type": c.connection_type,
        "config": c.config,
        "secret_names": c.secret_names,
        "status": c.status,
        "schedule": c.schedule,
        "environment": c.labels.environment,
        "env_type": c.labels.env_type,
        "data_source_type": c.labels.data_source_type,
        "tags": c.labels.tags,
    })
}

/// The bound values of a connection row, in `CONNECTION_WRITE_COLUMNS` order.
fn connection_args(row: &NewConnectionRow) -> Result<Vec<Arg>> {
    let mut names = row.secret_names.clone();
    names.sort();
    names.dedup();
    Ok(vec![
        Arg::Str(row.name.clone()),
        Arg::Str(row.connector_type.as_str().into()),
        Arg::Str(row.connection_type.clone()),
        Arg::Str(serde_json::to_string(&row.config).map_err(|e| corrupt("config", e))?),
        Arg::Str(serde_json::to_string(&names).map_err(|e| corrupt("secret_names", e))?),
        Arg::OptStr(row.secrets_ciphertext.clone()),
        Arg::Str(row.status.clone()),
        Arg::OptStr(row.schedule.clone()),
        Arg::Str(row.labels.environment.clone()),
        Arg::Str(row.labels.env_type.clone()),
        Arg::Str(row.labels.data_source_type.clone()),
        Arg::Str(serde_json::to_string(&row.labels.tags).map_err(|e| corrupt("tags", e))?),
    ])
}

const CONNECTION_WRITE_COLUMNS: [&str; 12] = [
    "name",
    "connector_type",
    "connection_type",
    "config_json",
    "secret_names",
    "secrets_ciphertext",
    "status",
    "schedule",
    "environment",
    "env_type",
    "data_source_type",
    "tags",
];

pub(crate) fn now() -> DateTime<Utc> {
    crate::dialect::truncate_micros(Utc::now())
}

macro_rules! impl_catalog_store {
    ($db:ty, $dir:literal) => {
        impl SqlStore<$db> {
            pub(crate) fn query(sql: &str, args: Vec<Arg>) -> sqlx::query::Query<'static, $db, <$db as Database>::Arguments> {
                let mut q = sqlx::query(AssertSqlSafe(<$db as Dialect>::sql(sql)));
                for a in args {
                    q = match a {
                        Arg::Str(v) => q.bind(v),
                        Arg::OptStr(v) => q.bind(v),
                        Arg::I64(v) => q.bind(v),
                        Arg::OptI64(v) => q.bind(v),
                        Arg::Bool(v) => q.bind(v),
                        Arg::Ts(v) => q.bind(<$db as Dialect>::ts(v)),
                        Arg::OptTs(v) => q.bind(v.map(<$db as Dialect>::ts)),
                    };
                }
                q
            }

            pub(crate) fn ts(row: &<$db as Database>::Row, col: &str) -> Result<DateTime<Utc>> {
                use sqlx::Row;
                <$db as Dialect>::from_ts(row.try_get::<<$db as Dialect>::Ts, _>(col)?)
            }

            pub(crate) fn opt_ts(row: &<$db as Database>::Row, col: &str) -> Result<Option<DateTime<Utc>>> {
                use sqlx::Row;
                row.try_get::<Option<<$db as Dialect>::Ts>, _>(col)?.map(<$db as Dialect>::from_ts).transpose()
            }

            fn discovery(row: &<$db as Database>::Row) -> Result<torro_model::Discovery> {
                use sqlx::Row;
                let s = |c: &str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
                let schema = match row.try_get::<Option<String>, _>("schema_json")? {
                    Some(j) => Some(serde_json::from_str(&j).map_err(|e| corrupt("schema_json", e))?),
                    None => None,
                };
                let format = match row.try_get::<Option<String>, _>("format")? {
                    Some(f) => Some(parse("format", &f)?),
                    None => None,
                };
                Ok(torro_model::Discovery {
                    id: row.try_get("id")?,
                    location: StorageLocation {
                        storage_type: parse("storage_type", &s("storage_type")?)?,
                        account: s("account")?,
                        container: s("container")?,
                    },
                    path: s("path")?,
                    folder: s("folder")?,
                    name: s("name")?,
                    extension: s("extension")?,
                    format,
                    size: row.try_get("size")?,
                    etag: row.try_get("etag")?,
                    last_modified: Self::opt_ts(row, "last_modified")?,
                    fingerprint: s("fingerprint")?,
                    row_count: row.try_get("row_count")?,
                    column_count: row.try_get("column_count")?,
                    schema,
                    schema_hash: row.try_get("schema_hash")?,
                    format_details: serde_json::from_str(&s("format_details")?)
                        .map_err(|e| corrupt("format_details", e))?,
                    status: parse("status", &s("status")?)?,
                    approval_status: parse("approval_status", &s("approval_status")?)?,
                    error: row.try_get("error")?,
                    labels: torro_model::SourceLabels {
                        source_name: s("source_name")?,
                        environment: s("environment")?,
                        env_type: s("env_type")?,
                        data_source_type: s("data_source_type")?,
                        tags: serde_json::from_str(&s("tags")?).map_err(|e| corrupt("tags", e))?,
                    },
                    first_seen: Self::ts(row, "first_seen")?,
                    last_seen: Self::ts(row, "last_seen")?,
                    last_changed: Self::ts(row, "last_changed")?,
                    deleted: row.try_get("deleted")?,
                    deleted_at: Self::opt_ts(row, "deleted_at")?,
                    last_scan_id: row.try_get("last_scan_id")?,
                    dataset_id: row.try_get("dataset_id")?,
                    partition_values: row
                        .try_get::<Option<String>, _>("partition_values")?
                        .map(|j| serde_json::from_str(&j).map_err(|e| corrupt("partition_values", e)))
                        .transpose()?,
                })
            }

            pub(crate) fn scan_run(row: &<$db as Database>::Row) -> Result<torro_model::ScanRun> {
                use sqlx::Row;
                Ok(torro_model::ScanRun {
                    id: row.try_get("id")?,
                    trigger: row.try_get("trigger_kind")?,
                    target: row.try_get("target")?,
                    status: parse("scan status", &row.try_get::<String, _>("status")?)?,
                    started_at: Self::ts(row, "started_at")?,
                    finished_at: Self::opt_ts(row, "finished_at")?,
                    duration_ms: row.try_get("duration_ms")?,
                    counts: torro_model::ScanCounts {
                        listed: row.try_get("listed")?,
                        new: row.try_get("new_count")?,
                        changed: row.try_get("changed")?,
                        unchanged: row.try_get("unchanged")?,
                        deleted: row.try_get("deleted_count")?,
                        failed: row.try_get("failed")?,
                        bytes_read: row.try_get("bytes_read")?,
                        requests: row.try_get("requests")?,
                    },
                    message: row.try_get("message")?,
                    error_count: row.try_get("error_count")?,
                })
            }

            fn connection(row: &<$db as Database>::Row) -> Result<Connection> {
                use sqlx::Row;
                let s = |c: &str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
                let name = s("name")?;
                Ok(Connection {
                    id: row.try_get("id")?,
                    connector_type: parse("connector_type", &s("connector_type")?)?,
                    connection_type: s("connection_type")?,
                    config: serde_json::from_str(&s("config_json")?).map_err(|e| corrupt("config_json", e))?,
                    secret_names: serde_json::from_str(&s("secret_names")?).map_err(|e| corrupt("secret_names", e))?,
                    status: s("status")?,
                    schedule: row.try_get("schedule")?,
                    labels: torro_model::SourceLabels {
                        source_name: name.clone(),
                        environment: s("environment")?,
                        env_type: s("env_type")?,
                        data_source_type: s("data_source_type")?,
                        tags: serde_json::from_str(&s("tags")?).map_err(|e| corrupt("tags", e))?,
                    },
                    name,
                    created_at: Self::ts(row, "created_at")?,
                    updated_at: Self::ts(row, "updated_at")?,
                    last_tested_at: Self::opt_ts(row, "last_tested_at")?,
                    last_test_error: row.try_get("last_test_error")?,
                })
            }

            /// Connection `id` read through `conn` (inside a transaction: locked for update).
            async fn connection_in(
                conn: &mut <$db as Database>::Connection,
                id: i64,
                lock: bool,
            ) -> Result<Option<Connection>> {
                let lock = if lock { <$db as Dialect>::FOR_UPDATE } else { "" };
                let row = Self::query(&format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE id = ?{lock}"), vec![Arg::I64(id)])
                    .fetch_optional(&mut *conn)
                    .await?;
                row.as_ref().map(Self::connection).transpose()
            }

            async fn audit_connection(
                conn: &mut <$db as Database>::Connection,
                id: i64,
                action: &str,
                actor: &torro_model::Actor,
                before: Option<&Connection>,
                after: Option<&Connection>,
            ) -> Result<()> {
                let audit = AuditRow {
                    entity_type: "connection",
                    entity_id: id,
                    action,
                    actor,
                    at: now(),
                    before: before.map(connection_audit),
                    after: after.map(connection_audit),
                    comment: None,
                };
                Self::insert_audit(conn, audit).await
            }

            /// Writes one `audit_log` row through `conn` (the mutation's own transaction).
            pub(crate) async fn insert_audit(conn: &mut <$db as Database>::Connection, row: AuditRow<'_>) -> Result<()> {
                Self::query(
                    "INSERT INTO audit_log (entity_type, entity_id, action, actor, role, source_ip, at, before_json, \
                     after_json, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        Arg::Str(row.entity_type.into()),
                        Arg::I64(row.entity_id),
                        Arg::Str(row.action.into()),
                        Arg::Str(row.actor.name.clone()),
                        Arg::OptStr(row.actor.role.clone()),
                        Arg::OptStr(row.actor.source_ip.clone()),
                        Arg::Ts(row.at),
                        Arg::OptStr(row.before.map(|v| v.to_string())),
                        Arg::OptStr(row.after.map(|v| v.to_string())),
                        Arg::OptStr(row.comment),
                    ],
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// An `audit_log` row read back (`source_ip` included).
            pub(crate) fn audit_entry(r: &<$db as Database>::Row) -> Result<torro_model::AuditEntry> {
                use sqlx::Row;
                let json = |c: &str| -> Result<Option<serde_json::Value>> {
                    r.try_get::<Option<String>, _>(c)?
                        .map(|s| serde_json::from_str(&s).map_err(|e| corrupt(c, e)))
                        .transpose()
                };
                Ok(torro_model::AuditEntry {
                    id: r.try_get("id")?,
                    entity_type: r.try_get("entity_type")?,
                    entity_id: r.try_get("entity_id")?,
                    action: r.try_get("action")?,
                    actor: r.try_get("actor")?,
                    role: r.try_get("role")?,
                    source_ip: r.try_get("source_ip")?,
                    at: Self::ts(r, "at")?,
                    before: json("before_json")?,
                    after: json("after_json")?,
                    comment: r.try_get("comment")?,
                })
            }

            /// Runs an INSERT and returns the new row's id (RETURNING, or LAST_INSERT_ID()).
            pub(crate) async fn insert_id(
                conn: &mut <$db as Database>::Connection,
                sql: &str,
                args: Vec<Arg>,
            ) -> Result<i64, sqlx::Error> {
                use sqlx::Row;
                if <$db as Dialect>::RETURNING {
                    let row = Self::query(&format!("{sql} RETURNING id"), args).fetch_one(&mut *conn).await?;
                    row.try_get::<i64, _>(0)
                } else {
                    let res = Self::query(sql, args).execute(&mut *conn).await?;
                    <$db as Dialect>::last_insert_id(&res)
                        .ok_or_else(|| sqlx::Error::Protocol("no insert id returned".into()))
                }
            }

            /// Runs an INSERT that skips the row when `unique_col` already holds its value
            /// (another transaction inserted it); the new row's id, or `None` when skipped.
            pub(crate) async fn insert_id_unless_exists(
                conn: &mut <$db as Database>::Connection,
                sql: &str,
                unique_col: &str,
                args: Vec<Arg>,
            ) -> Result<Option<i64>> {
                use sqlx::Row;
                let sql = format!("{sql}{}", <$db as Dialect>::on_conflict_ignore(unique_col));
                if <$db as Dialect>::RETURNING {
                    let row = Self::query(&format!("{sql} RETURNING id"), args).fetch_optional(&mut *conn).await?;
                    Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
                } else {
                    let res = Self::query(&sql, args).execute(&mut *conn).await?;
                    // MySQL's ON DUPLICATE KEY UPDATE reports 0 rows for a skipped duplicate.
                    Ok(if res.rows_affected() == 1 { <$db as Dialect>::last_insert_id(&res) } else { None })
                }
            }

            pub(crate) async fn count(&self, sql: &str, args: Vec<Arg>) -> Result<i64> {
                use sqlx::Row;
                let row = Self::query(sql, args).fetch_one(&self.pool).await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            /// Upserts one observation inside the batch's transaction.
            async fn apply_one(
                conn: &mut <$db as Database>::Connection,
                scan_id: i64,
                o: &Observation,
            ) -> Result<torro_model::UpsertResult> {
                use sqlx::Row;
                let key = location_key(&o.location, &o.path);
                let v = RowValues::of(o)?;
                let seen = o.seen_at;
                let (dataset_id, partition_values) = match torro_model::dataset_of(&o.path) {
                    Some(dataset) => {
                        let values = (!dataset.partitions.is_empty())
                            .then(|| serde_json::to_string(&dataset.partitions))
                            .transpose()
                            .map_err(|e| corrupt("partition_values", e))?;
                        (Some(Self::ensure_dataset(&mut *conn, o, &dataset).await?), values)
                    }
                    None => (None, None),
                };
                let select_existing = format!(
                    "SELECT id, fingerprint, schema_hash, status, error, deleted, last_changed \
                     FROM discoveries WHERE location_key = ?{}",
                    <$db as Dialect>::FOR_UPDATE
                );
                let mut existing = Self::query(&select_existing, vec![Arg::Str(key.clone())])
                    .fetch_optional(&mut *conn)
                    .await?;

                let content = vec![
                    Arg::Str(v.folder),
                    Arg::Str(v.name),
                    Arg::Str(v.extension),
                    Arg::OptStr(v.format),
                    Arg::I64(o.size),
                    Arg::OptStr(o.etag.clone()),
                    Arg::OptTs(o.last_modified),
                    Arg::Str(o.fingerprint.clone()),
                    Arg::OptI64(o.row_count),
                    Arg::OptI64(v.column_count),
                    Arg::OptStr(v.schema_json),
                    Arg::OptStr(v.schema_hash.clone()),
                    Arg::Str(v.format_details),
                    Arg::Str(v.status.as_str().into()),
                    Arg::OptStr(o.error.clone()),
                    Arg::Str(o.labels.source_name.clone()),
                    Arg::Str(o.labels.environment.clone()),
                    Arg::Str(o.labels.env_type.clone()),
                    Arg::Str(o.labels.data_source_type.clone()),
                    Arg::Str(v.tags),
                    Arg::Str(v.search_doc.clone()),
                    Arg::OptI64(dataset_id),
                    Arg::OptStr(partition_values),
                ];
                let mut inserted = None;
                if existing.is_none() {
                    let mut args = vec![
                        Arg::Str(key.clone()),
                        Arg::Str(o.location.storage_type.as_str().into()),
                        Arg::Str(o.location.account.clone()),
                        Arg::Str(o.location.container.clone()),
                        Arg::Str(o.path.clone()),
                    ];
                    args.extend(content.iter().cloned());
                    args.extend([
                        Arg::Str(ApprovalStatus::Pending.as_str().into()),
                        Arg::Ts(seen),
                        Arg::Ts(seen),
                        Arg::Ts(seen),
                        Arg::I64(scan_id),
                    ]);
                    let sql = format!(
                        "INSERT INTO discoveries (location_key, storage_type, account, container, path, \
                         folder, name, extension, format, size, etag, last_modified, fingerprint, row_count, \
                         column_count, schema_json, schema_hash, format_details, status, error, source_name, \
                         environment, env_type, data_source_type, tags, search_doc, dataset_id, \
                         partition_values, approval_status, first_seen, last_seen, last_changed, deleted, \
                         last_scan_id) VALUES ({}, FALSE, ?)",
                        placeholders(32)
                    );
                    inserted = Self::insert_id_unless_exists(&mut *conn, &sql, "location_key", args).await?;
                    if inserted.is_none() {
                        // Another scan (workers run in parallel) inserted this path after our
                        // read and committed: update its row instead of failing the batch.
                        existing = Self::query(&select_existing, vec![Arg::Str(key.clone())])
                            .fetch_optional(&mut *conn)
                            .await?;
                    }
                }
                let (id, outcome) = match (inserted, existing) {
                    (Some(id), _) => (id, torro_model::UpsertOutcome::Inserted),
                    (None, None) => return Err(CatalogError::Corrupt(format!("discovery {} vanished", o.path))),
                    (None, Some(row)) => {
                        let id: i64 = row.try_get("id")?;
                        let unchanged = row.try_get::<String, _>("fingerprint")? == o.fingerprint
                            && row.try_get::<Option<String>, _>("schema_hash")? == v.schema_hash
                            && row.try_get::<String, _>("status")? == v.status.as_str()
                            && row.try_get::<Option<String>, _>("error")? == o.error
                            && !row.try_get::<bool, _>("deleted")?;
                        let last_changed = if unchanged { Self::ts(&row, "last_changed")? } else { seen };
                        let mut args = content;
                        args.extend([Arg::Ts(seen), Arg::Ts(last_changed), Arg::I64(scan_id), Arg::I64(id)]);
                        Self::query(
                            "UPDATE discoveries SET folder = ?, name = ?, extension = ?, format = ?, size = ?, \
                             etag = ?, last_modified = ?, fingerprint = ?, row_count = ?, column_count = ?, \
                             schema_json = ?, schema_hash = ?, format_details = ?, status = ?, error = ?, \
                             source_name = ?, environment = ?, env_type = ?, data_source_type = ?, tags = ?, \
                             search_doc = ?, dataset_id = ?, partition_values = ?, \
                             last_seen = ?, last_changed = ?, last_scan_id = ?, \
                             deleted = FALSE, deleted_at = NULL WHERE id = ?",
                            args,
                        )
                        .execute(&mut *conn)
                        .await?;
                        (id, torro_model::UpsertOutcome::Updated)
                    }
                };

                if <$db as Dialect>::SEPARATE_FTS_TABLE {
                    Self::query("DELETE FROM discoveries_fts WHERE rowid = ?", vec![Arg::I64(id)])
                        .execute(&mut *conn)
                        .await?;
                    Self::query(
                        "INSERT INTO discoveries_fts (rowid, doc) VALUES (?, ?)",
                        vec![Arg::I64(id), Arg::Str(v.search_doc)],
                    )
                    .execute(&mut *conn)
                    .await?;
                }

                let mut schema_changed = false;
                if let (Some(schema), Some(hash)) = (&o.schema, &v.schema_hash) {
                    let latest = Self::query(
                        &format!(
                            "SELECT version, schema_hash, schema_json FROM schema_versions \
                             WHERE discovery_id = ? ORDER BY version DESC LIMIT 1{}",
                            // Locking read: on MySQL it sees a version another scan committed
                            // after this transaction's snapshot (the discovery row lock orders us).
                            <$db as Dialect>::FOR_UPDATE
                        ),
                        vec![Arg::I64(id)],
                    )
                    .fetch_optional(&mut *conn)
                    .await?;
                    let (next, diff) = match latest {
                        None => (1, None),
                        Some(r) if r.try_get::<String, _>("schema_hash")? == *hash => (0, None),
                        Some(r) => {
                            let prev: torro_model::Schema = serde_json::from_str(&r.try_get::<String, _>("schema_json")?)
                                .map_err(|e| corrupt("schema_versions.schema_json", e))?;
                            let diff = torro_model::SchemaDiff::between(&prev, schema);
                            (r.try_get::<i64, _>("version")? + 1, Some(diff))
                        }
                    };
                    if next > 0 {
                        let diff_json =
                            diff.map(|d| serde_json::to_string(&d)).transpose().map_err(|e| corrupt("diff", e))?;
                        let schema_json = serde_json::to_string(schema).map_err(|e| corrupt("schema", e))?;
                        Self::query(
                            "INSERT INTO schema_versions (discovery_id, version, schema_hash, schema_json, \
                             diff_json, seen_at, scan_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            vec![
                                Arg::I64(id),
                                Arg::I64(next),
                                Arg::Str(hash.clone()),
                                Arg::Str(schema_json),
                                Arg::OptStr(diff_json),
                                Arg::Ts(seen),
                                Arg::I64(scan_id),
                            ],
                        )
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| map_unique(e, || format!("schema version {next} of discovery {id}")))?;
                        schema_changed = true;
                    }
                }
                Ok(torro_model::UpsertResult { id, outcome, schema_changed })
            }

            /// The id of the dataset `key` names in `o`'s store, inserted when missing (in the
            /// batch's transaction); partition columns it has not seen yet are appended.
            async fn ensure_dataset(
                conn: &mut <$db as Database>::Connection,
                o: &Observation,
                key: &torro_model::DatasetKey,
            ) -> Result<i64> {
                use sqlx::Row;
                let lk = location_key(&o.location, &key.path);
                let select = "SELECT id, partition_columns FROM datasets WHERE location_key = ?";
                let mut row = Self::query(select, vec![Arg::Str(lk.clone())]).fetch_optional(&mut *conn).await?;
                if row.is_none() {
                    let columns = serde_json::to_string(&key.columns()).map_err(|e| corrupt("partition_columns", e))?;
                    Self::query(
                        &format!(
                            "INSERT INTO datasets (location_key, storage_type, account, container, path, \
                             partition_columns, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?){}",
                            <$db as Dialect>::on_conflict_ignore("location_key")
                        ),
                        vec![
                            Arg::Str(lk.clone()),
                            Arg::Str(o.location.storage_type.as_str().into()),
                            Arg::Str(o.location.account.clone()),
                            Arg::Str(o.location.container.clone()),
                            Arg::Str(key.path.clone()),
                            Arg::Str(columns),
                            Arg::Ts(o.seen_at),
                        ],
                    )
                    .execute(&mut *conn)
                    .await?;
                    // A locking read sees a row another transaction committed meanwhile
                    // (MySQL's plain reads keep the transaction's first snapshot).
                    row = Self::query(&format!("{select}{}", <$db as Dialect>::FOR_UPDATE), vec![Arg::Str(lk.clone())])
                        .fetch_optional(&mut *conn)
                        .await?;
                }
                let row = row.ok_or_else(|| CatalogError::Corrupt(format!("dataset {:?} vanished", key.path)))?;
                let id: i64 = row.try_get("id")?;
                let known: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("partition_columns")?)
                    .map_err(|e| corrupt("partition_columns", e))?;
                if key.partitions.iter().any(|(c, _)| !known.contains(c)) {
                    let row = Self::query(
                        &format!("SELECT partition_columns FROM datasets WHERE id = ?{}", <$db as Dialect>::FOR_UPDATE),
                        vec![Arg::I64(id)],
                    )
                    .fetch_one(&mut *conn)
                    .await?;
                    let mut columns: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("partition_columns")?)
                        .map_err(|e| corrupt("partition_columns", e))?;
                    for c in key.columns() {
                        if !columns.contains(&c) {
                            columns.push(c);
                        }
                    }
                    let columns = serde_json::to_string(&columns).map_err(|e| corrupt("partition_columns", e))?;
                    Self::query("UPDATE datasets SET partition_columns = ? WHERE id = ?", vec![Arg::Str(columns), Arg::I64(id)])
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(id)
            }

            /// Datasets (with aggregates, formats and current schema) selected by `dataset_select`.
            async fn datasets(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<torro_model::Dataset>> {
                use sqlx::Row;
                let rows = Self::query(sql, args).fetch_all(&self.pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let s = |c: &str| -> Result<String> { Ok(r.try_get::<String, _>(c)?) };
                    let location = StorageLocation {
                        storage_type: parse("storage_type", &s("storage_type")?)?,
                        account: s("account")?,
                        container: s("container")?,
                    };
                    let path = s("path")?;
                    let schema: Option<torro_model::Schema> = r
                        .try_get::<Option<String>, _>("schema_json")?
                        .map(|j| serde_json::from_str(&j).map_err(|e| corrupt("schema_json", e)))
                        .transpose()?;
                    out.push(torro_model::Dataset {
                        id: r.try_get("id")?,
                        urn: torro_model::Dataset::urn_of(&location, &path),
                        location,
                        path,
                        partition_columns: serde_json::from_str(&s("partition_columns")?)
                            .map_err(|e| corrupt("partition_columns", e))?,
                        file_count: r.try_get("file_count")?,
                        deleted_file_count: r.try_get("deleted_file_count")?,
                        total_size: r.try_get("total_size")?,
                        formats: Vec::new(),
                        partition_count: r.try_get("partition_count")?,
                        schema_hash: schema.as_ref().map(torro_model::Schema::hash),
                        schema,
                        distinct_schema_count: r.try_get("distinct_schema_count")?,
                        first_seen: Self::ts(r, "first_seen")?,
                        last_changed: Self::ts(r, "last_changed")?,
                    });
                }
                if out.is_empty() {
                    return Ok(out);
                }
                let rows = Self::query(
                    &format!(
                        "SELECT DISTINCT d.dataset_id, d.format FROM discoveries d WHERE d.deleted = FALSE \
                         AND d.format IS NOT NULL AND d.dataset_id IN ({}) ORDER BY d.format",
                        placeholders(out.len())
                    ),
                    out.iter().map(|d| Arg::I64(d.id)).collect(),
                )
                .fetch_all(&self.pool)
                .await?;
                for r in &rows {
                    let id: i64 = r.try_get("dataset_id")?;
                    if let Some(d) = out.iter_mut().find(|d| d.id == id) {
                        d.formats.push(r.try_get("format")?);
                    }
                }
                Ok(out)
            }

            /// Row counts by value of `col` among the discoveries `where_sql` selects.
            async fn group_counts(
                &self,
                col: &str,
                where_sql: &str,
                args: Vec<Arg>,
            ) -> Result<std::collections::BTreeMap<String, i64>> {
                use sqlx::Row;
                let rows = Self::query(
                    &format!(
                        "SELECT COALESCE(d.{col}, 'unknown') AS k, COUNT(*) AS n FROM discoveries d{where_sql} \
                         GROUP BY d.{col}"
                    ),
                    args,
                )
                .fetch_all(&self.pool)
                .await?;
                let mut out = std::collections::BTreeMap::new();
                for r in rows {
                    *out.entry(r.try_get::<String, _>("k")?).or_insert(0) += r.try_get::<i64, _>("n")?;
                }
                Ok(out)
            }
        }

        #[async_trait::async_trait]
        impl crate::CatalogStore for SqlStore<$db> {
            fn backend(&self) -> crate::Backend {
                <$db as Dialect>::BACKEND
            }

            fn jobs(&self) -> &dyn crate::JobStore {
                self
            }

            fn lineage(&self) -> &dyn crate::lineage::LineageStore {
                self
            }

            fn outbox(&self) -> &dyn crate::OutboxStore {
                self
            }

            fn auth(&self) -> &dyn crate::AuthStore {
                self
            }

            async fn migrate(&self) -> Result<()> {
                let migrator = migrator(&[
                    (1, "init", include_str!(concat!("../migrations/", $dir, "/0001_init.sql"))),
                    (2, "connections", include_str!(concat!("../migrations/", $dir, "/0002_connections.sql"))),
                    (3, "datasets", include_str!(concat!("../migrations/", $dir, "/0003_datasets.sql"))),
                    (4, "assets", include_str!(concat!("../migrations/", $dir, "/0004_assets.sql"))),
                    (5, "jobs", include_str!(concat!("../migrations/", $dir, "/0005_jobs.sql"))),
                    (6, "lineage", include_str!(concat!("../migrations/", $dir, "/0006_lineage.sql"))),
                    (7, "auth", include_str!(concat!("../migrations/", $dir, "/0007_auth.sql"))),
                ]);
                // PostgreSQL and MySQL: sqlx takes an advisory lock, so concurrent starts queue up.
                // SQLite has no such lock: two processes may race to record the same version and
                // one fails. Its migrations are idempotent (IF NOT EXISTS), so it simply retries.
                let mut conn = self.pool.acquire().await?;
                if let Some((lock, _)) = <$db as Dialect>::MIGRATION_LOCK {
                    use sqlx::Row;
                    let got: Option<i64> = Self::query(lock, vec![]).fetch_one(&mut *conn).await?.try_get(0)?;
                    if got != Some(1) {
                        return Err(CatalogError::Conflict("timed out waiting for another process's migration".into()));
                    }
                }
                let mut attempt = 0;
                let result = loop {
                    match migrator.run_direct(None, &mut *conn, false).await {
                        Ok(()) => break Ok(()),
                        Err(e) if <$db as Dialect>::BACKEND == crate::Backend::Sqlite && attempt < 5 => {
                            attempt += 1;
                            tracing::debug!("retrying SQLite migration after a concurrent start: {e}");
                            tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                        }
                        Err(e) => break Err(e.into()),
                    }
                };
                if let Some((_, unlock)) = <$db as Dialect>::MIGRATION_LOCK {
                    Self::query(unlock, vec![]).execute(&mut *conn).await?;
                }
                result
            }

            async fn health(&self) -> Result<()> {
                Self::query("SELECT 1", vec![]).execute(&self.pool).await?;
                Ok(())
            }

            async fn create_scan_run(&self, run: &torro_model::NewScanRun) -> Result<torro_model::ScanRun> {
                let mut conn = self.pool.acquire().await?;
                let id = Self::insert_id(
                    &mut *conn,
                    "INSERT INTO scan_runs (trigger_kind, target, status, started_at) VALUES (?, ?, ?, ?)",
                    vec![
                        Arg::Str(run.trigger.clone()),
                        Arg::Str(run.target.clone()),
                        Arg::Str(torro_model::ScanStatus::Running.as_str().into()),
                        Arg::Ts(run.started_at),
                    ],
                )
                .await?;
                drop(conn);
                self.get_scan_run(id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {id}")))
            }

            async fn update_scan_progress(&self, id: i64, c: &torro_model::ScanCounts) -> Result<()> {
                let res = Self::query(
                    "UPDATE scan_runs SET listed = ?, new_count = ?, changed = ?, unchanged = ?, deleted_count = ?, \
                     failed = ?, bytes_read = ?, requests = ? WHERE id = ?",
                    vec![
                        Arg::I64(c.listed),
                        Arg::I64(c.new),
                        Arg::I64(c.changed),
                        Arg::I64(c.unchanged),
                        Arg::I64(c.deleted),
                        Arg::I64(c.failed),
                        Arg::I64(c.bytes_read),
                        Arg::I64(c.requests),
                        Arg::I64(id),
                    ],
                )
                .execute(&self.pool)
                .await?;
                if res.rows_affected() == 0 {
                    return Err(CatalogError::NotFound(format!("scan run {id}")));
                }
                Ok(())
            }

            async fn finish_scan_run(
                &self,
                id: i64,
                status: torro_model::ScanStatus,
                c: &torro_model::ScanCounts,
                message: Option<&str>,
            ) -> Result<torro_model::ScanRun> {
                let run = self.get_scan_run(id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {id}")))?;
                let finished = now().max(run.started_at);
                let duration = (finished - run.started_at).num_milliseconds();
                Self::query(
                    "UPDATE scan_runs SET status = ?, finished_at = ?, duration_ms = ?, listed = ?, new_count = ?, \
                     changed = ?, unchanged = ?, deleted_count = ?, failed = ?, bytes_read = ?, requests = ?, \
                     message = ? WHERE id = ?",
                    vec![
                        Arg::Str(status.as_str().into()),
                        Arg::Ts(finished),
                        Arg::I64(duration),
                        Arg::I64(c.listed),
                        Arg::I64(c.new),
                        Arg::I64(c.changed),
                        Arg::I64(c.unchanged),
                        Arg::I64(c.deleted),
                        Arg::I64(c.failed),
                        Arg::I64(c.bytes_read),
                        Arg::I64(c.requests),
                        Arg::OptStr(message.map(str::to_string)),
                        Arg::I64(id),
                    ],
                )
                .execute(&self.pool)
                .await?;
                self.get_scan_run(id).await?.ok_or_else(|| CatalogError::NotFound(format!("scan run {id}")))
            }

            async fn record_scan_errors(&self, scan_id: i64, errors: &[torro_model::NewScanError]) -> Result<()> {
                if errors.is_empty() {
                    return Ok(());
                }
                let at = now();
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                for chunk in errors.chunks(500) {
                    let rows = vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ");
                    let mut args = Vec::with_capacity(chunk.len() * 5);
                    for e in chunk {
                        let kind = serde_json::to_value(e.kind).map_err(|e| corrupt("kind", e))?;
                        args.extend([
                            Arg::I64(scan_id),
                            Arg::Str(e.path.clone()),
                            Arg::Str(kind.as_str().unwrap_or_default().to_string()),
                            Arg::Str(e.message.clone()),
                            Arg::Ts(at),
                        ]);
                    }
                    Self::query(&format!("INSERT INTO scan_errors (scan_id, path, kind, message, at) VALUES {rows}"), args)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| match e.as_database_error() {
                            Some(d) if d.is_foreign_key_violation() => CatalogError::NotFound(format!("scan run {scan_id}")),
                            _ => CatalogError::Database(e),
                        })?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_scan_run(&self, id: i64) -> Result<Option<torro_model::ScanRun>> {
                let row = Self::query(&format!("SELECT {SCAN_RUN_COLUMNS} FROM scan_runs r WHERE r.id = ?"), vec![Arg::I64(id)])
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::scan_run).transpose()
            }

            async fn list_scan_runs(&self, page: u32, size: u32) -> Result<torro_model::Page<torro_model::ScanRun>> {
                let (limit, offset) = limits(page, size);
                let total = self.count("SELECT COUNT(*) FROM scan_runs", vec![]).await?;
                let rows = Self::query(
                    &format!("SELECT {SCAN_RUN_COLUMNS} FROM scan_runs r ORDER BY r.started_at DESC, r.id DESC LIMIT ? OFFSET ?"),
                    vec![Arg::I64(limit), Arg::I64(offset)],
                )
                .fetch_all(&self.pool)
                .await?;
                let items = rows.iter().map(Self::scan_run).collect::<Result<_>>()?;
                Ok(torro_model::Page { items, page, size: limit as u32, total })
            }

            async fn list_scan_errors(&self, scan_id: i64, page: u32, size: u32) -> Result<torro_model::Page<torro_model::ScanError>> {
                use sqlx::Row;
                let (limit, offset) = limits(page, size);
                let total = self.count("SELECT COUNT(*) FROM scan_errors WHERE scan_id = ?", vec![Arg::I64(scan_id)]).await?;
                let rows = Self::query(
                    "SELECT id, scan_id, path, kind, message, at FROM scan_errors WHERE scan_id = ? \
                     ORDER BY id ASC LIMIT ? OFFSET ?",
                    vec![Arg::I64(scan_id), Arg::I64(limit), Arg::I64(offset)],
                )
                .fetch_all(&self.pool)
                .await?;
                let mut items = Vec::with_capacity(rows.len());
                for r in &rows {
                    let kind: String = r.try_get("kind")?;
                    items.push(torro_model::ScanError {
                        id: r.try_get("id")?,
                        scan_id: r.try_get("scan_id")?,
                        path: r.try_get("path")?,
                        kind: serde_json::from_value(serde_json::Value::String(kind)).map_err(|e| corrupt("kind", e))?,
                        message: r.try_get("message")?,
                        at: Self::ts(r, "at")?,
                    });
                }
                Ok(torro_model::Page { items, page, size: limit as u32, total })
            }

            async fn for_each_known_object(
                &self,
                location: &StorageLocation,
                prefix: &str,
                visit: &mut (dyn FnMut(torro_model::KnownObject) + Send),
            ) -> Result<()> {
                use futures::TryStreamExt;
                use sqlx::Row;
                let mut sql = "SELECT id, path, fingerprint, deleted FROM discoveries \
                               WHERE storage_type = ? AND account = ? AND container = ?"
                    .to_string();
                let mut args = vec![
                    Arg::Str(location.storage_type.as_str().into()),
                    Arg::Str(location.account.clone()),
                    Arg::Str(location.container.clone()),
                ];
                if !prefix.is_empty() {
                    // A range on the (binary-collated) path uses the location index on every backend.
                    sql.push_str(" AND path >= ? AND path < ?");
                    args.push(Arg::Str(prefix.to_string()));
                    args.push(Arg::Str(format!("{prefix}\u{10FFFF}")));
                }
                // Streamed row by row, so a million entries never sit in memory as rows.
                let mut rows = Self::query(&sql, args).fetch(&self.pool);
                while let Some(r) = rows.try_next().await? {
                    let path: String = r.try_get("path")?;
                    if path.starts_with(prefix) {
                        visit(torro_model::KnownObject {
                            id: r.try_get("id")?,
                            path,
                            fingerprint: r.try_get("fingerprint")?,
                            deleted: r.try_get("deleted")?,
                        });
                    }
                }
                Ok(())
            }

            async fn apply_observations(&self, scan_id: i64, batch: &[Observation]) -> Result<Vec<torro_model::UpsertResult>> {
                let mut attempt = 0;
                loop {
                    let result: Result<Vec<torro_model::UpsertResult>> = async {
                        let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                        let mut out = Vec::with_capacity(batch.len());
                        for o in batch {
                            out.push(Self::apply_one(&mut *tx, scan_id, o).await?);
                        }
                        tx.commit().await?;
                        Ok(out)
                    }
                    .await;
                    match result {
                        Err(e) if attempt < DEADLOCK_RETRIES && is_deadlock(&e) => {
                            attempt += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
                        }
                        other => return other,
                    }
                }
            }

            async fn touch_seen(
                &self,
                scan_id: i64,
                ids: &[i64],
                seen_at: DateTime<Utc>,
                labels: &torro_model::SourceLabels,
            ) -> Result<()> {
                let tags = serde_json::to_string(&labels.tags).map_err(|e| corrupt("tags", e))?;
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                for chunk in ids.chunks(<$db as Dialect>::MAX_IN_LIST) {
                    let mut args = vec![
                        Arg::Ts(seen_at),
                        Arg::I64(scan_id),
                        Arg::Str(labels.source_name.clone()),
                        Arg::Str(labels.environment.clone()),
                        Arg::Str(labels.env_type.clone()),
                        Arg::Str(labels.data_source_type.clone()),
                        Arg::Str(tags.clone()),
                    ];
                    args.extend(chunk.iter().map(|id| Arg::I64(*id)));
                    Self::query(
                        &format!(
                            "UPDATE discoveries SET last_seen = ?, last_scan_id = ?, source_name = ?, environment = ?, \
                             env_type = ?, data_source_type = ?, tags = ? WHERE id IN ({})",
                            placeholders(chunk.len())
                        ),
                        args,
                    )
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn mark_deleted(&self, scan_id: i64, ids: &[i64], at: DateTime<Utc>) -> Result<u64> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let mut changed = 0;
                for chunk in ids.chunks(<$db as Dialect>::MAX_IN_LIST) {
                    let mut args = vec![Arg::Ts(at), Arg::Ts(at), Arg::I64(scan_id)];
                    args.extend(chunk.iter().map(|id| Arg::I64(*id)));
                    let res = Self::query(
                        &format!(
                            "UPDATE discoveries SET status = 'deleted', deleted = TRUE, deleted_at = ?, last_changed = ?, \
                             last_scan_id = ? WHERE deleted = FALSE AND id IN ({})",
                            placeholders(chunk.len())
                        ),
                        args,
                    )
                    .execute(&mut *tx)
                    .await?;
                    changed += res.rows_affected();
                }
                tx.commit().await?;
                Ok(changed)
            }

            async fn list_discoveries(&self, q: &DiscoveryQuery) -> Result<torro_model::Page<torro_model::Discovery>> {
                let (where_sql, args, order) = discovery_filter::<$db>(q);
                let (limit, offset) = limits(q.page, q.size);
                let total = self.count(&format!("SELECT COUNT(*) FROM discoveries d{where_sql}"), args.clone()).await?;
                let mut page_args = args;
                page_args.extend([Arg::I64(limit), Arg::I64(offset)]);
                let rows = Self::query(
                    &format!("SELECT {DISCOVERY_COLUMNS} FROM discoveries d{where_sql}{order} LIMIT ? OFFSET ?"),
                    page_args,
                )
                .fetch_all(&self.pool)
                .await?;
                let items = rows.iter().map(Self::discovery).collect::<Result<_>>()?;
                Ok(torro_model::Page { items, page: q.page, size: limit as u32, total })
            }

            async fn get_discovery(&self, id: i64) -> Result<Option<torro_model::Discovery>> {
                let row = Self::query(&format!("SELECT {DISCOVERY_COLUMNS} FROM discoveries d WHERE d.id = ?"), vec![Arg::I64(id)])
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::discovery).transpose()
            }

            async fn schema_history(&self, discovery_id: i64) -> Result<Vec<torro_model::SchemaVersion>> {
                use sqlx::Row;
                let rows = Self::query(
                    "SELECT id, discovery_id, version, schema_hash, schema_json, diff_json, seen_at, scan_id \
                     FROM schema_versions WHERE discovery_id = ? ORDER BY version ASC",
                    vec![Arg::I64(discovery_id)],
                )
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let diff = match r.try_get::<Option<String>, _>("diff_json")? {
                        Some(j) => Some(serde_json::from_str(&j).map_err(|e| corrupt("diff_json", e))?),
                        None => None,
                    };
                    out.push(torro_model::SchemaVersion {
                        id: r.try_get("id")?,
                        discovery_id: r.try_get("discovery_id")?,
                        version: r.try_get("version")?,
                        schema_hash: r.try_get("schema_hash")?,
                        schema: serde_json::from_str(&r.try_get::<String, _>("schema_json")?)
                            .map_err(|e| corrupt("schema_json", e))?,
                        diff,
                        seen_at: Self::ts(r, "seen_at")?,
                        scan_id: r.try_get("scan_id")?,
                    });
                }
                Ok(out)
            }

            async fn stats(&self) -> Result<torro_model::DiscoveryStats> {
                use sqlx::Row;
                let row = Self::query(
                    &format!(
                        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(size), 0) AS {}) AS bytes FROM discoveries \
                         WHERE deleted = FALSE",
                        <$db as Dialect>::BIGINT
                    ),
                    vec![],
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(torro_model::DiscoveryStats {
                    total: row.try_get("n")?,
                    total_size_bytes: row.try_get("bytes")?,
                    deleted: self.count("SELECT COUNT(*) FROM discoveries WHERE deleted = TRUE", vec![]).await?,
                    by_status: self.group_counts("status", LIVE, vec![]).await?,
                    by_approval_status: self.group_counts("approval_status", LIVE, vec![]).await?,
                    by_environment: self.group_counts("environment", LIVE, vec![]).await?,
                    by_data_source_type: self.group_counts("data_source_type", LIVE, vec![]).await?,
                    by_format: self.group_counts("format", LIVE, vec![]).await?,
                    by_storage_type: self.group_counts("storage_type", LIVE, vec![]).await?,
                })
            }

            async fn discovery_facets(&self, q: &DiscoveryQuery) -> Result<torro_model::DiscoveryFacets> {
                let (where_sql, args, _) = discovery_filter::<$db>(q);
                let counts = |col: &'static str| self.group_counts(col, &where_sql, args.clone());
                Ok(torro_model::DiscoveryFacets {
                    storage_type: counts("storage_type").await?,
                    account: counts("account").await?,
                    container: counts("container").await?,
                    format: counts("format").await?,
                    environment: counts("environment").await?,
                    data_source_type: counts("data_source_type").await?,
                    status: counts("status").await?,
                    approval_status: counts("approval_status").await?,
                })
            }

            async fn change_status(&self, id: i64, change: &torro_model::StatusChange) -> Result<torro_model::Discovery> {
                use sqlx::Row;
                let reason = change.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
                if change.to == ApprovalStatus::Rejected && reason.is_none() {
                    return Err(CatalogError::InvalidInput {
                        field: "rejection_reason".into(),
                        message: "a rejection needs a reason".into(),
                    });
                }
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let row = Self::query(
                    &format!("SELECT approval_status FROM discoveries WHERE id = ?{}", <$db as Dialect>::FOR_UPDATE),
                    vec![Arg::I64(id)],
                )
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| CatalogError::NotFound(format!("discovery {id}")))?;
                let from: ApprovalStatus = parse("approval_status", &row.try_get::<String, _>("approval_status")?)?;
                from.check_transition(change.to).map_err(|e| CatalogError::Conflict(e.to_string()))?;
                Self::query(
                    "UPDATE discoveries SET approval_status = ? WHERE id = ?",
                    vec![Arg::Str(change.to.as_str().into()), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                let before = json!({ "approval_status": from.as_str() });
                let mut after = json!({ "approval_status": change.to.as_str() });
                if let Some(r) = reason {
                    after["reason"] = json!(r);
                }
                let comment = match (change.comment.as_deref(), reason) {
                    (Some(c), Some(r)) if c != r => Some(format!("{r} — {c}")),
                    (Some(c), _) => Some(c.to_string()),
                    (None, r) => r.map(str::to_string),
                };
                Self::insert_audit(
                    &mut *tx,
                    AuditRow {
                        entity_type: "discovery",
                        entity_id: id,
                        action: action_of(change.to),
                        actor: &change.actor,
                        at: now(),
                        before: Some(before),
                        after: Some(after),
                        comment,
                    },
                )
                .await?;
                tx.commit().await?;
                self.get_discovery(id).await?.ok_or_else(|| CatalogError::NotFound(format!("discovery {id}")))
            }

            async fn audit_log(&self, entity_type: &str, entity_id: i64) -> Result<Vec<torro_model::AuditEntry>> {
                let rows = Self::query(
                    &format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE entity_type = ? AND entity_id = ? ORDER BY at DESC, id DESC"),
                    vec![Arg::Str(entity_type.into()), Arg::I64(entity_id)],
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::audit_entry).collect()
            }

            async fn create_connection(&self, row: &NewConnectionRow, actor: &torro_model::Actor) -> Result<Connection> {
                let at = now();
                let mut args = connection_args(row)?;
                args.extend([Arg::Ts(at), Arg::Ts(at)]);
                let sql = format!(
                    "INSERT INTO connections ({}, created_at, updated_at) VALUES ({})",
                    CONNECTION_WRITE_COLUMNS.join(", "),
                    placeholders(CONNECTION_WRITE_COLUMNS.len() + 2)
                );
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let id = Self::insert_id(&mut *tx, &sql, args)
                    .await
                    .map_err(|e| map_unique(e, || format!("connection {:?}", row.name)))?;
                let created = Self::connection_in(&mut *tx, id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("connection {id}")))?;
                Self::audit_connection(&mut *tx, id, "create", actor, None, Some(&created)).await?;
                tx.commit().await?;
                Ok(created)
            }

            async fn update_connection(&self, id: i64, row: &NewConnectionRow, actor: &torro_model::Actor) -> Result<Connection> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let before = Self::connection_in(&mut *tx, id, true)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("connection {id}")))?;
                let mut args = connection_args(row)?;
                args.extend([Arg::Ts(now().max(before.created_at)), Arg::I64(id)]);
                let sets: Vec<String> = CONNECTION_WRITE_COLUMNS.iter().map(|c| format!("{c} = ?")).collect();
                Self::query(&format!("UPDATE connections SET {}, updated_at = ? WHERE id = ?", sets.join(", ")), args)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| map_unique(e, || format!("connection {:?}", row.name)))?;
                let after = Self::connection_in(&mut *tx, id, false)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("connection {id}")))?;
                Self::audit_connection(&mut *tx, id, "update", actor, Some(&before), Some(&after)).await?;
                tx.commit().await?;
                Ok(after)
            }

            async fn get_connection(&self, id: i64) -> Result<Option<Connection>> {
                let mut conn = self.pool.acquire().await?;
                Self::connection_in(&mut *conn, id, false).await
            }

            async fn get_connection_by_name(&self, name: &str) -> Result<Option<Connection>> {
                let row = Self::query(&format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE name = ?"), vec![Arg::Str(name.into())])
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::connection).transpose()
            }

            async fn list_connections(&self) -> Result<Vec<Connection>> {
                let rows = Self::query(&format!("SELECT {CONNECTION_COLUMNS} FROM connections ORDER BY name ASC, id ASC"), vec![])
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::connection).collect()
            }

            async fn delete_connection(&self, id: i64, actor: &torro_model::Actor) -> Result<()> {
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let before = Self::connection_in(&mut *tx, id, true)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("connection {id}")))?;
                Self::query("DELETE FROM connections WHERE id = ?", vec![Arg::I64(id)])
                    .execute(&mut *tx)
                    .await?;
                Self::audit_connection(&mut *tx, id, "delete", actor, Some(&before), None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_connection_test(&self, id: i64, at: DateTime<Utc>, error: Option<&str>) -> Result<Connection> {
                let res = Self::query(
                    "UPDATE connections SET last_tested_at = ?, last_test_error = ? WHERE id = ?",
                    vec![Arg::Ts(at), Arg::OptStr(error.map(str::to_string)), Arg::I64(id)],
                )
                .execute(&self.pool)
                .await?;
                if res.rows_affected() == 0 {
                    return Err(CatalogError::NotFound(format!("connection {id}")));
                }
                self.get_connection(id).await?.ok_or_else(|| CatalogError::NotFound(format!("connection {id}")))
            }

            async fn connection_secrets(&self, id: i64) -> Result<Option<String>> {
                use sqlx::Row;
                let row = Self::query("SELECT secrets_ciphertext FROM connections WHERE id = ?", vec![Arg::I64(id)])
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or_else(|| CatalogError::NotFound(format!("connection {id}")))?;
                Ok(row.try_get::<Option<String>, _>("secrets_ciphertext")?)
            }

            async fn list_datasets(
                &self,
                page: u32,
                size: u32,
                search: Option<&str>,
            ) -> Result<torro_model::Page<torro_model::Dataset>> {
                let (limit, offset) = limits(page, size);
                let mut args = Vec::new();
                let terms = search.map(query_terms).unwrap_or_default();
                let outer_where = if terms.is_empty() {
                    String::new()
                } else {
                    format!(
                        " WHERE ds.id IN (SELECT d.dataset_id FROM discoveries d WHERE d.dataset_id IS NOT NULL \
                         AND d.deleted = FALSE AND ({}))",
                        <$db as Dialect>::search_condition(&terms, &mut args)
                    )
                };
                let total = self.count(&format!("SELECT COUNT(*) FROM datasets ds{outer_where}"), args.clone()).await?;
                args.extend([Arg::I64(limit), Arg::I64(offset)]);
                let sql = format!("{}{DATASET_ORDER} LIMIT ? OFFSET ?", dataset_select::<$db>("", &outer_where));
                let items = self.datasets(&sql, args).await?;
                Ok(torro_model::Page { items, page, size: limit as u32, total })
            }

            async fn get_dataset(&self, id: i64) -> Result<Option<torro_model::Dataset>> {
                let sql = dataset_select::<$db>(" AND d.dataset_id = ?", " WHERE ds.id = ?");
                Ok(self.datasets(&sql, vec![Arg::I64(id), Arg::I64(id)]).await?.pop())
            }

            fn assets(&self) -> &dyn crate::AssetStore {
                self
            }
        }
    };
}

impl_catalog_store!(sqlx::Sqlite, "sqlite");
impl_catalog_store!(sqlx::Postgres, "postgres");
impl_catalog_store!(sqlx::MySql, "mysql");
