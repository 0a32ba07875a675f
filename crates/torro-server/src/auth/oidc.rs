//! OpenID Connect login: authorization code flow with PKCE (S256), `state` and `nonce`.
//!
//! [`Oidc::begin`] makes the provider's authorization URL and a [`PendingLogin`] (state,
//! nonce, PKCE verifier, where to go afterwards). The pending login travels in a short-lived
//! cookie sealed with AES-256-GCM ([`Oidc::seal`]), so any API replica can finish the login:
//! nothing is kept in memory between the two requests. The sealing key is derived from
//! Torro's secret key (`TORRO_SECRET_KEY` or the key file); without one a per-process key is
//! generated and then every replica must share the secret key for OIDC to work behind a
//! load balancer.
//!
//! [`Oidc::complete`] exchanges the code (sending the PKCE verifier), checks the ID token
//! (signature against the provider's JWKS, issuer, audience, expiry, nonce) and maps a
//! claim (`groups`, `roles`, ...) to a Torro role.
//!
//! Discovery: the provider's metadata and keys are fetched at start-up ([`Oidc::discover`]);
//! when the provider is unreachable then, start-up goes on (local login keeps working) and
//! the next OIDC login tries again. Metadata older than an hour is fetched again, and an ID
//! token signed with a key we do not know yet triggers one refresh (key rotation).

use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce as AesNonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken,
    CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse as _,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use torro_model::Role;

/// How long a started login may take before its cookie is refused.
pub const PENDING_TTL: Duration = Duration::from_secs(600);
/// The cookie that carries the sealed [`PendingLogin`] from `/login` to `/callback`.
pub const PENDING_COOKIE: &str = "torro_oidc";
/// Provider metadata and keys are fetched again after this long.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// Calls to the provider (discovery, token exchange) give up after this long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound into every sealed cookie, so a ciphertext made for another use never opens here.
const SEAL_CONTEXT: &[u8] = b"torro-oidc-pending-v1";
/// The purpose string for [`torro_engine::SecretKey::derive`].
pub const KEY_PURPOSE: &str = "torro-server oidc pending-login cookie v1";

/// OpenID Connect settings of `torro serve` (`--oidc-*` flags, `TORRO_OIDC_*` variables).
#[derive(Clone)]
pub struct OidcConfig {
    /// The provider's issuer, e.g. `https://keycloak.example.com/realms/acme`; its
    /// metadata is at `<issuer>/.well-known/openid-configuration`.
    pub issuer_url: String,
    pub client_id: String,
    /// `None` for a public client (PKCE only).
    pub client_secret: Option<String>,
    /// Torro's public callback URL, registered at the provider:
    /// `https://torro.example.com/api/auth/oidc/callback`.
    pub redirect_url: String,
    /// Scopes besides `openid`, e.g. `profile`, `email`, `groups`.
    pub scopes: Vec<String>,
    /// The ID token claim that names the user's groups or roles (a string or a list).
    pub role_claim: String,
    /// Claim value → role; the first entry (in this order) that the user has wins.
    pub role_map: Vec<(String, Role)>,
    /// The role of a user who matches no entry; `None` refuses such users.
    pub default_role: Option<Role>,
    /// The login button's text, e.g. "Sign in with Keycloak".
    pub label: Option<String>,
    /// Seals the pending-login cookie; derive it from the server's secret key
    /// ([`KEY_PURPOSE`]). `None`: a random key for this process only.
    pub cookie_key: Option<[u8; 32]>,
}

impl std::fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("redirect_url", &self.redirect_url)
            .field("scopes", &self.scopes)
            .field("role_claim", &self.role_claim)
            .field("role_map", &self.role_map)
            .field("default_role", &self.default_role)
            .field("label", &self.label)
            .field("cookie_key", &self.cookie_key.map(|_| "***"))
            .finish()
    }
}

impl OidcConfig {
    /// The default scopes and claim: `profile email`, role claim `groups`, no mapping,
    /// no default role.
    pub fn new(issuer_url: &str, client_id: &str, redirect_url: &str) -> Self {
        OidcConfig {
            issuer_url: issuer_url.to_string(),
            client_id: client_id.to_string(),
            client_secret: None,
            redirect_url: redirect_url.to_string(),
            scopes: vec!["profile".into(), "email".into()],
            role_claim: "groups".into(),
            role_map: Vec::new(),
            default_role: None,
            label: None,
            cookie_key: None,
        }
    }

