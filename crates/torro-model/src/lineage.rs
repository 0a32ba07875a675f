//! Lineage: datasets (named by URN, DESIGN.md section 4), processes (jobs, views, dbt
//! models, manual links) and the edges source → process → target between datasets, with
//! column mappings, validity in time (`valid_from`/`valid_to`: an edge that disappears is
//! closed, never deleted) and an audit trail of every change.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::location::{StorageLocation, StorageType};

/// `namespace` + `name` → the URN Torro shows and matches on: `namespace/name`, or
/// `namespace` + `name` when the name already starts with `/` (local file paths).
pub fn lineage_urn(namespace: &str, name: &str) -> String {
    // A namespace with an empty authority (`sqlite://`) keeps its `//`: trimming it made
    // `sqlite:/path`, which matched no asset's `sqlite:///path` URN.
    let ns = if namespace.ends_with("://") {
        namespace
    } else {
        namespace.trim_end_matches('/')
    };
    if name.starts_with('/') || ns.is_empty() {
        format!("{ns}{name}")
    } else {
        format!("{ns}/{name}")
    }
}

/// Splits a URN back into (namespace, name): the namespace is `scheme://authority`
/// (OpenLineage naming), the name what follows the next `/`. A URN without `://`
/// keeps it all as the name under namespace "".
pub fn split_urn(urn: &str) -> (String, String) {
    let Some(scheme_end) = urn.find("://") else {
        // OpenLineage namespaces need not be URIs ("airflow-prod", "default").
        return match urn.split_once('/') {
            Some((ns, name)) if !ns.is_empty() => (ns.to_string(), name.to_string()),
            _ => (String::new(), urn.to_string()),
        };
    };
    let rest = &urn[scheme_end + 3..];
    match rest.find('/') {
        Some(slash) => {
            let ns = &urn[..scheme_end + 3 + slash];
            let name = &rest[slash + 1..];
            // Local files keep their leading slash: file://host/data/x.csv → /data/x.csv.
            if urn.starts_with("file://") {
                (ns.to_string(), rest[slash..].to_string())
            } else {
                (ns.to_string(), name.to_string())
            }
        }
        None => (urn.to_string(), String::new()),
    }
}

/// The catalog locations a URN could name (store, path inside the container), so lineage
/// links to discovered files and datasets. Local namespaces are ambiguous (the container
/// is a root folder of any depth), so each split of the path is a candidate.
pub fn catalog_candidates(urn: &str) -> Vec<(StorageLocation, String)> {
    let (ns, name) = split_urn(urn);
    let Some((scheme, authority)) = ns.split_once("://") else {
        return Vec::new();
    };
    let one = |storage_type, account: &str, container: &str| {
        vec![(
            StorageLocation {
                storage_type,
                account: account.to_string(),
                container: container.to_string(),
            },
            name.clone(),
        )]
    };
    match scheme {
        "s3" | "s3a" | "s3n" => one(StorageType::S3, "", authority),
        "gs" => one(StorageType::Gcs, "", authority),
        "abfss" | "wasbs" => match authority.split_once('@') {
            Some((container, host)) => {
                let account = host.split('.').next().unwrap_or_default();
                one(StorageType::AzureBlob, account, container)
            }
            None => Vec::new(),
        },
        "file" => {
            let mut out = Vec::new();
            for (i, _) in name.match_indices('/').skip(1) {
                out.push((
                    StorageLocation {
                        storage_type: StorageType::Local,
                        account: authority.to_string(),
                        container: name[..i].to_string(),
                    },
                    name[i + 1..].to_string(),
                ));
            }
            out
        }
        _ => Vec::new(),
    }
}

/// How a target column is derived from a source column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transformation {
    /// Copied unchanged (possibly renamed or cast).
    PassThrough,
    /// Computed by an aggregate function (SUM, COUNT, ...).
    Aggregation,
    /// Computed by an expression over one or more columns.
    Expression,
    /// The source column only filters or joins rows; no value flows.
    FilterOnly,
    #[default]
    Unknown,
}

