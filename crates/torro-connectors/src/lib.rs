//! Torro's sources of files. One trait, [`ObjectSource`]: list what is there, fetch byte
//! ranges of it. Implementations sit on `object_store`, so local disks, S3 (and
//! S3-compatible stores), Azure Blob and GCS share all the code above this crate.
//! [`open`] builds one from a [`torro_model::ConnectorConfig`]; `docs/connectors.md`
//! lists the settings of each.

mod cloud;
mod cloud_config;
pub mod database;
mod local;
mod open;
mod source;

pub use cloud::{ObjectStoreSource, SourceContext};
pub use cloud_config::{AZURITE_ACCOUNT, AZURITE_KEY};
pub use local::LocalSource;
pub use open::open;
pub use source::{ListEntry, ObjectInfo, ObjectSource, SourceError, SourceStats};

#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "testing")]
pub mod testing_databases;
