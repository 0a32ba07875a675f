//! Bodies of the `/api/assets` endpoints: database objects, files and datasets in one list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use torro_model::{Asset, AssetColumn, AssetPatch, AssetQuery, AssetSchemaVersion, AssetType, SchemaVersion};
use utoipa::{IntoParams, ToSchema};

use super::Pagination;
use crate::error::ApiError;
use crate::params::{parse_page, parse_size};

/// Filters and paging of `GET /api/assets`. Empty values count as absent.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AssetListParams {
    /// 0-based page number; default 0.
    #[param(value_type = Option<u32>, minimum = 0)]
    pub page: Option<String>,
    /// Page size, 1..=100; default 50.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub size: Option<String>,
    /// Connection id (alias: connector_id).
    #[serde(alias = "connector_id")]
    #[param(value_type = Option<i64>)]
    pub connector: Option<String>,
    /// Exact catalog: database (databases) or container (files, datasets).
    pub catalog: Option<String>,
    /// Exact schema (databases) or folder (files).
    pub schema: Option<String>,
    /// table, view, materialized_view, procedure, function, trigger, file or dataset.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub asset_type: Option<String>,
    /// Words that must all appear in the qualified name (case-insensitive).
    pub search: Option<String>,
    /// Include deleted assets (default false).
    #[param(value_type = Option<bool>)]
    pub include_deleted: Option<String>,
}

