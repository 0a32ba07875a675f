use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use torro_model::StorageLocation;

/// One object as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// `/`-separated path relative to the source's container, no leading slash.
    pub path: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
}

/// A listing yields objects, and errors about single entries that do not stop it.
#[derive(Debug)]
pub enum ListEntry {
    Object(ObjectInfo),
    /// This entry (and, for a folder, what is under it) could not be listed; the rest was.
    Skipped {
        path: String,
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The object or folder does not exist (any more).
    #[error("{path}: not found")]
    NotFound { path: String },
    /// Listing or reading failed; the message says what the store answered.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// The source is configured wrongly; the message says what to fix.
    #[error("{0}")]
    Config(String),
}

/// Requests made and bytes read through a source, for scan statistics and benchmarks.
#[derive(Debug, Default)]
pub struct SourceStats {
    pub list_requests: AtomicU64,
    pub get_requests: AtomicU64,
    pub bytes_read: AtomicU64,
}

impl SourceStats {
    pub fn record_get(&self, bytes: usize) {
        self.get_requests.fetch_add(1, Ordering::Relaxed);
        self.bytes_read.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn requests(&self) -> u64 {
        self.list_requests.load(Ordering::Relaxed) + self.get_requests.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }
}

#[async_trait]
pub trait ObjectSource: Send + Sync {
    /// Where this source's objects live (the catalog's storage identity).
    fn location(&self) -> &StorageLocation;

    /// Every object whose path starts with `prefix` ("" = all), in no particular order.
    /// A failure to list at all is one `Err` item that ends the stream.
    fn list(&self, prefix: &str) -> BoxStream<'_, Result<ListEntry, SourceError>>;

    /// Bytes `range` of `path`. The caller knows the size from the listing and never asks past it.
    async fn get_range(&self, path: &str, range: Range<u64>) -> Result<Bytes, SourceError>;

    /// One cheap call that proves the source is reachable and readable.
    async fn test_connection(&self) -> Result<(), SourceError>;

    fn stats(&self) -> &SourceStats;
}
