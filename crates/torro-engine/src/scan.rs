use std::sync::Arc;

use torro_catalog::CatalogStore;
use torro_model::ScanRun;

use crate::{EngineError, ScanProgress, TorroConfig};

pub(crate) async fn execute(
    store: &Arc<dyn CatalogStore>,
    config: &TorroConfig,
    scan_id: i64,
    progress: &dyn ScanProgress,
) -> Result<ScanRun, EngineError> {
    let _ = (store, config, scan_id, progress);
    todo!()
}
