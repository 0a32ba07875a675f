//! Torro's engine: turns configured sources into scan runs and catalog records.
//! The API server, the CLI and workers call the same [`Engine`].

pub mod config;
pub mod connections;
mod database_scan;
mod engine;
mod error;
mod events;
mod inspect;
pub mod jobs;
mod known;
pub mod lineage;
pub mod notify;
mod scan;
pub mod scheduler;
pub mod secrets;
mod tables;
pub mod worker;

pub use config::{JobSettings, ScanSettings, SourceConfig, TorroConfig};
pub use connections::{ConnectionTest, Connections, ContainerTest};
pub use engine::{Engine, NoProgress, ScanProgress};
pub use error::EngineError;
pub use events::{EngineEvent, Events};
pub use scan::ScanControl;
pub use secrets::{SecretBox, SecretKey};
pub use worker::{Worker, WorkerOptions};
