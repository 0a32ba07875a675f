//! Response and request bodies. The model's records are mapped here into JSON shapes
//! meant for clients (flat lists, grouped details, enums as plain strings).

pub mod assets;
pub mod auth;
pub mod connections;
pub mod datasets;
pub mod discovery;
pub mod lineage;
pub mod scans;

use serde::Serialize;
use torro_model::Page;
use utoipa::ToSchema;

/// Paging facts of a list response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Pagination {
    /// 0-based page number.
    pub page: u32,
    pub size: u32,
    /// Items over all pages.
    pub total: i64,
    pub total_pages: i64,
}

impl<T> From<&Page<T>> for Pagination {
    fn from(p: &Page<T>) -> Self {
        Pagination {
            page: p.page,
            size: p.size,
            total: p.total,
            total_pages: p.total_pages(),
        }
    }
}

/// `GET /health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// "ok" or "unavailable".
    pub status: String,
    /// "ok" or "unavailable".
    pub database: String,
    /// The server's version.
    pub version: String,
}

/// Text of an enum that serializes as a plain string (snake_case variants).
pub(crate) fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}
