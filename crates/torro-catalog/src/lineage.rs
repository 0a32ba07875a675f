//! The lineage store: datasets, processes, runs, edges with column mappings and validity
//! in time, and the lineage audit trail. Reached from a [`crate::CatalogStore`] through
//! `store.lineage()`.
//!
//! Writes are idempotent: recording the same process with the same edges twice changes
//! nothing and writes no audit row. An edge whose content (relationship, confidence,
//! metadata, column mappings) changes is closed and a new one opened, so `as_of` queries
//! see each version. Every change writes its audit row in the same transaction.

use std::collections::{BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use torro_model::Page;
use torro_model::lineage::{
    ChangeContext, DatasetRef, Direction, EdgeInput, GraphNode, GraphQuery, LineageAuditEntry, LineageDataset,
    LineageEdge, LineageGraph, LineageProcess, LineageRun, MAX_GRAPH_DEPTH, MAX_GRAPH_NODES, ProcessWrite, RunInput,
    WriteSummary,
};

use crate::{CatalogError, Result};

/// Catalog records whose URN matches a lineage dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CatalogLink {
    pub discovery_id: Option<i64>,
    pub dataset_id: Option<i64>,
}

#[async_trait]
pub trait LineageStore: Send + Sync {
    /// Upserts the process, the datasets it names and its edges in one transaction; with
    /// `replace`, closes the process's open edges that `write` no longer lists.
    async fn write_process(&self, write: &ProcessWrite, ctx: &ChangeContext) -> Result<WriteSummary>;

    /// Adds edges that belong to no process (drawn by hand). Idempotent; returns them.
    async fn add_edges(&self, edges: &[EdgeInput], ctx: &ChangeContext) -> Result<Vec<LineageEdge>>;

    /// Closes edge `id` (sets `valid_to`). NotFound when there is no such edge; Conflict when
    /// it is already closed.
    async fn close_edge(&self, id: i64, ctx: &ChangeContext) -> Result<LineageEdge>;

    /// Upserts datasets (facets are merged key by key). Returns them in input order.
    async fn upsert_lineage_datasets(
        &self,
        datasets: &[DatasetRef],
        ctx: &ChangeContext,
    ) -> Result<Vec<LineageDataset>>;

    /// Records a run event of an existing process (NotFound otherwise): first seen sets
    /// `started_at`; COMPLETE, FAIL and ABORT set `ended_at`; facets are merged.
    async fn record_run(&self, run: &RunInput, ctx: &ChangeContext) -> Result<LineageRun>;

    async fn get_edge(&self, id: i64) -> Result<Option<LineageEdge>>;
    async fn get_lineage_dataset(&self, urn: &str) -> Result<Option<LineageDataset>>;
    async fn get_process(&self, urn: &str) -> Result<Option<LineageProcess>>;
    /// By namespace then name.
    async fn list_lineage_datasets(
        &self,
        namespace: Option<&str>,
        page: u32,
        size: u32,
    ) -> Result<Page<LineageDataset>>;
    /// By namespace then name.
    async fn list_processes(&self, namespace: Option<&str>, page: u32, size: u32) -> Result<Page<LineageProcess>>;
    /// Namespaces of datasets and processes, sorted.
    async fn lineage_namespaces(&self) -> Result<Vec<String>>;
    /// Newest first.
    async fn process_runs(&self, process_urn: &str, limit: u32) -> Result<Vec<LineageRun>>;
    /// The process's edges valid at `as_of` (open ones when `None`).
    async fn process_edges(&self, process_urn: &str, as_of: Option<DateTime<Utc>>) -> Result<Vec<LineageEdge>>;

    /// Edges leaving (`outgoing`) or entering the datasets `ids`, valid at `as_of` (open
    /// ones when `None`), with their column mappings. The graph walk's one primitive.
    async fn edges_of(&self, ids: &[i64], outgoing: bool, as_of: Option<DateTime<Utc>>) -> Result<Vec<LineageEdge>>;
    async fn lineage_datasets_by_id(&self, ids: &[i64]) -> Result<Vec<LineageDataset>>;
    async fn processes_by_urn(&self, urns: &[String]) -> Result<Vec<LineageProcess>>;
    /// The catalog files and logical datasets whose URN equals each of `urns`.
    async fn catalog_links(&self, urns: &[String]) -> Result<HashMap<String, CatalogLink>>;

    /// Newest first; narrowed to one entity when given.
    async fn lineage_audit(&self, entity: Option<(&str, i64)>, limit: u32) -> Result<Vec<LineageAuditEntry>>;

    /// A bounded walk from `q.urn`: see [`walk`].
    async fn lineage_graph(&self, q: &GraphQuery) -> Result<LineageGraph> {
        walk(self, q).await
    }
}