impl Transformation {
    pub fn as_str(self) -> &'static str {
        match self {
            Transformation::PassThrough => "pass_through",
            Transformation::Aggregation => "aggregation",
            Transformation::Expression => "expression",
            Transformation::FilterOnly => "filter_only",
            Transformation::Unknown => "unknown",
        }
    }

    /// Lenient: accepts the names other tools use (OpenLineage's IDENTITY/TRANSFORMATION/
    /// AGGREGATION/INDIRECT, `pass-through`); anything else is `Unknown`.
    pub fn lenient(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().replace(['-', ' '], "_").as_str() {
            "pass_through" | "passthrough" | "identity" | "direct" | "copy" => Transformation::PassThrough,
            "aggregation" | "aggregate" => Transformation::Aggregation,
            "expression" | "transformation" | "transform" | "masking" | "cast" | "window" => Transformation::Expression,
            "filter_only" | "filter" | "indirect" | "join" | "group_by" | "sort" | "conditional" => {
                Transformation::FilterOnly
            }
            _ => Transformation::Unknown,
        }
    }
}

impl fmt::Display for Transformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Transformation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pass_through" => Ok(Transformation::PassThrough),
            "aggregation" => Ok(Transformation::Aggregation),
            "expression" => Ok(Transformation::Expression),
            "filter_only" => Ok(Transformation::FilterOnly),
            "unknown" => Ok(Transformation::Unknown),
            other => Err(format!(
                "unknown transformation {other:?}; expected pass_through, aggregation, expression, filter_only or unknown"
            )),
        }
    }
}

/// One column mapping of an edge.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ColumnMapping {
    pub source_column: String,
    pub target_column: String,
    #[serde(default)]
    pub transformation: Transformation,
    /// The expression text (`SUM(amount)`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
}

/// Where a piece of lineage came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineageOrigin {
    Manual,
    Sql,
    OpenLineage,
    Dbt,
    Folder,
    Api,
}

impl LineageOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            LineageOrigin::Manual => "manual",
            LineageOrigin::Sql => "sql",
            LineageOrigin::OpenLineage => "open_lineage",
            LineageOrigin::Dbt => "dbt",
            LineageOrigin::Folder => "folder",
            LineageOrigin::Api => "api",
        }
    }
}

impl FromStr for LineageOrigin {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "manual" => Ok(LineageOrigin::Manual),
            "sql" => Ok(LineageOrigin::Sql),
            "open_lineage" => Ok(LineageOrigin::OpenLineage),
            "dbt" => Ok(LineageOrigin::Dbt),
            "folder" => Ok(LineageOrigin::Folder),
            "api" => Ok(LineageOrigin::Api),
            other => Err(format!("unknown lineage origin {other:?}")),
        }
    }
}

/// A dataset lineage knows about (it need not be in the catalog).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineageDataset {
    pub id: i64,
    pub urn: String,
    pub namespace: String,
    pub name: String,
    pub description: Option<String>,
    /// Facets kept as received (OpenLineage schema, dataSource, ownership, dbt columns ...).
    pub facets: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A dataset as a writer names it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DatasetRef {
    pub urn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Merged into the stored facets (a key sent again replaces the old value).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub facets: serde_json::Value,
}

impl DatasetRef {
    pub fn new(urn: impl Into<String>) -> Self {
        DatasetRef {
            urn: urn.into(),
            ..DatasetRef::default()
        }
    }
}

/// A process (job): something that reads datasets and writes others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineageProcess {
    pub id: i64,
    pub urn: String,
    pub namespace: String,
    pub name: String,
    /// "job", "view", "procedure", "dbt_model", "sql", "manual", "folder_rule" ...
    pub process_type: String,
    /// "airflow", "spark", "dbt", "torro", a database URN ...
    pub source_system: String,
    pub job_id: Option<String>,
    pub job_name: Option<String>,
    /// The SQL or code that defines it, when known.
    pub definition: Option<String>,
    pub description: Option<String>,
    pub facets: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a writer says about a process.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProcessInput {
    pub urn: String,
    pub name: String,
    #[serde(default)]
    pub process_type: String,
    #[serde(default)]
    pub source_system: String,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub job_name: Option<String>,
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub facets: serde_json::Value,
}

/// An edge to write: `source` feeds `target` (through the process it is recorded with).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeInput {
    pub source: String,
    pub target: String,
    /// "derives", "copies", "feeds", "medallion" ... free text, "derives" by default.
    #[serde(default = "default_relationship")]
    pub relationship: String,
    #[serde(default)]
    pub columns: Vec<ColumnMapping>,
    #[serde(default)]
    pub metadata: serde_json::Value,
    /// 0.0..=1.0; rules that guess (folder names) write less than 1.
    #[serde(default = "full_confidence")]
    pub confidence: f64,
}

