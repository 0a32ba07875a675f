//! The real `torro` binary: its commands, output formats and exit codes, and
//! `serve --demo` on a random loopback port answered over real HTTP.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn torro(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_torro"))
        .args(args)
        .current_dir(cwd)
        .env_remove("TORRO_DATABASE_URL")
        .env("TORRO_LOG", "error")
        .output()
        .expect("run torro")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn scan_list_show_with_json_output_and_exit_codes() {
    let work = tempfile::tempdir().unwrap();
    let lake = work.path().join("lake");
    std::fs::create_dir_all(lake.join("raw")).unwrap();
    std::fs::write(lake.join("raw/customers.csv"), "id,email\n1,a@x.io\n").unwrap();
    std::fs::write(lake.join("raw/broken.parquet"), "not parquet").unwrap();

    let out = torro(work.path(), &["scan", "lake", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = json(&out);
    assert_eq!(report["scan"]["counts"]["new"], 1);
    assert_eq!(report["scan"]["counts"]["failed"], 1);
    assert!(
        report["errors"][0]["message"].as_str().unwrap().contains("Parquet"),
        "{report}"
    );
    assert!(
        work.path().join("torro.db").exists(),
        "the default catalog is ./torro.db"
    );

    // --strict turns per-file errors into exit code 3 (the broken file is unchanged, but
    // its error is in the catalog, not re-reported, so touch it to make the scan read it again).
    std::fs::write(lake.join("raw/broken.parquet"), "still not parquet").unwrap();
    let strict = torro(work.path(), &["scan", "lake", "--strict"]);
    assert_eq!(strict.status.code(), Some(3), "{}", text(&strict.stdout));
    assert!(text(&strict.stdout).contains("1 failed"), "{}", text(&strict.stdout));

    let list = torro(
        work.path(),
        &["discoveries", "list", "--format", "json", "--search", "email"],
    );
    assert!(list.status.success(), "{}", text(&list.stderr));
    let page = json(&list);
    assert_eq!(page["total"], 1);
    let id = page["items"][0]["id"].as_i64().unwrap();

    let show = torro(work.path(), &["discoveries", "show", &id.to_string()]);
    assert!(text(&show.stdout).contains("email"), "{}", text(&show.stdout));
    let table = torro(work.path(), &["discoveries", "list", "--status", "error"]);
    assert!(
        text(&table.stdout).contains("raw/broken.parquet"),
        "{}",
        text(&table.stdout)
    );

    let missing = torro(work.path(), &["discoveries", "show", "999"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("no catalog entry with id 999"),
        "{}",
        text(&missing.stderr)
    );
    let bad_status = torro(work.path(), &["discoveries", "list", "--status", "done"]);
    assert_eq!(bad_status.status.code(), Some(1));
    assert!(
        text(&bad_status.stderr).contains("expected active"),
        "{}",
        text(&bad_status.stderr)
    );
    let no_folder = torro(work.path(), &["scan", "nope"]);
    assert_eq!(no_folder.status.code(), Some(1));
    assert!(
        text(&no_folder.stderr).contains("nope is not a folder"),
        "{}",
        text(&no_folder.stderr)
    );
    let usage = torro(work.path(), &["discoveries", "list", "--size", "1000"]);
    assert_eq!(usage.status.code(), Some(2), "clap reports bad usage with 2");
    let bad_db = torro(work.path(), &["migrate", "--database-url", "oracle://x"]);
    assert_eq!(bad_db.status.code(), Some(1));
    assert!(
        text(&bad_db.stderr).contains("cannot open the catalog"),
        "{}",
        text(&bad_db.stderr)
    );
}

#[test]
fn serve_demo_prints_its_address_and_answers_over_http() {
    let work = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_torro"))
        .args(["serve", "--demo", "--bind", "127.0.0.1:0"])
        .current_dir(work.path())
        .env_remove("TORRO_DATABASE_URL")
        .env("TORRO_LOG", "error")
        .env("TORRO_ADMIN_PASSWORD", "demo admin passphrase")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let anonymous = client.get(format!("{base}/api/discovery/stats")).send().await.unwrap();
        assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
        // The first start made `admin` with TORRO_ADMIN_PASSWORD.
        let login = client
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"username": "admin", "password": "demo admin passphrase"}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), reqwest::StatusCode::OK);
        let cookie = login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let get = |path: &str| {
            let url = format!("{base}{path}");
            let client = client.clone();
            let cookie = cookie.clone();
            async move {
                client
                    .get(url)
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(get("/health").await["status"], "ok");
        let stats = get("/api/discovery/stats").await;
        assert_eq!(stats["total"], 15, "{stats}");
        assert_eq!(
            stats["by_status"]["error"], 1,
            "the demo's truncated Parquet file: {stats}"
        );
        for format in ["csv", "tsv", "json", "ndjson", "parquet", "avro"] {
            assert!(
                stats["by_format"][format].as_i64().unwrap_or(0) >= 1,
                "{format}: {stats}"
            );
        }
        let found = get("/api/discovery?search=iban").await;
        assert_eq!(found["discoveries"][0]["name"], "payments.avro", "{found}");
        let partitioned = get("/api/discovery?search=sales&size=100").await;
        assert_eq!(partitioned["pagination"]["total"], 3, "{partitioned}");
    });
    assert!(
        work.path()
            .join("demo-lake/curated/sales/year=2024/month=01/part-00000.parquet")
            .exists()
    );
    drop(server);
}

