//! Oracle: the metadata queries over the `ALL_*` dictionary views, the pure mapping of
//! their result rows to assets, and (feature `oracle`) [`OracleSource`], which runs them.
//!
//! Driver: `oracledb` (Oracle's own pure-Rust thin driver, 26.0.0-beta.5, pinned). Chosen over
//! `oracle-rs` 0.1 because Oracle maintains it and it follows their python-oracledb thin
//! protocol code, it has fewer dependencies (73 crates against 100, most already ours:
//! rustls, chrono, sha2) and it has a call timeout and a TCP connect timeout. It is blocking,
//! so calls run on tokio's blocking pool. The `oracle` crate needs Oracle's client library,
//! which cannot be installed here. No Oracle server can run here either: the mapping is
//! unit-tested on recorded rows, and the driver only against unreachable or wrong servers.

use std::collections::BTreeMap;

use serde_json::json;
use torro_model::{AssetColumn, AssetDefinition, AssetType, NameFilter, ObservedAsset};

/// The dictionary queries a driver runs, each bound with the schema list (`:schemas`).
pub const QUERIES: [(&str, &str); 8] = [
    (
        "tables",
        "SELECT t.OWNER, t.TABLE_NAME, t.NUM_ROWS, t.PARTITIONED, t.LAST_ANALYZED, c.COMMENTS \
         FROM ALL_TABLES t LEFT JOIN ALL_TAB_COMMENTS c ON c.OWNER = t.OWNER AND c.TABLE_NAME = t.TABLE_NAME",
    ),
    ("views", "SELECT OWNER, VIEW_NAME, TEXT FROM ALL_VIEWS"),
    (
        "mviews",
        "SELECT OWNER, MVIEW_NAME, QUERY, LAST_REFRESH_DATE FROM ALL_MVIEWS",
    ),
    (
        "columns",
        "SELECT c.OWNER, c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_ID, c.DATA_TYPE, c.DATA_LENGTH, c.DATA_PRECISION, \
         c.DATA_SCALE, c.NULLABLE, c.DATA_DEFAULT, m.COMMENTS FROM ALL_TAB_COLUMNS c LEFT JOIN ALL_COL_COMMENTS m \
         ON m.OWNER = c.OWNER AND m.TABLE_NAME = c.TABLE_NAME AND m.COLUMN_NAME = c.COLUMN_NAME",
    ),
    (
        "primary_keys",
        "SELECT k.OWNER, k.TABLE_NAME, k.COLUMN_NAME FROM ALL_CONSTRAINTS c JOIN ALL_CONS_COLUMNS k \
         ON k.OWNER = c.OWNER AND k.CONSTRAINT_NAME = c.CONSTRAINT_NAME WHERE c.CONSTRAINT_TYPE = 'P'",
    ),
    (
        "source",
        "SELECT OWNER, NAME, TYPE, LINE, TEXT FROM ALL_SOURCE \
         WHERE TYPE IN ('PROCEDURE', 'FUNCTION', 'TRIGGER', 'PACKAGE BODY') ORDER BY OWNER, NAME, TYPE, LINE",
    ),
    (
        "dependencies",
        "SELECT OWNER, NAME, TYPE, REFERENCED_OWNER, REFERENCED_NAME, REFERENCED_TYPE FROM ALL_DEPENDENCIES",
    ),
    (
        "objects",
        "SELECT OWNER, OBJECT_NAME, OBJECT_TYPE, LAST_DDL_TIME FROM ALL_OBJECTS",
    ),
];

