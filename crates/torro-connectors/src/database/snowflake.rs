//! Snowflake over its HTTP API (the protocol the official connectors speak): log in with
//! session parameters, run metadata queries, read results in Arrow (`rowsetBase64`) or
//! JSON (`rowset`). Hand-written because the one pure-HTTP crate (`snowflake-connector-rs`)
//! reads only JSON results, and Snowflake (and the `fakesnow` emulator) answer in Arrow.
//! Password login only; key-pair (JWT) login is not built yet.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arrow_array::{Array, RecordBatch};
use async_trait::async_trait;
use base64::Engine;
use serde_json::{Value, json};
use torro_model::{AssetColumn, AssetDefinition, AssetType, DatabaseConfig, ObservedAsset};

use super::{ByTable, DatabaseError, DatabaseScan, DatabaseSource, keep};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A result set: column names and rows of optional text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    fn get(&self, row: &[Option<String>], column: &str) -> Option<String> {
        let i = self.columns.iter().position(|c| c.eq_ignore_ascii_case(column))?;
        row.get(i).cloned().flatten()
    }
}

/// A logged-in Snowflake session.
pub struct SnowflakeSession {
    http: reqwest::Client,
    base: String,
    token: String,
}

fn request_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let n = N.fetch_add(1, Ordering::Relaxed);
    let h = format!("{nanos:016x}{n:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `'text'` with quotes doubled, and `"ident"` likewise: the only SQL text built from names.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl SnowflakeSession {
    /// Logs in with the password secret; the session is read-only by use (only SELECTs run).
    pub async fn login(config: &DatabaseConfig) -> Result<SnowflakeSession, DatabaseError> {
        let s = &config.settings;
        let account = s.account.clone().unwrap_or_default();
        let base = s
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://{account}.snowflakecomputing.com"))
            .trim_end_matches('/')
            .to_string();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| DatabaseError::Config(format!("cannot build an HTTP client: {e}")))?;
        let mut params: Vec<(&str, String)> = Vec::new();
        for (name, value) in [
            ("databaseName", &s.database),
            ("warehouse", &s.warehouse),
            ("roleName", &s.role),
        ] {
            if let Some(v) = value {
                params.push((name, v.clone()));
            }
        }
        let body = json!({"data": {
            "ACCOUNT_NAME": account,
            "LOGIN_NAME": s.user.clone().unwrap_or_default(),
            "PASSWORD": config.password().unwrap_or_default(),
            "CLIENT_APP_ID": "torro",
            "CLIENT_APP_VERSION": env!("CARGO_PKG_VERSION"),
            "SESSION_PARAMETERS": {
                "QUERY_TAG": "torro",
                "STATEMENT_TIMEOUT_IN_SECONDS": config.statement_timeout().as_secs(),
                "AUTOCOMMIT": true,
            },
        }});
        let fail = |e: &dyn std::fmt::Display| super::connect_error(config, e);
        let response = http
            .post(format!("{base}/session/v1/login-request"))
            .query(&params)
            .json(&body)
            .send()
            .await
            .map_err(|e| fail(&e))?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| fail(&e))?;
        if answer["success"] != json!(true) {
            let message = answer["message"].as_str().unwrap_or("login refused").to_string();
            return Err(fail(&format!("HTTP {status}: {message} (authentication)")));
        }
        let token = answer["data"]["token"]
            .as_str()
            .ok_or_else(|| fail(&"the login answer has no session token"))?
            .to_string();
        Ok(SnowflakeSession { http, base, token })
    }

    /// Runs one statement and returns its rows (Arrow or JSON results alike).
    pub async fn query(&self, sql: &str) -> Result<Rows, DatabaseError> {
        let err = |m: String| DatabaseError::Query(m);
        let submitted = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        let response = self
            .http
            .post(format!("{}/queries/v1/query-request", self.base))
            .query(&[("requestId", request_id())])
            .header("Authorization", format!("Snowflake Token=\"{}\"", self.token))
            .header("Accept", "application/snowflake")
            .json(&json!({"sqlText": sql, "asyncExec": false, "sequenceId": 1, "querySubmissionTime": submitted}))
            .send()
            .await
            .map_err(|e| err(format!("query failed: {e}")))?;
        let answer: Value = response
            .json()
            .await
            .map_err(|e| err(format!("unreadable query answer: {e}")))?;
        if answer["success"] != json!(true) {
            return Err(err(format!(
                "{} (code {})",
                answer["message"].as_str().unwrap_or("query failed"),
                answer["code"].as_str().unwrap_or("?")
            )));
        }
        decode_result(&answer["data"]).map_err(err)
    }
}

