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