/// Rows of the dictionary queries, as recorded from a server (cells as text).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OracleMetadata {
    /// OWNER, TABLE_NAME, NUM_ROWS, PARTITIONED, LAST_ANALYZED, COMMENTS
    pub tables: Vec<[Option<String>; 6]>,
    /// OWNER, VIEW_NAME, TEXT
    pub views: Vec<[Option<String>; 3]>,
    /// OWNER, MVIEW_NAME, QUERY, LAST_REFRESH_DATE
    pub mviews: Vec<[Option<String>; 4]>,
    /// OWNER, TABLE_NAME, COLUMN_NAME, COLUMN_ID, DATA_TYPE, DATA_LENGTH, DATA_PRECISION, DATA_SCALE,
    /// NULLABLE, DATA_DEFAULT, COMMENTS
    pub columns: Vec<[Option<String>; 11]>,
    /// OWNER, TABLE_NAME, COLUMN_NAME
    pub primary_keys: Vec<[Option<String>; 3]>,
    /// OWNER, NAME, TYPE, LINE, TEXT (ordered by line)
    pub source: Vec<[Option<String>; 5]>,
    /// OWNER, NAME, TYPE, REFERENCED_OWNER, REFERENCED_NAME, REFERENCED_TYPE
    pub dependencies: Vec<[Option<String>; 6]>,
    /// OWNER, OBJECT_NAME, OBJECT_TYPE, LAST_DDL_TIME
    pub objects: Vec<[Option<String>; 4]>,
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// Oracle's type text from ALL_TAB_COLUMNS parts: `NUMBER(10,2)`, `VARCHAR2(40)`, `DATE`.
pub fn oracle_type(data_type: &str, length: Option<&str>, precision: Option<&str>, scale: Option<&str>) -> String {
    match data_type {
        "NUMBER" | "FLOAT" => match (precision, scale) {
            (Some(p), Some("0")) if data_type == "NUMBER" => format!("NUMBER({p})"),
            (Some(p), Some(sc)) => format!("{data_type}({p},{sc})"),
            (Some(p), None) => format!("{data_type}({p})"),
            _ => data_type.to_string(),
        },
        "VARCHAR2" | "NVARCHAR2" | "CHAR" | "NCHAR" | "RAW" => match length {
            Some(l) => format!("{data_type}({l})"),
            None => data_type.to_string(),
        },
        other => other.to_string(),
    }
}