/// The rows of a query answer's `data`: `rowsetBase64` (an Arrow IPC stream) or `rowset` (JSON).
pub fn decode_result(data: &Value) -> Result<Rows, String> {
    let columns: Vec<String> = data["rowtype"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|c| c["name"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default();
    if let Some(b64) = data["rowsetBase64"].as_str().filter(|s| !s.is_empty()) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|e| format!("rowsetBase64 is not base64: {e}"))?;
        let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)
            .map_err(|e| format!("rowsetBase64 is not an Arrow stream: {e}"))?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch = batch.map_err(|e| format!("bad Arrow batch: {e}"))?;
            rows.extend(batch_rows(&batch));
        }
        return Ok(Rows { columns, rows });
    }
    let rows = data["rowset"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    r.as_array()
                        .map(|cells| {
                            cells
                                .iter()
                                .map(|c| match c {
                                    Value::Null => None,
                                    Value::String(s) => Some(s.clone()),
                                    other => Some(other.to_string()),
                                })
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Rows { columns, rows })
}

/// Every cell of `batch` as text; metadata queries need only strings and numbers.
fn batch_rows(batch: &RecordBatch) -> Vec<Vec<Option<String>>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::*;
    use arrow_schema::DataType as A;
    let cell = |col: &dyn Array, i: usize| -> Option<String> {
        if col.is_null(i) {
            return None;
        }
        Some(match col.data_type() {
            A::Utf8 => col.as_string::<i32>().value(i).to_string(),
            A::LargeUtf8 => col.as_string::<i64>().value(i).to_string(),
            A::Utf8View => col.as_string_view().value(i).to_string(),
            A::Boolean => col.as_boolean().value(i).to_string(),
            A::Int8 => col.as_primitive::<Int8Type>().value(i).to_string(),
            A::Int16 => col.as_primitive::<Int16Type>().value(i).to_string(),
            A::Int32 => col.as_primitive::<Int32Type>().value(i).to_string(),
            A::Int64 => col.as_primitive::<Int64Type>().value(i).to_string(),
            A::UInt32 => col.as_primitive::<UInt32Type>().value(i).to_string(),
            A::UInt64 => col.as_primitive::<UInt64Type>().value(i).to_string(),
            A::Float64 => col.as_primitive::<Float64Type>().value(i).to_string(),
            A::Decimal128(_, scale) => {
                let v = col.as_primitive::<Decimal128Type>().value(i);
                if *scale <= 0 {
                    v.to_string()
                } else {
                    let p = 10i128.pow(*scale as u32);
                    format!("{}.{:0width$}", v / p, (v % p).abs(), width = *scale as usize)
                }
            }
            // Timestamps and other types are not needed by the metadata queries.
            _ => return None,
        })
    };
    (0..batch.num_rows())
        .map(|i| batch.columns().iter().map(|c| cell(c.as_ref(), i)).collect())
        .collect()
}

pub struct SnowflakeSource {
    config: DatabaseConfig,
}

impl SnowflakeSource {
    pub fn new(config: DatabaseConfig) -> Self {
        SnowflakeSource { config }
    }
}

#[async_trait]
impl DatabaseSource for SnowflakeSource {
    fn namespace(&self) -> String {
        self.config.namespace()
    }

    async fn test_connection(&self) -> Result<(), DatabaseError> {
        SnowflakeSession::login(&self.config).await?.query("SELECT 1").await?;
        Ok(())
    }

