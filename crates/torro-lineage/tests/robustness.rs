//! Whatever the text, `analyze` returns (no panic, no stack overflow) and keeps the
//! statements it can read; what it cannot read becomes a warning with a line.

use proptest::prelude::*;
use torro_lineage::{AnalyzeOptions, SqlDialect, analyze};

fn opts(dialect: SqlDialect) -> AnalyzeOptions {
    AnalyzeOptions {
        dialect,
        default_schema: Some("s".into()),
        ..AnalyzeOptions::default()
    }
}

/// Pieces of SQL and procedural code, glued at random into plausible-looking garbage.
const FRAGMENTS: &[&str] = &[
    "SELECT",
    "INSERT INTO",
    "UPDATE",
    "DELETE FROM",
    "MERGE INTO",
    "WITH",
    "CREATE TABLE",
    "CREATE VIEW",
    "CREATE PROCEDURE p AS",
    "CREATE OR REPLACE FUNCTION f() RETURNS int AS",
    "BEGIN",
    "END",
    "END IF",
    "DO",
    "$$",
    "$tag$",
    "'",
    "\"",
    "`",
    "[",
    "]",
    "(",
    ")",
    ";",
    ",",
    ".",
    "*",
    "a",
    "b.c",
    "t",
    "x AS y",
    "FROM",
    "JOIN",
    "ON",
    "WHERE",
    "GROUP BY",
    "UNION",
    "VALUES",
    "SET",
    "USING",
    "WHEN MATCHED THEN",
    "--",
    "/*",
    "*/",
    "\n",
    "GO\n",
    "\n/\n",
    "DELIMITER //\n",
    "//",
    "OVER (PARTITION BY",
    "CASE WHEN",
    "THEN",
    "ELSE",
    "LATERAL",
    "UNNEST(",
    "1",
    "'str'",
    "@v",
    ":b",
    "#tmp",
    "INTO",
    "IS",
    "LOOP",
    "DECLARE",
    "é",
    "表",
];

fn garbled() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..80).prop_map(|parts| parts.join(" "))
}

fn any_dialect() -> impl Strategy<Value = SqlDialect> {
    prop::sample::select(SqlDialect::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(dialect in any_dialect(), text in "\\PC{0,400}") {
        let l = analyze(&text, &opts(dialect));
        // Every warning points at a line of the input.
        let lines = text.lines().count().max(1);
        for w in &l.warnings {
            if let Some(line) = w.line {
                prop_assert!(line >= 1 && line <= lines + 1, "warning line {line} outside 1..={lines}: {w:?}");
            }
        }
    }

    #[test]
    fn never_panics_on_garbled_sql(dialect in any_dialect(), text in garbled()) {
        let l = analyze(&text, &opts(dialect));
        // The JSON contract serializes whatever came out.
        prop_assert!(serde_json::to_string(&l).is_ok());
    }

    /// A good statement after garbage is still found.
    #[test]
    fn good_statement_survives_garbage(dialect in any_dialect(), text in garbled()) {
        let script = format!("{text}\n;\nINSERT INTO good_target (a) SELECT a FROM good_source;\n");
        let l = analyze(&script, &opts(dialect));
        let found = l.statements.iter().any(|s| s.targets.iter().any(|t| t == "s.good_target"));
        // Garbage may leave a string or comment open that swallows the rest; then it must say so.
        prop_assert!(found || !l.warnings.is_empty(), "lost the statement silently: {l:?}");
    }
}

#[test]
fn deep_nesting_is_a_warning_not_a_stack_overflow() {
    let deep = format!("SELECT {}1{} FROM t", "(".repeat(5000), ")".repeat(5000));
    let l = analyze(&deep, &opts(SqlDialect::Generic));
    assert!(l.warnings.iter().any(|w| w.code == "parse_error"), "{:?}", l.warnings);

    let subqueries = format!(
        "SELECT * FROM {} t {}",
        "(SELECT * FROM ".repeat(2000),
        ") x".repeat(2000)
    );
    let l = analyze(&subqueries, &opts(SqlDialect::Postgres));
    assert!(!l.warnings.is_empty());
}

#[test]
fn unterminated_string_is_a_tokenize_warning_with_its_line() {
    let l = analyze(
        "INSERT INTO a SELECT 1;\nSELECT 'oops FROM b;\n",
        &opts(SqlDialect::Postgres),
    );
    let w = l
        .warnings
        .iter()
        .find(|w| w.code == "tokenize_error")
        .expect("tokenize warning");
    assert_eq!(w.line, Some(2));
    // The statement before it is kept.
    assert_eq!(l.targets, ["s.a"]);
}

#[test]
fn unparseable_statement_keeps_the_others_and_names_its_line() {
    let sql = "INSERT INTO a SELECT x FROM b;\n\nINSERT INTO c SELECT (( FROM d;\nINSERT INTO e SELECT y FROM f;";
    let l = analyze(sql, &opts(SqlDialect::Generic));
    assert_eq!(l.targets, ["s.a", "s.e"]);
    let w = l
        .warnings
        .iter()
        .find(|w| w.code == "parse_error")
        .expect("parse warning");
    assert_eq!(w.line, Some(3));
    assert_eq!(w.statement, None);
    assert!(w.message.contains("INSERT"), "{}", w.message);
}
