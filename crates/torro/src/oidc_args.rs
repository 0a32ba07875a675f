//! `torro serve`'s OpenID Connect flags. The client secret comes only from the environment
//! (`TORRO_OIDC_CLIENT_SECRET`), so it never shows in a process list.

use anyhow::{Context, Result, bail};
use clap::Args;
use torro_model::Role;
use torro_server::auth::oidc::{KEY_PURPOSE, OidcConfig, parse_role_map};

/// The variable holding the OIDC client secret.
pub const CLIENT_SECRET_ENV: &str = "TORRO_OIDC_CLIENT_SECRET";

#[derive(Args, Debug, Default)]
pub struct OidcArgs {
    /// OpenID provider (issuer URL) for single sign-on, e.g. https://login.example.com/realms/acme;
    /// off when unset. The client secret is read from TORRO_OIDC_CLIENT_SECRET.
    #[arg(long, env = "TORRO_OIDC_ISSUER")]
    oidc_issuer: Option<String>,
    /// Client id registered at the provider.
    #[arg(long, env = "TORRO_OIDC_CLIENT_ID")]
    oidc_client_id: Option<String>,
    /// Torro's public callback URL registered at the provider: https://<torro>/api/auth/oidc/callback.
    #[arg(long, env = "TORRO_OIDC_REDIRECT_URL")]
    oidc_redirect_url: Option<String>,
    /// Scopes besides openid, comma-separated.
    #[arg(long, env = "TORRO_OIDC_SCOPES", default_value = "profile,email")]
    oidc_scopes: String,
    /// ID token claim holding the user's groups or roles.
    #[arg(long, env = "TORRO_OIDC_ROLE_CLAIM", default_value = "groups")]
    oidc_role_claim: String,
    /// Claim value to role, first match wins: torro-admins=admin,data-owners=steward,...
    #[arg(long, env = "TORRO_OIDC_ROLE_MAP", default_value = "")]
    oidc_role_map: String,
    /// Role of a user who matches no mapping; unset refuses them.
    #[arg(long, env = "TORRO_OIDC_DEFAULT_ROLE")]
    oidc_default_role: Option<String>,
    /// Text of the login button, e.g. "Sign in with Keycloak".
    #[arg(long, env = "TORRO_OIDC_LABEL")]
    oidc_label: Option<String>,
}

/// The OIDC settings, or `None` when no issuer is given. `cookie_key` is the server's
/// secret key: every replica with the same key can finish a login another one began.
pub fn config(args: &OidcArgs, secret_key: &torro_engine::SecretKey) -> Result<Option<OidcConfig>> {
    let Some(issuer) = args.oidc_issuer.as_deref().filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    let Some(client_id) = args.oidc_client_id.as_deref().filter(|s| !s.trim().is_empty()) else {
        bail!("--oidc-issuer needs a client id: set TORRO_OIDC_CLIENT_ID (or --oidc-client-id)");
    };
    let Some(redirect) = args.oidc_redirect_url.as_deref().filter(|s| !s.trim().is_empty()) else {
        bail!(
            "--oidc-issuer needs Torro's public callback URL: --oidc-redirect-url https://<torro address>/api/auth/oidc/callback"
        );
    };
    let mut config = OidcConfig::new(issuer.trim(), client_id.trim(), redirect.trim());
    config.client_secret = std::env::var(CLIENT_SECRET_ENV).ok().filter(|s| !s.is_empty());
    config.scopes = args
        .oidc_scopes
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "openid")
        .map(str::to_string)
        .collect();
    config.role_claim = args.oidc_role_claim.trim().to_string();
    config.role_map = parse_role_map(&args.oidc_role_map).context("--oidc-role-map")?;
    config.default_role = args
        .oidc_default_role
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|r| r.parse::<Role>())
        .transpose()
        .map_err(|e| anyhow::anyhow!("--oidc-default-role: {e}"))?;
    config.label = args.oidc_label.clone().filter(|s| !s.trim().is_empty());
    config.cookie_key = Some(secret_key.derive(KEY_PURPOSE));
    config.validate()?;
    if config.role_map.is_empty() && config.default_role.is_none() {
        bail!("OIDC login would let nobody in: give --oidc-role-map and/or --oidc-default-role");
    }
    Ok(Some(config))
}
