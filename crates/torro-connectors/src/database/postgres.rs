//! PostgreSQL: pg_catalog (which shows every object, whatever the user may read) in one
//! REPEATABLE READ, READ ONLY transaction, so all queries see one snapshot.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{Connection, PgConnection, Row};
use torro_model::{AssetColumn, AssetDefinition, AssetType, DatabaseConfig, ObservedAsset};

use super::{ByTable, DatabaseError, DatabaseScan, DatabaseSource, connect_error, keep, name, text};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

pub struct PostgresSource {
    config: DatabaseConfig,
}

impl PostgresSource {
    pub fn new(config: DatabaseConfig) -> Self {
        PostgresSource { config }
    }

    async fn connect(&self) -> Result<PgConnection, DatabaseError> {
        let s = &self.config.settings;
        let timeout_ms = self.config.statement_timeout().as_millis().to_string();
        let mut options = PgConnectOptions::new()
            .host(s.host.as_deref().unwrap_or("localhost"))
            .port(s.port.unwrap_or(5432))
            .username(s.user.as_deref().unwrap_or_default())
            .database(s.database.as_deref().unwrap_or_default())
            .application_name("torro")
            .options([
                ("statement_timeout", timeout_ms.as_str()),
                ("default_transaction_read_only", "on"),
            ]);
        if let Some(p) = self.config.password() {
            options = options.password(p);
        }
        let mut conn = match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(connect_error(&self.config, e)),
            Err(_) => return Err(connect_error(&self.config, "timed out")),
        };
        // A SQL_ASCII database holds bytes in no known encoding; converting them to UTF-8
        // on the server fails whole queries. Take them raw and decode them lossily instead.
        let encoding: Option<String> = sqlx::query_scalar("SHOW server_encoding")
            .fetch_one(&mut conn)
            .await
            .ok();
        if encoding.as_deref() == Some("SQL_ASCII") {
            sqlx::query("SET client_encoding = 'SQL_ASCII'")
                .execute(&mut conn)
                .await
                .map_err(|e| DatabaseError::Query(format!("cannot set client_encoding: {e}")))?;
        }
        Ok(conn)
    }
}

/// Relation kinds Torro catalogs: tables, partitioned tables, views, materialized views, foreign tables.
const RELATIONS: &str = "SELECT n.nspname, c.relname, c.relkind::text AS kind, \
     obj_description(c.oid, 'pg_class') AS comment, c.reltuples::float8 AS reltuples, \
     pg_total_relation_size(c.oid) AS size, pg_get_userbyid(c.relowner) AS owner, c.relispartition, \
     CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey, \
     (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
      JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1) AS parent, \
     CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END AS definition, \
     s.last_analyze::text AS last_analyze, s.last_autoanalyze::text AS last_autoanalyze \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid \
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname = ANY($1) ORDER BY 1, 2";

const COLUMNS: &str = "SELECT n.nspname, c.relname, a.attname, a.attnum::int8 AS attnum, \
     format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable, \
     pg_get_expr(d.adbin, d.adrelid) AS dflt, col_description(c.oid, a.attnum) AS comment \
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
     AND n.nspname = ANY($1) ORDER BY 1, 2, a.attnum";

const CONSTRAINTS: &str = "SELECT n.nspname, c.relname, con.conname, con.contype::text AS kind, \
     pg_get_constraintdef(con.oid) AS def, \
     ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord) \
       JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord) AS cols \
     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE con.contype IN ('p', 'f', 'u') AND n.nspname = ANY($1) ORDER BY 1, 2, 3";

const INDEXES: &str = "SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes \
     WHERE schemaname = ANY($1) ORDER BY 1, 2, 3";

/// Functions and procedures, without those an extension installed.
const ROUTINES: &str = "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) AS args, \
     p.prokind::text AS kind, l.lanname, pg_get_functiondef(p.oid) AS def, \
     pg_get_function_result(p.oid) AS result, obj_description(p.oid, 'pg_proc') AS comment, \
     pg_get_userbyid(p.proowner) AS owner \
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang \
     WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY($1) \
     AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = p.oid AND dep.deptype = 'e') ORDER BY 1, 2, 3";

