//! Builds the source a [`ConnectorConfig`] describes. Building checks the settings
//! (only this step fails on bad configuration); `test_connection` then proves access.

use std::path::Path;
use std::sync::Arc;

use torro_model::{ConnectorConfig, StorageType};

use crate::cloud_config::{open_azure, open_gcs, open_s3};
use crate::{LocalSource, ObjectSource, SourceError};

/// The source for `config`: a local folder, an S3 (or S3-compatible) bucket, an Azure
/// Blob container or a GCS bucket. Fails only on settings (`SourceError::Config`, naming
/// the setting); nothing is requested until the source is used.
pub fn open(config: &ConnectorConfig) -> Result<Arc<dyn ObjectSource>, SourceError> {
    Ok(match config.storage_type {
        StorageType::Local => Arc::new(LocalSource::new(Path::new(&config.container))?),
        StorageType::S3 => Arc::new(open_s3(config)?),
        StorageType::AzureBlob => Arc::new(open_azure(config)?),
        StorageType::Gcs => Arc::new(open_gcs(config)?),
        db => {
            return Err(SourceError::Config(format!(
                "{db} is a database, not an object store: open it with torro_connectors::database::open"
            )));
        }
    })
}
