//! Table-driven SQL lineage cases: one TOML file per dialect under `tests/cases/`, each case
//! with the SQL and the expected sources, targets and column edges.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use torro_lineage::{AnalyzeOptions, SqlDialect, TableSchemas, analyze};

#[derive(Deserialize)]
struct File {
    dialect: String,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    sql: String,
    #[serde(default)]
    default_schema: Option<String>,
    #[serde(default)]
    default_database: Option<String>,
    #[serde(default)]
    schemas: TableSchemas,
    sources: Vec<String>,
    targets: Vec<String>,
    #[serde(default)]
    intermediates: Vec<String>,
    /// `"src.t.c -> tgt.t.c"`, optionally followed by ` [transformation]`; compared as a set.
    /// Absent: column lineage is not checked.
    #[serde(default)]
    columns: Option<Vec<String>>,
    /// Warning codes that must be reported (others may be too). Absent: none may be
    /// `parse_error` or `tokenize_error`.
    #[serde(default)]
    warnings: Option<Vec<String>>,
    /// Number of statements found, when checked.
    #[serde(default)]
    statements: Option<usize>,
}

fn sorted(v: &[String]) -> Vec<String> {
    let set: BTreeSet<&String> = v.iter().collect();
    set.into_iter().cloned().collect()
}

fn run(file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file: File = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let dialect: SqlDialect = file.dialect.parse().expect("dialect");
    let mut failures = Vec::new();
    for case in &file.cases {
        let opts = AnalyzeOptions {
            dialect,
            default_database: case.default_database.clone(),
            default_schema: case.default_schema.clone(),
            schemas: case.schemas.clone(),
        };
        let got = analyze(&case.sql, &opts);
        let mut problems = Vec::new();
        if got.sources != sorted(&case.sources) {
            problems.push(format!(
                "sources: expected {:?}, got {:?}",
                sorted(&case.sources),
                got.sources
            ));
        }
        if got.targets != sorted(&case.targets) {
            problems.push(format!(
                "targets: expected {:?}, got {:?}",
                sorted(&case.targets),
                got.targets
            ));
        }
        if got.intermediates != sorted(&case.intermediates) {
            problems.push(format!(
                "intermediates: expected {:?}, got {:?}",
                sorted(&case.intermediates),
                got.intermediates
            ));
        }
        if let Some(expected) = &case.columns {
            let checks_kind = expected.iter().any(|e| e.contains('['));
            let actual: BTreeSet<String> = got
                .column_lineage
                .iter()
                .map(|c| {
                    let edge = format!("{} -> {}", c.source, c.target);
                    let wanted_kind = expected.iter().any(|e| e.starts_with(&edge) && e.contains('['));
                    if checks_kind && wanted_kind {
                        format!("{edge} [{}]", c.transformation)
                    } else {
                        edge
                    }
                })
                .collect();
            let expected: BTreeSet<String> = expected.iter().cloned().collect();
            if actual != expected {
                let missing: Vec<_> = expected.difference(&actual).collect();
                let extra: Vec<_> = actual.difference(&expected).collect();
                problems.push(format!("columns: missing {missing:?}, unexpected {extra:?}"));
            }
        }
        let codes: BTreeSet<&str> = got.warnings.iter().map(|w| w.code.as_str()).collect();
        match &case.warnings {
            Some(expected) => {
                for code in expected {
                    if !codes.contains(code.as_str()) {
                        problems.push(format!("warning {code} expected, got {:?}", got.warnings));
                    }
                }
            }
            None => {
                if codes.contains("parse_error") || codes.contains("tokenize_error") {
                    problems.push(format!("unexpected warnings {:?}", got.warnings));
                }
            }
        }
        if let Some(n) = case.statements
            && got.statements.len() != n
        {
            problems.push(format!("expected {n} statements, got {}", got.statements.len()));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "[{}] {}:\n    {}",
                file.dialect,
                case.name,
                problems.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
}

macro_rules! dialect_cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(concat!(stringify!($name), ".toml"));
            }
        )*
    };
}

dialect_cases!(
    generic, ansi, postgres, mysql, mssql, oracle, snowflake, bigquery, hive, spark, databricks, redshift, sqlite,
    duckdb,
);