#[test]
fn connections_add_list_show_test_remove() {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("lake/raw")).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_torro"))
            .args(args)
            .current_dir(work.path())
            .env_remove("TORRO_DATABASE_URL")
            .env_remove("TORRO_SECRET_KEY")
            .env_remove("TORRO_SECRET_KEY_FILE")
            .env("TORRO_LOG", "error")
            .env("LAKE_PASSWORD", "cli-secret-plaintext")
            .output()
            .expect("run torro")
    };
    let add = run(&[
        "connections",
        "add",
        "--name",
        "local-lake",
        "--type",
        "local",
        "--root",
        "lake",
        "--container",
        "raw",
        "--environment",
        "development",
        "--tag",
        "demo",
        "--secret-env",
        "password=LAKE_PASSWORD",
        "--format",
        "json",
    ]);
    assert!(add.status.success(), "{}", text(&add.stderr));
    let added = json(&add);
    assert_eq!(added["secrets"], serde_json::json!({"password": "***"}));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(work.path().join("torro.key")).expect("key file created on first use");
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }

    let list = run(&["connections", "list", "--format", "json"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let list = json(&list);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["name"], "local-lake");
    assert_eq!(list[0]["connector_type"], "local");
    assert_eq!(list[0]["config"]["containers"], serde_json::json!(["raw"]));
    let root = list[0]["config"]["root"].as_str().unwrap();
    assert!(std::path::Path::new(root).is_absolute(), "{root}");
    assert!(!list.to_string().contains("cli-secret-plaintext"));

    let table = run(&["connections", "list"]);
    assert!(text(&table.stdout).contains("local-lake"), "{}", text(&table.stdout));
    let show = run(&["connections", "show", "local-lake"]);
    assert!(text(&show.stdout).contains("password=***"), "{}", text(&show.stdout));
    assert!(!text(&show.stdout).contains("cli-secret-plaintext"));

    let test = run(&["connections", "test", "local-lake", "--format", "json"]);
    assert!(test.status.success(), "{} {}", text(&test.stdout), text(&test.stderr));
    assert_eq!(json(&test)["ok"], true);

    let dup = run(&[
        "connections",
        "add",
        "--name",
        "local-lake",
        "--type",
        "local",
        "--root",
        "lake",
    ]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(text(&dup.stderr).contains("already exists"), "{}", text(&dup.stderr));

    let remove = run(&["connections", "remove", "local-lake"]);
    assert!(remove.status.success(), "{}", text(&remove.stderr));
    let list = json(&run(&["connections", "list", "--format", "json"]));
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let db = std::fs::read(work.path().join("torro.db")).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains("cli-secret-plaintext"));
}