fn present(raw: &Option<String>) -> Option<String> {
    raw.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

impl AssetListParams {
    pub fn to_query(&self) -> Result<AssetQuery, ApiError> {
        let connector_id = match present(&self.connector) {
            None => None,
            Some(s) => Some(
                s.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| ApiError::invalid(format!("connector must be a positive integer, got {s:?}")))?,
            ),
        };
        let asset_type = match present(&self.asset_type) {
            None => None,
            Some(s) => Some(
                s.parse::<AssetType>()
                    .map_err(|e| ApiError::invalid(format!("type: {e}")))?,
            ),
        };
        let search = present(&self.search);
        if search.as_ref().is_some_and(|s| s.chars().count() > 200) {
            return Err(ApiError::invalid("search must be at most 200 characters"));
        }
        let include_deleted = match present(&self.include_deleted).as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "include_deleted must be true or false, got {other:?}"
                )));
            }
        };
        Ok(AssetQuery {
            connector_id,
            catalog: present(&self.catalog),
            schema: present(&self.schema),
            asset_type,
            search,
            include_deleted,
            page: parse_page(self.page.as_deref())?,
            size: parse_size(self.size.as_deref())?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ColumnBody {
    pub name: String,
    /// 1-based.
    pub ordinal: i64,
    /// The source's own type name.
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
    pub default: Option<String>,
    pub comment: Option<String>,
    pub is_pk: bool,
}

impl From<&AssetColumn> for ColumnBody {
    fn from(c: &AssetColumn) -> Self {
        ColumnBody {
            name: c.name.clone(),
            ordinal: c.ordinal,
            data_type: c.data_type.clone(),
            nullable: c.nullable,
            default: c.default.clone(),
            comment: c.comment.clone(),
            is_pk: c.is_pk,
        }
    }
}

/// Source text of a view, routine or trigger, for lineage.
#[derive(Debug, Serialize, ToSchema)]
pub struct DefinitionBody {
    /// postgres, plpgsql, mysql, sqlite, ...
    pub language: String,
    pub text: String,
}

/// What people say about an asset (edited with PATCH, audited).
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessMetadataBody {
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub owners: Vec<String>,
    pub glossary_terms: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetBody {
    /// `db-<n>`, `file-<n>` or `dataset-<n>`.
    #[schema(example = "db-12")]
    pub id: String,
    #[serde(rename = "type")]
    #[schema(example = "table")]
    pub asset_type: String,
    pub name: String,
    pub catalog: String,
    pub schema: String,
    pub qualified_name: String,
    /// OpenLineage namespace + name, e.g. `postgres://db:5432/shop.public.orders`.
    pub urn: String,
    pub connector_id: Option<i64>,
    pub source_name: String,
    pub discovered_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub last_changed: DateTime<Utc>,
    pub deleted: bool,
    /// Row estimate, size, partitioning, engine, indexes, keys.
    #[schema(value_type = Object)]
    pub technical_metadata: serde_json::Value,
    /// Owner, last DDL, last analyzed.
    #[schema(value_type = Object)]
    pub operational_metadata: serde_json::Value,
    pub business_metadata: BusinessMetadataBody,
    /// The source's own comment on the object.
    pub source_comment: Option<String>,
    pub columns: Vec<ColumnBody>,
    pub definition: Option<DefinitionBody>,
    pub schema_hash: Option<String>,
}

impl From<&Asset> for AssetBody {
    fn from(a: &Asset) -> Self {
        let b = &a.business_metadata;
        AssetBody {
            id: a.id.clone(),
            asset_type: a.asset_type.as_str().into(),
            name: a.name.clone(),
            catalog: a.catalog.clone(),
            schema: a.schema.clone(),
            qualified_name: a.qualified_name.clone(),
            urn: a.urn.clone(),
            connector_id: a.connector_id,
            source_name: a.source_name.clone(),
            discovered_at: a.discovered_at,
            last_seen: a.last_seen,
            last_changed: a.last_changed,
            deleted: a.deleted,
            technical_metadata: a.technical_metadata.clone(),
            operational_metadata: a.operational_metadata.clone(),
            business_metadata: BusinessMetadataBody {
                description: b.description.clone(),
                tags: b.tags.clone(),
                owners: b.owners.clone(),
                glossary_terms: b.glossary_terms.clone(),
            },
            source_comment: a.source_comment.clone(),
            columns: a.columns.iter().map(ColumnBody::from).collect(),
            definition: a.definition.as_ref().map(|d| DefinitionBody {
                language: d.language.clone(),
                text: d.text.clone(),
            }),
            schema_hash: a.schema_hash.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetList {
    pub assets: Vec<AssetBody>,
    pub pagination: Pagination,
}

/// `PATCH /api/assets/{id}`: fields left out stay as they are; `"description": null` clears it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetPatchRequest {
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub owners: Option<Vec<String>>,
    pub glossary_terms: Option<Vec<String>>,
    /// Optional: the signed-in user is recorded; a different name is refused (400).
    pub by: Option<String>,
    /// Why (kept in the audit log).
    pub comment: Option<String>,
}

/// `null` → `Some(None)`, missing → `None`.
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

impl AssetPatchRequest {
    /// The store's patch and the name the body claims as actor; a 400 naming the field
    /// when it is invalid.
    pub fn into_patch(self) -> Result<(AssetPatch, Option<String>), ApiError> {
        for (field, list) in [
            ("tags", &self.tags),
            ("owners", &self.owners),
            ("glossary_terms", &self.glossary_terms),
        ] {
            if list
                .as_ref()
                .is_some_and(|l| l.len() > 100 || l.iter().any(|s| s.chars().count() > 200))
            {
                return Err(ApiError::invalid(format!(
                    "{field} takes at most 100 entries of at most 200 characters"
                )));
            }
        }
        if self
            .description
            .as_ref()
            .is_some_and(|d| d.as_ref().is_some_and(|d| d.chars().count() > 10_000))
        {
            return Err(ApiError::invalid("description must be at most 10000 characters"));
        }
        Ok((
            AssetPatch {
                description: self.description,
                tags: self.tags,
                owners: self.owners,
                glossary_terms: self.glossary_terms,
                comment: self.comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            },
            self.by,
        ))
    }
}

/// One version of an asset's columns.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetSchemaVersionBody {
    /// 1 = first seen.
    pub version: i64,
    pub schema_hash: String,
    /// `{fields: [{name, type, nullable}]}`.
    #[schema(value_type = Object)]
    pub schema: serde_json::Value,
    /// Against the version before: added, removed, type_changed, nullability_changed, reordered.
    #[schema(value_type = Option<Object>)]
    pub diff: Option<serde_json::Value>,
    pub observed_at: DateTime<Utc>,
    pub scan_id: Option<i64>,
}

impl From<&AssetSchemaVersion> for AssetSchemaVersionBody {
    fn from(v: &AssetSchemaVersion) -> Self {
        AssetSchemaVersionBody {
            version: v.version,
            schema_hash: v.schema_hash.clone(),
            schema: serde_json::to_value(&v.schema).unwrap_or_default(),
            diff: v.diff.as_ref().and_then(|d| serde_json::to_value(d).ok()),
            observed_at: v.observed_at,
            scan_id: v.scan_id,
        }
    }
}

impl From<&SchemaVersion> for AssetSchemaVersionBody {
    fn from(v: &SchemaVersion) -> Self {
        AssetSchemaVersionBody {
            version: v.version,
            schema_hash: v.schema_hash.clone(),
            schema: serde_json::to_value(&v.schema).unwrap_or_default(),
            diff: v.diff.as_ref().and_then(|d| serde_json::to_value(d).ok()),
            observed_at: v.seen_at,
            scan_id: v.scan_id,
        }
    }
}
