//! Notifications end to end with real parts: a real SMTP server (aiosmtpd, storing what it
//! receives in a maildir) and a local HTTP receiver; a worker scans a folder, writes the
//! outbox rows with the run's finish, and delivers them, on SQLite, PostgreSQL and MariaDB.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio_util::sync::CancellationToken;
use torro_catalog::OutboxStatus;
use torro_catalog::testing::TestDb;
use torro_engine::{Engine, TorroConfig, Worker, WorkerOptions};

torro_catalog::backend_suite!(
    a_scan_with_new_files_sends_one_mail,
    a_webhook_arrives_signed,
    mail_is_retried_until_the_smtp_server_is_up,
);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The Python that has aiosmtpd: TORRO_TEST_SMTP_PYTHON (set by scripts/services.sh), or
/// the repository's .tools/venv. `None` (said loudly; a failure with CI=true) when missing.
fn smtp_python() -> Option<PathBuf> {
    let candidates = std::env::var("TORRO_TEST_SMTP_PYTHON")
        .ok()
        .map(PathBuf::from)
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python")]);
    for python in candidates {
        let ok = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(python);
        }
    }
    let msg = "aiosmtpd is not installed (scripts/services.sh start installs it into .tools/venv)";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (CI=true: a missing service is a failure)");
    }
    eprintln!("\n*** SKIPPED: {msg} ***\n");
    None
}

/// A real SMTP server on 127.0.0.1:`port` that stores each message in `maildir`; stopped on drop.
struct Smtp {
    child: Child,
}

