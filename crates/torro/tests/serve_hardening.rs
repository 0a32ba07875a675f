//! `torro serve`'s hardening flags on the real binary: HTTPS with `--tls-cert/--tls-key`,
//! and clear errors (exit code 1) for missing or bad certificate files and bad flags.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(cwd: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_torro"));
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", "0", "--no-scheduler"])
        .args(extra)
        .current_dir(cwd)
        .env_remove("TORRO_DATABASE_URL")
        .env("TORRO_LOG", "error");
    command
}

fn fails(cwd: &Path, extra: &[&str]) -> Output {
    let out = serve(cwd, extra).output().expect("run torro");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn self_signed(dir: &Path) -> String {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), signing_key.serialize_pem()).unwrap();
    cert.pem()
}

#[test]
fn serve_over_https_with_hsts() {
    let work = tempfile::tempdir().unwrap();
    let pem = self_signed(work.path());
    let child = serve(work.path(), &["--tls-cert", "cert.pem", "--tls-key", "key.pem"])
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
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no https address in {line:?}"))
        .to_string();
    let addr: std::net::SocketAddr = base.trim_start_matches("https://").parse().unwrap();

    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap())
            .resolve("localhost", addr)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let response = client
            .get(format!("https://localhost:{}/health", addr.port()))
            .send()
            .await
            .expect("HTTPS");
        assert_eq!(response.status(), 200);
        assert!(response.headers().contains_key("strict-transport-security"));
        assert_eq!(response.headers()["x-frame-options"], "DENY");
    });
    drop(server);
}

#[test]
fn bad_tls_files_and_flags_fail_with_a_clear_message() {
    let work = tempfile::tempdir().unwrap();
    self_signed(work.path());
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();

    let out = fails(work.path(), &["--tls-cert", "missing.pem", "--tls-key", "key.pem"]);
    assert!(
        stderr(&out).contains("cannot read the TLS certificate missing.pem"),
        "{}",
        stderr(&out)
    );

    std::fs::write(work.path().join("bad.pem"), "hello").unwrap();
    let out = fails(work.path(), &["--tls-cert", "cert.pem", "--tls-key", "bad.pem"]);
    assert!(stderr(&out).contains("TLS private key bad.pem"), "{}", stderr(&out));

    let out = fails(work.path(), &["--cors-origin", "https://ui.example.com/app"]);
    assert!(stderr(&out).contains("--cors-origin"), "{}", stderr(&out));

    let out = fails(work.path(), &["--trusted-proxy", "10.0.0.0/99"]);
    assert!(stderr(&out).contains("--trusted-proxy"), "{}", stderr(&out));

    // clap refuses a certificate without its key (usage error, exit code 2).
    let out = serve(work.path(), &["--tls-cert", "cert.pem"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--tls-key"), "{}", stderr(&out));
}