const TRIGGERS: &str = "SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid, true) AS def \
     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE NOT t.tgisinternal AND n.nspname = ANY($1) ORDER BY 1, 2, 3";

/// Runs one metadata query inside a savepoint, so a failed query does not abort the
/// transaction for the ones after it.
async fn fetch(conn: &mut PgConnection, sql: &'static str, schemas: &[String]) -> Result<Vec<PgRow>, sqlx::Error> {
    let mut savepoint = conn.begin().await?;
    let rows = sqlx::query(sql).bind(schemas).fetch_all(&mut *savepoint).await?;
    savepoint.commit().await?;
    Ok(rows)
}

fn key(r: &PgRow) -> (String, String) {
    (name(r, 0), name(r, 1))
}

#[async_trait]
impl DatabaseSource for PostgresSource {
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
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(|e| DatabaseError::Query(format!("cannot open a read-only transaction: {e}")))?;
        let catalog = self.config.settings.database.clone().unwrap_or_default();
        let filter = self.config.filter();
        let mut scan = DatabaseScan::default();

        let rows = sqlx::query(
            "SELECT nspname, has_schema_privilege(oid, 'USAGE') AS usable FROM pg_namespace \
             WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
             AND nspname NOT LIKE 'pg_temp_%' AND nspname NOT LIKE 'pg_toast_temp_%' ORDER BY 1",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| DatabaseError::Query(format!("cannot list schemas: {e}")))?;
        let mut schemas = Vec::new();
        for r in &rows {
            let schema = name(r, 0);
            if !filter.schema(&schema) {
                continue;
            }
            if !r.try_get::<bool, _>(1).unwrap_or(true) {
                // The catalog still describes its objects; say why reading them would fail.
                scan.error(
                    schema.clone(),
                    format!(
                        "the user has no USAGE privilege on schema {schema:?}; its objects are listed from pg_catalog"
                    ),
                );
            }
            schemas.push(schema);
        }

        // Columns first: without them tables and views are not reported at all (an empty
        // column list would read as "every column dropped").
        let columns = match fetch(&mut tx, COLUMNS, &schemas).await {
            Ok(rows) => {
                let mut by: ByTable<AssetColumn> = ByTable::new();
                for r in &rows {
                    by.entry(key(r)).or_default().push(AssetColumn {
                        name: name(r, 2),
                        ordinal: r.try_get(3).unwrap_or_default(),
                        data_type: name(r, 4),
                        nullable: r.try_get(5).unwrap_or(true),
                        default: text(r, 6),
                        comment: text(r, 7),
                        is_pk: false,
                    });
                }
                Some(by)
            }
            Err(e) => {
                scan.error("columns", format!("cannot read columns: {e}"));
                None
            }
        };
        let mut constraints: ByTable<(String, String, String, Vec<String>)> = ByTable::new();
        match fetch(&mut tx, CONSTRAINTS, &schemas).await {
            Ok(rows) => {
                for r in &rows {
                    constraints.entry(key(r)).or_default().push((
                        name(r, 2),
                        name(r, 3),
                        name(r, 4),
                        r.try_get::<Vec<String>, _>(5).unwrap_or_default(),
                    ));
                }
            }
            Err(e) => scan.error("constraints", format!("cannot read keys: {e}")),
        }
        let mut indexes: ByTable<Value> = ByTable::new();
        match fetch(&mut tx, INDEXES, &schemas).await {
            Ok(rows) => {
                for r in &rows {
                    indexes
                        .entry(key(r))
                        .or_default()
                        .push(json!({"name": name(r, 2), "definition": name(r, 3)}));
                }
            }
            Err(e) => scan.error("indexes", format!("cannot read indexes: {e}")),
        }

        match (fetch(&mut tx, RELATIONS, &schemas).await, &columns) {
            (Ok(rows), Some(columns)) => {
                for r in &rows {
                    let (schema, rel) = key(r);
                    if !keep(&filter, &schema, &rel) {
                        continue;
                    }
                    let kind = name(r, 2);
                    let asset_type = match kind.as_str() {
                        "v" => AssetType::View,
                        "m" => AssetType::MaterializedView,
                        _ => AssetType::Table,
                    };
                    let k = (schema.clone(), rel.clone());
                    let cons = constraints.get(&k).cloned().unwrap_or_default();
                    let pk: Vec<String> = cons
                        .iter()
                        .find(|c| c.1 == "p")
                        .map(|c| c.3.clone())
                        .unwrap_or_default();
                    let mut cols = columns.get(&k).cloned().unwrap_or_default();
                    for c in &mut cols {
                        c.is_pk = pk.contains(&c.name);
                    }
                    let foreign_keys: Vec<Value> = cons
                        .iter()
                        .filter(|c| c.1 == "f")
                        .map(|c| json!({"name": c.0, "columns": c.3, "definition": c.2}))
                        .collect();
                    let unique: Vec<Value> = cons
                        .iter()
                        .filter(|c| c.1 == "u")
                        .map(|c| json!({"name": c.0, "columns": c.3}))
                        .collect();
                    // reltuples is -1 for a table never analyzed (PostgreSQL 14+).
                    let estimate = r.try_get::<f64, _>(4).ok().filter(|n| *n >= 0.0).map(|n| n as i64);
                    let relkind = match kind.as_str() {
                        "p" => "partitioned_table",
                        "f" => "foreign_table",
                        "v" => "view",
                        "m" => "materialized_view",
                        _ => "table",
                    };
                    scan.objects.push(ObservedAsset {
                        asset_type,
                        catalog: catalog.clone(),
                        schema,
                        name: rel,
                        columns: cols,
                        technical_metadata: json!({
                            "relkind": relkind,
                            "row_estimate": estimate,
                            "size_bytes": r.try_get::<i64, _>(5).ok(),
                            "partition_key": text(r, 8),
                            "partition_of": text(r, 9),
                            "primary_key": pk,
                            "foreign_keys": foreign_keys,
                            "unique_constraints": unique,
                            "indexes": indexes.get(&k).cloned().unwrap_or_default(),
                        }),
                        operational_metadata: json!({
                            "owner": text(r, 6),
                            "last_analyzed": text(r, 11).or_else(|| text(r, 12)),
                        }),
                        comment: text(r, 3),
                        definition: text(r, 10).map(|text| AssetDefinition {
                            language: "postgres".into(),
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

        match fetch(&mut tx, ROUTINES, &schemas).await {
            Ok(rows) => {
                for r in &rows {
                    let (schema, proc) = key(r);
                    if !keep(&filter, &schema, &proc) {
                        continue;
                    }
                    let language = name(r, 4);
                    scan.objects.push(ObservedAsset {
                        asset_type: if name(r, 3) == "p" {
                            AssetType::Procedure
                        } else {
                            AssetType::Function
                        },
                        catalog: catalog.clone(),
                        schema,
                        name: format!("{proc}({})", name(r, 2)),
                        columns: Vec::new(),
                        technical_metadata: json!({"language": language, "returns": text(r, 6)}),
                        operational_metadata: json!({"owner": text(r, 8)}),
                        comment: text(r, 7),
                        definition: text(r, 5).map(|text| AssetDefinition {
                            language: if language == "sql" { "postgres".into() } else { language },
                            text,
                        }),
                    });
                }
            }
            Err(e) => {
                scan.error("routines", format!("cannot read functions and procedures: {e}"));
                scan.incomplete.extend(schemas.iter().cloned());
            }
        }

        match fetch(&mut tx, TRIGGERS, &schemas).await {
            Ok(rows) => {
                for r in &rows {
                    let (schema, table) = key(r);
                    if !keep(&filter, &schema, &table) {
                        continue;
                    }
                    scan.objects.push(ObservedAsset {
                        asset_type: AssetType::Trigger,
                        catalog: catalog.clone(),
                        schema,
                        name: format!("{table}.{}", name(r, 2)),
                        columns: Vec::new(),
                        technical_metadata: json!({"table": table}),
                        operational_metadata: json!({}),
                        comment: None,
                        definition: text(r, 3).map(|text| AssetDefinition {
                            language: "postgres".into(),
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