pub fn default_relationship() -> String {
    "derives".into()
}

fn full_confidence() -> f64 {
    1.0
}

impl EdgeInput {
    pub fn new(source: impl Into<String>, target: impl Into<String>) -> Self {
        EdgeInput {
            source: source.into(),
            target: target.into(),
            relationship: default_relationship(),
            columns: Vec::new(),
            metadata: serde_json::Value::Null,
            confidence: 1.0,
        }
    }
}

/// Who changes lineage, from where: every audit row carries it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeContext {
    /// Who: name, role and client address all go into the audit row.
    pub actor: crate::Actor,
    pub source_system: String,
    /// Groups the changes of one ingestion (an OpenLineage event, a dbt import, an API call).
    pub ingestion_id: Option<String>,
    pub origin: Option<LineageOrigin>,
    /// When the change takes effect (edges open or close at this time); now when `None`.
    pub at: Option<DateTime<Utc>>,
}

/// A process with the edges it produces, written in one transaction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessWrite {
    pub process: ProcessInput,
    /// Datasets to upsert (facets, descriptions) besides those the edges name.
    #[serde(default)]
    pub datasets: Vec<DatasetRef>,
    pub edges: Vec<EdgeInput>,
    /// True: these are all of the process's edges now, so its open edges missing here are
    /// closed (a view whose SQL changed). False: edges are only added.
    #[serde(default)]
    pub replace: bool,
}

/// What a process write changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteSummary {
    pub process_id: Option<i64>,
    pub edges_opened: u64,
    pub edges_closed: u64,
    pub edges_unchanged: u64,
    pub datasets_created: u64,
}

/// An edge between two datasets, as read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineageEdge {
    pub id: i64,
    pub source: String,
    pub target: String,
    /// The process that produces it; `None` for manual edges.
    pub process: Option<String>,
    pub relationship: String,
    pub origin: LineageOrigin,
    pub confidence: f64,
    pub metadata: serde_json::Value,
    pub columns: Vec<ColumnMapping>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub source_id: i64,
    #[serde(skip)]
    pub target_id: i64,
}

impl LineageEdge {
    pub fn is_open(&self) -> bool {
        self.valid_to.is_none()
    }
}

/// A run of a process (an OpenLineage run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineageRun {
    pub id: i64,
    pub process: String,
    pub run_id: String,
    /// START, RUNNING, COMPLETE, FAIL, ABORT, OTHER.
    pub state: String,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub facets: serde_json::Value,
}

/// A run event to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInput {
    pub process_urn: String,
    pub run_id: String,
    pub state: String,
    pub event_time: DateTime<Utc>,
    #[serde(default)]
    pub facets: serde_json::Value,
}

/// One row of the lineage audit trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineageAuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// create, update, open, close.
    pub action: String,
    /// dataset, process, edge, run.
    pub entity_type: String,
    pub entity_id: i64,
    pub entity: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub actor: String,
    pub role: Option<String>,
    pub source_ip: Option<String>,
    pub source_system: String,
    pub ingestion_id: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Upstream,
    Downstream,
    #[default]
    Both,
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "upstream" | "up" => Ok(Direction::Upstream),
            "downstream" | "down" => Ok(Direction::Downstream),
            "both" => Ok(Direction::Both),
            other => Err(format!(
                "unknown direction {other:?}; expected upstream, downstream or both"
            )),
        }
    }
}

/// Largest depth a graph query may ask for.
pub const MAX_GRAPH_DEPTH: u32 = 50;
/// Default and largest node counts of a graph answer.
pub const DEFAULT_GRAPH_NODES: usize = 1_000;
pub const MAX_GRAPH_NODES: usize = 100_000;

/// A bounded walk of the graph from one dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphQuery {
    pub urn: String,
    pub direction: Direction,
    /// Hops from the start, 1..=MAX_GRAPH_DEPTH.
    pub depth: u32,
    /// Edges valid at this time; `None` = the current (open) edges.
    pub as_of: Option<DateTime<Utc>>,
    /// Follow only this column of the start dataset (and the columns it maps to).
    pub column: Option<String>,
    /// Stop adding nodes at this many (the answer says `truncated`).
    pub max_nodes: usize,
}

