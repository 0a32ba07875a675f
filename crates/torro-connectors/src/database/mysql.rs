//! MySQL and MariaDB: information_schema, in a READ ONLY transaction with a statement
//! timeout. A MySQL database is the catalog of its objects; the schema part is empty
//! (OpenLineage names them `{db}.{table}`). information_schema shows only objects the
//! user has some privilege on, so a restricted user simply sees fewer objects.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::mysql::{MySqlConnectOptions, MySqlRow};
use sqlx::{AssertSqlSafe, Connection, MySqlConnection, Row};
use torro_model::{AssetColumn, AssetDefinition, AssetType, DatabaseConfig, ObservedAsset};

use super::{ByTable, DatabaseError, DatabaseScan, DatabaseSource, connect_error, keep, name, text};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const SYSTEM_SCHEMAS: [&str; 4] = ["mysql", "information_schema", "performance_schema", "sys"];

pub struct MySqlSource {
    config: DatabaseConfig,
}

impl MySqlSource {
    pub fn new(config: DatabaseConfig) -> Self {
        MySqlSource { config }
    }

    async fn connect(&self) -> Result<MySqlConnection, DatabaseError> {
        let s = &self.config.settings;
        let mut options = MySqlConnectOptions::new()
            .host(s.host.as_deref().unwrap_or("localhost"))
            .port(s.port.unwrap_or(3306))
            .username(s.user.as_deref().unwrap_or_default());
        if let Some(db) = &s.database {
            options = options.database(db);
        }
        if let Some(p) = self.config.password() {
            options = options.password(p);
        }
        let mut conn = match tokio::time::timeout(CONNECT_TIMEOUT, MySqlConnection::connect_with(&options)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(connect_error(&self.config, e)),
            Err(_) => return Err(connect_error(&self.config, "timed out")),
        };
        // MariaDB names the timeout in seconds, MySQL in milliseconds; each ignores the other's.
        let secs = self.config.statement_timeout().as_secs();
        for sql in [
            format!("SET SESSION max_statement_time = {secs}"),
            format!("SET SESSION max_execution_time = {}", secs * 1000),
        ] {
            let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
        }
        Ok(conn)
    }
}

fn key(r: &MySqlRow) -> (String, String) {
    (name(r, 0), name(r, 1))
}

/// An integer column of any width and signedness (information_schema differs by server).
fn int(r: &MySqlRow, i: usize) -> Option<i64> {
    r.try_get::<Option<i64>, _>(i)
        .ok()
        .flatten()
        .or_else(|| r.try_get::<Option<u64>, _>(i).ok().flatten().map(|v| v as i64))
        .or_else(|| r.try_get::<Option<u32>, _>(i).ok().flatten().map(i64::from))
        .or_else(|| r.try_get::<Option<i32>, _>(i).ok().flatten().map(i64::from))
}

/// `sql` with `IN (?, ?, ...)` for `schemas`, run with them bound.
async fn fetch(conn: &mut MySqlConnection, sql: &str, schemas: &[String]) -> Result<Vec<MySqlRow>, sqlx::Error> {
    let list = vec!["?"; schemas.len().max(1)].join(", ");
    let sql = sql.replace("IN (?)", &format!("IN ({list})"));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    if schemas.is_empty() {
        q = q.bind("");
    }
    for s in schemas {
        q = q.bind(s);
    }
    q.fetch_all(conn).await
}

#[async_trait]
impl DatabaseSource for MySqlSource {
    fn namespace(&self) -> String {
        self.config.namespace()
    }

    async fn test_connection(&self) -> Result<(), DatabaseError> {
        let mut conn = self.connect().await?;
        sqlx::query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(|e| DatabaseError::Query(format!("test query failed: {e}")))?;
        let _ = conn.close().await;
        Ok(())
    }