    async fn scan(&self) -> Result<DatabaseScan, DatabaseError> {
        let session = SnowflakeSession::login(&self.config).await?;
        let Some(database) = self.config.settings.database.clone() else {
            return Err(DatabaseError::Config(
                "a snowflake scan needs config.database.database, the database to catalog".into(),
            ));
        };
        let db = quote_ident(&database);
        let filter = self.config.filter();
        let mut scan = DatabaseScan::default();
        let keep_row = |schema: &str, name: &str| schema != "INFORMATION_SCHEMA" && keep(&filter, schema, name);

        let columns = match session
            .query(&format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, IS_NULLABLE, \
                 COLUMN_DEFAULT, COMMENT FROM {db}.INFORMATION_SCHEMA.COLUMNS ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION"
            ))
            .await
        {
            Ok(r) => {
                let mut by: ByTable<AssetColumn> = ByTable::new();
                for row in &r.rows {
                    let key = (r.get(row, "TABLE_SCHEMA").unwrap_or_default(), r.get(row, "TABLE_NAME").unwrap_or_default());
                    by.entry(key).or_default().push(AssetColumn {
                        name: r.get(row, "COLUMN_NAME").unwrap_or_default(),
                        ordinal: r.get(row, "ORDINAL_POSITION").and_then(|v| v.parse().ok()).unwrap_or_default(),
                        data_type: r.get(row, "DATA_TYPE").unwrap_or_default(),
                        nullable: r.get(row, "IS_NULLABLE").as_deref() != Some("NO"),
                        default: r.get(row, "COLUMN_DEFAULT"),
                        comment: r.get(row, "COMMENT"),
                        is_pk: false,
                    });
                }
                Some(by)
            }
            Err(e) => {
                scan.error("columns", e);
                None
            }
        };
        let mut views: ByTable<String> = ByTable::new();
        match session
            .query(&format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM {db}.INFORMATION_SCHEMA.VIEWS"
            ))
            .await
        {
            Ok(r) => {
                for row in &r.rows {
                    let key = (
                        r.get(row, "TABLE_SCHEMA").unwrap_or_default(),
                        r.get(row, "TABLE_NAME").unwrap_or_default(),
                    );
                    views
                        .entry(key)
                        .or_default()
                        .push(r.get(row, "VIEW_DEFINITION").unwrap_or_default());
                }
            }
            Err(e) => scan.error("views", e),
        }
        let tables = session
            .query(&format!(
                "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ROW_COUNT, BYTES, CLUSTERING_KEY, COMMENT, TABLE_OWNER \
                 FROM {db}.INFORMATION_SCHEMA.TABLES ORDER BY TABLE_SCHEMA, TABLE_NAME"
            ))
            .await;
        let mut seen = std::collections::BTreeSet::new();
        match (tables, &columns) {
            (Ok(r), Some(columns)) => {
                for row in &r.rows {
                    let schema = r.get(row, "TABLE_SCHEMA").unwrap_or_default();
                    let name = r.get(row, "TABLE_NAME").unwrap_or_default();
                    if !keep_row(&schema, &name) {
                        continue;
                    }
                    let key = (schema.clone(), name.clone());
                    seen.insert(key.clone());
                    let is_view = views.contains_key(&key) || r.get(row, "TABLE_TYPE").as_deref() == Some("VIEW");
                    let mv = r.get(row, "TABLE_TYPE").as_deref() == Some("MATERIALIZED VIEW");
                    scan.objects.push(ObservedAsset {
                        asset_type: if mv {
                            AssetType::MaterializedView
                        } else if is_view {
                            AssetType::View
                        } else {
                            AssetType::Table
                        },
                        catalog: database.clone(),
                        schema,
                        name,
                        columns: columns.get(&key).cloned().unwrap_or_default(),
                        technical_metadata: json!({
                            "table_type": r.get(row, "TABLE_TYPE"),
                            "row_estimate": r.get(row, "ROW_COUNT").and_then(|v| v.parse::<i64>().ok()),
                            "size_bytes": r.get(row, "BYTES").and_then(|v| v.parse::<i64>().ok()),
                            "clustering_key": r.get(row, "CLUSTERING_KEY"),
                        }),
                        operational_metadata: json!({"owner": r.get(row, "TABLE_OWNER")}),
                        comment: r.get(row, "COMMENT"),
                        definition: views
                            .get(&key)
                            .and_then(|v| v.first().cloned())
                            .map(|text| AssetDefinition {
                                language: "snowflake".into(),
                                text,
                            }),
                    });
                }
                // Views that TABLES does not list (the emulator lists base tables only).
                for (key, defs) in &views {
                    if seen.contains(key) || !keep_row(&key.0, &key.1) {
                        continue;
                    }
                    scan.objects.push(ObservedAsset {
                        asset_type: AssetType::View,
                        catalog: database.clone(),
                        schema: key.0.clone(),
                        name: key.1.clone(),
                        columns: columns.get(key).cloned().unwrap_or_default(),
                        technical_metadata: json!({"table_type": "VIEW"}),
                        operational_metadata: json!({}),
                        comment: None,
                        definition: defs.first().cloned().map(|text| AssetDefinition {
                            language: "snowflake".into(),
                            text,
                        }),
                    });
                }
            }
            (Err(e), _) => {
                scan.error("tables", e);
                scan.incomplete.insert(String::new());
            }
            (Ok(_), None) => {
                scan.incomplete.insert(String::new());
            }
        }
        Ok(scan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_results_decode_with_nulls_and_numbers() {
        let data = json!({"rowtype": [{"name": "A"}, {"name": "B"}], "rowset": [["x", null], ["y", 3]]});
        let rows = decode_result(&data).unwrap();
        assert_eq!(rows.columns, ["A", "B"]);
        assert_eq!(
            rows.rows,
            vec![vec![Some("x".into()), None], vec![Some("y".into()), Some("3".into())]]
        );
        assert_eq!(rows.get(&rows.rows[0], "a"), Some("x".into()));
    }

    #[test]
    fn bad_arrow_is_an_error_not_a_panic() {
        for b64 in ["!!!", "AAAA"] {
            let data = json!({"rowtype": [], "rowsetBase64": b64});
            assert!(decode_result(&data).is_err(), "{b64}");
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("my \"db\""), "\"my \"\"db\"\"\"");
        assert_eq!(request_id().len(), 36);
    }
}
