//! Torro's domain types. Every other crate speaks in these; none of them does I/O.

pub mod asset;
pub mod auth;
pub mod catalog;
pub mod connection;
pub mod data_type;
pub mod database;
pub mod dataset;
pub mod format;
pub mod lineage;
pub mod location;
pub mod schema;
pub mod status;

pub use asset::{
    Asset, AssetColumn, AssetDefinition, AssetIdKind, AssetKey, AssetOutcome, AssetPatch, AssetQuery,
    AssetSchemaVersion, AssetType, BusinessMetadata, ObservedAsset, parse_asset_id,
};
pub use auth::{
    Actor, ApiToken, AuditQuery, AuthSource, NewApiToken, NewAuditEntry, NewSession, NewUser, Permission, Role,
    Session, UnknownRole, User, UserPatch,
};
pub use catalog::*;
pub use connection::{Connection, ConnectionInput, ConnectionSettings, ConnectorConfig, SECRET_KEYS};
pub use data_type::{DataType, TimeUnit};
pub use database::{DatabaseConfig, DatabaseSettings, NameFilter, SettingsError, parse_jdbc_url};
pub use dataset::{Dataset, DatasetKey, dataset_of};
pub use format::FileFormat;
pub use location::{StorageLocation, StorageType, split_path};
pub use schema::{Field, NullabilityChange, Schema, SchemaDiff, TypeChange};
pub use status::{ApprovalStatus, FileStatus, InvalidTransition, ScanStatus};
