//! Lineage end to end with real producers: the `openlineage-python` client sending events
//! to `torro serve`, and a real dbt project built by `dbt-core` + `dbt-postgres` against the
//! local PostgreSQL, imported with `torro lineage import-dbt`; read back with
//! `torro lineage graph`.
//!
//! The Python tools live in `.tools/venv` (installed by `scripts/services.sh lineage-tools`,
//! which `scripts/test.sh` runs); `TORRO_TEST_PYTHON` names another interpreter. Missing
//! tools fail the test with `CI=true` and print a loud SKIPPED line otherwise.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn torro(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torro"))
        .args(args)
        .current_dir(cwd)
        .env_remove("TORRO_DATABASE_URL")
        .env("TORRO_LOG", "error")
        .output()
        .expect("run torro")
}

fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn skip_or_fail(what: &str) {
    let msg = format!("{what}; run `scripts/services.sh lineage-tools` to install it into .tools/venv");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: a missing tool is a failure)");
    }
    eprintln!("\n*** SKIPPED: {msg} ***\n");
}

/// The Python of `.tools/venv` (or `TORRO_TEST_PYTHON`) when it can import `module`.
fn python_with(module: &str) -> Option<PathBuf> {
    let python = std::env::var_os("TORRO_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python"));
    let ok = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        skip_or_fail(&format!(
            "Python module {module} is not available to {}",
            python.display()
        ));
        None
    }
}

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(work: &Path, db: &str) -> (Server, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_torro"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", db])
        .current_dir(work)
        .env_remove("TORRO_DATABASE_URL")
        .env("TORRO_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start torro serve");
    let mut server = Server(child);
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the address line");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (server, base)
}

#[test]
fn openlineage_python_client_events_land_in_torro_serve() {
    let Some(python) = python_with("openlineage.client") else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", work.path().join("catalog.db").display());
    // Airflow's user and token, made the way an operator would: with the CLI.
    assert!(torro(work.path(), &["migrate", "--database-url", &db]).status.success());
    let mut add = Command::new(env!("CARGO_BIN_EXE_torro"));
    add.args(["users", "add", "airflow", "--role", "engineer", "--database-url", &db])
        .env("TORRO_NEW_PASSWORD", "airflow service passphrase");
    assert!(add.output().unwrap().status.success());
    let minted = torro(
        work.path(),
        &["users", "create-token", "airflow", "--database-url", &db],
    );
    assert!(minted.status.success(), "{}", text(&minted.stderr));
    let token = text(&minted.stdout).trim().to_string();
    let (_server, base) = serve(work.path(), &db);

    let out = Command::new(&python)
        .arg(fixtures().join("openlineage/emit.py"))
        .arg(&base)
        .arg(&token)
        .output()
        .expect("run the OpenLineage client");
    assert!(
        out.status.success(),
        "client failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let run_id = text(&out.stdout).trim().to_string();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let get = |path: String| {
        runtime.block_on(async {
            reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap()
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        })
    };
    let job = get("/api/v1/namespaces/airflow-prod/jobs/sales.load_daily".into());
    assert_eq!(job["type"], "TASK", "{job}");
    assert_eq!(job["inputs"][0]["name"], "shop.public.orders");
    assert_eq!(job["outputs"][0]["name"], "shop.mart.daily_sales");
    assert_eq!(job["latestRun"]["state"], "FAIL", "the failed run is the latest: {job}");
    assert!(
        job["facets"]["sql"]["query"]
            .as_str()
            .unwrap()
            .starts_with("INSERT INTO mart.daily_sales")
    );
    let orders = get("/api/v1/namespaces/postgres%3A%2F%2Fdb.internal%3A5432/datasets/shop.public.orders".into());
    assert_eq!(orders["fields"].as_array().unwrap().len(), 3, "{orders}");
    assert_eq!(orders["facets"]["ownership"]["owners"][0]["name"], "team:sales");
    let daily = get("/api/v1/namespaces/postgres%3A%2F%2Fdb.internal%3A5432/datasets/shop.mart.daily_sales".into());
    assert_eq!(daily["description"], "Sales per day");
    let marquez =
        get("/api/v1/lineage?nodeId=dataset:postgres://db.internal:5432:shop.mart.daily_sales&depth=2".into());
    assert_eq!(
        marquez["graph"].as_array().unwrap().len(),
        3,
        "two datasets and the job: {marquez}"
    );
    // The audit trail names the token's user, with the producer as source system.
    let audit = get("/api/lineage/audit?limit=5".into());
    let rows = audit
        .as_array()
        .or_else(|| audit["entries"].as_array())
        .expect("audit rows");
    assert!(!rows.is_empty(), "{audit}");
    assert!(rows.iter().all(|r| r["actor"] == "airflow"), "{audit}");

    // The CLI reads the same catalog: column lineage from the columnLineage facet.
    let target = "postgres://db.internal:5432/shop.mart.daily_sales";
    let graph = json(&torro(
        work.path(),
        &[
            "lineage",
            "graph",
            target,
            "--direction",
            "upstream",
            "--column",
            "total",
            "--format",
            "json",
            "--database-url",
            &db,
        ],
    ));
    assert_eq!(
        graph["nodes"][1]["urn"],
        "postgres://db.internal:5432/shop.public.orders"
    );
    assert_eq!(graph["nodes"][1]["columns"], serde_json::json!(["amount"]));
    let mapping = &graph["edges"][0]["columns"];
    assert!(
        mapping
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["transformation"] == "aggregation" && c["expression"] == "sum(amount)"),
        "{mapping}"
    );
    let dot = torro(
        work.path(),
        &["lineage", "graph", target, "--format", "dot", "--database-url", &db],
    );
    assert!(text(&dot.stdout).contains("digraph lineage"), "{}", text(&dot.stderr));
    let missing = torro(work.path(), &["lineage", "graph", "s3://nope/x", "--database-url", &db]);
    assert_eq!(missing.status.code(), Some(3), "not found is exit code 3");
    assert!(text(&missing.stderr).contains("no lineage for s3://nope/x"));
    assert!(!run_id.is_empty());
}

