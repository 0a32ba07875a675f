//! Assets: the catalog's one list of everything it knows — database tables, views,
//! materialized views, routines and triggers, and (read from discoveries and datasets)
//! files and logical datasets.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data_type::DataType;
use crate::schema::{Field, Schema, SchemaDiff};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetType {
    Table,
    View,
    MaterializedView,
    Procedure,
    Function,
    Trigger,
    File,
    Dataset,
}

impl AssetType {
    pub const ALL: [AssetType; 8] = [
        AssetType::Table,
        AssetType::View,
        AssetType::MaterializedView,
        AssetType::Procedure,
        AssetType::Function,
        AssetType::Trigger,
        AssetType::File,
        AssetType::Dataset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AssetType::Table => "table",
            AssetType::View => "view",
            AssetType::MaterializedView => "materialized_view",
            AssetType::Procedure => "procedure",
            AssetType::Function => "function",
            AssetType::Trigger => "trigger",
            AssetType::File => "file",
            AssetType::Dataset => "dataset",
        }
    }

    /// Tables, views and materialized views hold rows and have columns.
    pub fn has_columns(self) -> bool {
        matches!(self, AssetType::Table | AssetType::View | AssetType::MaterializedView)
    }

    /// Views, materialized views and routines: their definitions say what they read and write.
    pub fn has_sql_lineage(self) -> bool {
        matches!(
            self,
            AssetType::View | AssetType::MaterializedView | AssetType::Procedure | AssetType::Function
        )
    }
}

impl fmt::Display for AssetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AssetType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AssetType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| {
            format!(
                "unknown asset type {s:?}; expected one of {}",
                AssetType::ALL.map(AssetType::as_str).join(", ")
            )
        })
    }
}

/// One column of a table or view, as the database describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetColumn {
    pub name: String,
    /// 1-based position.
    pub ordinal: i64,
    /// The database's own type name (`character varying(20)`, `int(11)`, `NUMBER(10,2)`).
    #[serde(rename = "type")]
    pub data_type: String,
    pub nullable: bool,
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub is_pk: bool,
}

/// The source text of a view, materialized view, routine or trigger, kept for lineage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetDefinition {
    /// The SQL dialect or routine language: `postgres`, `plpgsql`, `mysql`, `sqlite`,
    /// `snowflake`, `oracle`, `sql`, ...
    pub language: String,
    pub text: String,
}

/// What people say about an asset; edited through the API, audited, never touched by scans.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessMetadata {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub owners: Vec<String>,
    #[serde(default)]
    pub glossary_terms: Vec<String>,
}

/// A change to business metadata: fields left out stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetPatch {
    /// `Some(None)` clears the description.
    #[serde(default, with = "double_option")]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub owners: Option<Vec<String>>,
    #[serde(default)]
    pub glossary_terms: Option<Vec<String>>,
    /// Why; kept in the audit row.
    #[serde(default)]
    pub comment: Option<String>,
}

/// `null` → `Some(None)`, missing → `None` (serde's default would merge the two).
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Option<String>>, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

impl AssetPatch {
    /// `business` with this patch applied; tags, owners and terms trimmed, emptied and deduplicated.
    pub fn apply(&self, business: &BusinessMetadata) -> BusinessMetadata {
        fn tidy(v: &[String]) -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for s in v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                if !out.iter().any(|o| o == s) {
                    out.push(s.to_string());
                }
            }
            out
        }
        BusinessMetadata {
            description: match &self.description {
                None => business.description.clone(),
                Some(d) => d.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from),
            },
            tags: self.tags.as_deref().map_or_else(|| business.tags.clone(), tidy),
            owners: self.owners.as_deref().map_or_else(|| business.owners.clone(), tidy),
            glossary_terms: self
                .glossary_terms
                .as_deref()
                .map_or_else(|| business.glossary_terms.clone(), tidy),
        }
    }
}

/// One database object as a scan saw it: what the catalog upserts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObservedAsset {
    pub asset_type: AssetType,
    /// Database (PostgreSQL, MySQL schema = database, Snowflake), service (Oracle) or `main` (SQLite).
    pub catalog: String,
    /// Schema; empty for MySQL/MariaDB, where catalog and schema are one.
    pub schema: String,
    /// Object name; routines carry their argument types (`f(integer, text)`) so overloads
    /// stay apart; triggers carry their table (`orders.audit_orders`).
    pub name: String,
    pub columns: Vec<AssetColumn>,
    /// Row estimate, size, partitioning, engine, indexes, keys.
    pub technical_metadata: serde_json::Value,
    /// Last DDL, last analyzed, owner.
    pub operational_metadata: serde_json::Value,
    /// The database's own comment on the object.
    pub comment: Option<String>,
    pub definition: Option<AssetDefinition>,
}

impl ObservedAsset {
    /// The columns as a [`Schema`] (types kept verbatim), so hashes and diffs work exactly
    /// as they do for files.
    pub fn schema(&self) -> Schema {
        schema_of(&self.columns)
    }

    /// `catalog.schema.name`, without empty parts.
    pub fn qualified_name(&self) -> String {
        qualified_name(&self.catalog, &self.schema, &self.name)
    }

    /// SHA-256 over everything a scan sees: a changed fingerprint rewrites the row.
    pub fn fingerprint(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        hex(&Sha256::digest(text.as_bytes()))
    }
}

