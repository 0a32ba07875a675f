//! Builds the source a [`ConnectorConfig`] describes. Building checks the settings
//! (only this step fails on bad configuration); `test_connection` then proves access.

use std::path::Path;
use std::sync::Arc;

use torro_model::{ConnectorConfig, StorageType};

use crate::{LocalSource, ObjectSource, SourceError};

pub fn open(config: &ConnectorConfig) -> Result<Arc<dyn ObjectSource>, SourceError> {
    match config.storage_type {
        StorageType::Local => Ok(Arc::new(LocalSource::new(Path::new(&config.container))?)),
        other => Err(SourceError::Config(format!("{other} connections are not supported yet"))),
    }
}
