//! End-to-end tests: the real router on a loopback port, a fresh SQLite catalog per
//! test, called over HTTP. One test binary, one module per resource.

mod assets;
mod auth;
mod connections;
mod datasets;
mod discovery;
mod errors;
mod helpers;
mod injection;
mod lineage;
mod meta;
mod oidc;
mod oidc_provider;
mod scans;
mod security;
mod ui;
mod workflow;
