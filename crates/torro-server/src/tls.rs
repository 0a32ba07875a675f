//! Built-in HTTPS (`torro serve --tls-cert --tls-key`): rustls with the ring provider,
//! HTTP/2 and HTTP/1.1, the same router and graceful shutdown as plain HTTP.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::AppState;

/// The TLS settings [`serve_tls`] takes (rustls's, re-exported for the binary).
pub use rustls::ServerConfig;

/// Why the certificate or key cannot be used; says which file and what to fix.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {path}: {source}")]
    Certificate {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("the TLS certificate file {0} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate(PathBuf),
    #[error(
        "cannot read the TLS private key {path}: {source} (expected a PEM PKCS#8, PKCS#1 or SEC1 key, unencrypted)"
    )]
    Key {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("the TLS certificate and key do not fit together or are unsupported: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Reads a PEM certificate chain (leaf first) and its private key into a server config.
pub fn load_tls(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::Certificate {
            path: cert.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(cert.to_path_buf()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Key {
        path: key.to_path_buf(),
        source,
    })?;
    // The provider is named: other crates of the build enable aws-lc-rs too, and with two
    // providers rustls cannot pick a default.
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// How long open connections (an event stream, a long export) get to finish after the
/// shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves the API over HTTPS on `listener` until `shutdown` completes, then lets in-flight
/// requests finish. `state` should have `security.tls` set, so responses carry HSTS and
/// cookies get `Secure`.
pub async fn serve_tls(
    listener: std::net::TcpListener,
    state: AppState,
    tls: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::router(state).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(tls))?
        .handle(handle)
        .serve(app)
        .await
}