pub fn qualified_name(catalog: &str, schema: &str, name: &str) -> String {
    [catalog, schema, name]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

pub fn schema_of(columns: &[AssetColumn]) -> Schema {
    let mut sorted: Vec<&AssetColumn> = columns.iter().collect();
    sorted.sort_by_key(|c| c.ordinal);
    Schema::new(
        sorted
            .into_iter()
            .map(|c| Field {
                name: c.name.clone(),
                data_type: DataType::Other(c.data_type.to_lowercase()),
                nullable: c.nullable,
                description: c.comment.clone(),
            })
            .collect(),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An asset in the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Asset {
    /// `db-<n>` for database objects, `file-<n>` for a discovered file (discovery `n`),
    /// `dataset-<n>` for a logical dataset: one id space over the three tables.
    pub id: String,
    #[serde(rename = "type")]
    pub asset_type: AssetType,
    pub name: String,
    pub catalog: String,
    pub schema: String,
    /// `catalog.schema.name` (databases) or the path (files, datasets).
    pub qualified_name: String,
    /// OpenLineage namespace + `/` + qualified name (DESIGN.md section 4).
    pub urn: String,
    /// The managed connection it came from, when it came from one.
    pub connector_id: Option<i64>,
    /// The connection's (or source's) name.
    pub source_name: String,
    pub discovered_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub last_changed: DateTime<Utc>,
    pub deleted: bool,
    pub technical_metadata: serde_json::Value,
    pub operational_metadata: serde_json::Value,
    pub business_metadata: BusinessMetadata,
    /// The source's own comment (table comment), apart from the editable description.
    pub source_comment: Option<String>,
    pub columns: Vec<AssetColumn>,
    pub definition: Option<AssetDefinition>,
    pub schema_hash: Option<String>,
}

/// Parses `db-12`, `file-3`, `dataset-7` into (kind, number).
pub fn parse_asset_id(id: &str) -> Option<(AssetIdKind, i64)> {
    let (kind, n) = id.split_once('-')?;
    let kind = match kind {
        "db" => AssetIdKind::Database,
        "file" => AssetIdKind::File,
        "dataset" => AssetIdKind::Dataset,
        _ => return None,
    };
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    Some((kind, n))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetIdKind {
    Database,
    File,
    Dataset,
}

/// Filters of an asset listing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetQuery {
    pub connector_id: Option<i64>,
    pub catalog: Option<String>,
    pub schema: Option<String>,
    pub asset_type: Option<AssetType>,
    /// Words matched (as substrings, case-insensitively) against the qualified name.
    pub search: Option<String>,
    pub include_deleted: bool,
    pub page: u32,
    pub size: u32,
}

/// One version of an asset's columns; version 1 is the first seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssetSchemaVersion {
    pub version: i64,
    pub schema_hash: String,
    pub schema: Schema,
    /// Against the version before; `None` for the first.
    pub diff: Option<SchemaDiff>,
    pub observed_at: DateTime<Utc>,
    pub scan_id: Option<i64>,
}

/// What an upsert did to one observed object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetOutcome {
    New,
    /// Something changed; `schema_changed` when the columns did (a new schema version).
    Changed {
        schema_changed: bool,
    },
    Unchanged,
}

/// A live database asset's identity, for finding what a rescan no longer sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetKey {
    pub id: i64,
    pub asset_type: AssetType,
    pub catalog: String,
    pub schema: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ordinal: i64, t: &str) -> AssetColumn {
        AssetColumn {
            name: name.into(),
            ordinal,
            data_type: t.into(),
            nullable: true,
            default: None,
            comment: None,
            is_pk: false,
        }
    }

    #[test]
    fn schema_follows_ordinals_and_keeps_native_types() {
        let cols = vec![col("b", 2, "VARCHAR(10)"), col("a", 1, "integer")];
        let s = schema_of(&cols);
        assert_eq!(s.fields[0].name, "a");
        assert_eq!(s.fields[1].data_type, DataType::Other("varchar(10)".into()));
        let mut changed = cols.clone();
        changed[0].data_type = "text".into();
        let diff = SchemaDiff::between(&s, &schema_of(&changed));
        assert_eq!(diff.type_changed.len(), 1);
        assert_ne!(s.hash(), schema_of(&changed).hash());
    }

    #[test]
    fn asset_ids_parse_only_known_kinds() {
        assert_eq!(parse_asset_id("db-12"), Some((AssetIdKind::Database, 12)));
        assert_eq!(parse_asset_id("file-3"), Some((AssetIdKind::File, 3)));
        assert_eq!(parse_asset_id("dataset-7"), Some((AssetIdKind::Dataset, 7)));
        for bad in ["12", "db-", "db-x", "db--1", "db-0", "table-1", ""] {
            assert_eq!(parse_asset_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn patch_keeps_what_it_leaves_out_and_tidies_lists() {
        let before = BusinessMetadata {
            description: Some("d".into()),
            tags: vec!["a".into()],
            owners: vec!["o".into()],
            glossary_terms: vec![],
        };
        let patch: AssetPatch = serde_json::from_str(r#"{"tags": [" x ", "x", "", "y"]}"#).unwrap();
        let after = patch.apply(&before);
        assert_eq!(after.description.as_deref(), Some("d"));
        assert_eq!(after.tags, ["x", "y"]);
        assert_eq!(after.owners, ["o"]);
        let clear: AssetPatch = serde_json::from_str(r#"{"description": null}"#).unwrap();
        assert_eq!(clear.apply(&before).description, None);
    }

    #[test]
    fn asset_types_round_trip() {
        for t in AssetType::ALL {
            assert_eq!(t.as_str().parse::<AssetType>(), Ok(t));
        }
        assert!("tabel".parse::<AssetType>().unwrap_err().contains("materialized_view"));
    }
}