/// Breadth-first walk, one `edges_of` query per level and direction, so the cost follows
/// the answer's size rather than the graph's. Stops at `q.depth` hops and `q.max_nodes`
/// nodes (then `truncated`). With `q.column`, follows only edges whose column mappings
/// carry the column (and, hop by hop, the columns it maps to; case-insensitive).
pub async fn walk<S: LineageStore + ?Sized>(store: &S, q: &GraphQuery) -> Result<LineageGraph> {
    if q.depth == 0 || q.depth > MAX_GRAPH_DEPTH {
        return Err(CatalogError::InvalidInput {
            field: "depth".into(),
            message: format!("depth must be between 1 and {MAX_GRAPH_DEPTH}, got {}", q.depth),
        });
    }
    let max_nodes = q.max_nodes.clamp(1, MAX_GRAPH_NODES);
    let root = store
        .get_lineage_dataset(&q.urn)
        .await?
        .ok_or_else(|| CatalogError::NotFound(format!("lineage dataset {:?}", q.urn)))?;
    let column = q.column.as_deref().map(str::to_lowercase);

    // node id -> (depth, reached columns)
    let mut nodes: HashMap<i64, (i32, BTreeSet<String>)> = HashMap::new();
    let mut order = vec![root.id];
    nodes.insert(root.id, (0, column.iter().cloned().collect()));
    let mut edges: HashMap<i64, LineageEdge> = HashMap::new();
    let mut truncated = false;

    let directions: &[bool] = match q.direction {
        Direction::Downstream => &[true],
        Direction::Upstream => &[false],
        Direction::Both => &[true, false],
    };
    for &down in directions {
        let sign = if down { 1 } else { -1 };
        let mut frontier: HashMap<i64, BTreeSet<String>> =
            HashMap::from([(root.id, column.iter().cloned().collect::<BTreeSet<_>>())]);
        for level in 1..=q.depth as i32 {
            if frontier.is_empty() {
                break;
            }
            let ids: Vec<i64> = frontier.keys().copied().collect();
            let found = store.edges_of(&ids, down, q.as_of).await?;
            let mut next: HashMap<i64, BTreeSet<String>> = HashMap::new();
            for e in found {
                let (from, to) = if down {
                    (e.source_id, e.target_id)
                } else {
                    (e.target_id, e.source_id)
                };
                let Some(from_cols) = frontier.get(&from) else { continue };
                let reached: BTreeSet<String> = if column.is_some() {
                    e.columns
                        .iter()
                        .filter_map(|m| {
                            let (here, there) = if down {
                                (&m.source_column, &m.target_column)
                            } else {
                                (&m.target_column, &m.source_column)
                            };
                            from_cols.contains(&here.to_lowercase()).then(|| there.to_lowercase())
                        })
                        .collect()
                } else {
                    BTreeSet::new()
                };
                if column.is_some() && reached.is_empty() {
                    continue;
                }
                let count = nodes.len();
                let fresh = match nodes.get_mut(&to) {
                    Some((_, cols)) => {
                        let before = cols.len();
                        cols.extend(reached.iter().cloned());
                        cols.len() > before
                    }
                    None if count >= max_nodes => {
                        truncated = true;
                        continue;
                    }
                    None => {
                        nodes.insert(to, (sign * level, reached.clone()));
                        order.push(to);
                        true
                    }
                };
                if fresh {
                    next.entry(to).or_default().extend(reached);
                }
                edges.entry(e.id).or_insert(e);
            }
            frontier = next;
        }
    }

    let datasets: HashMap<i64, LineageDataset> = store
        .lineage_datasets_by_id(&order)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let urns: Vec<String> = datasets.values().map(|d| d.urn.clone()).collect();
    let links = store.catalog_links(&urns).await?;
    let mut graph_nodes = Vec::with_capacity(order.len());
    for id in order {
        let (Some(d), Some((depth, cols))) = (datasets.get(&id), nodes.remove(&id)) else {
            continue;
        };
        let link = links.get(&d.urn).copied().unwrap_or_default();
        graph_nodes.push(GraphNode {
            id,
            urn: d.urn.clone(),
            namespace: d.namespace.clone(),
            name: d.name.clone(),
            depth,
            columns: cols.into_iter().collect(),
            discovery_id: link.discovery_id,
            dataset_id: link.dataset_id,
        });
    }
    let mut edges: Vec<LineageEdge> = edges.into_values().collect();
    edges.sort_by_key(|e| e.id);
    let process_urns: Vec<String> = edges
        .iter()
        .filter_map(|e| e.process.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut processes = store.processes_by_urn(&process_urns).await?;
    processes.sort_by(|a, b| a.urn.cmp(&b.urn));
    Ok(LineageGraph {
        root: root.urn,
        nodes: graph_nodes,
        edges,
        processes,
        truncated,
    })
}