    /// Checks what can be checked without the network: the URLs, the client id, the claim.
    pub fn validate(&self) -> Result<(), OidcError> {
        let issuer = url::Url::parse(&self.issuer_url)
            .map_err(|e| OidcError::Config(format!("the issuer URL {:?} is not a URL: {e}", self.issuer_url)))?;
        if !matches!(issuer.scheme(), "https" | "http") {
            return Err(OidcError::Config(format!(
                "the issuer URL {:?} must be https (or http for a test provider)",
                self.issuer_url
            )));
        }
        let redirect = url::Url::parse(&self.redirect_url).map_err(|e| {
            OidcError::Config(format!(
                "the redirect URL {:?} is not an absolute URL: {e}; use Torro's public address + /api/auth/oidc/callback",
                self.redirect_url
            ))
        })?;
        if !matches!(redirect.scheme(), "https" | "http") {
            return Err(OidcError::Config(format!(
                "the redirect URL {:?} must be http(s)",
                self.redirect_url
            )));
        }
        if self.client_id.trim().is_empty() {
            return Err(OidcError::Config(
                "the client id is empty (TORRO_OIDC_CLIENT_ID)".into(),
            ));
        }
        if self.role_claim.trim().is_empty() {
            return Err(OidcError::Config("the role claim is empty".into()));
        }
        Ok(())
    }

    /// The role for the values of [`OidcConfig::role_claim`]: the first mapping the user
    /// has, else the default role.
    pub fn map_role(&self, values: &[String]) -> Option<Role> {
        self.role_map
            .iter()
            .find(|(value, _)| values.iter().any(|v| v == value))
            .map(|(_, role)| *role)
            .or(self.default_role)
    }
}

/// Parses `group=role,group2=role2` (the `--oidc-role-map` flag).
pub fn parse_role_map(text: &str) -> Result<Vec<(String, Role)>, OidcError> {
    let mut map = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        // The last `=` splits, so a group name may itself hold `=` (LDAP DNs do).
        let (value, role) = item.rsplit_once('=').ok_or_else(|| {
            OidcError::Config(format!(
                "role map entry {item:?} is not value=role (e.g. torro-admins=admin)"
            ))
        })?;
        let role = role.trim().parse::<Role>().map_err(|_| {
            OidcError::Config(format!(
                "role map entry {item:?}: {role:?} is not a role (viewer, engineer, steward, admin)"
            ))
        })?;
        if value.trim().is_empty() {
            return Err(OidcError::Config(format!("role map entry {item:?} has no claim value")));
        }
        map.push((value.trim().to_string(), role));
    }
    Ok(map)
}

/// Why an OIDC login did not happen. Messages are safe to show the user: they never hold a
/// code, token or secret.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("OpenID Connect is misconfigured: {0}")]
    Config(String),
    /// The provider's metadata or keys could not be fetched or are invalid.
    #[error("the OpenID provider is unavailable: {0}")]
    Discovery(String),
    #[error("return_to must be a path on this site, such as /assets: {0:?} is not")]
    BadReturnTo(String),
    #[error("no login in progress: start again from the login page (the login cookie is missing)")]
    NoPendingLogin,
    #[error("the login cookie is invalid: start again from the login page")]
    BadPendingLogin,
    #[error("the login took longer than 10 minutes: start again from the login page")]
    PendingExpired,
    #[error("the state returned by the provider does not match this login: start again from the login page")]
    StateMismatch,
    /// The provider redirected back with `error=` or refused the token request.
    #[error("the OpenID provider refused the login: {0}")]
    Provider(String),
    #[error("the token request to the OpenID provider failed: {0}")]
    TokenRequest(String),
    /// Signature, issuer, audience, expiry or nonce of the ID token is wrong.
    #[error("the ID token is not valid: {0}")]
    InvalidIdToken(String),
    #[error("the ID token names no user (neither preferred_username nor email)")]
    NoUsername,
    #[error("{username} has no Torro role: none of their {claim} matches the role mapping")]
    NoRole { username: String, claim: String },
}