    async fn scan(&self) -> Result<DatabaseScan, DatabaseError> {
        let mut conn = self.connect().await?;
        let mut tx = conn
            .begin_with("START TRANSACTION READ ONLY")
            .await
            .map_err(|e| DatabaseError::Query(format!("cannot open a read-only transaction: {e}")))?;
        let filter = self.config.filter();
        let mut scan = DatabaseScan::default();
        let rows = sqlx::query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| DatabaseError::Query(format!("cannot list databases: {e}")))?;
        // With a database in the settings and no schema patterns, that database only.
        let only = match (&self.config.settings.database, filter.include_schemas.is_empty()) {
            (Some(db), true) => Some(db.clone()),
            _ => None,
        };
        let schemas: Vec<String> = rows
            .iter()
            .map(|r| name(r, 0))
            .filter(|s| !SYSTEM_SCHEMAS.contains(&s.to_lowercase().as_str()))
            .filter(|s| only.as_ref().is_none_or(|o| o == s))
            .filter(|s| filter.schema(s))
            .collect();

        let columns = match fetch(
            &mut tx,
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, \
             COLUMN_DEFAULT, COLUMN_COMMENT, COLUMN_KEY FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION",
            &schemas,
        )
        .await
        {
            Ok(rows) => {
                let mut by: ByTable<AssetColumn> = ByTable::new();
                for r in &rows {
                    by.entry(key(r)).or_default().push(AssetColumn {
                        name: name(r, 2),
                        ordinal: int(r, 3).unwrap_or_default(),
                        data_type: name(r, 4),
                        nullable: name(r, 5) == "YES",
                        default: text(r, 6),
                        comment: text(r, 7).filter(|c| !c.is_empty()),
                        is_pk: name(r, 8) == "PRI",
                    });
                }
                Some(by)
            }
            Err(e) => {
                scan.error("columns", format!("cannot read columns: {e}"));
                None
            }
        };
        let mut foreign_keys: ByTable<Value> = ByTable::new();
        match fetch(
            &mut tx,
            "SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA, \
             REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA IN (?) AND REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION",
            &schemas,
        )
        .await
        {
            Ok(rows) => {
                for r in &rows {
                    foreign_keys.entry(key(r)).or_default().push(json!({
                        "name": name(r, 2),
                        "column": name(r, 3),
                        "references": format!("{}.{}.{}", name(r, 4), name(r, 5), name(r, 6)),
                    }));
                }
            }
            Err(e) => scan.error("foreign keys", format!("cannot read foreign keys: {e}")),
        }
        let mut indexes: ByTable<Value> = ByTable::new();
        match fetch(
            &mut tx,
            "SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            &schemas,
        )
        .await
        {
            Ok(rows) => {
                for r in &rows {
                    indexes.entry(key(r)).or_default().push(json!({
                        "name": name(r, 2),
                        "unique": int(r, 3) == Some(0),
                        "column": name(r, 4),
                    }));
                }
            }
            Err(e) => scan.error("indexes", format!("cannot read indexes: {e}")),
        }
        let mut views: ByTable<String> = ByTable::new();
        match fetch(
            &mut tx,
            "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN (?)",
            &schemas,
        )
        .await
        {
            Ok(rows) => {
                for r in &rows {
                    views.entry(key(r)).or_default().push(name(r, 2));
                }
            }
            Err(e) => scan.error("views", format!("cannot read view definitions: {e}")),
        }

