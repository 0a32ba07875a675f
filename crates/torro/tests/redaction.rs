//! The real `torro serve` with debug logging: secrets sent to it (connection passwords and
//! keys, bearer tokens, session cookies, the catalog database's password, the secrets key)
//! never appear on its stdout or stderr.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const CATALOG_PASSWORD: &str = "s3cr3tpw";
const DB_PASSWORD: &str = "s3cr3t-db-password-51";
const S3_SECRET: &str = "s3cr3t-aws-secret-key-52";
const TOKEN: &str = "s3cr3t-token-value";
const COOKIE: &str = "s3cr3t-cookie";
const KEY_PASSPHRASE: &str = "s3cr3t-key-passphrase-53";
const ADMIN_PASSWORD: &str = "s3cr3t-admin-password-54";

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

#[test]
fn debug_logs_and_output_hold_no_secrets() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // A PostgreSQL catalog reached with a password in its URL (trust auth accepts any);
    // SQLite when no PostgreSQL is running (the testing module says SKIPPED).
    let db = runtime.block_on(torro_catalog::testing::postgres(false));
    let url = match &db {
        Some(db) => db
            .url
            .replacen("postgres@", &format!("postgres:{CATALOG_PASSWORD}@"), 1),
        None => "sqlite://catalog.db".to_string(),
    };
    if db.is_some() {
        assert!(url.contains(CATALOG_PASSWORD), "{url}");
    }

    let work = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (work.path().join("stdout"), work.path().join("stderr"));
    let child = Command::new(env!("CARGO_BIN_EXE_torro"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &url])
        .current_dir(work.path())
        .env_remove("TORRO_DATABASE_URL")
        .env("TORRO_LOG", "debug")
        .env("TORRO_SECRET_KEY", KEY_PASSPHRASE)
        .env("TORRO_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let server = Server(child);
    let started = Instant::now();
    let base = loop {
        let out = read(&out_path);
        if let Some(w) = out.split_whitespace().find(|w| w.starts_with("http://")) {
            break w.to_string();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no address; stdout {out:?}, stderr {}",
            read(&err_path)
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    // The real credentials of this run: a session (cookie + CSRF token) and an API token.
    let real = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        // Made-up credentials are refused (and must not be logged either).
        for (name, value) in [
            ("Authorization", format!("Bearer {TOKEN}")),
            ("Cookie", format!("torro_session={COOKIE}")),
        ] {
            let refused = client
                .get(format!("{base}/api/auth/me"))
                .header(name, value)
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
        }
        let login = client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
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
        let csrf = login.json::<Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();
        let created = client
            .post(format!("{base}/api/tokens"))
            .header("Cookie", &cookie)
            .header("X-CSRF-Token", &csrf)
            .json(&json!({"name": "redaction"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), reqwest::StatusCode::CREATED);
        let token = created.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let cookie_value = cookie.split_once('=').unwrap().1.to_string();
        (cookie_value, csrf, token)
    });

    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        let send = |method: reqwest::Method, path: String, body: Option<Value>| {
            let mut request = client
                .request(method, format!("{base}{path}"))
                .header("Authorization", format!("Bearer {}", real.2));
            if let Some(body) = body {
                request = request.json(&body);
            }
            async move {
                let response = request.send().await.unwrap();
                (response.status(), response.text().await.unwrap())
            }
        };
        // Port 1 is closed: tests and scans fail, and their errors are logged.
        let mut ids = Vec::new();
        for body in [
            json!({
                "name": "pg-closed",
                "connector_type": "postgres",
                "config": {"database": {"jdbc_url": "jdbc:postgresql://127.0.0.1:1/shop", "user": "app"}},
                "secrets": {"password": DB_PASSWORD}
            }),
            json!({
                "name": "s3-closed",
                "connector_type": "s3",
                "connection_type": "access_key",
                "config": {
                    "containers": ["lake"], "endpoint": "http://127.0.0.1:1", "region": "us-east-1",
                    "options": {"access_key_id": "AKIDEXAMPLE", "allow_http": "true"}
                },
                "secrets": {"secret_access_key": S3_SECRET}
            }),
        ] {
            let (status, text) = send(reqwest::Method::POST, "/api/connections".into(), Some(body)).await;
            assert_eq!(status, reqwest::StatusCode::CREATED, "{text}");
            ids.push(serde_json::from_str::<Value>(&text).unwrap()["id"].as_i64().unwrap());
        }
        for id in ids {
            send(reqwest::Method::POST, format!("/api/connections/{id}/test"), None).await;
            let (_, text) = send(reqwest::Method::POST, format!("/api/connections/{id}/scan"), None).await;
            let scan_id = serde_json::from_str::<Value>(&text).unwrap()["scan_id"].as_i64();
            for _ in 0..400 {
                let Some(scan_id) = scan_id else { break };
                let (_, text) = send(reqwest::Method::GET, format!("/api/scans/{scan_id}"), None).await;
                let run: Value = serde_json::from_str(&text).unwrap();
                if run["status"] != "running" && run["status"] != "queued" {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            send(reqwest::Method::GET, format!("/api/connections/{id}"), None).await;
        }
        for path in [
            "/api/connections",
            "/api/discovery?search=x",
            "/api/nope",
            "/api/auth/me",
        ] {
            send(reqwest::Method::GET, path.into(), None).await;
        }
    });
    drop(server);
    if let Some(db) = db {
        runtime.block_on(db.drop_database());
    }

    let (out, err) = (read(&out_path), read(&err_path));
    assert!(
        err.contains("DEBUG"),
        "debug logging is on, so the test sees what would leak: {err}"
    );
    let (cookie, csrf, token) = &real;
    for secret in [
        DB_PASSWORD,
        S3_SECRET,
        TOKEN,
        COOKIE,
        KEY_PASSPHRASE,
        CATALOG_PASSWORD,
        ADMIN_PASSWORD,
        cookie,
        csrf,
        token,
    ] {
        assert!(!out.contains(secret), "stdout holds {secret}:\n{out}");
        let line = err.lines().find(|l| l.contains(secret)).unwrap_or_default();
        assert!(line.is_empty(), "stderr holds {secret}: {line}");
    }
}
