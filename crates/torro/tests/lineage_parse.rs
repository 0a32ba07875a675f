//! The real `torro lineage parse` command: files and standard input, JSON and text output,
//! and its exit codes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn torro(cwd: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_torro"))
        .args(args)
        .current_dir(cwd)
        .env("TORRO_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run torro");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or("").as_bytes()).expect("write stdin");
    drop(input);
    child.wait_with_output().expect("wait for torro")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

const SCRIPT: &str = "\
CREATE TEMP TABLE tmp_paid AS SELECT id, amount FROM Sales.Orders WHERE status = 'paid';
INSERT INTO mart.revenue (order_id, amount) SELECT id, amount * 1.2 FROM tmp_paid;
";

#[test]
fn parse_file_as_json_follows_the_contract() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("etl.sql"), SCRIPT).unwrap();
    let out = torro(
        work.path(),
        &[
            "lineage",
            "parse",
            "etl.sql",
            "--dialect",
            "postgres",
            "--format",
            "json",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let l = json(&out);
    assert_eq!(l["sources"], serde_json::json!(["sales.orders"]));
    assert_eq!(l["targets"], serde_json::json!(["mart.revenue"]));
    assert_eq!(l["intermediates"], serde_json::json!(["tmp_paid"]));
    let edges: Vec<(String, String, String)> = l["column_lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["source"].as_str().unwrap().to_string(),
                c["target"].as_str().unwrap().to_string(),
                c["transformation"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            (
                "sales.orders.amount".into(),
                "mart.revenue.amount".into(),
                "expression".into()
            ),
            (
                "sales.orders.id".into(),
                "mart.revenue.order_id".into(),
                "pass_through".into()
            ),
        ]
    );
    let statements = l["statements"].as_array().unwrap();
    assert_eq!(statements.len(), 2);
    assert_eq!(statements[1]["kind"], "insert");
    assert_eq!(statements[1]["line"], 2);
    assert_eq!(statements[1]["sources"], serde_json::json!(["tmp_paid"]));
    assert_eq!(l["warnings"], serde_json::json!([]));
}

#[test]
fn parse_stdin_with_default_schema_as_text() {
    let work = tempfile::tempdir().unwrap();
    let out = torro(
        work.path(),
        &["lineage", "parse", "-", "--dialect", "tsql", "--default-schema", "dbo"],
        Some("INSERT INTO Totals (n) SELECT COUNT(*) FROM Orders\nGO\nSELECT (( FROM x\nGO\n"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("sources:       dbo.orders"), "{stdout}");
    assert!(stdout.contains("targets:       dbo.totals"), "{stdout}");
    assert!(stdout.contains("line 1 insert: dbo.orders -> dbo.totals"), "{stdout}");
    assert!(stdout.contains("line 3 [parse_error]"), "{stdout}");
}

#[test]
fn strict_exits_3_when_something_could_not_be_analysed() {
    let work = tempfile::tempdir().unwrap();
    let args = ["lineage", "parse", "-", "--strict", "--format", "json"];
    let out = torro(work.path(), &args, Some("INSERT INTO a SELECT ((( FROM b;"));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(json(&out)["warnings"][0]["code"], "parse_error");
    let out = torro(work.path(), &args, Some("INSERT INTO a SELECT x FROM b;"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn schemas_file_expands_select_star() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("schemas.json"), r#"{"raw.users": ["id", "email"]}"#).unwrap();
    let out = torro(
        work.path(),
        &["lineage", "parse", "-", "--schemas", "schemas.json", "--format", "json"],
        Some("CREATE VIEW mart.users AS SELECT * FROM raw.users"),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let targets: Vec<&str> = json(&out)["column_lineage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["target"].as_str().unwrap().to_string().leak() as &str)
        .collect();
    assert_eq!(targets, ["mart.users.email", "mart.users.id"]);
}

#[test]
fn unknown_dialect_is_a_usage_error_and_missing_file_a_failure() {
    let work = tempfile::tempdir().unwrap();
    let out = torro(
        work.path(),
        &["lineage", "parse", "-", "--dialect", "cobol"],
        Some("SELECT 1"),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown SQL dialect") && stderr.contains("postgres"),
        "{stderr}"
    );

    let out = torro(work.path(), &["lineage", "parse", "missing.sql"], None);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot read the SQL file missing.sql"), "{stderr}");

    std::fs::write(work.path().join("bad.json"), "[1, 2]").unwrap();
    let out = torro(
        work.path(),
        &["lineage", "parse", "-", "--schemas", "bad.json"],
        Some("SELECT 1"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.json is not a JSON object"),
        "{}",
        text(&out.stderr)
    );
}
