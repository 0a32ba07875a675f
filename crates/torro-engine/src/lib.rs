//! Torro's engine: turns configured sources into scan runs and catalog records.
//! The API server, the CLI and (later) workers call the same [`Engine`].

pub mod config;
mod engine;
mod error;
mod inspect;
mod scan;

pub use config::{ScanSettings, SourceConfig, TorroConfig};
pub use engine::{Engine, NoProgress, ScanProgress};
pub use error::EngineError;