impl GraphQuery {
    pub fn new(urn: impl Into<String>, direction: Direction, depth: u32) -> Self {
        GraphQuery {
            urn: urn.into(),
            direction,
            depth,
            as_of: None,
            column: None,
            max_nodes: DEFAULT_GRAPH_NODES,
        }
    }
}

/// A dataset in a graph answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GraphNode {
    pub urn: String,
    pub namespace: String,
    pub name: String,
    /// Hops from the start (negative upstream, positive downstream, 0 the start).
    pub depth: i32,
    /// Columns reached by a column query.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// The catalog's file with this URN, when discovered.
    pub discovery_id: Option<i64>,
    /// The catalog's logical dataset with this URN, when discovered.
    pub dataset_id: Option<i64>,
    #[serde(skip)]
    pub id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LineageGraph {
    pub root: String,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<LineageEdge>,
    /// The processes the edges name.
    pub processes: Vec<LineageProcess>,
    /// True when the node limit stopped the walk.
    pub truncated: bool,
}

/// What changes downstream of a dataset (or one of its columns).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImpactReport {
    pub urn: String,
    pub column: Option<String>,
    pub datasets: Vec<ImpactedDataset>,
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImpactedDataset {
    pub urn: String,
    /// Hops from the changed dataset.
    pub depth: i32,
    /// Affected columns (those the column maps to, or every mapped target column).
    pub columns: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_authority_keeps_its_slashes() {
        assert_eq!(
            lineage_urn("sqlite://", "tmp/shop.db/main.orders"),
            "sqlite:///tmp/shop.db/main.orders"
        );
        assert_eq!(
            lineage_urn("sqlite://", "/tmp/shop.db/main.orders"),
            "sqlite:///tmp/shop.db/main.orders"
        );
        assert_eq!(lineage_urn("s3://lake/", "raw/x"), "s3://lake/raw/x");
    }

    #[test]
    fn urns_join_and_split_round_trip() {
        for (ns, name) in [
            ("s3://lake", "raw/orders.csv"),
            ("postgres://db:5432", "shop.public.orders"),
            ("file://host", "/data/lake/raw/x.csv"),
            ("abfss://c@acct.dfs.core.windows.net", "x/y.parquet"),
            ("airflow-prod", "etl.load_orders"),
            ("default", "a/b"),
        ] {
            let urn = lineage_urn(ns, name);
            assert_eq!(split_urn(&urn), (ns.to_string(), name.to_string()), "{urn}");
        }
        assert_eq!(lineage_urn("s3://lake/", "a"), "s3://lake/a");
        assert_eq!(split_urn("no-scheme"), (String::new(), "no-scheme".to_string()));
    }

    #[test]
    fn catalog_candidates_match_discovery_urns() {
        let s3 = StorageLocation {
            storage_type: StorageType::S3,
            account: String::new(),
            container: "lake".into(),
        };
        assert_eq!(
            catalog_candidates(&s3.urn("raw/a.csv")),
            vec![(s3, "raw/a.csv".to_string())]
        );
        let local = StorageLocation {
            storage_type: StorageType::Local,
            account: "host".into(),
            container: "/data/lake".into(),
        };
        let candidates = catalog_candidates(&local.urn("raw/a.csv"));
        assert!(candidates.contains(&(local, "raw/a.csv".to_string())), "{candidates:?}");
        assert!(catalog_candidates("postgres://h:5432/db.s.t").is_empty());
        assert!(catalog_candidates("garbage").is_empty());
    }

    #[test]
    fn transformations_parse_leniently() {
        assert_eq!(Transformation::lenient("IDENTITY"), Transformation::PassThrough);
        assert_eq!(Transformation::lenient("pass-through"), Transformation::PassThrough);
        assert_eq!(Transformation::lenient("AGGREGATION"), Transformation::Aggregation);
        assert_eq!(Transformation::lenient("INDIRECT"), Transformation::FilterOnly);
        assert_eq!(Transformation::lenient("??"), Transformation::Unknown);
        assert!("nope".parse::<Transformation>().is_err());
        assert_eq!("expression".parse::<Transformation>(), Ok(Transformation::Expression));
    }
}
