//! Torro's sources of files. One trait, [`ObjectSource`]: list what is there, fetch byte
//! ranges of it. Implementations sit on `object_store`, so local disks and (in later
//! work) S3, Azure Blob and GCS share all the code above this crate.

mod local;
mod open;
mod source;

pub use local::LocalSource;
pub use open::open;
pub use source::{ListEntry, ObjectInfo, ObjectSource, SourceError, SourceStats};
