//! SQLite: a database file, opened read-only (never created), read in one transaction
//! from `sqlite_schema` and the `pragma_*` table functions. Catalog `main`, no schema.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Connection, Row, SqliteConnection};
use torro_model::{AssetColumn, AssetDefinition, AssetType, DatabaseConfig, ObservedAsset};

use super::{DatabaseError, DatabaseScan, DatabaseSource, keep, name, text};

const CATALOG: &str = "main";

pub struct SqliteSource {
    config: DatabaseConfig,
}

impl SqliteSource {
    pub fn new(config: DatabaseConfig) -> Self {
        SqliteSource { config }
    }

    fn path(&self) -> &str {
        self.config.settings.path.as_deref().unwrap_or_default()
    }

    async fn connect(&self) -> Result<SqliteConnection, DatabaseError> {
        let path = self.path();
        if !Path::new(path).is_file() {
            return Err(DatabaseError::Connect(format!(
                "SQLite database {path:?} does not exist or is not a file (check config.database.path)"
            )));
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            .busy_timeout(Duration::from_secs(5));
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(|e| DatabaseError::Connect(format!("cannot open SQLite database {path:?}: {e}")))?;
        // Opening is lazy: the first read tells whether the file is a database at all.
        sqlx::query("SELECT count(*) FROM sqlite_schema")
            .execute(&mut conn)
            .await
            .map_err(|e| DatabaseError::Connect(format!("{path:?} is not a readable SQLite database: {e}")))?;
        Ok(conn)
    }
}

fn int(r: &SqliteRow, i: usize) -> i64 {
    r.try_get::<i64, _>(i).unwrap_or_default()
}

#[async_trait]
impl DatabaseSource for SqliteSource {
    fn namespace(&self) -> String {
        self.config.namespace()
    }

    async fn test_connection(&self) -> Result<(), DatabaseError> {
        let conn = self.connect().await?;
        let _ = conn.close().await;
        Ok(())
    }

    async fn scan(&self) -> Result<DatabaseScan, DatabaseError> {
        let mut conn = self.connect().await?;
        // A read transaction: one consistent view of the schema for the whole scan.
        let mut tx = conn
            .begin()
            .await
            .map_err(|e| DatabaseError::Query(format!("cannot open a read transaction: {e}")))?;
        let filter = self.config.filter();
        let mut scan = DatabaseScan::default();
        let objects = sqlx::query(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema \
             WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY type, name",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| DatabaseError::Query(format!("cannot read sqlite_schema: {e}")))?;
        for r in &objects {
            let kind = name(r, 0);
            let object = name(r, 1);
            let table = name(r, 2);
            let sql = text(r, 3);
            if !keep(&filter, CATALOG, if kind == "trigger" { &table } else { &object }) {
                continue;
            }
            if kind == "trigger" {
                scan.objects.push(ObservedAsset {
                    asset_type: AssetType::Trigger,
                    catalog: CATALOG.into(),
                    schema: String::new(),
                    name: format!("{table}.{object}"),
                    columns: Vec::new(),
                    technical_metadata: json!({"table": table}),
                    operational_metadata: json!({}),
                    comment: None,
                    definition: sql.map(|text| AssetDefinition {
                        language: "sqlite".into(),
                        text,
                    }),
                });
                continue;
            }
            let columns = match sqlx::query(
                "SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid",
            )
            .bind(&object)
            .fetch_all(&mut *tx)
            .await
            {
                Ok(rows) => rows
                    .iter()
                    .map(|c| AssetColumn {
                        name: name(c, 1),
                        ordinal: int(c, 0) + 1,
                        data_type: name(c, 2),
                        nullable: int(c, 3) == 0 && int(c, 5) == 0,
                        default: text(c, 4),
                        comment: None,
                        is_pk: int(c, 5) > 0,
                    })
                    .collect::<Vec<_>>(),
                Err(e) => {
                    scan.error(object.clone(), format!("cannot read the columns of {object:?}: {e}"));
                    scan.incomplete.insert(CATALOG.to_string());
                    continue;
                }
            };
            let is_view = kind == "view";
            let mut technical = json!({
                "primary_key": columns.iter().filter(|c| c.is_pk).map(|c| c.name.clone()).collect::<Vec<_>>(),
            });
            if !is_view {
                let fks: Vec<Value> = match sqlx::query(
                    "SELECT id, \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                )
                .bind(&object)
                .fetch_all(&mut *tx)
                .await
                {
                    Ok(rows) => rows
                        .iter()
                        .map(|f| json!({"column": name(f, 2), "references": format!("{}.{}", name(f, 1), name(f, 3))}))
                        .collect(),
                    Err(e) => {
                        scan.error(
                            object.clone(),
                            format!("cannot read the foreign keys of {object:?}: {e}"),
                        );
                        Vec::new()
                    }
                };
                let indexes: Vec<Value> =
                    match sqlx::query("SELECT name, \"unique\", origin FROM pragma_index_list(?) ORDER BY name")
                        .bind(&object)
                        .fetch_all(&mut *tx)
                        .await
                    {
                        Ok(rows) => rows
                            .iter()
                            .map(|i| json!({"name": name(i, 0), "unique": int(i, 1) == 1, "origin": name(i, 2)}))
                            .collect(),
                        Err(e) => {
                            scan.error(object.clone(), format!("cannot read the indexes of {object:?}: {e}"));
                            Vec::new()
                        }
                    };
                technical["foreign_keys"] = json!(fks);
                technical["indexes"] = json!(indexes);
                technical["without_rowid"] = json!(sql.as_deref().is_some_and(|s| {
                    s.to_uppercase()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .ends_with(&["WITHOUT", "ROWID"])
                }));
            }
            scan.objects.push(ObservedAsset {
                asset_type: if is_view { AssetType::View } else { AssetType::Table },
                catalog: CATALOG.into(),
                schema: String::new(),
                name: object,
                columns,
                technical_metadata: technical,
                operational_metadata: json!({}),
                comment: None,
                // Tables keep their CREATE statement too: SQLite has no other DDL history.
                definition: sql.map(|text| AssetDefinition {
                    language: "sqlite".into(),
                    text,
                }),
            });
        }
        let _ = tx.rollback().await;
        Ok(scan)
    }
}