/// The assets the recorded rows describe, for service `service` (the asset catalog).
/// Schemas are owners; `filter` picks them and their objects.
pub fn assets_from(service: &str, m: &OracleMetadata, filter: &NameFilter) -> Vec<ObservedAsset> {
    type Key = (String, String);
    let mut columns: BTreeMap<Key, Vec<AssetColumn>> = BTreeMap::new();
    for r in &m.columns {
        columns.entry((s(&r[0]), s(&r[1]))).or_default().push(AssetColumn {
            name: s(&r[2]),
            ordinal: r[3].as_deref().and_then(|v| v.parse().ok()).unwrap_or_default(),
            data_type: oracle_type(&s(&r[4]), r[5].as_deref(), r[6].as_deref(), r[7].as_deref()),
            nullable: r[8].as_deref() != Some("N"),
            default: r[9]
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(String::from),
            comment: r[10].clone(),
            is_pk: false,
        });
    }
    for r in &m.primary_keys {
        if let Some(cols) = columns.get_mut(&(s(&r[0]), s(&r[1]))) {
            for c in cols.iter_mut().filter(|c| Some(&c.name) == r[2].as_ref()) {
                c.is_pk = true;
            }
        }
    }
    for cols in columns.values_mut() {
        cols.sort_by_key(|c| c.ordinal);
    }
    let last_ddl: BTreeMap<(String, String, String), String> = m
        .objects
        .iter()
        .map(|r| ((s(&r[0]), s(&r[1]), s(&r[2])), s(&r[3])))
        .collect();
    let mut depends: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in &m.dependencies {
        depends
            .entry((s(&r[0]), s(&r[1])))
            .or_default()
            .push(format!("{}.{} ({})", s(&r[3]), s(&r[4]), s(&r[5])));
    }
    let keep = |owner: &str, name: &str| filter.object(owner, name);
    let mut out = Vec::new();
    let mviews: Vec<Key> = m.mviews.iter().map(|r| (s(&r[0]), s(&r[1]))).collect();
    let base = |t: AssetType, owner: &str, name: &str, object_type: &str| ObservedAsset {
        asset_type: t,
        catalog: service.to_string(),
        schema: owner.to_string(),
        name: name.to_string(),
        columns: Vec::new(),
        technical_metadata: json!({}),
        operational_metadata: json!({
            "owner": owner,
            "last_ddl": last_ddl.get(&(owner.to_string(), name.to_string(), object_type.to_string())),
        }),
        comment: None,
        definition: None,
    };
    for r in &m.tables {
        let key = (s(&r[0]), s(&r[1]));
        // A materialized view has a container table of the same name: it is listed once, as the view.
        if !keep(&key.0, &key.1) || mviews.contains(&key) {
            continue;
        }
        let mut a = base(AssetType::Table, &key.0, &key.1, "TABLE");
        a.columns = columns.get(&key).cloned().unwrap_or_default();
        let pk: Vec<&str> = a.columns.iter().filter(|c| c.is_pk).map(|c| c.name.as_str()).collect();
        a.technical_metadata = json!({
            "row_estimate": r[2].as_deref().and_then(|v| v.parse::<i64>().ok()),
            "partitioned": r[3].as_deref() == Some("YES"),
            "primary_key": pk,
        });
        a.operational_metadata["last_analyzed"] = json!(r[4]);
        a.comment = r[5].clone();
        out.push(a);
    }
    for r in &m.views {
        let key = (s(&r[0]), s(&r[1]));
        if !keep(&key.0, &key.1) {
            continue;
        }
        let mut a = base(AssetType::View, &key.0, &key.1, "VIEW");
        a.columns = columns.get(&key).cloned().unwrap_or_default();
        a.technical_metadata = json!({"depends_on": depends.get(&key)});
        a.definition = r[2].clone().map(|text| AssetDefinition {
            language: "oracle".into(),
            text,
        });
        out.push(a);
    }
    for r in &m.mviews {
        let key = (s(&r[0]), s(&r[1]));
        if !keep(&key.0, &key.1) {
            continue;
        }
        let mut a = base(AssetType::MaterializedView, &key.0, &key.1, "MATERIALIZED VIEW");
        a.columns = columns.get(&key).cloned().unwrap_or_default();
        a.technical_metadata = json!({"depends_on": depends.get(&key), "last_refresh": r[3]});
        a.definition = r[2].clone().map(|text| AssetDefinition {
            language: "oracle".into(),
            text,
        });
        out.push(a);
    }
    // ALL_SOURCE holds one row per line: join the lines of each unit in order.
    let mut units: BTreeMap<(String, String, String), Vec<(i64, String)>> = BTreeMap::new();
    for r in &m.source {
        let line = r[3].as_deref().and_then(|v| v.parse().ok()).unwrap_or_default();
        units
            .entry((s(&r[0]), s(&r[1]), s(&r[2])))
            .or_default()
            .push((line, s(&r[4])));
    }
    for ((owner, name, kind), mut lines) in units {
        let t = match kind.as_str() {
            "PROCEDURE" | "PACKAGE BODY" => AssetType::Procedure,
            "FUNCTION" => AssetType::Function,
            "TRIGGER" => AssetType::Trigger,
            _ => continue,
        };
        if !keep(&owner, &name) {
            continue;
        }
        lines.sort_by_key(|(n, _)| *n);
        let mut a = base(t, &owner, &name, &kind);
        a.technical_metadata = json!({"oracle_type": kind, "depends_on": depends.get(&(owner.clone(), name.clone()))});
        a.definition = Some(AssetDefinition {
            language: "oracle".into(),
            text: lines.into_iter().map(|(_, l)| l).collect::<String>(),
        });
        out.push(a);
    }
    out
}

/// Oracle allows at most 1000 expressions in an IN list: bigger schema lists run in chunks.
#[cfg_attr(not(feature = "oracle"), allow(dead_code))]
const SCHEMAS_PER_QUERY: usize = 500;

