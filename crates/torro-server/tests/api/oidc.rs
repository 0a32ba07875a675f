//! OpenID Connect login against the test provider ([`crate::oidc_provider`]).

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use torro_model::Role;
use torro_server::auth::oidc::{Oidc, OidcError, PendingLogin};

use crate::oidc_provider::{Misbehaviour, TestProvider, TestUser};

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Follows the provider's `/authorize` redirect by hand; returns where it sends the browser.
async fn visit_provider(browser: &reqwest::Client, authorization_url: &str) -> String {
    let response = browser.get(authorization_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{authorization_url}");
    response.headers()["location"].to_str().unwrap().to_string()
}

const CALLBACK: &str = "http://127.0.0.1:9/api/auth/oidc/callback";

/// Starts a login with `oidc` and has the provider answer; returns the pending login and
/// the callback's `state` and `code`.
async fn provider_round_trip(oidc: &Oidc, return_to: &str) -> (PendingLogin, String, String) {
    let (url, pending) = oidc.begin(return_to).await.expect("begin");
    let back = visit_provider(&browser(), url.as_str()).await;
    assert!(back.starts_with(CALLBACK), "{back}");
    let state = query_param(&back, "state").expect("state");
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code in {back}"));
    (pending, state, code)
}

#[tokio::test]
async fn identity_comes_from_a_verified_id_token_with_the_mapped_role() {
    let provider = TestProvider::start().await;
    let oidc = Oidc::new(provider.torro_config(CALLBACK)).unwrap();
    oidc.discover().await.expect("discovery");

    let (url, pending) = oidc.begin("/assets?tab=schema").await.unwrap();
    assert_eq!(pending.return_to, "/assets?tab=schema");
    // What Torro asks the provider for.
    assert_eq!(
        query_param(url.as_str(), "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_param(url.as_str(), "state").as_deref(),
        Some(pending.state.as_str())
    );
    assert_eq!(
        query_param(url.as_str(), "nonce").as_deref(),
        Some(pending.nonce.as_str())
    );
    assert_eq!(query_param(url.as_str(), "redirect_uri").as_deref(), Some(CALLBACK));
    let scope = query_param(url.as_str(), "scope").unwrap();
    assert!(
        scope.split(' ').any(|s| s == "openid") && scope.contains("email"),
        "{scope}"
    );

    let back = visit_provider(&browser(), url.as_str()).await;
    let identity = oidc
        .complete(
            &pending,
            &query_param(&back, "state").unwrap(),
            &query_param(&back, "code").unwrap(),
        )
        .await
        .expect("login completes");
    assert_eq!(identity.issuer, provider.issuer);
    assert_eq!(identity.subject, "sub-alice");
    assert_eq!(identity.username, "alice");
    assert_eq!(identity.email.as_deref(), Some("alice@example.com"));
    assert_eq!(identity.display_name.as_deref(), Some("alice Example"));
    assert_eq!(identity.role, Role::Admin);

    // Torro sent the PKCE verifier of this login (the provider checked it against the challenge).
    let seen = provider.last_token_request().unwrap();
    assert_eq!(seen.status, 200);
    assert_eq!(seen.form.get("code_verifier"), Some(&pending.pkce_verifier));
    assert_eq!(seen.form.get("redirect_uri").map(String::as_str), Some(CALLBACK));
}

#[tokio::test]
async fn the_first_mapping_the_user_has_wins_and_email_stands_in_for_a_username() {
    let provider = TestProvider::start().await;
    let oidc = Oidc::new(provider.torro_config(CALLBACK)).unwrap();
    provider.sign_in_as(TestUser {
        preferred_username: None,
        ..TestUser::new("bob", &["engineers", "data-owners", "unrelated"])
    });
    let (pending, state, code) = provider_round_trip(&oidc, "/").await;
    let identity = oidc.complete(&pending, &state, &code).await.unwrap();
    // data-owners=steward comes before engineers=engineer in the map.
    assert_eq!(identity.role, Role::Steward);
    assert_eq!(identity.username, "bob@example.com");
}

#[tokio::test]
async fn users_matching_no_mapping_are_refused_unless_there_is_a_default_role() {
    let provider = TestProvider::start().await;
    provider.sign_in_as(TestUser::new("carol", &["marketing"]));
    let oidc = Oidc::new(provider.torro_config(CALLBACK)).unwrap();
    let (pending, state, code) = provider_round_trip(&oidc, "/").await;
    let error = oidc.complete(&pending, &state, &code).await.unwrap_err();
    assert!(
        matches!(&error, OidcError::NoRole { username, .. } if username == "carol"),
        "{error}"
    );
    assert!(error.to_string().contains("groups"), "{error}");

    let mut config = provider.torro_config(CALLBACK);
    config.default_role = Some(Role::Viewer);
    let oidc = Oidc::new(config).unwrap();
    let (pending, state, code) = provider_round_trip(&oidc, "/").await;
    assert_eq!(oidc.complete(&pending, &state, &code).await.unwrap().role, Role::Viewer);
}

#[tokio::test]
async fn bad_id_tokens_are_refused_with_the_reason() {
    let provider = TestProvider::start().await;
    let oidc = Oidc::new(provider.torro_config(CALLBACK)).unwrap();
    for (how, reason) in [
        (Misbehaviour::WrongAudience, "audience"),
        (Misbehaviour::Expired, "xpired"),
        (Misbehaviour::WrongNonce, "nonce"),
        (Misbehaviour::BadSignature, "ignature"),
        (Misbehaviour::WrongIssuer, "issuer"),
    ] {
        provider.misbehave(how);
        let (pending, state, code) = provider_round_trip(&oidc, "/").await;
        let error = oidc.complete(&pending, &state, &code).await.unwrap_err();
        assert!(matches!(error, OidcError::InvalidIdToken(_)), "{how:?}: {error}");
        assert!(error.to_string().contains(reason), "{how:?}: {error}");
    }
}

#[tokio::test]
async fn a_wrong_pkce_verifier_or_state_gets_no_identity() {
    let provider = TestProvider::start().await;
    let oidc = Oidc::new(provider.torro_config(CALLBACK)).unwrap();

    let (pending, state, code) = provider_round_trip(&oidc, "/").await;
    let forged = PendingLogin {
        pkce_verifier: "a".repeat(64),
        ..pending.clone()
    };
    let error = oidc.complete(&forged, &state, &code).await.unwrap_err();
    assert!(
        matches!(&error, OidcError::Provider(m) if m.contains("invalid_grant")),
        "{error}"
    );
    assert!(error.to_string().contains("PKCE"), "{error}");
    assert_eq!(provider.last_token_request().unwrap().status, 400);

    let (pending, _, code) = provider_round_trip(&oidc, "/").await;
    let error = oidc.complete(&pending, "another-state", &code).await.unwrap_err();
    assert!(matches!(error, OidcError::StateMismatch), "{error}");

    // A code is good once.
    let (pending, state, code) = provider_round_trip(&oidc, "/").await;
    oidc.complete(&pending, &state, &code).await.unwrap();
    let error = oidc.complete(&pending, &state, &code).await.unwrap_err();
    assert!(matches!(error, OidcError::Provider(_)), "{error}");
}

#[tokio::test]
async fn an_unreachable_provider_is_a_clear_error_and_is_tried_again_at_the_next_login() {
    // A port with nobody listening (yet).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut config = TestProvider::start().await.torro_config(CALLBACK);
    config.issuer_url = format!("http://{addr}");
    let oidc = Oidc::new(config).unwrap();
    let error = oidc.discover().await.unwrap_err();
    assert!(matches!(error, OidcError::Discovery(_)), "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("http://{addr}/.well-known/openid-configuration")),
        "{error}"
    );
    assert!(matches!(oidc.begin("/").await, Err(OidcError::Discovery(_))));

    let provider = TestProvider::start_on(tokio::net::TcpListener::bind(addr).await.unwrap()).await;
    assert_eq!(provider.issuer, format!("http://{addr}"));
    let (pending, state, code) = provider_round_trip(&oidc, "/").await;
    assert_eq!(oidc.complete(&pending, &state, &code).await.unwrap().username, "alice");
}

#[tokio::test]
async fn open_redirects_are_refused_before_the_provider_is_asked() {
    let provider = TestProvider::start().await;
    let oidc = Oidc::new(provider.torro_config(CALLBACK)).unwrap();
    for bad in ["//evil.com", "https://evil.com/", "/\\evil.com", "evil.com"] {
        let error = oidc.begin(bad).await.unwrap_err();
        assert!(matches!(error, OidcError::BadReturnTo(_)), "{bad}: {error}");
    }
}

/// A Torro server with OIDC login through `provider`; its own catalog and port.
struct OidcApp {
    base: String,
    store: std::sync::Arc<dyn torro_catalog::CatalogStore>,
    _dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn spawn_torro(provider: &TestProvider, default_role: Option<Role>) -> OidcApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = torro_catalog::connect(&format!("sqlite:{}", dir.path().join("catalog.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mut oidc = provider.torro_config(&format!("{base}/api/auth/oidc/callback"));
    oidc.default_role = default_role;
    let mut config = torro_server::ServerConfig::default();
    config.auth.oidc = Some(oidc);
    let engine = torro_engine::Engine::new(store.clone(), torro_engine::TorroConfig::default());
    let state = torro_server::AppState::with_config(engine, config);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        torro_server::serve(listener, state, async move {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    OidcApp {
        base,
        store,
        _dir: dir,
        _stop: tx,
    }
}

/// Login → provider → callback, following each 302 by hand; returns the callback's answer.
async fn browser_login(app: &OidcApp, browser: &reqwest::Client, return_to: &str) -> reqwest::Response {
    let start = browser
        .get(format!("{}/api/auth/oidc/login", app.base))
        .query(&[("return_to", return_to)])
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::FOUND);
    let to_provider = start.headers()["location"].to_str().unwrap().to_string();
    let back = visit_provider(browser, &to_provider).await;
    assert!(
        back.starts_with(&format!("{}/api/auth/oidc/callback", app.base)),
        "{back}"
    );
    browser.get(back).send().await.unwrap()
}

async fn me(app: &OidcApp, browser: &reqwest::Client) -> (StatusCode, serde_json::Value) {
    let response = browser.get(format!("{}/api/auth/me", app.base)).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn audit_actions(app: &OidcApp, action: &str) -> Vec<torro_model::AuditEntry> {
    app.store
        .auth()
        .search_audit(&torro_model::AuditQuery {
            action: Some(action.into()),
            page: 0,
            size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn a_browser_signs_in_through_the_provider_and_later_logins_refresh_the_role() {
    let provider = TestProvider::start().await;
    let app = spawn_torro(&provider, None).await;
    let config: serde_json::Value = reqwest::get(format!("{}/api/auth/config", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["oidc"]["enabled"], true);
    assert_eq!(config["oidc"]["label"], "Sign in with Test ID");

    let browser = browser();
    let done = browser_login(&app, &browser, "/assets?tab=schema").await;
    assert_eq!(done.status(), StatusCode::FOUND);
    assert_eq!(done.headers()["location"], "/assets?tab=schema");
    let (status, body) = me(&app, &browser).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["user"]["auth_source"], "oidc");
    assert_eq!(body["user"]["email"], "alice@example.com");
    assert_eq!(body["auth"], "session");
    let id = body["user"]["id"].clone();
    let logins = audit_actions(&app, "login").await;
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].comment.as_deref(), Some("oidc"));

    // Alice moved to the engineers at the provider: her next login says so.
    provider.sign_in_as(TestUser::new("alice", &["engineers"]));
    let browser = self::browser();
    assert_eq!(browser_login(&app, &browser, "/").await.status(), StatusCode::FOUND);
    let (_, body) = me(&app, &browser).await;
    assert_eq!(body["user"]["role"], "engineer");
    assert_eq!(body["user"]["id"], id, "the same user, found by issuer and subject");
}

#[tokio::test]
async fn failed_callbacks_start_no_session_and_are_audited() {
    let provider = TestProvider::start().await;
    let app = spawn_torro(&provider, None).await;
    let cases = [
        (Misbehaviour::WrongAudience, StatusCode::UNAUTHORIZED, "audience"),
        (Misbehaviour::Expired, StatusCode::UNAUTHORIZED, "xpired"),
        (Misbehaviour::WrongNonce, StatusCode::UNAUTHORIZED, "nonce"),
        (Misbehaviour::BadSignature, StatusCode::UNAUTHORIZED, "ignature"),
        (Misbehaviour::ProviderError, StatusCode::UNAUTHORIZED, "access_denied"),
    ];
    for (how, status, reason) in cases {
        provider.misbehave(how);
        let browser = browser();
        let done = browser_login(&app, &browser, "/").await;
        assert_eq!(done.status(), status, "{how:?}");
        let body: serde_json::Value = done.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(reason), "{how:?}: {body}");
        assert_eq!(me(&app, &browser).await.0, StatusCode::UNAUTHORIZED, "{how:?}");
    }
    provider.misbehave(Misbehaviour::None);
    // Nobody in a mapped group, and no default role.
    provider.sign_in_as(TestUser::new("mallory", &["marketing"]));
    let browser = browser();
    let done = browser_login(&app, &browser, "/").await;
    assert_eq!(done.status(), StatusCode::FORBIDDEN);
    assert_eq!(me(&app, &browser).await.0, StatusCode::UNAUTHORIZED);

    let failed = audit_actions(&app, "login_failed").await;
    assert_eq!(failed.len(), cases.len() + 1);
    assert!(failed.iter().any(|e| e.actor == "mallory"), "{failed:?}");
    assert!(audit_actions(&app, "login").await.is_empty());

    // A browser gets a page, not JSON.
    provider.misbehave(Misbehaviour::ProviderError);
    let page = browser
        .get(format!("{}/api/auth/oidc/login", app.base))
        .send()
        .await
        .unwrap();
    let back = visit_provider(&browser, page.headers()["location"].to_str().unwrap()).await;
    let page = browser.get(back).header("accept", "text/html").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("Sign-in failed") && text.contains("access_denied"),
        "{text}"
    );
}

#[tokio::test]
async fn forged_or_missing_login_cookies_and_open_redirects_are_refused() {
    let provider = TestProvider::start().await;
    let app = spawn_torro(&provider, Some(Role::Viewer)).await;
    let plain = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();

    for bad in ["//evil.com", "https://evil.com/x", "/\\evil.com"] {
        let response = plain
            .get(format!("{}/api/auth/oidc/login", app.base))
            .query(&[("return_to", bad)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert!(response.headers().get("location").is_none(), "{bad}");
    }

    // Start a login, then come back with the cookie altered or missing.
    let start = plain
        .get(format!("{}/api/auth/oidc/login", app.base))
        .send()
        .await
        .unwrap();
    let cookie = start.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Max-Age=600"),
        "{cookie}"
    );
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("torro_oidc=")
        .to_string();
    let back = visit_provider(&plain, start.headers()["location"].to_str().unwrap()).await;
    let mut tampered = value.clone().into_bytes();
    tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for (cookie, reason) in [(Some(tampered.as_str()), "invalid"), (None, "missing")] {
        let mut request = plain.get(&back);
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("torro_oidc={cookie}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{reason}");
        assert!(
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("torro_session="))
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains(reason), "{body}");
    }
    // The genuine cookie still works (the code was not used up by the refusals).
    let response = plain
        .get(&back)
        .header("cookie", format!("torro_oidc={value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("torro_session="))
    );
}
