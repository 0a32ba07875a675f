//! HTTP hardening over real sockets: security headers on every kind of response, CORS
//! allow-list, body limit, request timeout, login rate limit, trusted proxies, and the
//! built-in HTTPS server. Stand-in routes (login, a slow handler) go through the same
//! [`security::harden`] layers as the real router.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::routing::{get, post};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use torro_engine::{Engine, TorroConfig};
use torro_server::security::{self, ClientIp, SecurityConfig, parse_cors_origin, parse_trusted_proxy};
use torro_server::{AppState, ServerConfig};

use crate::helpers::{TestApp, error_message};

async fn state_with(security: SecurityConfig) -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("catalog.db").display());
    let store = torro_catalog::connect(&url).await.expect("connect to SQLite");
    store.migrate().await.expect("migrate");
    let engine = Engine::new(store, TorroConfig::default());
    let config = ServerConfig {
        security,
        ..Default::default()
    };
    (AppState::with_config(engine, config), dir)
}

/// The real router with `security`.
async fn spawn_real(security: SecurityConfig) -> TestApp {
    let (state, dir) = state_with(security).await;
    let store = state.store().clone();
    TestApp::spawn_state(state, store, dir).await
}

/// A server of stand-in routes behind the real hardening layers.
struct Standin {
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

async fn whoami(ip: ClientIp) -> axum::Json<Value> {
    axum::Json(json!({ "ip": ip.0.to_string() }))
}

async fn spawn_standin(security: SecurityConfig) -> Standin {
    let (state, dir) = state_with(security).await;
    let app = Router::new()
        .route("/api/auth/login", post(|| async { "signed in" }))
        .route("/api/auth/oidc/callback", get(|| async { "signed in" }))
        .route("/api/tokens", post(|| async { "token" }).get(|| async { "list" }))
        .route("/api/whoami", get(whoami))
        .route(
            "/api/https",
            get(
                |axum::extract::State(state): axum::extract::State<AppState>, request: Request| async move {
                    let (parts, _) = request.into_parts();
                    axum::Json(json!({ "https": security::request_is_https(&parts, &state) }))
                },
            ),
        )
        .route(
            "/api/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "too late"
            }),
        )
        .route(
            "/api/events",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(600)).await;
                "still streaming"
            }),
        );
    let app = security::harden(app, &state)
        .with_state(state)
        .into_make_service_with_connect_info::<SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .expect("serve");
    });
    Standin {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        _dir: dir,
        _stop: tx,
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).map(|v| v.to_str().expect("ascii").to_string())
}

