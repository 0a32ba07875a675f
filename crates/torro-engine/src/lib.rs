//! Torro's engine: turns configured sources into scan runs and catalog records.
//! The API server, the CLI and (later) workers call the same [`Engine`].

pub mod config;
pub mod connections;
mod engine;
mod error;
mod inspect;
mod known;
pub mod lineage;
mod scan;
pub mod secrets;
mod tables;

pub use config::{ScanSettings, SourceConfig, TorroConfig};
pub use connections::{ConnectionTest, Connections, ContainerTest};
pub use engine::{Engine, NoProgress, ScanProgress};
pub use error::EngineError;
pub use secrets::{SecretBox, SecretKey};