#[test]
fn a_database_connection_is_scanned_and_its_assets_listed_shown_and_versioned() {
    let work = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_torro"))
            .args(args)
            .current_dir(work.path())
            .env_remove("TORRO_DATABASE_URL")
            .env_remove("TORRO_SECRET_KEY")
            .env("TORRO_LOG", "error")
            .output()
            .expect("run torro")
    };
    // A real SQLite database to scan: a Torro catalog made by `torro migrate` has tables.
    let migrate = run(&["migrate", "--database-url", "sqlite:source.db"]);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    let source = work.path().join("source.db");
    let add = run(&[
        "connections",
        "add",
        "--name",
        "app",
        "--type",
        "sqlite",
        "--jdbc-url",
        &format!("jdbc:sqlite:{}", source.display()),
    ]);
    assert!(add.status.success(), "{}", text(&add.stderr));

    let scan = run(&["connections", "scan", "app", "--format", "json"]);
    assert!(scan.status.success(), "{} {}", text(&scan.stdout), text(&scan.stderr));
    let scan = json(&scan);
    assert_eq!(scan["status"], "succeeded", "{scan}");
    let tables = scan["counts"]["new"].as_i64().unwrap();
    assert!(tables >= 5, "{scan}");

    let list = run(&[
        "assets",
        "list",
        "--type",
        "table",
        "--search",
        "discoveries",
        "--format",
        "json",
    ]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let list = json(&list);
    let discoveries = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["qualified_name"] == "main.discoveries")
        .unwrap_or_else(|| panic!("{list}"));
    let id = discoveries["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("db-"), "{id}");

    let show = run(&["assets", "show", &id]);
    assert!(show.status.success(), "{}", text(&show.stderr));
    let shown = text(&show.stdout);
    assert!(
        shown.contains("table main.discoveries") && shown.contains("location_key"),
        "{shown}"
    );

    let history = run(&["assets", "history", &id, "--format", "json"]);
    assert!(history.status.success(), "{}", text(&history.stderr));
    assert_eq!(json(&history).as_array().unwrap().len(), 1);

    let table = run(&["assets", "list"]);
    assert!(
        text(&table.stdout).contains("main.discoveries"),
        "{}",
        text(&table.stdout)
    );
    let missing = run(&["assets", "show", "db-999999"]);
    assert_eq!(missing.status.code(), Some(3), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("torro assets list"));
    let bad_id = run(&["assets", "history", "nonsense"]);
    assert_eq!(bad_id.status.code(), Some(3));
}

#[test]
fn users_are_managed_from_the_command_line_and_tokens_printed_once() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", work.path().join("c.db").display());
    let run = |args: &[&str], password: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_torro"));
        command
            .args(args)
            .args(["--database-url", &db])
            .current_dir(work.path())
            .env("TORRO_LOG", "error");
        match password {
            Some(p) => command.env("TORRO_NEW_PASSWORD", p),
            None => command.env_remove("TORRO_NEW_PASSWORD"),
        };
        command.stdin(Stdio::null()).output().unwrap()
    };
    assert!(torro(work.path(), &["migrate", "--database-url", &db]).status.success());
    let added = run(
        &["users", "add", "ana", "--role", "data_governor"],
        Some("a long passphrase"),
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let short = run(&["users", "add", "bo", "--role", "viewer"], Some("short"));
    assert_eq!(short.status.code(), Some(1));
    assert!(text(&short.stderr).contains("at least 10"), "{}", text(&short.stderr));
    let bad_role = run(&["users", "add", "bo", "--role", "root"], Some("a long passphrase"));
    assert_eq!(bad_role.status.code(), Some(2), "clap refuses an unknown role");

    let listed = run(&["users", "list", "--format", "json"], None);
    let users = json(&listed);
    assert_eq!(users[0]["username"], "ana");
    assert_eq!(users[0]["role"], "steward");

    assert!(run(&["users", "set-role", "ana", "engineer"], None).status.success());
    let token = run(&["users", "create-token", "ana", "--name", "airflow"], None);
    assert!(token.status.success(), "{}", text(&token.stderr));
    let printed = text(&token.stdout);
    assert!(
        printed.trim().starts_with("torro_pat_") && printed.lines().count() == 1,
        "{printed}"
    );
    assert!(text(&token.stderr).contains("role engineer"), "{}", text(&token.stderr));
    assert_eq!(run(&["users", "disable", "nobody"], None).status.code(), Some(3));

    let no_auth = torro(
        work.path(),
        &["serve", "--no-auth", "--bind", "0.0.0.0:0", "--database-url", &db],
    );
    assert_eq!(no_auth.status.code(), Some(2));
    assert!(text(&no_auth.stderr).contains("loopback"), "{}", text(&no_auth.stderr));
}