/// The headers every response must carry.
fn assert_hardened(headers: &HeaderMap, what: &str) {
    assert_eq!(
        header(headers, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(header(headers, "x-frame-options").as_deref(), Some("DENY"), "{what}");
    assert_eq!(
        header(headers, "referrer-policy").as_deref(),
        Some("same-origin"),
        "{what}"
    );
    let csp = header(headers, "content-security-policy").unwrap_or_default();
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{what}: CSP {csp:?} lacks {directive}");
    }
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
}

#[tokio::test]
async fn security_headers_on_api_ui_and_error_responses() {
    let app = spawn_real(SecurityConfig {
        max_body_bytes: 100,
        ..SecurityConfig::default()
    })
    .await;
    let get = |path: &'static str| app.client.get(format!("{}{path}", app.base)).send();

    let api = get("/api/discovery").await.expect("GET");
    assert_eq!(api.status(), StatusCode::OK);
    assert_hardened(api.headers(), "API");
    assert_eq!(header(api.headers(), "cache-control").as_deref(), Some("no-store"));
    assert_eq!(
        header(api.headers(), "strict-transport-security"),
        None,
        "no HSTS over HTTP"
    );

    let missing = get("/api/no-such-thing").await.expect("GET");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_hardened(missing.headers(), "404");
    assert_eq!(header(missing.headers(), "cache-control").as_deref(), Some("no-store"));

    let ui = get("/").await.expect("GET");
    assert_eq!(ui.status(), StatusCode::OK);
    assert_hardened(ui.headers(), "UI");
    // The UI's own caching is kept (index.html revalidates), not overwritten by no-store.
    assert_eq!(header(ui.headers(), "cache-control").as_deref(), Some("no-cache"));

    let health = get("/health").await.expect("GET");
    assert_hardened(health.headers(), "health");

    let too_big = app
        .client
        .post(format!("{}/api/lineage/sql", app.base))
        .json(&json!({ "sql": "x".repeat(500) }))
        .send()
        .await
        .expect("POST");
    let status = too_big.status();
    let headers = too_big.headers().clone();
    let body: Value = too_big.json().await.expect("JSON error");
    assert_eq!(
        status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        error_message(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );
    assert_eq!(body["code"], "payload_too_large");
    assert_hardened(&headers, "413");
}

#[tokio::test]
async fn openlineage_intake_keeps_its_larger_body_limit() {
    let app = spawn_real(SecurityConfig {
        max_body_bytes: 100,
        ..SecurityConfig::default()
    })
    .await;
    let event = json!({
        "eventType": "COMPLETE",
        "eventTime": "2026-01-01T00:00:00Z",
        "run": { "runId": "0190c5b8-5c8e-7e4a-9d3f-7f1d2a3b4c5d" },
        "job": { "namespace": "airflow", "name": "a_rather_long_job_name_to_pass_the_hundred_byte_limit" },
        "inputs": [], "outputs": [],
        "producer": "https://example.com/test", "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json"
    });
    let response = app
        .client
        .post(format!("{}/api/v1/lineage", app.base))
        .json(&event)
        .send()
        .await
        .expect("POST");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert_ne!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(status.is_success(), "{status}: {body}");
}

#[tokio::test]
async fn cors_only_for_listed_origins_with_credentials() {
    let listed = "https://ui.example.com";
    let app = spawn_real(SecurityConfig {
        cors_origins: vec![parse_cors_origin(listed).unwrap()],
        ..SecurityConfig::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, format!("{}/api/discovery/trigger", app.base))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type, x-csrf-token")
            .send()
    };
    let ok = preflight(listed).await.expect("preflight");
    assert!(ok.status().is_success(), "{}", ok.status());
    assert_eq!(
        header(ok.headers(), "access-control-allow-origin").as_deref(),
        Some(listed)
    );
    assert_eq!(
        header(ok.headers(), "access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let methods = header(ok.headers(), "access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = header(ok.headers(), "access-control-allow-headers").unwrap_or_default();
    assert!(allowed.contains("x-csrf-token"), "{allowed}");
    assert_hardened(ok.headers(), "preflight");

    let refused = preflight("https://evil.example.net").await.expect("preflight");
    // Without Access-Control-Allow-Origin the browser refuses (tower-http still sends
    // Allow-Credentials, which means nothing on its own).
    assert_eq!(header(refused.headers(), "access-control-allow-origin"), None);

    let simple = |origin: &'static str| {
        app.client
            .get(format!("{}/api/discovery", app.base))
            .header("origin", origin)
            .send()
    };
    let ok = simple(listed).await.expect("GET");
    assert_eq!(
        header(ok.headers(), "access-control-allow-origin").as_deref(),
        Some(listed)
    );
    let vary = header(ok.headers(), "vary").unwrap_or_default();
    assert!(
        vary.to_ascii_lowercase().contains("origin"),
        "caches must key on Origin: {vary}"
    );
    let refused = simple("http://ui.example.com").await.expect("GET");
    assert_eq!(
        header(refused.headers(), "access-control-allow-origin"),
        None,
        "scheme differs"
    );
}

#[tokio::test]
async fn no_cors_by_default() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/api/discovery", app.base))
        .header("origin", "https://anywhere.example.com")
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(response.headers(), "access-control-allow-origin"), None);
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/discovery", app.base))
        .header("origin", "https://anywhere.example.com")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("OPTIONS");
    assert_eq!(header(preflight.headers(), "access-control-allow-origin"), None);
}

#[tokio::test]
async fn slow_requests_time_out_with_json_but_the_event_stream_does_not() {
    let app = spawn_standin(SecurityConfig {
        request_timeout: Duration::from_millis(200),
        ..SecurityConfig::default()
    })
    .await;
    let started = std::time::Instant::now();
    let slow = app
        .client
        .get(format!("{}/api/slow", app.base))
        .send()
        .await
        .expect("GET");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(slow.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_hardened(slow.headers(), "timeout");
    let body: Value = slow.json().await.expect("JSON");
    assert_eq!(body["code"], "unavailable", "{body}");
    assert!(body["message"].as_str().unwrap().contains("200 ms"), "{body}");
    assert!(body["error_id"].is_string(), "{body}");

    let events = app
        .client
        .get(format!("{}/api/events", app.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(events.text().await.unwrap(), "still streaming");
}

#[tokio::test]
async fn login_is_rate_limited_per_client_then_recovers() {
    // One attempt every 2 s (long enough that a loaded machine does not refill the
    // bucket between two requests), three at once.
    let app = spawn_standin(SecurityConfig {
        login_rate_per_minute: NonZeroU32::new(30).unwrap(),
        login_burst: NonZeroU32::new(3).unwrap(),
        trusted_proxies: vec![parse_trusted_proxy("127.0.0.1").unwrap()],
        ..SecurityConfig::default()
    })
    .await;
    let login = |client_ip: &'static str| {
        app.client
            .post(format!("{}/api/auth/login", app.base))
            .header("x-forwarded-for", client_ip)
            .send()
    };
    let mut limited = None;
    for attempt in 1..=10 {
        let response = login("198.51.100.1").await.expect("POST");
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((attempt, response));
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    let (attempt, response) = limited.expect("the 10th attempt at the latest is refused");
    assert!(attempt > 3, "the burst of 3 passes; refused at attempt {attempt}");
    let retry_after: u64 = header(response.headers(), "retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_hardened(response.headers(), "429");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["code"], "rate_limited", "{body}");

    // The token and OIDC endpoints share the client's budget; other routes are free.
    let tokens = app
        .client
        .post(format!("{}/api/tokens", app.base))
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(tokens.status(), StatusCode::TOO_MANY_REQUESTS);
    let callback = app
        .client
        .get(format!("{}/api/auth/oidc/callback?code=x&state=y", app.base))
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), StatusCode::TOO_MANY_REQUESTS);
    let list = app
        .client
        .get(format!("{}/api/tokens", app.base))
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);

    // Another client behind the same proxy has its own budget.
    assert_eq!(login("198.51.100.2").await.unwrap().status(), StatusCode::OK);

    // Waiting Retry-After brings an attempt back.
    tokio::time::sleep(Duration::from_secs(retry_after) + Duration::from_millis(100)).await;
    assert_eq!(login("198.51.100.1").await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn forwarded_headers_of_untrusted_peers_are_ignored() {
    // The rate limit cannot be dodged by inventing addresses when the peer is not trusted.
    let app = spawn_standin(SecurityConfig {
        login_rate_per_minute: NonZeroU32::new(1).unwrap(),
        login_burst: NonZeroU32::new(1).unwrap(),
        trusted_proxies: vec![parse_trusted_proxy("10.0.0.0/8").unwrap()],
        ..SecurityConfig::default()
    })
    .await;
    let whoami = app
        .client
        .get(format!("{}/api/whoami", app.base))
        .header("x-forwarded-for", "6.6.6.6")
        .send()
        .await
        .unwrap();
    let body: Value = whoami.json().await.unwrap();
    assert_eq!(body["ip"], "127.0.0.1");
    let https = app
        .client
        .get(format!("{}/api/https", app.base))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(header(https.headers(), "strict-transport-security"), None);
    let body: Value = https.json().await.unwrap();
    assert_eq!(body["https"], false);

    let statuses = futures::future::join_all(["1.1.1.1", "2.2.2.2"].map(|ip| {
        app.client
            .post(format!("{}/api/auth/login", app.base))
            .header("x-forwarded-for", ip)
            .send()
    }))
    .await;
    let statuses: Vec<_> = statuses.into_iter().map(|r| r.unwrap().status()).collect();
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "both count as 127.0.0.1: {statuses:?}"
    );
}

#[tokio::test]
async fn forwarded_headers_of_trusted_proxies_are_used() {
    let app = spawn_standin(SecurityConfig {
        trusted_proxies: vec![parse_trusted_proxy("127.0.0.0/8").unwrap()],
        ..SecurityConfig::default()
    })
    .await;
    let whoami = app
        .client
        .get(format!("{}/api/whoami", app.base))
        .header("x-forwarded-for", "6.6.6.6, 198.51.100.7, 127.0.0.5")
        .send()
        .await
        .unwrap();
    let body: Value = whoami.json().await.unwrap();
    assert_eq!(body["ip"], "198.51.100.7", "right-most address that is not a proxy");
    let https = app
        .client
        .get(format!("{}/api/https", app.base))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(header(https.headers(), "strict-transport-security").is_some());
    let body: Value = https.json().await.unwrap();
    assert_eq!(body["https"], true);
}

mod tls {
    use super::*;

    struct Cert {
        dir: tempfile::TempDir,
        pem: String,
    }

    impl Cert {
        fn cert(&self) -> std::path::PathBuf {
            self.dir.path().join("cert.pem")
        }
        fn key(&self) -> std::path::PathBuf {
            self.dir.path().join("key.pem")
        }
    }

    fn self_signed() -> Cert {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), signing_key.serialize_pem()).unwrap();
        Cert { dir, pem: cert.pem() }
    }

    #[tokio::test]
    async fn https_with_the_certificate_as_only_root_and_plain_http_fails_cleanly() {
        let cert = self_signed();
        let tls = torro_server::tls::load_tls(&cert.cert(), &cert.key()).expect("load");
        let (state, _dir) = state_with(SecurityConfig {
            tls: true,
            ..SecurityConfig::default()
        })
        .await;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(torro_server::tls::serve_tls(listener, state, tls, async move {
            let _ = rx.await;
        }));

        let client = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(cert.pem.as_bytes()).unwrap())
            .resolve("localhost", addr)
            .build()
            .unwrap();
        let url = format!("https://localhost:{}/health", addr.port());
        let response = client.get(&url).send().await.expect("HTTPS with our certificate");
        assert_eq!(response.status(), StatusCode::OK);
        assert_hardened(response.headers(), "HTTPS");
        let hsts = header(response.headers(), "strict-transport-security").expect("HSTS over HTTPS");
        assert!(hsts.contains("max-age="), "{hsts}");

        // A client that does not trust the certificate is refused.
        let stranger = reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .resolve("localhost", addr)
            .build()
            .unwrap();
        assert!(stranger.get(&url).send().await.is_err());

        // Plain HTTP to the TLS port is an error, not a hang, and the server lives on.
        let plain = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
            .get(format!("http://127.0.0.1:{}/health", addr.port()))
            .send()
            .await;
        match plain {
            Err(e) => assert!(!e.is_timeout(), "plain HTTP hung: {e}"),
            Ok(r) => assert!(!r.status().is_success(), "plain HTTP got {}", r.status()),
        }
        assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::OK);

        // Graceful shutdown ends the server.
        tx.send(()).unwrap();
        drop(client);
        tokio::time::timeout(Duration::from_secs(15), server)
            .await
            .expect("stops")
            .expect("task")
            .expect("serve ends cleanly");
    }

    #[test]
    fn missing_or_bad_files_give_clear_errors() {
        let cert = self_signed();
        let missing = cert.dir.path().join("nope.pem");
        let err = torro_server::tls::load_tls(&missing, &cert.key())
            .unwrap_err()
            .to_string();
        assert!(err.contains("nope.pem") && err.contains("certificate"), "{err}");

        let garbage = cert.dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate").unwrap();
        let err = torro_server::tls::load_tls(&garbage, &cert.key())
            .unwrap_err()
            .to_string();
        assert!(err.contains("holds no PEM certificate"), "{err}");

        let err = torro_server::tls::load_tls(&cert.cert(), &garbage)
            .unwrap_err()
            .to_string();
        assert!(err.contains("private key") && err.contains("garbage.pem"), "{err}");

        let other = self_signed();
        let err = torro_server::tls::load_tls(&cert.cert(), &other.key())
            .unwrap_err()
            .to_string();
        assert!(err.contains("do not fit together"), "{err}");
    }
}
