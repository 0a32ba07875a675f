//! Oracle: the metadata queries over the `ALL_*` dictionary views and the pure mapping of
//! their result rows to assets. No driver is built in yet (the `oracle` crate needs Oracle's
//! client library, which cannot be installed here; the pure-Rust thin drivers were not
//! wired in), so a scan of an Oracle connection says so; the mapping is unit-tested on
//! recorded rows shaped exactly as these queries return them.

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
}
