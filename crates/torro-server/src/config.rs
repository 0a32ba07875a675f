//! How the server is set up: authentication and the HTTP hardening around it.

use std::time::Duration;

use crate::auth::oidc::OidcConfig;
use crate::security::SecurityConfig;

/// Everything `torro serve` decides about the HTTP side. `Default` is what tests and an
/// unconfigured `serve` get: authentication on, no CORS, no TLS.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    pub auth: AuthConfig,
    pub security: SecurityConfig,
}

#[derive(Clone, Debug)]
pub struct AuthConfig {
    /// `false` only for `torro serve --no-auth`, which binds loopback only: every request
    /// then acts as the built-in `local` admin.
    pub enabled: bool,
    /// A session ends this long after login, however busy.
    pub session_ttl: Duration,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// OpenID Connect login besides local users; `None` = off.
    pub oidc: Option<OidcConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            enabled: true,
            session_ttl: Duration::from_secs(7 * 24 * 3600),
            session_idle: Duration::from_secs(12 * 3600),
            oidc: None,
        }
    }
}
