//! A minimal OpenID provider for the tests, on 127.0.0.1:0: discovery document, JWKS,
//! `/authorize` (no UI: it signs in the user the test chose and redirects back at once)
//! and `/token` (checks the client, the code, the redirect URI and the PKCE verifier, and
//! returns an RS256 ID token). It misbehaves on request ([`Misbehaviour`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::{Digest, Sha256};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const CLIENT_ID: &str = "torro-test";
pub const CLIENT_SECRET: &str = "test-client-secret";
const KID: &str = "test-key-1";

/// The provider's signing key and an unrelated one (for forged signatures), made once per
/// test binary: RSA key generation is slow in debug builds.
fn keys() -> &'static (RsaPrivateKey, RsaPrivateKey) {
    static KEYS: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        (
            RsaPrivateKey::new(&mut rng, 2048).expect("RSA key"),
            RsaPrivateKey::new(&mut rng, 2048).expect("RSA key"),
        )
    })
}

/// Who `/authorize` signs in.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub sub: String,
    pub preferred_username: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

impl TestUser {
    pub fn new(username: &str, groups: &[&str]) -> Self {
        TestUser {
            sub: format!("sub-{username}"),
            preferred_username: Some(username.to_string()),
            email: Some(format!("{username}@example.com")),
            name: Some(format!("{username} Example")),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }
}

/// Ways the provider can go wrong, for one test at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    None,
    /// `aud` names another client.
    WrongAudience,
    /// `exp` an hour ago.
    Expired,
    /// `nonce` is not the one Torro sent.
    WrongNonce,
    /// Signed with a key that is not in the JWKS (same `kid`).
    BadSignature,
    /// `iss` is another issuer.
    WrongIssuer,
    /// `/authorize` redirects back with `error=access_denied`.
    ProviderError,
}

/// What the provider saw of the last token request.
#[derive(Clone, Debug, Default)]
pub struct TokenRequestSeen {
    pub form: HashMap<String, String>,
    /// The answer's status.
    pub status: u16,
}

struct Grant {
    redirect_uri: String,
    challenge: String,
    nonce: String,
    user: TestUser,
}

struct ProviderState {
    issuer: String,
    user: Mutex<TestUser>,
    misbehaviour: Mutex<Misbehaviour>,
    grants: Mutex<HashMap<String, Grant>>,
    last_token_request: Mutex<Option<TokenRequestSeen>>,
    next_code: Mutex<u64>,
}

/// A running provider; stops when dropped.
pub struct TestProvider {
    pub issuer: String,
    state: Arc<ProviderState>,
    _shutdown: oneshot::Sender<()>,
}

impl TestProvider {
    pub async fn start() -> Self {
        Self::start_on(tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind")).await
    }

    pub async fn start_on(listener: tokio::net::TcpListener) -> Self {
        keys();
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(ProviderState {
            issuer: issuer.clone(),
            user: Mutex::new(TestUser::new("alice", &["torro-admins"])),
            misbehaviour: Mutex::new(Misbehaviour::None),
            grants: Mutex::new(HashMap::new()),
            last_token_request: Mutex::new(None),
            next_code: Mutex::new(0),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
                .expect("provider runs");
        });
        TestProvider {
            issuer,
            state,
            _shutdown: tx,
        }
    }

    /// The user the next `/authorize` signs in.
    pub fn sign_in_as(&self, user: TestUser) {
        *self.state.user.lock().unwrap() = user;
    }

    pub fn misbehave(&self, how: Misbehaviour) {
        *self.state.misbehaviour.lock().unwrap() = how;
    }

    pub fn last_token_request(&self) -> Option<TokenRequestSeen> {
        self.state.last_token_request.lock().unwrap().clone()
    }

    /// Torro's settings for this provider, with the mapping `torro-admins=admin,
    /// data-owners=steward, engineers=engineer` and no default role.
    pub fn torro_config(&self, redirect_url: &str) -> torro_server::auth::oidc::OidcConfig {
        let mut config = torro_server::auth::oidc::OidcConfig::new(&self.issuer, CLIENT_ID, redirect_url);
        config.client_secret = Some(CLIENT_SECRET.into());
        config.role_map =
            torro_server::auth::oidc::parse_role_map("torro-admins=admin,data-owners=steward,engineers=engineer")
                .unwrap();
        config.label = Some("Sign in with Test ID".into());
        config
    }
}

async fn discovery(State(state): State<Arc<ProviderState>>) -> Json<Value> {
    let issuer = &state.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "groups"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "email", "name", "groups"],
    }))
}

