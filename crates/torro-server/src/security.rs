//! HTTP hardening: the client's address (trusting forwarded headers only from configured
//! proxies), security headers, CORS, body and time limits, and the rate limit of the
//! login and token endpoints. [`harden`] wraps the routes in all of it.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Request, State};
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Extensions, Method};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// Largest request body accepted by default (1 MiB); larger ones get a JSON 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;
/// A request that has no response after this long gets a JSON 503.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Login and token attempts per minute and client address.
pub const DEFAULT_LOGIN_RATE_PER_MINUTE: u32 = 10;

/// The Content-Security-Policy of every response. The UI is one same-origin bundle, so
/// everything is `'self'`, with two exceptions, both checked against the built UI:
/// - `style-src 'unsafe-inline'`: MUI styles through Emotion, which inserts `<style>`
///   elements at run time and sets `style` attributes (React `style={...}`, React Flow's
///   node positions). A nonce would need a server-rendered index.html; inline *styles*
///   cannot run code, while scripts stay strictly `'self'`.
/// - `img-src data:` and `font-src data:`: MUI's icons and Vite inline small assets as
///   data: URLs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; \
     form-action 'self'";
/// Sent only over HTTPS (browsers ignore it over plain HTTP anyway): one year.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

#[derive(Clone, Debug)]
pub struct SecurityConfig {
    /// Served over TLS by the built-in server: cookies get `Secure`, and responses carry
    /// HSTS. Behind a proxy that terminates TLS, [`request_is_https`] decides per request.
    pub tls: bool,
    /// Origins (`https://host[:port]`) whose browser pages may call the API, with
    /// credentials. Empty: no cross-origin access at all.
    pub cors_origins: Vec<HeaderValue>,
    /// Peers whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Largest request body; OpenLineage intake keeps its own larger limit.
    pub max_body_bytes: usize,
    /// Longest wait for a response (not for the event stream).
    pub request_timeout: Duration,
    /// Login/token attempts per minute and client address.
    pub login_rate_per_minute: NonZeroU32,
    /// Attempts allowed at once before the rate applies.
    pub login_burst: NonZeroU32,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        let rate = NonZeroU32::new(DEFAULT_LOGIN_RATE_PER_MINUTE).expect("non-zero");
        SecurityConfig {
            tls: false,
            cors_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            login_rate_per_minute: rate,
            login_burst: rate,
        }
    }
}

/// Checks a CORS origin as given on the command line: `scheme://host[:port]`, nothing
/// more (browsers send exactly that in `Origin`, so a path or a trailing slash would
/// never match).
pub fn parse_cors_origin(origin: &str) -> Result<HeaderValue, String> {
    let origin = origin.trim();
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("CORS origin {origin:?} must start with https:// or http://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '*', ' ']) {
        return Err(format!(
            "CORS origin {origin:?} must be scheme://host[:port], without path, slash or wildcard"
        ));
    }
    HeaderValue::from_str(origin).map_err(|_| format!("CORS origin {origin:?} is not a valid header value"))
}

/// Parses a trusted proxy: a network (`10.0.0.0/8`, `fd00::/8`) or one address.
pub fn parse_trusted_proxy(proxy: &str) -> Result<IpNet, String> {
    let proxy = proxy.trim();
    if let Ok(net) = proxy.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    proxy
        .parse::<IpAddr>()
        .map(|ip| IpNet::from(canonical(ip)))
        .map_err(|_| format!("trusted proxy {proxy:?} is neither an IP address nor a CIDR network"))
}

/// The client's address: the peer, unless the peer is a trusted proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(
            &parts.headers,
            &parts.extensions,
            &state.config().security,
        )))
    }
}

/// `::ffff:1.2.3.4` (a dual-stack socket's view of an IPv4 peer) is `1.2.3.4`.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

fn peer_ip(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| canonical(addr.ip()))
        // Only a router driven without a socket (in-process tests) has no peer.
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

fn is_trusted(ip: IpAddr, config: &SecurityConfig) -> bool {
    config.trusted_proxies.iter().any(|net| net.contains(&ip))
}

