//! `torro serve`'s HTTP hardening flags: CORS, trusted proxies, limits, rate limit, TLS.
//! See docs/security.md.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use torro_server::security::{self, SecurityConfig};

#[derive(Args, Debug)]
pub struct HardeningArgs {
    /// A browser origin (https://host[:port]) allowed to call the API with credentials
    /// (repeatable). None by default: only the same origin.
    #[arg(long = "cors-origin", env = "TORRO_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// A reverse proxy (address or CIDR) whose X-Forwarded-For / X-Forwarded-Proto are
    /// believed (repeatable).
    #[arg(long = "trusted-proxy", env = "TORRO_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<String>,
    /// Largest request body in bytes (OpenLineage intake keeps its own 16 MiB limit).
    #[arg(long, env = "TORRO_MAX_BODY_BYTES", default_value_t = security::DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Longest time for a response: seconds, or with a unit (500ms, 30s, 2m). The event
    /// stream is not limited.
    #[arg(long, env = "TORRO_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Login and token-creation attempts per minute and client address (as many at once).
    #[arg(long, env = "TORRO_LOGIN_RATE_PER_MINUTE", default_value_t = security::DEFAULT_LOGIN_RATE_PER_MINUTE)]
    login_rate_per_minute: u32,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, env = "TORRO_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "TORRO_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl HardeningArgs {
    /// The checked settings; every bad value names its flag.
    pub fn security_config(&self) -> Result<SecurityConfig> {
        let cors_origins = self
            .cors_origins
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| security::parse_cors_origin(o).map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()
            .context("--cors-origin")?;
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .filter(|p| !p.trim().is_empty())
            .map(|p| security::parse_trusted_proxy(p).map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()
            .context("--trusted-proxy")?;
        if self.max_body_bytes == 0 {
            bail!("--max-body-bytes must be at least 1");
        }
        if self.request_timeout.is_zero() {
            bail!("--request-timeout must be longer than 0");
        }
        let rate = NonZeroU32::new(self.login_rate_per_minute).context("--login-rate-per-minute must be at least 1")?;
        Ok(SecurityConfig {
            tls: self.tls_cert.is_some(),
            cors_origins,
            trusted_proxies,
            max_body_bytes: self.max_body_bytes,
            request_timeout: self.request_timeout,
            login_rate_per_minute: rate,
            login_burst: rate,
        })
    }

    /// The TLS server config when --tls-cert/--tls-key are given.
    pub fn tls(&self) -> Result<Option<Arc<torro_server::tls::ServerConfig>>> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Ok(Some(torro_server::tls::load_tls(cert, key)?)),
            _ => Ok(None),
        }
    }
}

/// `30`, `30s`, `500ms`, `2m`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration; write e.g. 30s, 500ms or 2m"))?;
    match unit.trim() {
        "" | "s" => Ok(Duration::from_secs(number)),
        "ms" => Ok(Duration::from_millis(number)),
        "m" | "min" => Ok(Duration::from_secs(number * 60)),
        other => Err(format!("unknown unit {other:?} in {text:?}; use ms, s or m")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("fast").unwrap_err().contains("not a duration"));
        assert!(parse_duration("3h").unwrap_err().contains("unknown unit"));
    }
}