impl Smtp {
    fn start(python: &Path, port: u16, maildir: &Path) -> Smtp {
        // Python's Maildir creates its folders only for a directory that does not exist yet.
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let child = Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let smtp = Smtp { child };
        for _ in 0..100 {
            if let Ok(s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::Read;
                let mut greeting = [0u8; 3];
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                if (&s).read_exact(&mut greeting).is_ok() && &greeting == b"220" {
                    return smtp;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("aiosmtpd did not answer on port {port}");
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mails(maildir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(maildir.join(sub)) {
            for e in entries.flatten() {
                out.push(std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

fn lake() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("raw")).unwrap();
    std::fs::write(
        dir.path().join("raw/customers.csv"),
        "id,name,email\n1,a,a@x\n2,b,b@x\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("raw/orders.csv"), "id,customer_id\n1,1\n").unwrap();
    dir
}

fn config(lake: &Path, notifications: &str) -> TorroConfig {
    TorroConfig::from_toml(&format!(
        r#"
        [[sources]]
        name = "lake"
        root = "{}"
        environment = "production"

        [notifications]
        public_url = "http://torro.test"
        retry_base_secs = 1
        lease_secs = 10
        {notifications}
        "#,
        lake.display()
    ))
    .unwrap()
}

fn smtp_config(port: u16) -> String {
    format!(
        r#"
        recipients = ["data-team@example.com"]
        environments = {{ production = ["oncall@example.com"] }}
        [notifications.smtp]
        host = "127.0.0.1"
        port = {port}
        tls = "none"
        from = "Torro <torro@example.com>"
        timeout_secs = 5
        "#
    )
}

fn start_worker(engine: &Engine) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let shutdown = CancellationToken::new();
    let options = WorkerOptions {
        name: "notify-test".into(),
        poll: Duration::from_millis(100),
        lease: Duration::from_secs(5),
        shutdown_grace: Duration::from_secs(5),
        ..WorkerOptions::new(1)
    };
    (shutdown.clone(), Worker::new(engine.clone(), options).spawn(shutdown))
}

/// Waits until every outbox row is delivered (or dead) and returns them.
async fn outbox_settled(db: &TestDb, rows: usize) -> Vec<torro_catalog::OutboxMessage> {
    for _ in 0..300 {
        let all = db.store.outbox().list_outbox(None, 100).await.unwrap();
        if all.len() >= rows && all.iter().all(|m| m.status != OutboxStatus::Pending) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "outbox not delivered: {:?}",
        db.store.outbox().list_outbox(None, 100).await.unwrap()
    );
}

async fn scan_and_wait(engine: &Engine, db: &TestDb) -> i64 {
    let queued = engine.enqueue_sources_scan("test", None, Utc::now()).await.unwrap();
    for _ in 0..300 {
        let run = db.store.get_scan_run(queued.run.id).await.unwrap().unwrap();
        if run.finished_at.is_some() {
            return run.id;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("scan {} did not finish", queued.run.id);
}

async fn a_scan_with_new_files_sends_one_mail(db: &TestDb) {
    let Some(python) = smtp_python() else { return };
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let _smtp = Smtp::start(&python, port, maildir.path());
    let lake = lake();
    let engine = Engine::new(db.store.clone(), config(lake.path(), &smtp_config(port)));
    let (shutdown, worker) = start_worker(&engine);

    let scan_id = scan_and_wait(&engine, db).await;
    let rows = outbox_settled(db, 1).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].status, OutboxStatus::Delivered);
    assert_eq!(rows[0].channel, "email");

    // A rescan that finds nothing new tells nobody.
    scan_and_wait(&engine, db).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(db.store.outbox().list_outbox(None, 100).await.unwrap().len(), 1);
    shutdown.cancel();
    worker.await.unwrap();

    let received = mails(maildir.path());
    assert_eq!(received.len(), 1, "exactly one mail");
    let mail = mail_parser::MessageParser::default()
        .parse(&received[0])
        .expect("a parseable mail");
    let subject = mail.subject().unwrap();
    assert!(
        subject.contains(&format!("scan #{scan_id}")) && subject.contains("2 new"),
        "{subject}"
    );
    let to: Vec<String> = mail
        .to()
        .unwrap()
        .iter()
        .filter_map(|a| a.address().map(str::to_string))
        .collect();
    assert_eq!(to, ["data-team@example.com", "oncall@example.com"]);
    let html = mail.body_html(0).unwrap();
    assert!(
        html.contains("<th>Path</th><th>Format</th><th>Size</th><th>Columns</th>"),
        "{html}"
    );
    assert!(
        html.contains("raw/customers.csv") && html.contains("raw/orders.csv"),
        "{html}"
    );
    assert!(html.contains(&format!("http://torro.test/scans/{scan_id}")), "{html}");
    assert!(html.contains("http://torro.test/discoveries/"), "{html}");
    let text = mail.body_text(0).unwrap();
    // path | format | size | columns
    let size = |name: &str| std::fs::metadata(lake.path().join(name)).unwrap().len();
    let customers = format!(
        "raw/customers.csv | csv | {} bytes | 3 columns",
        size("raw/customers.csv")
    );
    let orders = format!("raw/orders.csv | csv | {} bytes | 2 columns", size("raw/orders.csv"));
    assert!(text.contains(&customers) && text.contains(&orders), "{text}");
}

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A local HTTP receiver on 127.0.0.1 that keeps every POST; stopped with the token.
async fn receiver() -> (String, Received, CancellationToken) {
    let received: Received = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    let until = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { until.cancelled().await })
            .await
            .unwrap()
    });
    (url, received, stop)
}

async fn a_webhook_arrives_signed(db: &TestDb) {
    let (url, received, stop) = receiver().await;
    let lake = lake();
    let hooks = format!(
        r#"
        [[notifications.webhooks]]
        name = "catalog-events"
        url = "{url}"
        secret = "s3cret"
        [[notifications.webhooks]]
        name = "failures-only"
        url = "{url}"
        format = "slack"
        events = ["failed"]
        "#
    );
    let engine = Engine::new(db.store.clone(), config(lake.path(), &hooks));
    let (shutdown, worker) = start_worker(&engine);
    let scan_id = scan_and_wait(&engine, db).await;
    let rows = outbox_settled(db, 1).await;
    shutdown.cancel();
    worker.await.unwrap();
    stop.cancel();
    // Only the webhook whose events match: the scan found new files, no failures.
    assert_eq!(rows.len(), 1, "{rows:?}");
    let received = received.lock().unwrap();
    assert_eq!(received.len(), 1);
    let (headers, body) = &received[0];
    let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
    mac.update(body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        headers["x-torro-signature"].to_str().unwrap(),
        format!("sha256={expected}")
    );
    assert_eq!(headers["x-torro-delivery"].to_str().unwrap(), rows[0].id.to_string());
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["scan"]["id"], scan_id);
    assert_eq!(json["scan"]["counts"]["new"], 2);
    assert_eq!(json["new_files_total"], 2);
    let paths: Vec<&str> = json["new_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["raw/customers.csv", "raw/orders.csv"]);
}

async fn mail_is_retried_until_the_smtp_server_is_up(db: &TestDb) {
    let Some(python) = smtp_python() else { return };
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let lake = lake();
    let engine = Engine::new(db.store.clone(), config(lake.path(), &smtp_config(port)));
    let (shutdown, worker) = start_worker(&engine);
    scan_and_wait(&engine, db).await;
    // Nothing listens yet: the first attempt fails and the row waits for its retry.
    let mut failed = None;
    for _ in 0..100 {
        let rows = db.store.outbox().list_outbox(None, 10).await.unwrap();
        if let Some(m) = rows.into_iter().find(|m| m.last_error.is_some()) {
            failed = Some(m);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed = failed.expect("a failed first attempt");
    assert_eq!(failed.status, OutboxStatus::Pending);
    assert!(
        failed.last_error.as_deref().unwrap().contains("SMTP 127.0.0.1"),
        "{failed:?}"
    );

    let _smtp = Smtp::start(&python, port, maildir.path());
    let rows = outbox_settled(db, 1).await;
    shutdown.cancel();
    worker.await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, OutboxStatus::Delivered);
    assert!(rows[0].attempts >= 2, "{:?}", rows[0]);
    assert_eq!(mails(maildir.path()).len(), 1, "delivered exactly once");
}

#[tokio::test]
async fn the_test_endpoint_reports_each_channel() {
    let Some(db) = torro_catalog::testing::sqlite(true).await else {
        return;
    };
    let (url, received, stop) = receiver().await;
    let lake = lake();
    let dead_port = free_port();
    let settings = format!(
        "{}\n[[notifications.webhooks]]\nname = \"teams\"\nurl = \"{url}\"\nformat = \"teams\"\n",
        smtp_config(dead_port)
    );
    let engine = Engine::new(db.store.clone(), config(lake.path(), &settings));
    let results = engine.test_notifications().await;
    stop.cancel();
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!((results[0].channel.as_str(), results[0].ok), ("email", false));
    assert!(
        results[0].error.as_deref().unwrap().contains("SMTP 127.0.0.1"),
        "{results:?}"
    );
    assert_eq!((results[1].channel.as_str(), results[1].ok), ("webhook", true));
    let body: serde_json::Value = serde_json::from_slice(&received.lock().unwrap()[0].1).unwrap();
    assert_eq!(body["@type"], "MessageCard");
    db.drop_database().await;
}