/// One `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:80`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The client's address. The peer's, unless the peer is a trusted proxy: then the
/// right-most `X-Forwarded-For` address that is not itself a trusted proxy (entries to
/// its left were written by the client and could be anything). If the chain holds
/// something unreadable, the last trusted hop before it is taken.
pub fn client_ip(headers: &HeaderMap, extensions: &Extensions, config: &SecurityConfig) -> IpAddr {
    let peer = peer_ip(extensions);
    if !is_trusted(peer, config) {
        return peer;
    }
    let chain: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for entry in chain.iter().rev() {
        match parse_forwarded(entry) {
            Some(ip) if is_trusted(ip, config) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// Whether the client reached us over HTTPS: the built-in TLS is on, or the peer is a
/// trusted proxy whose `X-Forwarded-Proto` says `https`. Decides the cookie `Secure` flag
/// and HSTS. The right-most value counts: it is the one the trusted peer wrote.
pub fn request_is_https(parts: &Parts, state: &AppState) -> bool {
    is_https(&parts.headers, &parts.extensions, &state.config().security)
}

fn is_https(headers: &HeaderMap, extensions: &Extensions, config: &SecurityConfig) -> bool {
    if config.tls {
        return true;
    }
    if !is_trusted(peer_ip(extensions), config) {
        return false;
    }
    headers
        .get_all("x-forwarded-proto")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The routes under rate limit: password login, the OIDC callback (each call redeems a
/// code) and token creation. Matched by method and path, so the limit does not depend on
/// how those routes are wired.
pub fn is_rate_limited(method: &Method, path: &str) -> bool {
    matches!(
        (method.as_str(), path),
        ("POST", "/api/auth/login") | ("GET", "/api/auth/oidc/callback") | ("POST", "/api/tokens")
    )
}

/// Wraps the routes in the hardening layers, outermost first: request tracing, security
/// headers (so every response has them, errors and CORS preflights too), CORS, the rate
/// limit, the request timeout, the body limit. Authentication belongs inside, on `app`.
pub fn harden(app: Router<AppState>, state: &AppState) -> Router<AppState> {
    let config = &state.config().security;
    let limiter = Arc::new(LoginLimiter::new(config));
    let mut app = app
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), request_timeout))
        .layer(middleware::from_fn_with_state((state.clone(), limiter), rate_limit));
    if let Some(cors) = cors_layer(config) {
        app = app.layer(cors);
    }
    app.layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(TraceLayer::new_for_http())
}

/// CORS for the configured origins only; none configured, no layer: browsers then refuse
/// every cross-origin call (no `Access-Control-Allow-Origin` is ever sent).
fn cors_layer(config: &SecurityConfig) -> Option<CorsLayer> {
    if config.cors_origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(config.cors_origins.iter().cloned()))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("x-csrf-token"),
            ])
            .expose_headers([header::RETRY_AFTER, header::CONTENT_DISPOSITION])
            .max_age(Duration::from_secs(600)),
    )
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let https = is_https(request.headers(), request.extensions(), &state.config().security);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "same-origin");
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY);
    }
    // API answers hold catalog data and personal data: no cache keeps them, unless the
    // route chose its own caching.
    if api {
        set(header::CACHE_CONTROL, "no-store");
    }
    response
}

/// The event stream stays open for as long as the page does.
const UNTIMED_PATHS: &[&str] = &["/api/events"];

async fn request_timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if UNTIMED_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let limit = state.config().security.request_timeout;
    // Covers the handler until the response head; a body that streams (CSV exports) is not
    // cut. Dropping the handler rolls back an open transaction.
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            ErrorCode::Unavailable,
            format!(
                "the request took longer than {} and was stopped; try again later or narrow it",
                describe(limit)
            ),
        )
        .into_response(),
    }
}