/// `sql` (one of [`QUERIES`]) restricted to `n` schemas bound as `:1 .. :n`. Every query
/// selects an `OWNER` column, so the filter wraps it; the schema names are only ever bound.
pub fn scoped(sql: &str, n: usize) -> String {
    let binds: Vec<String> = (1..=n.max(1)).map(|i| format!(":{i}")).collect();
    format!("SELECT * FROM ({sql}) WHERE OWNER IN ({})", binds.join(", "))
}

/// The driver's connect string: easy connect (`host:port/service`) for a service name, a
/// descriptor for a SID. The parts are checked so a setting cannot reshape the descriptor.
pub fn connect_string(s: &torro_model::DatabaseSettings) -> Result<String, String> {
    let ok = |v: &str, extra: &str| {
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-$#".contains(c) || extra.contains(c))
    };
    let host = s.host.as_deref().unwrap_or_default();
    if !ok(host, ":[]") {
        return Err(format!("config.database.host: {host:?} is not a host name or address"));
    }
    let port = s.port.unwrap_or(1521);
    match (&s.service_name, &s.sid) {
        (Some(service), _) if ok(service, "") => Ok(format!("{host}:{port}/{service}")),
        (Some(service), _) => Err(format!(
            "config.database.service_name: {service:?} may hold only letters, digits and . _ - $ #"
        )),
        (None, Some(sid)) if ok(sid, "") => Ok(format!(
            "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST={host})(PORT={port}))(CONNECT_DATA=(SID={sid})))"
        )),
        (None, Some(sid)) => Err(format!(
            "config.database.sid: {sid:?} may hold only letters, digits and . _ - $ #"
        )),
        (None, None) => Err("config.database.service_name: an oracle connection needs service_name or sid".into()),
    }
}

/// What to check for an Oracle connect error (the text names no password: see `connect_error`).
#[cfg_attr(not(feature = "oracle"), allow(dead_code))]
fn connect_hint(e: &str) -> &'static str {
    let lower = e.to_lowercase();
    if lower.contains("ora-01017") {
        "wrong user or password: check the user and the password secret"
    } else if lower.contains("ora-12514") || lower.contains("ora-12505") {
        "the listener does not know this service name or SID: check service_name/sid"
    } else if lower.contains("refused")
        || lower.contains("timed out")
        || lower.contains("resolve")
        || lower.contains("unreachable")
    {
        "cannot reach the listener: check host and port, and that the server accepts connections from here"
    } else {
        "the server answered but not as an Oracle listener would: check that host and port are an Oracle listener"
    }
}

#[cfg(feature = "oracle")]
pub use driver::OracleSource;

#[cfg(feature = "oracle")]
mod driver {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use async_trait::async_trait;
    use oracledb::{Connection, OracleTimestamp, Row, ToDbValue};
    use torro_model::DatabaseConfig;

    use super::super::{DatabaseError, DatabaseScan, DatabaseSource};
    use super::{OracleMetadata, QUERIES, SCHEMAS_PER_QUERY, assets_from, connect_hint, connect_string, scoped};

    /// How long connecting (TCP connect plus the login exchange) may take.
    const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

    /// An Oracle database read through the `oracledb` thin driver, in a read-only
    /// transaction, every call bounded by the connection's statement timeout.
    pub struct OracleSource {
        config: DatabaseConfig,
        connect_timeout: Duration,
    }

    impl OracleSource {
        pub fn new(config: DatabaseConfig) -> Self {
            OracleSource {
                config,
                connect_timeout: CONNECT_TIMEOUT,
            }
        }

        /// A shorter connect bound (tests against silent listeners).
        pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
            self.connect_timeout = timeout;
            self
        }

        /// The asset catalog: the service name, else the SID.
        fn service(&self) -> String {
            let s = &self.config.settings;
            s.service_name.clone().or_else(|| s.sid.clone()).unwrap_or_default()
        }

