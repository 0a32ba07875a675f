//! The catalog store. One object-safe trait ([`CatalogStore`]); the backend is
//! chosen at run time from the database URL by [`connect`].
//!
//! One implementation ([`sql::SqlStore`]) serves SQLite, PostgreSQL and MySQL/MariaDB:
//! the SQL is shared, and the few real differences (placeholders, timestamp encoding,
//! full-text search, `RETURNING`, row locks) live in [`dialect::Dialect`].

pub mod assets;
pub mod auth;
mod connect;
mod dialect;
mod error;
pub mod jobs;
pub mod lineage;
pub mod outbox;
pub mod search;
mod sql;
mod sql_assets;
mod sql_auth;
mod sql_jobs;
mod sql_lineage;
mod sql_outbox;
mod store;

pub use assets::{AssetScope, AssetStore};
pub use auth::AuthStore;
pub use connect::{DEFAULT_SQLITE_URL, connect, redact_url};
pub use error::{CatalogError, Result};
pub use jobs::{Enqueued, EnqueuedScan, Job, JobStatus, JobStore, Lease, NewJob, ScanRunFilter};
pub use outbox::{NewFile, NewOutboxMessage, OutboxMessage, OutboxStatus, OutboxStore};
pub use store::{Backend, CatalogStore, NewConnectionRow};

#[cfg(feature = "testing")]
pub mod testing;