fn describe(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// One GCRA bucket per client address.
struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

/// Buckets of clients that are back to full are dropped once there are this many.
const LIMITER_PRUNE_AT: usize = 10_000;

impl LoginLimiter {
    fn new(config: &SecurityConfig) -> Self {
        let quota = Quota::per_minute(config.login_rate_per_minute).allow_burst(config.login_burst);
        let clock = DefaultClock::default();
        LoginLimiter {
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
        }
    }

    /// `Err(wait)` when `ip` has used up its attempts.
    fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        if self.limiter.len() >= LIMITER_PRUNE_AT {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&ip)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

async fn rate_limit(
    State((state, limiter)): State<(AppState, Arc<LoginLimiter>)>,
    request: Request,
    next: Next,
) -> Response {
    if !is_rate_limited(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    let ip = client_ip(request.headers(), request.extensions(), &state.config().security);
    match limiter.check(ip) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            // Whole seconds, rounded up: a client that waits that long gets through.
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let secs = secs.max(1);
            tracing::warn!(client = %ip, path = request.uri().path(), "rate limited");
            let mut response = ApiError::new(
                ErrorCode::RateLimited,
                format!("too many attempts from this address; retry in {secs} s"),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxies: &[&str]) -> SecurityConfig {
        SecurityConfig {
            trusted_proxies: proxies.iter().map(|p| parse_trusted_proxy(p).unwrap()).collect(),
            ..SecurityConfig::default()
        }
    }

    fn from_peer(peer: &str, xff: &[&str]) -> (HeaderMap, Extensions) {
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        let mut ext = Extensions::new();
        ext.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        (headers, ext)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let (h, e) = from_peer("203.0.113.9:4000", &["1.1.1.1"]);
        assert_eq!(client_ip(&h, &e, &config(&["10.0.0.0/8"])), ip("203.0.113.9"));
    }

    #[test]
    fn trusted_peer_gives_the_right_most_untrusted_address() {
        // The client forged 6.6.6.6; the proxy chain appended the real address.
        let (h, e) = from_peer("10.0.0.2:4000", &["6.6.6.6, 198.51.100.7", "10.0.0.1"]);
        assert_eq!(client_ip(&h, &e, &config(&["10.0.0.0/8"])), ip("198.51.100.7"));
    }

    #[test]
    fn ports_mapped_addresses_and_garbage_in_the_chain() {
        let c = config(&["10.0.0.0/8", "::1"]);
        let (h, e) = from_peer("[::ffff:10.0.0.2]:4000", &["[2001:db8::5]:443"]);
        assert_eq!(client_ip(&h, &e, &c), ip("2001:db8::5"));
        let (h, e) = from_peer("[::1]:4000", &["198.51.100.7:9", "10.1.1.1"]);
        assert_eq!(client_ip(&h, &e, &c), ip("198.51.100.7"));
        // Unreadable: the last trusted hop is the client, not the forged entry behind it.
        let (h, e) = from_peer("10.0.0.2:4000", &["6.6.6.6, nonsense, 10.0.0.3"]);
        assert_eq!(client_ip(&h, &e, &c), ip("10.0.0.3"));
        // No header at all: the proxy itself.
        let (h, e) = from_peer("10.0.0.2:4000", &[]);
        assert_eq!(client_ip(&h, &e, &c), ip("10.0.0.2"));
    }

    #[test]
    fn forwarded_proto_counts_only_from_trusted_peers() {
        let c = config(&["10.0.0.0/8"]);
        let (mut h, e) = from_peer("10.0.0.2:4000", &[]);
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(is_https(&h, &e, &c));
        let (_, untrusted) = from_peer("203.0.113.9:4000", &[]);
        assert!(!is_https(&h, &untrusted, &c));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https, http"));
        assert!(!is_https(&h, &e, &c), "the right-most value is the trusted peer's");
        let tls = SecurityConfig { tls: true, ..c };
        assert!(is_https(&HeaderMap::new(), &untrusted, &tls));
    }

    #[test]
    fn origins_and_proxies_are_checked() {
        assert!(parse_cors_origin("https://ui.example.com").is_ok());
        assert!(parse_cors_origin("http://localhost:5173").is_ok());
        for bad in [
            "ui.example.com",
            "https://ui.example.com/",
            "https://*.example.com",
            "https://",
        ] {
            let err = parse_cors_origin(bad).unwrap_err();
            assert!(err.contains("CORS origin"), "{bad}: {err}");
        }
        assert_eq!(parse_trusted_proxy("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_trusted_proxy("::1").unwrap().to_string(), "::1/128");
        assert!(
            parse_trusted_proxy("10.0.0.0/33")
                .unwrap_err()
                .contains("trusted proxy")
        );
    }

    #[test]
    fn only_login_and_token_routes_are_limited() {
        assert!(is_rate_limited(&Method::POST, "/api/auth/login"));
        assert!(is_rate_limited(&Method::GET, "/api/auth/oidc/callback"));
        assert!(is_rate_limited(&Method::POST, "/api/tokens"));
        assert!(!is_rate_limited(&Method::GET, "/api/tokens"));
        assert!(!is_rate_limited(&Method::GET, "/api/auth/me"));
    }
}
