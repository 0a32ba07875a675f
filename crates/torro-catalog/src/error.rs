use thiserror::Error;

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

/// Store errors, in the few kinds the API layer maps to HTTP statuses.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// The named thing does not exist (→ 404).
    #[error("{0} not found")]
    NotFound(String),
    /// A unique key is already taken (→ 409).
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The request is valid but conflicts with the current state, e.g. an invalid status transition (→ 409).
    #[error("{0}")]
    Conflict(String),
    /// A field of the request is invalid (→ 400).
    #[error("invalid {field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The database URL names no supported backend, or cannot be parsed (→ startup error).
    #[error("unsupported database URL {url:?}: {message}")]
    UnsupportedUrl { url: String, message: String },
    /// The database failed or could not be reached (→ 500/503; full chain logged, not shown).
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded (corrupt row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}