        let tables = fetch(
            &mut tx,
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ENGINE, TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH, \
             CAST(CREATE_TIME AS CHAR), CAST(UPDATE_TIME AS CHAR), TABLE_COMMENT, TABLE_COLLATION, \
             CREATE_OPTIONS FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (?) ORDER BY TABLE_SCHEMA, TABLE_NAME",
            &schemas,
        )
        .await;
        match (tables, &columns) {
            (Ok(rows), Some(columns)) => {
                for r in &rows {
                    let (db, table) = key(r);
                    if !keep(&filter, &db, &table) {
                        continue;
                    }
                    let k = (db.clone(), table.clone());
                    let table_type = name(r, 2);
                    let is_view = table_type == "VIEW";
                    let cols = columns.get(&k).cloned().unwrap_or_default();
                    let pk: Vec<String> = cols.iter().filter(|c| c.is_pk).map(|c| c.name.clone()).collect();
                    let size = match (int(r, 5), int(r, 6)) {
                        (None, None) => None,
                        (d, i) => Some(d.unwrap_or(0) + i.unwrap_or(0)),
                    };
                    // A view's comment is "VIEW" (or an error text for a broken view) in MySQL.
                    let comment = text(r, 9).filter(|c| !(c.is_empty() || is_view && c == "VIEW"));
                    scan.objects.push(ObservedAsset {
                        asset_type: if is_view { AssetType::View } else { AssetType::Table },
                        catalog: db,
                        schema: String::new(),
                        name: table,
                        columns: cols,
                        technical_metadata: json!({
                            "table_type": table_type,
                            "engine": text(r, 3),
                            "row_estimate": int(r, 4),
                            "size_bytes": size,
                            "collation": text(r, 10),
                            "create_options": text(r, 11).filter(|o| !o.is_empty()),
                            "primary_key": pk,
                            "foreign_keys": foreign_keys.get(&k).cloned().unwrap_or_default(),
                            "indexes": indexes.get(&k).cloned().unwrap_or_default(),
                        }),
                        operational_metadata: json!({"created": text(r, 7), "last_updated": text(r, 8)}),
                        comment,
                        definition: views
                            .get(&k)
                            .and_then(|v| v.first().cloned())
                            .map(|text| AssetDefinition {
                                language: "mysql".into(),
                                text,
                            }),
                    });
                }
            }
            (Err(e), _) => {
                scan.error("tables", format!("cannot list tables and views: {e}"));
                scan.incomplete.extend(schemas.iter().cloned());
            }
            (Ok(_), None) => scan.incomplete.extend(schemas.iter().cloned()),
        }

        match fetch(
            &mut tx,
            "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION, ROUTINE_COMMENT, DEFINER, \
             CAST(CREATED AS CHAR), CAST(LAST_ALTERED AS CHAR), DTD_IDENTIFIER FROM information_schema.ROUTINES \
             WHERE ROUTINE_SCHEMA IN (?) ORDER BY ROUTINE_SCHEMA, ROUTINE_NAME",
            &schemas,
        )
        .await
        {
            Ok(rows) => {
                for r in &rows {
                    let (db, routine) = key(r);
                    if !keep(&filter, &db, &routine) {
                        continue;
                    }
                    scan.objects.push(ObservedAsset {
                        asset_type: if name(r, 2) == "PROCEDURE" {
                            AssetType::Procedure
                        } else {
                            AssetType::Function
                        },
                        catalog: db,
                        schema: String::new(),
                        name: routine,
                        columns: Vec::new(),
                        technical_metadata: json!({"returns": text(r, 8)}),
                        operational_metadata: json!({"owner": text(r, 5), "created": text(r, 6), "last_ddl": text(r, 7)}),
                        comment: text(r, 4).filter(|c| !c.is_empty()),
                        // NULL when the user may run but not read the routine.
                        definition: text(r, 3).map(|text| AssetDefinition {
                            language: "mysql".into(),
                            text,
                        }),
                    });
                }
            }
            Err(e) => {
                scan.error("routines", format!("cannot read routines: {e}"));
                scan.incomplete.extend(schemas.iter().cloned());
            }
        }

        match fetch(
            &mut tx,
            "SELECT TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME, ACTION_TIMING, EVENT_MANIPULATION, \
             ACTION_STATEMENT, DEFINER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA IN (?) \
             ORDER BY TRIGGER_SCHEMA, EVENT_OBJECT_TABLE, TRIGGER_NAME",
            &schemas,
        )
        .await
        {
            Ok(rows) => {
                for r in &rows {
                    let (db, table) = key(r);
                    if !keep(&filter, &db, &table) {
                        continue;
                    }
                    scan.objects.push(ObservedAsset {
                        asset_type: AssetType::Trigger,
                        catalog: db,
                        schema: String::new(),
                        name: format!("{table}.{}", name(r, 2)),
                        columns: Vec::new(),
                        technical_metadata: json!({"table": table, "timing": text(r, 3), "event": text(r, 4)}),
                        operational_metadata: json!({"owner": text(r, 6)}),
                        comment: None,
                        definition: text(r, 5).map(|text| AssetDefinition {
                            language: "mysql".into(),
                            text,
                        }),
                    });
                }
            }
            Err(e) => {
                scan.error("triggers", format!("cannot read triggers: {e}"));
                scan.incomplete.extend(schemas.iter().cloned());
            }
        }
        let _ = tx.rollback().await;
        Ok(scan)
    }
}