/// Who the provider says signed in, and the role they get.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcIdentity {
    pub issuer: String,
    pub subject: String,
    /// `preferred_username`, else `email`.
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
}

/// A started login, between `/login` and `/callback`. Sealed into a cookie.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    /// Unix seconds.
    pub created: i64,
}

/// The `return_to` of a login, when it is a path of this site: it starts with one `/`
/// and holds no `\`, scheme or control character (no `//evil.com`, `/\evil.com`,
/// `https://…`). Empty means `/`.
pub fn safe_return_to(text: &str) -> Result<String, OidcError> {
    if text.is_empty() {
        return Ok("/".into());
    }
    let bad = !text.starts_with('/')
        || text.starts_with("//")
        || text.contains('\\')
        || text.chars().any(|c| c.is_control())
        || text.len() > 2048;
    if bad {
        return Err(OidcError::BadReturnTo(text.chars().take(200).collect()));
    }
    // Browsers and URL parsers must agree it stays on this origin.
    let base = url::Url::parse("http://torro.invalid/").expect("a constant URL");
    match base.join(text) {
        Ok(joined) if joined.origin() == base.origin() => Ok(text.to_string()),
        _ => Err(OidcError::BadReturnTo(text.chars().take(200).collect())),
    }
}

/// Every claim of the ID token, so the role claim can be any name.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct AllClaims(serde_json::Map<String, serde_json::Value>);
impl AdditionalClaims for AllClaims {}

type IdFields = IdTokenFields<
    AllClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type OidcTokenResponse = StandardTokenResponse<IdFields, CoreTokenType>;
type OidcClient = Client<
    AllClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OidcTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The OIDC login of one server: its settings, the provider's cached metadata and keys,