        /// Text with the password (if any) masked: driver and server messages may echo input.
        fn redact(&self, text: String) -> String {
            match self.config.password().filter(|p| p.len() >= 4) {
                Some(p) => text.replace(p, "***"),
                None => text,
            }
        }

        async fn connect(&self) -> Result<Connection, DatabaseError> {
            let target = connect_string(&self.config.settings).map_err(DatabaseError::Config)?;
            let options = oracledb::Config::default()
                .set_credentials(
                    self.config.settings.user.as_deref().unwrap_or_default(),
                    self.config.password().unwrap_or_default(),
                )
                .set_transport_connect_timeout(Some(self.connect_timeout))
                .set_connect_string(&target)
                .map_err(|e| DatabaseError::Config(format!("bad oracle address: {}", self.redact(e.to_string()))))?;
            let call_timeout = self.config.statement_timeout();
            // The driver blocks; the login exchange has no read timeout of its own, so a
            // listener that accepts and stays silent is bounded here (its thread ends when
            // the peer closes).
            let job = tokio::task::spawn_blocking(move || {
                let conn = oracledb::connect(options)?;
                conn.set_call_timeout(Some(call_timeout))?;
                Ok::<_, oracledb::Error>(conn)
            });
            let fail = |e: String, hint: &str| {
                let authority = self.config.authority();
                DatabaseError::Connect(self.redact(format!("cannot connect to oracle at {authority}: {e} ({hint})")))
            };
            match tokio::time::timeout(self.connect_timeout, job).await {
                Ok(Ok(Ok(conn))) => Ok(conn),
                Ok(Ok(Err(e))) => {
                    let e = e.to_string();
                    Err(fail(e.clone(), connect_hint(&e)))
                }
                Ok(Err(e)) => Err(fail(
                    format!("the driver failed: {e}"),
                    "a bug in the driver: see the log",
                )),
                Err(_) => Err(fail(
                    format!(
                        "timed out after {}s waiting for the listener to answer",
                        self.connect_timeout.as_secs()
                    ),
                    "the port accepts connections but nothing answered: check host and port are an Oracle listener, and firewalls",
                )),
            }
        }
    }

    /// A cell as text: strings and numbers as the driver renders them, dates and timestamps
    /// through their `Display`; NULL (or a type no dictionary view uses) as `None`.
    fn cell(row: &Row, i: usize) -> Option<String> {
        if let Ok(v) = row.get::<Option<String>>(i) {
            return v;
        }
        row.get::<Option<OracleTimestamp>>(i)
            .ok()
            .flatten()
            .map(|t| t.to_string())
    }

    fn cells<const N: usize>(row: &Row) -> [Option<String>; N] {
        std::array::from_fn(|i| cell(row, i))
    }

    /// Every row of `sql` for `schemas`, chunked under Oracle's IN-list limit.
    fn rows(conn: &Connection, sql: &str, schemas: &[String]) -> Result<Vec<Row>, oracledb::Error> {
        let mut out = Vec::new();
        for chunk in schemas.chunks(SCHEMAS_PER_QUERY) {
            let binds: Vec<&dyn ToDbValue> = chunk.iter().map(|s| s as &dyn ToDbValue).collect();
            for row in conn.query(&scoped(sql, chunk.len()), &binds)? {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// The whole scan on one connection (blocking: runs on tokio's blocking pool).
    fn scan_blocking(source: &OracleSource, conn: &Connection) -> Result<DatabaseScan, DatabaseError> {
        let filter = source.config.filter();
        // Read-only by construction: a write in this transaction fails with ORA-01456.
        conn.execute("SET TRANSACTION READ ONLY", &[]).map_err(|e| {
            DatabaseError::Query(format!(
                "cannot open a read-only transaction: {}",
                source.redact(e.to_string())
            ))
        })?;
        let users = conn
            .query(
                "SELECT USERNAME, ORACLE_MAINTAINED FROM ALL_USERS ORDER BY USERNAME",
                &[],
            )
            .and_then(|cursor| cursor.collect::<Result<Vec<Row>, _>>())
            .map_err(|e| {
                DatabaseError::Query(format!(
                    "cannot list schemas from ALL_USERS: {} (check that the user may read the ALL_* dictionary views)",
                    source.redact(e.to_string())
                ))
            })?;
        // Oracle's own schemas (SYS, SYSTEM, ...) only when schema patterns are given.
        let explicit = !filter.include_schemas.is_empty();
        let schemas: Vec<String> = users
            .iter()
            .filter(|r| explicit || cell(r, 1).as_deref() != Some("Y"))
            .filter_map(|r| cell(r, 0))
            .filter(|s| filter.schema(s))
            .collect();
        let mut scan = DatabaseScan::default();
        if schemas.is_empty() {
            return Ok(scan);
        }
        let mut m = OracleMetadata::default();
        let mut failed = BTreeSet::new();
        for (kind, sql) in QUERIES {
            let rows = match rows(conn, sql, &schemas) {
                Ok(rows) => rows,
                Err(e) => {
                    scan.error(
                        kind,
                        format!(
                            "cannot read {kind}: {} (check that the user may read the ALL_* dictionary views)",
                            source.redact(e.to_string())
                        ),
                    );
                    failed.insert(kind);
                    continue;
                }
            };
            match kind {
                "tables" => m.tables = rows.iter().map(cells).collect(),
                "views" => m.views = rows.iter().map(cells).collect(),
                "mviews" => m.mviews = rows.iter().map(cells).collect(),
                "columns" => m.columns = rows.iter().map(cells).collect(),
                "primary_keys" => m.primary_keys = rows.iter().map(cells).collect(),
                "source" => m.source = rows.iter().map(cells).collect(),
                "dependencies" => m.dependencies = rows.iter().map(cells).collect(),
                _ => m.objects = rows.iter().map(cells).collect(),
            }
        }
        // Without columns the tables would look emptied; without a listing, unseen objects
        // are not dropped ones. Either way the schemas are incomplete, not shrunk.
        if failed.contains("columns") {
            m.tables.clear();
            m.views.clear();
            m.mviews.clear();
        }
        if ["tables", "views", "mviews", "columns", "source"]
            .iter()
            .any(|k| failed.contains(k))
        {
            scan.incomplete.extend(schemas.iter().cloned());
        }
        scan.objects = assets_from(&source.service(), &m, &filter);
        Ok(scan)
    }

    #[async_trait]
    impl DatabaseSource for OracleSource {
        fn namespace(&self) -> String {
            self.config.namespace()
        }

        async fn test_connection(&self) -> Result<(), DatabaseError> {
            let mut conn = self.connect().await?;
            let res = tokio::task::spawn_blocking(move || {
                let r = conn.query_row("SELECT 1 FROM DUAL", &[]).map(|_| ());
                let _ = conn.close();
                r.map_err(|e| e.to_string())
            })
            .await;
            match res {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(DatabaseError::Query(format!("test query failed: {}", self.redact(e)))),
                Err(e) => Err(DatabaseError::Query(format!("test query failed: {e}"))),
            }
        }

        async fn scan(&self) -> Result<DatabaseScan, DatabaseError> {
            let conn = self.connect().await?;
            let source = OracleSource {
                config: self.config.clone(),
                connect_timeout: self.connect_timeout,
            };
            let mut conn = conn;
            tokio::task::spawn_blocking(move || {
                let scan = scan_blocking(&source, &conn);
                let _ = conn.rollback();
                let _ = conn.close();
                scan
            })
            .await
            .map_err(|e| DatabaseError::Query(format!("the oracle scan stopped: {e}")))?
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(v: &str) -> Option<String> {
        (!v.is_empty()).then(|| v.to_string())
    }

    /// Rows as the queries above return them from a small HR schema.
    fn recorded() -> OracleMetadata {
        OracleMetadata {
            tables: vec![
                [
                    o("HR"),
                    o("EMPLOYEES"),
                    o("107"),
                    o("NO"),
                    o("2026-11-01 10:00:00"),
                    o("Staff"),
                ],
                [o("HR"), o("EMP_MV"), o("5"), o("NO"), None, None],
                [o("SYS"), o("OBJ$"), None, o("NO"), None, None],
            ],
            views: vec![[o("HR"), o("EMP_NAMES"), o("SELECT first_name FROM employees")]],
            mviews: vec![[
                o("HR"),
                o("EMP_MV"),
                o("SELECT COUNT(*) n FROM employees"),
                o("2026-11-02"),
            ]],
            columns: vec![
                [
                    o("HR"),
                    o("EMPLOYEES"),
                    o("SALARY"),
                    o("2"),
                    o("NUMBER"),
                    o("22"),
                    o("8"),
                    o("2"),
                    o("Y"),
                    None,
                    o("Monthly"),
                ],
                [
                    o("HR"),
                    o("EMPLOYEES"),
                    o("EMPLOYEE_ID"),
                    o("1"),
                    o("NUMBER"),
                    o("22"),
                    o("6"),
                    o("0"),
                    o("N"),
                    None,
                    None,
                ],
                [
                    o("HR"),
                    o("EMPLOYEES"),
                    o("EMAIL"),
                    o("3"),
                    o("VARCHAR2"),
                    o("25"),
                    None,
                    None,
                    o("N"),
                    o("'x' "),
                    None,
                ],
                [
                    o("HR"),
                    o("EMP_NAMES"),
                    o("FIRST_NAME"),
                    o("1"),
                    o("VARCHAR2"),
                    o("20"),
                    None,
                    None,
                    o("Y"),
                    None,
                    None,
                ],
            ],
            primary_keys: vec![[o("HR"), o("EMPLOYEES"), o("EMPLOYEE_ID")]],
            source: vec![
                [
                    o("HR"),
                    o("RAISE"),
                    o("PROCEDURE"),
                    o("2"),
                    o("BEGIN UPDATE employees SET salary = salary * 1.1; END;\n"),
                ],
                [o("HR"), o("RAISE"), o("PROCEDURE"), o("1"), o("PROCEDURE raise IS\n")],
                [
                    o("HR"),
                    o("EMP_AUDIT"),
                    o("TRIGGER"),
                    o("1"),
                    o("TRIGGER emp_audit BEFORE INSERT ON employees\n"),
                ],
            ],
            dependencies: vec![[o("HR"), o("EMP_NAMES"), o("VIEW"), o("HR"), o("EMPLOYEES"), o("TABLE")]],
            objects: vec![[o("HR"), o("EMPLOYEES"), o("TABLE"), o("2026-10-30 09:00:00")]],
        }
    }

    fn filter() -> NameFilter {
        NameFilter {
            include_schemas: vec!["HR".into()],
            ..Default::default()
        }
    }

    #[test]
    fn recorded_rows_become_tables_views_mviews_and_routines() {
        let assets = assets_from("ORCLPDB1", &recorded(), &filter());
        let names: Vec<String> = assets
            .iter()
            .map(|a| format!("{} {}.{}", a.asset_type, a.schema, a.name))
            .collect();
        assert_eq!(
            names,
            [
                "table HR.EMPLOYEES",
                "view HR.EMP_NAMES",
                "materialized_view HR.EMP_MV",
                "trigger HR.EMP_AUDIT",
                "procedure HR.RAISE"
            ]
        );
        let emp = &assets[0];
        assert_eq!(emp.catalog, "ORCLPDB1");
        assert_eq!(emp.comment.as_deref(), Some("Staff"));
        let cols: Vec<(&str, &str, bool, bool)> = emp
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str(), c.nullable, c.is_pk))
            .collect();
        assert_eq!(
            cols,
            [
                ("EMPLOYEE_ID", "NUMBER(6)", false, true),
                ("SALARY", "NUMBER(8,2)", true, false),
                ("EMAIL", "VARCHAR2(25)", false, false)
            ]
        );
        assert_eq!(emp.columns[2].default.as_deref(), Some("'x'"));
        assert_eq!(emp.technical_metadata["row_estimate"], 107);
        assert_eq!(emp.operational_metadata["last_ddl"], "2026-10-30 09:00:00");
        assert_eq!(
            assets[1].technical_metadata["depends_on"],
            json!(["HR.EMPLOYEES (TABLE)"])
        );
        assert_eq!(assets[1].columns[0].name, "FIRST_NAME");
        let raise = &assets[4].definition.as_ref().unwrap().text;
        assert!(
            raise.starts_with("PROCEDURE raise IS\nBEGIN UPDATE"),
            "lines in order: {raise}"
        );
    }

    #[test]
    fn empty_or_partial_rows_never_panic() {
        let m = OracleMetadata {
            tables: vec![Default::default()],
            columns: vec![Default::default()],
            source: vec![Default::default()],
            ..Default::default()
        };
        let assets = assets_from("S", &m, &NameFilter::default());
        assert_eq!(
            assets.len(),
            1,
            "one nameless table; the typeless source row is skipped"
        );
    }

    #[test]
    fn type_text_follows_oracle() {
        assert_eq!(oracle_type("NUMBER", Some("22"), None, None), "NUMBER");
        assert_eq!(oracle_type("NUMBER", Some("22"), Some("10"), Some("0")), "NUMBER(10)");
        assert_eq!(oracle_type("FLOAT", Some("22"), Some("126"), None), "FLOAT(126)");
        assert_eq!(oracle_type("CHAR", Some("1"), None, None), "CHAR(1)");
        assert_eq!(oracle_type("TIMESTAMP(6)", Some("11"), None, Some("6")), "TIMESTAMP(6)");
    }

    #[test]
    fn schema_lists_are_bound_never_spliced() {
        assert_eq!(
            scoped("SELECT OWNER, VIEW_NAME, TEXT FROM ALL_VIEWS", 3),
            "SELECT * FROM (SELECT OWNER, VIEW_NAME, TEXT FROM ALL_VIEWS) WHERE OWNER IN (:1, :2, :3)"
        );
        for (_, sql) in QUERIES {
            assert!(sql.contains("OWNER"), "every query must select OWNER: {sql}");
        }
    }

    #[test]
    fn connect_strings_for_service_and_sid_reject_descriptor_tricks() {
        let settings = |service: Option<&str>, sid: Option<&str>, host: &str| torro_model::DatabaseSettings {
            host: Some(host.into()),
            port: Some(1522),
            service_name: service.map(String::from),
            sid: sid.map(String::from),
            ..Default::default()
        };
        assert_eq!(
            connect_string(&settings(Some("ORCLPDB1"), None, "db.example.com")).unwrap(),
            "db.example.com:1522/ORCLPDB1"
        );
        assert_eq!(
            connect_string(&settings(None, Some("ORCL"), "10.0.0.5")).unwrap(),
            "(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=10.0.0.5)(PORT=1522))(CONNECT_DATA=(SID=ORCL)))"
        );
        for bad in [
            settings(None, Some("ORCL)(SERVER=DEDICATED"), "h"),
            settings(Some("a b"), None, "h"),
            settings(Some("S"), None, "h)(PORT=1"),
            settings(None, None, "h"),
        ] {
            let e = connect_string(&bad).unwrap_err();
            assert!(e.starts_with("config.database."), "{e}");
        }
    }

    #[test]
    fn connect_hints_say_what_to_check() {
        assert!(connect_hint("ORA-01017: invalid credential or not authorized; logon denied").contains("password"));
        assert!(
            connect_hint("ORA-12514: Cannot connect to database. Service X is not registered").contains("service_name")
        );
        assert!(connect_hint("Connection refused (os error 111)").contains("cannot reach"));
        assert!(connect_hint("unexpected end of file").contains("Oracle listener"));
    }
}
