use torro_catalog::CatalogError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Only one scan runs at a time per process; this is the running one.
    #[error("scan {0} is already running; wait for it to finish (GET /api/scans/{0})")]
    AlreadyRunning(i64),
    #[error("no sources are configured; pass a folder to scan or a config file with [[sources]]")]
    NoSources,
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A field of a request is invalid; `field` names it (`name`, `config.root`, `secrets.x`).
    #[error("invalid {field}: {message}")]
    InvalidInput { field: String, message: String },
    /// Secrets cannot be encrypted or decrypted (no key, or a changed key). The message
    /// says what to do and never holds a secret.
    #[error("{0}")]
    Secrets(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}
