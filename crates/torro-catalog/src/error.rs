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
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded (corrupt row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for CatalogError {
    /// Text a database refuses to hold is bad input, not a server fault: PostgreSQL rejects
    /// NUL characters in text (SQLSTATE 22021), and a value too long for its column fails
    /// on PostgreSQL and MySQL (22001). Every other error stays a database error.
    fn from(e: sqlx::Error) -> Self {
        let message = match e.as_database_error().and_then(|d| d.code()).as_deref() {
            Some("22021") => "must not contain NUL characters",
            Some("22001") => "is longer than the catalog can store",
            _ => return CatalogError::Database(e),
        };
        CatalogError::InvalidInput {
            field: "text".into(),
            message: message.into(),
        }
    }
}