/// `postgres://user@host:port/db` → (user, host, port, db).
fn pg_parts(url: &str) -> (String, String, String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, rest) = rest.split_once('@').unwrap_or(("postgres", rest));
    let user = auth.split(':').next().unwrap_or("postgres").to_string();
    let (hostport, db) = rest.split_once('/').expect("database in URL");
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    let db = db.split('?').next().unwrap_or(db);
    (user, host.to_string(), port.to_string(), db.to_string())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

#[test]
fn dbt_project_built_on_postgres_imports_models_sources_seeds_tests_and_columns() {
    let Some(python) = python_with("dbt.adapters.postgres") else {
        return;
    };
    let dbt = python.with_file_name("dbt");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = runtime.block_on(torro_catalog::testing::postgres(false)) else {
        return;
    };
    let (user, host, port, database) = pg_parts(&pg.url);

    let work = tempfile::tempdir().unwrap();
    let project = work.path().join("shop");
    copy_dir(&fixtures().join("dbt_shop"), &project);
    std::fs::write(
        work.path().join("profiles.yml"),
        format!(
            "torro_test:\n  target: test\n  outputs:\n    test:\n      type: postgres\n      host: {host}\n      port: {port}\n      \
             user: {user}\n      password: ''\n      dbname: {database}\n      schema: analytics\n      threads: 1\n"
        ),
    )
    .unwrap();
    for step in [&["seed"][..], &["run"], &["docs", "generate"]] {
        let out = Command::new(&dbt)
            .args(step)
            .args([
                "--profiles-dir",
                work.path().to_str().unwrap(),
                "--project-dir",
                project.to_str().unwrap(),
            ])
            .env("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
            .output()
            .expect("run dbt");
        assert!(
            out.status.success(),
            "dbt {step:?} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    let db = format!("sqlite:{}", work.path().join("catalog.db").display());
    let namespace = format!("postgres://{host}:{port}");
    let target = project.join("target");
    let import = |format: &str| {
        torro(
            work.path(),
            &[
                "lineage",
                "import-dbt",
                target.to_str().unwrap(),
                "--namespace",
                &namespace,
                "--format",
                format,
                "--database-url",
                &db,
            ],
        )
    };
    let summary = json(&import("json"));
    assert_eq!(summary["project"], "shop");
    assert_eq!(summary["models"], 2, "{summary}");
    assert_eq!(summary["datasets"], 4, "two models, a seed and a source: {summary}");
    assert_eq!(summary["tests"], 2);
    assert_eq!(
        summary["edges_opened"], 3,
        "source -> stg, seed -> totals, stg -> totals: {summary}"
    );
    let again = json(&import("json"));
    assert_eq!(
        (again["edges_opened"].as_u64(), again["edges_closed"].as_u64()),
        (Some(0), Some(0)),
        "idempotent"
    );

    let totals = format!("{namespace}/{database}.analytics.customer_totals");
    let graph = json(&torro(
        work.path(),
        &[
            "lineage",
            "graph",
            &totals,
            "--direction",
            "upstream",
            "--depth",
            "5",
            "--format",
            "json",
            "--database-url",
            &db,
        ],
    ));
    let mut urns: Vec<String> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["urn"].as_str().unwrap().to_string())
        .collect();
    urns.sort();
    assert_eq!(
        urns,
        [
            format!("{namespace}/{database}.analytics.customer_totals"),
            format!("{namespace}/{database}.analytics.raw_customers"),
            format!("{namespace}/{database}.analytics.stg_orders"),
            format!("{namespace}/{database}.app.orders"),
        ]
    );
    // Column lineage from the compiled SQL: total_amount = sum(stg_orders.amount) <- app.orders.amount.
    let column = json(&torro(
        work.path(),
        &[
            "lineage",
            "graph",
            &totals,
            "--direction",
            "upstream",
            "--depth",
            "5",
            "--column",
            "total_amount",
            "--format",
            "json",
            "--database-url",
            &db,
        ],
    ));
    let reached: Vec<(String, serde_json::Value)> = column["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["urn"].as_str().unwrap().to_string(), n["columns"].clone()))
        .collect();
    assert!(
        reached.contains(&(
            format!("{namespace}/{database}.app.orders"),
            serde_json::json!(["amount"])
        )),
        "{reached:?}"
    );
    let runtime_db = runtime.block_on(async {
        let store = torro_catalog::connect(&db).await.unwrap();
        let d = store
            .lineage()
            .get_lineage_dataset(&totals)
            .await
            .unwrap()
            .expect("customer_totals dataset");
        (d.description, d.facets)
    });
    assert_eq!(runtime_db.0.as_deref(), Some("What each customer spent"));
    let tests = runtime_db.1["dbt"]["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 2, "{tests:?}");
    let fields = runtime_db.1["schema"]["fields"].as_array().unwrap();
    assert!(
        fields
            .iter()
            .any(|f| f["name"] == "total_amount" && f["type"] == "numeric"),
        "types from catalog.json: {fields:?}"
    );
    runtime.block_on(pg.drop_database());
}