/// and the cookie cipher.
pub struct Oidc {
    config: OidcConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    http: reqwest::Client,
    cipher: Aes256Gcm,
    metadata: RwLock<Option<(CoreProviderMetadata, Instant)>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// Checks the settings; does not contact the provider (see [`Oidc::discover`]).
    pub fn new(config: OidcConfig) -> Result<Self, OidcError> {
        config.validate()?;
        let issuer = IssuerUrl::new(config.issuer_url.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
        let redirect = RedirectUrl::new(config.redirect_url.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
        let key = match config.cookie_key {
            Some(key) => key,
            None => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(|e| OidcError::Config(format!("no randomness from the OS: {e}")))?;
                key
            }
        };
        // No redirects: a provider endpoint that redirects is misconfigured, and following
        // them would let it point Torro at internal addresses.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| OidcError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Oidc {
            config,
            issuer,
            redirect,
            http,
            cipher: Aes256Gcm::new(&key.into()),
            metadata: RwLock::new(None),
        })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Fetches the provider's metadata and keys (JWKS) now, replacing the cached ones.
    pub async fn discover(&self) -> Result<(), OidcError> {
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                OidcError::Discovery(format!(
                    "{}/.well-known/openid-configuration: {}",
                    self.issuer.as_str().trim_end_matches('/'),
                    error_chain(&e)
                ))
            })?;
        *self.metadata.write().await = Some((metadata, Instant::now()));
        Ok(())
    }

    /// The cached metadata, fetched when missing or stale. A failed refresh of stale
    /// metadata falls back to the old copy.
    async fn metadata(&self) -> Result<CoreProviderMetadata, OidcError> {
        if let Some((metadata, at)) = self.metadata.read().await.as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(metadata.clone());
        }
        match self.discover().await {
            Ok(()) => {}
            Err(e) => match self.metadata.read().await.as_ref() {
                Some((metadata, _)) => {
                    tracing::warn!(error = %e, "OIDC: refreshing the provider metadata failed; using the cached copy");
                    return Ok(metadata.clone());
                }
                None => return Err(e),
            },
        }
        self.metadata
            .read()
            .await
            .as_ref()
            .map(|(m, _)| m.clone())
            .ok_or_else(|| OidcError::Discovery("no metadata".into()))
    }

    fn client(&self, metadata: CoreProviderMetadata) -> OidcClient {
        OidcClient::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    /// Starts a login: the provider's authorization URL to send the browser to, and the
    /// pending login to keep (sealed) until the callback. `return_to` must be a local path.
    pub async fn begin(&self, return_to: &str) -> Result<(url::Url, PendingLogin), OidcError> {
        let return_to = safe_return_to(return_to)?;
        let client = self.client(self.metadata().await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
            created: chrono::Utc::now().timestamp(),
        };
        Ok((url, pending))
    }

    /// The cookie value for a pending login: base64url(nonce || AES-256-GCM ciphertext).
    pub fn seal(&self, pending: &PendingLogin) -> Result<String, OidcError> {
        let plain = serde_json::to_vec(pending).map_err(|e| OidcError::Config(e.to_string()))?;
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| OidcError::Config(format!("no randomness from the OS: {e}")))?;
        let sealed = self
            .cipher
            .encrypt(
                AesNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: SEAL_CONTEXT,
                },
            )
            .map_err(|_| OidcError::Config("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(B64.encode(out))
    }

    /// Opens a cookie made by [`Oidc::seal`] (by this or any server with the same key)
    /// and checks its age.
    pub fn open(&self, cookie: &str) -> Result<PendingLogin, OidcError> {
        let bytes = B64.decode(cookie.trim()).map_err(|_| OidcError::BadPendingLogin)?;
        if bytes.len() < 12 + 16 {
            return Err(OidcError::BadPendingLogin);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                AesNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: SEAL_CONTEXT,
                },
            )
            .map_err(|_| OidcError::BadPendingLogin)?;
        let pending: PendingLogin = serde_json::from_slice(&plain).map_err(|_| OidcError::BadPendingLogin)?;
        let age = chrono::Utc::now().timestamp() - pending.created;
        // A minute of clock skew between replicas is tolerated.
        if age > PENDING_TTL.as_secs() as i64 || age < -60 {
            return Err(OidcError::PendingExpired);
        }
        Ok(pending)
    }

    /// Finishes a login: `state` must be the pending login's; the code is exchanged (with
    /// the PKCE verifier) and the ID token checked.
    pub async fn complete(&self, pending: &PendingLogin, state: &str, code: &str) -> Result<OidcIdentity, OidcError> {
        if !constant_time_eq(pending.state.as_bytes(), state.as_bytes()) {
            return Err(OidcError::StateMismatch);
        }
        let client = self.client(self.metadata().await?);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Discovery(format!("the provider's metadata has no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => OidcError::Provider(match r.error_description() {
                    Some(d) => format!("{}: {d}", r.error()),
                    None => r.error().to_string(),
                }),
                other => OidcError::TokenRequest(error_chain(&other)),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::InvalidIdToken("the token response holds no id_token".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(
                openidconnect::SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys since we fetched them.
                self.discover().await?;
                let client = self.client(self.metadata().await?);
                id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|e| OidcError::InvalidIdToken(error_chain(&e)))?
                    .clone()
            }
            Err(e) => return Err(OidcError::InvalidIdToken(error_chain(&e))),
        };
        let email = claims.email().map(|e| e.as_str().to_string());
        let username = claims
            .preferred_username()
            .map(|u| u.as_str().trim().to_string())
            .filter(|u| !u.is_empty())
            .or_else(|| email.clone().filter(|e| !e.trim().is_empty()))
            .ok_or(OidcError::NoUsername)?;
        let display_name = claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string());
        let values = claim_values(claims.additional_claims().0.get(&self.config.role_claim));
        let role = self.config.map_role(&values).ok_or_else(|| OidcError::NoRole {
            username: username.clone(),
            claim: self.config.role_claim.clone(),
        })?;
        Ok(OidcIdentity {
            issuer: claims.issuer().as_str().to_string(),
            subject: claims.subject().as_str().to_string(),
            username,
            display_name,
            email,
            role,
        })
    }
}

