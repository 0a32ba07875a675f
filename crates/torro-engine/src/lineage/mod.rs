//! The lineage service: one place where lineage is recorded (API, CLI, OpenLineage events,
//! dbt imports, SQL definitions, folder rules) and read (graphs, impact, exports). The
//! store keeps it (`store.lineage()`); this layer turns each source's shape into
//! processes and edges and names every change (actor, source system, ingestion id).

mod dbt;
pub mod export;
mod folders;
mod openlineage;
mod sql;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use torro_catalog::CatalogStore;
use torro_catalog::lineage::LineageStore;
use torro_model::Actor;
use torro_model::lineage::{
    ChangeContext, Direction, EdgeInput, GraphQuery, ImpactReport, ImpactedDataset, LineageEdge, LineageGraph,
    LineageOrigin, MAX_GRAPH_DEPTH, MAX_GRAPH_NODES, ProcessWrite, WriteSummary,
};

pub use dbt::{DbtImport, DbtImportOptions};
pub use folders::{FolderLinkSummary, FolderRules};
pub use openlineage::IngestOutcome;
pub use sql::{SqlOutcome, SqlRequest, script_edges};

use crate::EngineError;

/// Cheap to clone.
#[derive(Clone)]
pub struct Lineage {
    store: Arc<dyn CatalogStore>,
}

/// A short random id that groups the audit rows of one ingestion.
pub fn new_ingestion_id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    // Without OS randomness the id is only less unique; the time keeps it useful.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = chrono::Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_le_bytes();
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// The context of a change by `actor` through `origin`.
pub fn context(actor: &Actor, source_system: &str, origin: LineageOrigin) -> ChangeContext {
    ChangeContext {
        actor: if actor.name.trim().is_empty() {
            Actor {
                name: "anonymous".into(),
                ..actor.clone()
            }
        } else {
            actor.clone()
        },
        source_system: source_system.to_string(),
        ingestion_id: Some(new_ingestion_id(origin.as_str())),
        origin: Some(origin),
        at: None,
    }
}

impl Lineage {
    pub fn new(store: Arc<dyn CatalogStore>) -> Self {
        Lineage { store }
    }

    pub fn store(&self) -> &dyn LineageStore {
        self.store.lineage()
    }

    /// Records a process with its edges (`POST /api/lineage/process`).
    pub async fn record_process(&self, write: &ProcessWrite, ctx: &ChangeContext) -> Result<WriteSummary, EngineError> {
        if write.edges.is_empty() && write.datasets.is_empty() && !write.replace {
            return Err(EngineError::InvalidInput {
                field: "inputs".into(),
                message: "a process needs at least one input and one output dataset".into(),
            });
        }
        Ok(self.store().write_process(write, ctx).await?)
    }

    /// Adds edges drawn by hand (`POST /api/lineage/manual`).
    pub async fn add_manual(&self, edges: &[EdgeInput], actor: &Actor) -> Result<Vec<LineageEdge>, EngineError> {
        if edges.is_empty() {
            return Err(EngineError::InvalidInput {
                field: "source".into(),
                message: "name a source and a target dataset".into(),
            });
        }
        for e in edges {
            if e.source == e.target {
                return Err(EngineError::InvalidInput {
                    field: "target".into(),
                    message: format!("a dataset cannot feed itself ({})", e.source),
                });
            }
        }
        let ctx = context(actor, "torro", LineageOrigin::Manual);
        Ok(self.store().add_edges(edges, &ctx).await?)
    }

    /// Closes a manual edge. Edges recorded from other sources are closed by those sources
    /// (a view's new definition, a dbt re-import), so deleting them here is a Conflict.
    pub async fn close_manual(&self, id: i64, actor: &Actor) -> Result<LineageEdge, EngineError> {
        let edge = self
            .store()
            .get_edge(id)
            .await?
            .ok_or_else(|| torro_catalog::CatalogError::NotFound(format!("lineage edge {id}")))?;
        if edge.origin != LineageOrigin::Manual {
            return Err(torro_catalog::CatalogError::Conflict(format!(
                "lineage edge {id} was recorded from {}, not by hand; it closes when its source no longer reports it",
                edge.origin.as_str()
            ))
            .into());
        }
        let ctx = context(actor, "torro", LineageOrigin::Manual);
        Ok(self.store().close_edge(id, &ctx).await?)
    }

    pub async fn graph(&self, q: &GraphQuery) -> Result<LineageGraph, EngineError> {
        Ok(self.store().lineage_graph(q).await?)
    }

    /// Everything downstream of `urn` (or of one of its columns), at any depth up to
    /// `MAX_GRAPH_DEPTH`, with the affected columns of each dataset.
    pub async fn impact(&self, urn: &str, column: Option<&str>) -> Result<ImpactReport, EngineError> {
        let q = GraphQuery {
            column: column.map(str::to_string),
            max_nodes: MAX_GRAPH_NODES,
            ..GraphQuery::new(urn, Direction::Downstream, MAX_GRAPH_DEPTH)
        };
        let graph = self.graph(&q).await?;
        Ok(impact_of(&graph, column))
    }
}

/// The impact report of a downstream graph: every node but the root; its columns are those
/// the column walk reached, or (without a column) every target column of its incoming edges.
pub fn impact_of(graph: &LineageGraph, column: Option<&str>) -> ImpactReport {
    let mut incoming: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for e in &graph.edges {
        incoming
            .entry(e.target.as_str())
            .or_default()
            .extend(e.columns.iter().map(|c| c.target_column.clone()));
    }
    let mut datasets: Vec<ImpactedDataset> = graph
        .nodes
        .iter()
        .filter(|n| n.urn != graph.root)
        .map(|n| ImpactedDataset {
            urn: n.urn.clone(),
            depth: n.depth,
            columns: if column.is_some() {
                n.columns.clone()
            } else {
                incoming
                    .get(n.urn.as_str())
                    .map(|c| c.iter().cloned().collect())
                    .unwrap_or_default()
            },
        })
        .collect();
    datasets.sort_by(|a, b| (a.depth, &a.urn).cmp(&(b.depth, &b.urn)));
    ImpactReport {
        urn: graph.root.clone(),
        column: column.map(str::to_string),
        datasets,
        truncated: graph.truncated,
    }
}