async fn jwks() -> Json<Value> {
    let public = RsaPublicKey::from(&keys().0);
    Json(json!({"keys": [{
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": KID,
        "n": B64.encode(public.n().to_bytes_be()),
        "e": B64.encode(public.e().to_bytes_be()),
    }]}))
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn authorize(State(state): State<Arc<ProviderState>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let param = |name: &str| q.get(name).cloned().unwrap_or_default();
    let redirect_uri = param("redirect_uri");
    if param("client_id") != CLIENT_ID || redirect_uri.is_empty() {
        return oauth_error("invalid_client", "unknown client or no redirect_uri");
    }
    let back = |pairs: &[(&str, &str)]| {
        let mut url = url::Url::parse(&redirect_uri).expect("redirect_uri is a URL");
        url.query_pairs_mut().extend_pairs(pairs);
        Redirect::to(url.as_str()).into_response()
    };
    let st = param("state");
    if *state.misbehaviour.lock().unwrap() == Misbehaviour::ProviderError {
        return back(&[
            ("error", "access_denied"),
            ("error_description", "the user cancelled the login"),
            ("state", &st),
        ]);
    }
    let scopes = param("scope");
    if param("response_type") != "code"
        || param("code_challenge_method") != "S256"
        || param("code_challenge").is_empty()
        || param("nonce").is_empty()
        || st.is_empty()
        || !scopes.split(' ').any(|s| s == "openid")
    {
        return back(&[
            ("error", "invalid_request"),
            (
                "error_description",
                "need response_type=code, openid scope, state, nonce and an S256 PKCE challenge",
            ),
            ("state", &st),
        ]);
    }
    let code = {
        let mut next = state.next_code.lock().unwrap();
        *next += 1;
        format!("code-{}", *next)
    };
    state.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            redirect_uri: redirect_uri.clone(),
            challenge: param("code_challenge"),
            nonce: param("nonce"),
            user: state.user.lock().unwrap().clone(),
        },
    );
    back(&[("code", &code), ("state", &st)])
}

async fn token(
    State(state): State<Arc<ProviderState>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let response = token_response(&state, &headers, &form);
    *state.last_token_request.lock().unwrap() = Some(TokenRequestSeen {
        form,
        status: response.status().as_u16(),
    });
    response
}

fn token_response(state: &ProviderState, headers: &HeaderMap, form: &HashMap<String, String>) -> Response {
    let param = |name: &str| form.get(name).cloned().unwrap_or_default();
    // client_secret_basic (the default of most clients) or client_secret_post.
    let (client_id, secret) = match headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        Some(basic) if basic.starts_with("Basic ") => {
            let decoded = STANDARD.decode(&basic[6..]).unwrap_or_default();
            let text = String::from_utf8(decoded).unwrap_or_default();
            let (id, secret) = text.split_once(':').unwrap_or(("", ""));
            (id.to_string(), secret.to_string())
        }
        _ => (param("client_id"), param("client_secret")),
    };
    if client_id != CLIENT_ID || secret != CLIENT_SECRET {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client", "error_description": "bad client credentials"})),
        )
            .into_response();
    }
    if param("grant_type") != "authorization_code" {
        return oauth_error("unsupported_grant_type", "only authorization_code");
    }
    // A code is single use.
    let Some(grant) = state.grants.lock().unwrap().remove(&param("code")) else {
        return oauth_error("invalid_grant", "unknown or used code");
    };
    if param("redirect_uri") != grant.redirect_uri {
        return oauth_error("invalid_grant", "redirect_uri differs from the authorization request");
    }
    let verifier = param("code_verifier");
    if verifier.is_empty() || B64.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return oauth_error("invalid_grant", "PKCE verification failed");
    }
    let how = *state.misbehaviour.lock().unwrap();
    let now = chrono::Utc::now().timestamp();
    let user = grant.user;
    let mut claims = json!({
        "iss": if how == Misbehaviour::WrongIssuer { "http://other-issuer.example".to_string() } else { state.issuer.clone() },
        "aud": if how == Misbehaviour::WrongAudience { "someone-else" } else { CLIENT_ID },
        "sub": user.sub,
        "iat": now - if how == Misbehaviour::Expired { 7200 } else { 0 },
        "exp": now + if how == Misbehaviour::Expired { -3600 } else { 300 },
        "nonce": if how == Misbehaviour::WrongNonce { "not-your-nonce".to_string() } else { grant.nonce },
        "groups": user.groups,
    });
    for (name, value) in [
        ("preferred_username", user.preferred_username),
        ("email", user.email),
        ("name", user.name),
    ] {
        if let Some(value) = value {
            claims[name] = json!(value);
        }
    }
    let key = if how == Misbehaviour::BadSignature {
        &keys().1
    } else {
        &keys().0
    };
    Json(json!({
        "access_token": "test-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": sign(key, &claims),
    }))
    .into_response()
}

/// A compact JWS, RS256.
fn sign(key: &RsaPrivateKey, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": KID});
    let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
    let signature = SigningKey::<Sha256>::new(key.clone()).sign(input.as_bytes());
    format!("{input}.{}", B64.encode(signature.to_bytes()))
}
