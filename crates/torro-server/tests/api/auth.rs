//! Authentication and authorisation over HTTP: every route's access for every role,
//! sessions with CSRF, session expiry, the token lifecycle, identity in the audit log.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use torro_model::{Permission, Role};
use torro_server::auth::access::{self, Access};
use torro_server::{AppState, AuthConfig, ServerConfig};

use crate::helpers::{TestApp, client_with_token, create_user_with_token, error_message};

/// A path of the OpenAPI document with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{namespace}", "ns")
        .replace("{name}", "n")
}

fn operations(doc: &Value) -> Vec<(Method, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            out.push((method, path.clone()));
        }
    }
    out
}

async fn call(client: &reqwest::Client, base: &str, method: &Method, path: &str) -> StatusCode {
    let mut request = client.request(method.clone(), format!("{base}{}", concrete(path)));
    if !matches!(*method, Method::GET | Method::HEAD | Method::DELETE) {
        request = request.json(&json!({}));
    }
    let response = request.send().await.expect("request");
    response.status()
}

#[tokio::test]
async fn every_route_is_classified_and_refuses_who_it_must() {
    let app = TestApp::spawn().await;
    let (_, doc) = app.get("/api/openapi.json").await;
    let ops = operations(&doc);
    assert!(ops.len() > 50, "the document lists the routes: {}", ops.len());
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let token = create_user_with_token(&app.store, &format!("user-{role}"), role).await;
        tokens.push((role, client_with_token(&token)));
    }
    let anonymous = reqwest::Client::new();
    for (method, path) in &ops {
        let route = path.as_str();
        let access = access::classify(method, route)
            .unwrap_or_else(|| panic!("{method} {route} is in no line of auth::access::classify"));
        let anon = call(&anonymous, &app.base, method, route).await;
        if access == Access::Public {
            assert_ne!(anon, StatusCode::UNAUTHORIZED, "{method} {route} is public");
            continue;
        }
        assert_eq!(anon, StatusCode::UNAUTHORIZED, "{method} {route} without credentials");
        // The SSE stream answers 200 and stays open; its access is checked like the rest.
        for (role, client) in &tokens {
            let status = call(client, &app.base, method, route).await;
            let allowed = match access {
                Access::Needs(p) => role.allows(p),
                _ => true,
            };
            if allowed {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{role} may {method} {route}, got {status}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} may not {method} {route}");
            }
        }
    }
}

#[tokio::test]
async fn every_mutation_needs_more_than_a_session_for_anyone() {
    // No mutating route is public or open to any signed-in user, except one's own
    // session, password and tokens.
    let app = TestApp::spawn().await;
    let (_, doc) = app.get("/api/openapi.json").await;
    for (method, path) in operations(&doc) {
        if matches!(method, Method::GET | Method::HEAD) {
            continue;
        }
        match access::classify(&method, &path) {
            Some(Access::Needs(_)) => {}
            Some(Access::Public) => assert!(path == "/api/auth/login", "{method} {path} is public"),
            Some(Access::SignedIn) => {
                assert!(
                    path.starts_with("/api/auth/") || path.starts_with("/api/tokens"),
                    "{method} {path}"
                )
            }
            None => panic!("{method} {path} unclassified"),
        }
    }
}

/// Signs in through the API and returns the cookie header value and the CSRF token.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/api/auth/login", app.base))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "no TLS here, so no Secure: {cookie}");
    let pair = cookie.split(';').next().unwrap().to_string();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["username"], username);
    (pair, body["csrf_token"].as_str().unwrap().to_string())
}