/// A claim's values: a string is one value, a list gives its strings.
fn claim_values(claim: Option<&serde_json::Value>) -> Vec<String> {
    match claim {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_must_stay_on_this_site() {
        for good in ["/", "/assets", "/assets/12?tab=schema#x", "/a//b", ""] {
            assert!(safe_return_to(good).is_ok(), "{good:?} should be accepted");
        }
        for bad in [
            "//evil.com",
            "///evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "https://evil.com/",
            "http:evil.com",
            "javascript:alert(1)",
            "evil.com",
            "/\tevil",
            "/%0a",
        ] {
            let outcome = safe_return_to(bad);
            if bad == "/%0a" {
                // Percent-encoded text is a harmless local path.
                assert!(outcome.is_ok());
                continue;
            }
            assert!(
                matches!(outcome, Err(OidcError::BadReturnTo(_))),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn role_map_parses_and_first_match_wins() {
        let map = parse_role_map("torro-admins=admin, data-owners=data_governor,,a=b=engineer").unwrap();
        assert_eq!(
            map,
            vec![
                ("torro-admins".to_string(), Role::Admin),
                ("data-owners".to_string(), Role::Steward),
                ("a=b".to_string(), Role::Engineer),
            ]
        );
        let mut config = OidcConfig::new("https://id.example.com", "torro", "https://torro.example.com/cb");
        config.role_map = parse_role_map("admins=admin,stewards=steward").unwrap();
        assert_eq!(
            config.map_role(&["stewards".into(), "admins".into()]),
            Some(Role::Admin)
        );
        assert_eq!(config.map_role(&["stewards".into()]), Some(Role::Steward));
        assert_eq!(config.map_role(&["others".into()]), None);
        config.default_role = Some(Role::Viewer);
        assert_eq!(config.map_role(&[]), Some(Role::Viewer));
        for bad in ["admins", "admins=king", "=admin"] {
            assert!(matches!(parse_role_map(bad), Err(OidcError::Config(_))), "{bad:?}");
        }
    }

    #[test]
    fn config_is_checked_and_secrets_stay_out_of_debug() {
        let mut config = OidcConfig::new(
            "https://id.example.com/realms/a",
            "torro",
            "https://torro.example.com/cb",
        );
        config.client_secret = Some("s3cr3t-value".into());
        config.cookie_key = Some([9; 32]);
        assert!(config.validate().is_ok());
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-value") && !shown.contains("9, 9"), "{shown}");
        let mut bad = config.clone();
        bad.issuer_url = "id.example.com".into();
        assert!(matches!(bad.validate(), Err(OidcError::Config(m)) if m.contains("issuer")));
        let mut bad = config.clone();
        bad.redirect_url = "/api/auth/oidc/callback".into();
        assert!(matches!(bad.validate(), Err(OidcError::Config(m)) if m.contains("redirect")));
        let mut bad = config;
        bad.client_id = " ".into();
        assert!(matches!(bad.validate(), Err(OidcError::Config(m)) if m.contains("client id")));
    }

    #[test]
    fn pending_login_cookie_is_sealed_and_expires() {
        let mut config = OidcConfig::new("https://id.example.com", "torro", "https://torro.example.com/cb");
        config.cookie_key = Some([1; 32]);
        let oidc = Oidc::new(config.clone()).unwrap();
        let pending = PendingLogin {
            state: "st".into(),
            nonce: "no".into(),
            pkce_verifier: "ve".into(),
            return_to: "/assets".into(),
            created: chrono::Utc::now().timestamp(),
        };
        let sealed = oidc.seal(&pending).unwrap();
        assert!(!sealed.contains("assets"));
        assert_eq!(oidc.open(&sealed).unwrap(), pending);
        // Another replica with the same key opens it; one with another key does not.
        assert_eq!(Oidc::new(config.clone()).unwrap().open(&sealed).unwrap(), pending);
        config.cookie_key = Some([2; 32]);
        assert!(matches!(
            Oidc::new(config).unwrap().open(&sealed),
            Err(OidcError::BadPendingLogin)
        ));
        // A flipped bit anywhere is refused.
        let mut bytes = B64.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(matches!(
            oidc.open(&B64.encode(&bytes)),
            Err(OidcError::BadPendingLogin)
        ));
        assert!(matches!(oidc.open("not base64 !"), Err(OidcError::BadPendingLogin)));
        assert!(matches!(oidc.open(""), Err(OidcError::BadPendingLogin)));
        let old = PendingLogin {
            created: chrono::Utc::now().timestamp() - 601,
            ..pending
        };
        assert!(matches!(
            oidc.open(&oidc.seal(&old).unwrap()),
            Err(OidcError::PendingExpired)
        ));
    }
}