async fn create_local_user(app: &TestApp, username: &str, role: &str, password: &str) -> Value {
    let response = app
        .client
        .post(format!("{}/api/users", app.base))
        .json(&json!({"username": username, "password": password, "role": role}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_session_needs_its_csrf_token_for_mutations_and_ends_at_sign_out() {
    let app = TestApp::spawn().await;
    create_local_user(&app, "ana", "steward", "a long passphrase").await;
    let anon = reqwest::Client::new();

    let wrong = anon
        .post(format!("{}/api/auth/login", app.base))
        .json(&json!({"username": "ana", "password": "not the passphrase"}))
        .send()
        .await
        .unwrap();
    let status = wrong.status();
    let body: Value = wrong.json().await.unwrap();
    assert!(
        error_message(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated")
            .contains("wrong username or password")
    );

    let (cookie, csrf) = sign_in(&app, "ana", "a long passphrase").await;
    let me: Value = anon
        .get(format!("{}/api/auth/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["role"], "steward");
    assert_eq!(me["auth"], "session");
    assert_eq!(me["csrf_token"], csrf.as_str());
    assert!(me["permissions"].as_array().unwrap().contains(&json!("review")));

    let ids = app.seed_fixture().await;
    let approve = format!("{}/api/discovery/{}/approve", app.base, ids[0]);
    let without = anon
        .put(&approve)
        .header("cookie", &cookie)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = without.status();
    let body: Value = without.json().await.unwrap();
    assert!(error_message(status, &body, StatusCode::FORBIDDEN, "csrf_failed").contains("X-CSRF-Token"));
    let forged = anon
        .put(&approve)
        .header("cookie", &cookie)
        .header("x-csrf-token", "forged")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let with = anon
        .put(&approve)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({"comments": "checked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), StatusCode::OK);

    let out = anon
        .post(format!("{}/api/auth/logout", app.base))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(out.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    let after = anon
        .get(format!("{}/api/auth/me", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    let (_, audit) = app.get("/api/audit?entity_type=session").await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        vec![("logout", "ana"), ("login", "ana"), ("login_failed", "ana")]
    );
    let failed = &audit["entries"][2];
    assert_eq!(failed["source_ip"], "127.0.0.1");
    assert_eq!(failed["comment"], "wrong password");
}

async fn spawn_with_auth(auth: AuthConfig) -> TestApp {
    spawn_with_config(ServerConfig {
        auth,
        ..Default::default()
    })
    .await
}

async fn spawn_with_config(config: ServerConfig) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("catalog.db").display());
    let store = torro_catalog::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let engine = torro_engine::Engine::new(store.clone(), torro_engine::TorroConfig::default());
    TestApp::spawn_state(AppState::with_config(engine, config), store, dir).await
}

#[tokio::test]
async fn an_idle_session_expires_and_so_does_an_old_one() {
    let idle = spawn_with_auth(AuthConfig {
        session_idle: Duration::from_secs(1),
        ..AuthConfig::default()
    })
    .await;
    create_local_user(&idle, "bo", "viewer", "a long passphrase").await;
    let (cookie, _) = sign_in(&idle, "bo", "a long passphrase").await;
    let me = |app: &TestApp, cookie: String| {
        let url = format!("{}/api/auth/me", app.base);
        async move {
            reqwest::Client::new()
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(me(&idle, cookie.clone()).await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = me(&idle, cookie).await;
    let status = expired.status();
    let body: Value = expired.json().await.unwrap();
    assert!(error_message(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated").contains("expired"));

    let old = spawn_with_auth(AuthConfig {
        session_ttl: Duration::from_secs(1),
        ..AuthConfig::default()
    })
    .await;
    create_local_user(&old, "bo", "viewer", "a long passphrase").await;
    let (cookie, _) = sign_in(&old, "bo", "a long passphrase").await;
    // Busy use does not extend the absolute lifetime.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = me(&old, cookie.clone()).await;
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(me(&old, cookie).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_is_shown_once_works_until_revoked_and_names_its_user() {
    let app = TestApp::spawn().await;
    let engineer = client_with_token(&create_user_with_token(&app.store, "eve", Role::Engineer).await);
    let created = engineer
        .post(format!("{}/api/tokens", app.base))
        .json(&json!({"name": "airflow", "expires_in_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("torro_pat_"));
    assert!(token.starts_with(created["info"]["prefix"].as_str().unwrap()));
    assert!(created["info"]["last_used_at"].is_null());

    let airflow = client_with_token(&token);
    let me: Value = airflow
        .get(format!("{}/api/auth/me", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["username"], "eve");
    assert_eq!(me["auth"], "token");
    assert!(me["csrf_token"].is_null());

    let list = engineer
        .get(format!("{}/api/tokens", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&token), "the list never shows a token");
    let listed: Value = serde_json::from_str(&list).unwrap();
    let mine = listed["tokens"].as_array().unwrap();
    assert!(mine.iter().all(|t| t["username"] == "eve"), "only own tokens: {listed}");
    let airflow_row = mine.iter().find(|t| t["name"] == "airflow").unwrap();
    assert!(
        airflow_row["last_used_at"].is_string(),
        "last use recorded: {airflow_row}"
    );
    let all = engineer
        .get(format!("{}/api/tokens?all=true", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), StatusCode::FORBIDDEN);

    // Someone else cannot revoke it; its owner can.
    let id = created["info"]["id"].as_i64().unwrap();
    let viewer = client_with_token(&create_user_with_token(&app.store, "vic", Role::Viewer).await);
    let theirs = viewer
        .delete(format!("{}/api/tokens/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let revoked = engineer
        .delete(format!("{}/api/tokens/{id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.unwrap();
    assert!(revoked["revoked_at"].is_string());
    let refused = airflow.get(format!("{}/api/discovery", app.base)).send().await.unwrap();
    let status = refused.status();
    let body: Value = refused.json().await.unwrap();
    assert!(error_message(status, &body, StatusCode::UNAUTHORIZED, "unauthenticated").contains("revoked"));

    let (_, audit) = app.get("/api/audit?entity_type=token&actor=eve").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["revoke", "create"]);
    assert!(!audit.to_string().contains(&token), "the audit log never holds a token");
}

#[tokio::test]
async fn approvals_record_the_signed_in_user_and_refuse_another_name() {
    let app = TestApp::spawn().await;
    let ids = app.seed_fixture().await;
    let steward = client_with_token(&create_user_with_token(&app.store, "ana", Role::Steward).await);
    let url = |id: i64, action: &str| format!("{}/api/discovery/{id}/{action}", app.base);

    let impostor = steward
        .put(url(ids[0], "approve"))
        .json(&json!({"approved_by": "bo"}))
        .send()
        .await
        .unwrap();
    let status = impostor.status();
    let body: Value = impostor.json().await.unwrap();
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("signed in as"));

    let ok = steward
        .put(url(ids[0], "approve"))
        .json(&json!({"comments": "fine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let same = steward
        .put(url(ids[1], "reject"))
        .json(&json!({"rejected_by": "ana", "rejection_reason": "pii"}))
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), StatusCode::OK);

    let (_, audit) = app.get(&format!("/api/discovery/{}/audit", ids[0])).await;
    let entry = &audit["entries"][0];
    assert_eq!(entry["actor"], "ana");
    assert_eq!(entry["role"], "steward");
    let (_, log) = app.get("/api/audit?actor=ana&entity_type=discovery").await;
    let rows = log["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["source_ip"] == "127.0.0.1"), "{log}");
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_exports_csv() {
    let app = TestApp::spawn().await;
    for name in ["u1", "u2", "=cmd|' /C calc'!A0"] {
        let body = json!({"username": name.replace(['|', '\'', ' ', '!'], ""), "password": "a long passphrase", "role": "viewer"});
        let r = app
            .client
            .post(format!("{}/api/users", app.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let (status, page) = app.get("/api/audit?entity_type=user&action=create&size=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(
        page["pagination"]["total"], 4,
        "admin from the test set-up + three: {page}"
    );
    assert!(
        !page.to_string().contains("argon2"),
        "no password hash in the audit log"
    );

    let (status, body) = app.get("/api/audit?since=yesterday").await;
    assert!(error_message(status, &body, StatusCode::BAD_REQUEST, "invalid_request").contains("since"));

    let csv = app
        .client
        .get(format!("{}/api/audit?format=csv&entity_type=user", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&reader.headers().unwrap()[2], "actor");
    assert!(rows.iter().all(|r| &r[5] == "create"));

    let steward = client_with_token(&create_user_with_token(&app.store, "ana", Role::Steward).await);
    assert_eq!(
        steward
            .get(format!("{}/api/audit", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let engineer = client_with_token(&create_user_with_token(&app.store, "eve", Role::Engineer).await);
    assert_eq!(
        engineer
            .get(format!("{}/api/audit", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn admins_manage_users_but_never_remove_the_last_admin() {
    let app = TestApp::spawn().await;
    let viewer = create_local_user(&app, "vic", "viewer", "a long passphrase").await;
    let id = viewer["id"].as_i64().unwrap();
    assert_eq!(viewer["auth_source"], "local");
    let taken = app
        .client
        .post(format!("{}/api/users", app.base))
        .json(&json!({"username": "vic", "password": "another passphrase", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let short = app
        .client
        .post(format!("{}/api/users", app.base))
        .json(&json!({"username": "x", "password": "short", "role": "viewer"}))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);

    let (cookie, _) = sign_in(&app, "vic", "a long passphrase").await;
    let promoted = app
        .client
        .patch(format!("{}/api/users/{id}", app.base))
        .json(&json!({"role": "data_governor", "display_name": "Vic"}))
        .send()
        .await
        .unwrap();
    assert_eq!(promoted.status(), StatusCode::OK);
    let promoted: Value = promoted.json().await.unwrap();
    assert_eq!(promoted["role"], "steward");
    let disabled = app
        .client
        .patch(format!("{}/api/users/{id}", app.base))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), StatusCode::OK);
    let me = reqwest::Client::new()
        .get(format!("{}/api/auth/me", app.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "a disabled user's session ends");

    let (_, users) = app.get("/api/users").await;
    let admin_id = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "admin")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let demote = app
        .client
        .patch(format!("{}/api/users/{admin_id}", app.base))
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .unwrap();
    let status = demote.status();
    let body: Value = demote.json().await.unwrap();
    assert!(error_message(status, &body, StatusCode::CONFLICT, "conflict").contains("last enabled admin"));
}

#[tokio::test]
async fn no_auth_mode_acts_as_the_local_admin() {
    let app = spawn_with_auth(AuthConfig {
        enabled: false,
        ..AuthConfig::default()
    })
    .await;
    let me: Value = reqwest::Client::new()
        .get(format!("{}/api/auth/me", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user"]["username"], "local");
    assert_eq!(me["auth"], "none");
    let (_, config) = app.get("/api/auth/config").await;
    assert_eq!(config["auth_enabled"], false);
}

#[tokio::test]
async fn the_first_start_creates_one_admin() {
    use torro_server::auth::bootstrap::{FirstAdmin, ensure_admin};
    let dir = tempfile::tempdir().unwrap();
    let store = torro_catalog::connect(&format!("sqlite:{}", dir.path().join("c.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let FirstAdmin::Generated(password) = ensure_admin(store.as_ref(), None).await.unwrap() else {
        panic!("a generated password")
    };
    assert!(password.len() >= 20);
    assert_eq!(ensure_admin(store.as_ref(), None).await.unwrap(), FirstAdmin::Existing);
    let (user, hash) = store.auth().user_credentials("admin").await.unwrap().unwrap();
    assert_eq!(user.role, Role::Admin);
    assert!(torro_server::auth::password::verify(&password, hash).await.unwrap());
    assert!(Role::Admin.allows(Permission::ManageUsers));
}

async fn spawn_with_security(security: torro_server::security::SecurityConfig) -> TestApp {
    spawn_with_config(ServerConfig {
        security,
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn password_guessing_is_rate_limited_per_address() {
    use std::num::NonZeroU32;
    let security = torro_server::security::SecurityConfig {
        login_rate_per_minute: NonZeroU32::new(3).unwrap(),
        login_burst: NonZeroU32::new(3).unwrap(),
        ..Default::default()
    };
    let app = spawn_with_security(security).await;
    create_local_user(&app, "ana", "viewer", "a long passphrase").await;
    let guess = || {
        reqwest::Client::new()
            .post(format!("{}/api/auth/login", app.base))
            .json(&json!({"username": "ana", "password": "guess"}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(guess().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let limited = guess().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    // Refused before the password check: only the three real attempts are audited.
    let (_, audit) = app.get("/api/audit?action=login_failed").await;
    assert_eq!(audit["pagination"]["total"], 3);
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_a_trusted_https_proxy_only() {
    let security = torro_server::security::SecurityConfig {
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Default::default()
    };
    let app = spawn_with_security(security).await;
    create_local_user(&app, "ana", "viewer", "a long passphrase").await;
    let login = |proto: &'static str| {
        reqwest::Client::new()
            .post(format!("{}/api/auth/login", app.base))
            .header("x-forwarded-proto", proto)
            .header("x-forwarded-for", "203.0.113.9")
            .json(&json!({"username": "ana", "password": "a long passphrase"}))
            .send()
    };
    let https = login("https").await.unwrap();
    assert!(https.headers()["set-cookie"].to_str().unwrap().contains("; Secure"));
    let http = login("http").await.unwrap();
    assert!(!http.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
    let (_, audit) = app.get("/api/audit?action=login").await;
    assert_eq!(
        audit["entries"][0]["source_ip"], "203.0.113.9",
        "the proxy's client, not the proxy"
    );
}
