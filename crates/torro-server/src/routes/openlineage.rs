//! `/api/v1`: the OpenLineage intake and the part of Marquez's read API that tools use,
//! at Marquez's paths and in its shapes, so producers (Airflow, Spark, dbt, the
//! `openlineage-python` client) and readers can point at Torro unchanged.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use torro_engine::lineage::Lineage;
use torro_lineage::openlineage::RunEvent;
use torro_model::lineage::{
    Direction, GraphQuery, LineageDataset, LineageEdge, LineageProcess, MAX_GRAPH_DEPTH, lineage_urn,
};
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Identity;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};

/// OpenLineage events may carry large schema facets.
pub const EVENT_BODY_LIMIT_BYTES: usize = 16 * 1024 * 1024;

fn lineage(state: &AppState) -> Lineage {
    Lineage::new(state.store().clone())
}

/// Receives an OpenLineage RunEvent (START, RUNNING, COMPLETE, FAIL, ABORT, OTHER; also
/// dataset and job events). Answers 201 like Marquez.
#[utoipa::path(
    post,
    path = "/api/v1/lineage",
    tag = "openlineage",
    request_body(content = Object, description = "An OpenLineage RunEvent"),
    responses(
        (status = 201, description = "Recorded"),
        (status = 400, description = "The event is invalid; the message names the field", body = ErrorBody),
    )
)]
pub async fn intake(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(event): ApiJson<RunEvent>,
) -> Result<StatusCode, ApiError> {
    lineage(&state).ingest_openlineage(&event, &identity.actor()).await?;
    Ok(StatusCode::CREATED)
}

fn marquez_dataset(d: &LineageDataset) -> Value {
    let fields = d
        .facets
        .get("schema")
        .and_then(|s| s.get("fields"))
        .cloned()
        .unwrap_or_else(|| json!([]));
    json!({
        "id": {"namespace": d.namespace, "name": d.name},
        "type": "DB_TABLE",
        "name": d.name,
        "physicalName": d.name,
        "namespace": d.namespace,
        "sourceName": d.namespace,
        "createdAt": d.created_at,
        "updatedAt": d.updated_at,
        "fields": fields,
        "facets": d.facets,
        "description": d.description,
        "urn": d.urn,
    })
}

fn dataset_id(namespace: &str, name: &str) -> Value {
    json!({"namespace": namespace, "name": name})
}

fn marquez_job(p: &LineageProcess, edges: &[LineageEdge], latest_run: Option<Value>) -> Value {
    let ids = |urns: Vec<&String>| -> Vec<Value> {
        let mut seen = std::collections::BTreeSet::new();
        urns.into_iter()
            .filter(|u| seen.insert(u.as_str()))
            .map(|u| {
                let (ns, name) = torro_model::lineage::split_urn(u);
                dataset_id(&ns, &name)
            })
            .collect()
    };
    let (_, job_name) = torro_model::lineage::split_urn(&p.urn);
    json!({
        "id": {"namespace": p.namespace, "name": job_name},
        "type": p.process_type.to_ascii_uppercase(),
        "name": job_name,
        "simpleName": p.name,
        "namespace": p.namespace,
        "createdAt": p.created_at,
        "updatedAt": p.updated_at,
        "inputs": ids(edges.iter().map(|e| &e.source).collect()),
        "outputs": ids(edges.iter().map(|e| &e.target).collect()),
        "location": null,
        "description": p.description,
        "facets": p.facets,
        "latestRun": latest_run,
        "urn": p.urn,
    })
}

/// Lists the namespaces of datasets and jobs.
#[utoipa::path(get, path = "/api/v1/namespaces", tag = "openlineage",
    responses((status = 200, description = "Marquez's namespace list")))]
pub async fn namespaces(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let names = lineage(&state).store().lineage_namespaces().await?;
    let list: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "ownerName": "torro", "description": null, "isHidden": false}))
        .collect();
    Ok(Json(json!({"namespaces": list})))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LimitParams {
    /// Default 100, at most 1000.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
    #[param(value_type = Option<u32>)]
    pub offset: Option<String>,
}

impl LimitParams {
    /// (page, size) for the store from Marquez's limit and offset.
    fn page(&self) -> Result<(u32, u32), ApiError> {
        let num = |name: &str, raw: &Option<String>, default: u32, max: u32| -> Result<u32, ApiError> {
            match raw.as_deref() {
                None | Some("") => Ok(default),
                Some(v) => v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| ApiError::invalid(format!("{name} must be a number up to {max}, got {v:?}"))),
            }
        };
        let limit = num("limit", &self.limit, 100, 1000)?.max(1);
        let offset = num("offset", &self.offset, 0, u32::MAX)?;
        Ok((offset / limit, limit))
    }
}

/// Datasets of a namespace (URL-encode it: `postgres%3A%2F%2Fdb%3A5432`).
#[utoipa::path(get, path = "/api/v1/namespaces/{namespace}/datasets", tag = "openlineage",
    params(("namespace" = String, Path), LimitParams),
    responses((status = 200, description = "Marquez's dataset list")))]
pub async fn datasets(
    State(state): State<AppState>,
    Path(namespace): Path<String>,
    ApiQuery(params): ApiQuery<LimitParams>,
) -> Result<Json<Value>, ApiError> {
    let (page, size) = params.page()?;
    let found = lineage(&state)
        .store()
        .list_lineage_datasets(Some(&namespace), page, size)
        .await?;
    let list: Vec<Value> = found.items.iter().map(marquez_dataset).collect();
    Ok(Json(json!({"totalCount": found.total, "datasets": list})))
}

/// One dataset.
#[utoipa::path(get, path = "/api/v1/namespaces/{namespace}/datasets/{name}", tag = "openlineage",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, description = "Marquez's dataset"), (status = 404, body = ErrorBody)))]
pub async fn dataset(
    State(state): State<AppState>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let urn = lineage_urn(&namespace, &name);
    let d = lineage(&state)
        .store()
        .get_lineage_dataset(&urn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("dataset {name:?} not found in namespace {namespace:?}")))?;
    Ok(Json(marquez_dataset(&d)))
}

async fn job_body(l: &Lineage, p: &LineageProcess) -> Result<Value, ApiError> {
    let edges = l.store().process_edges(&p.urn, None).await?;
    let run = l.store().process_runs(&p.urn, 1).await?.into_iter().next().map(|r| {
        json!({"id": r.run_id, "state": r.state, "startedAt": r.started_at, "endedAt": r.ended_at,
               "updatedAt": r.updated_at, "facets": r.facets})
    });
    Ok(marquez_job(p, &edges, run))
}

/// Jobs of a namespace.
#[utoipa::path(get, path = "/api/v1/namespaces/{namespace}/jobs", tag = "openlineage",
    params(("namespace" = String, Path), LimitParams),
    responses((status = 200, description = "Marquez's job list")))]
pub async fn jobs(
    State(state): State<AppState>,
    Path(namespace): Path<String>,
    ApiQuery(params): ApiQuery<LimitParams>,
) -> Result<Json<Value>, ApiError> {
    let (page, size) = params.page()?;
    let l = lineage(&state);
    let found = l.store().list_processes(Some(&namespace), page, size).await?;
    let mut list = Vec::with_capacity(found.items.len());
    for p in &found.items {
        list.push(job_body(&l, p).await?);
    }
    Ok(Json(json!({"totalCount": found.total, "jobs": list})))
}

/// One job with its inputs, outputs and latest run.
#[utoipa::path(get, path = "/api/v1/namespaces/{namespace}/jobs/{name}", tag = "openlineage",
    params(("namespace" = String, Path), ("name" = String, Path)),
    responses((status = 200, description = "Marquez's job"), (status = 404, body = ErrorBody)))]
pub async fn job(
    State(state): State<AppState>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let l = lineage(&state);
    let p = l
        .store()
        .get_process(&lineage_urn(&namespace, &name))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("job {name:?} not found in namespace {namespace:?}")))?;
    Ok(Json(job_body(&l, &p).await?))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MarquezLineageParams {
    /// `dataset:{namespace}:{name}` or `job:{namespace}:{name}`.
    #[serde(rename = "nodeId")]
    pub node_id: Option<String>,
    /// Hops counting jobs and datasets (Marquez's meaning); default 20.
    #[param(value_type = Option<u32>)]
    pub depth: Option<String>,
}

/// `dataset:ns:name` → ("dataset", ns, name). Namespaces hold `:` (`postgres://db:5432`),
/// names rarely do, so the name is after the last `:`.
fn parse_node_id(raw: &str) -> Result<(&str, &str, &str), ApiError> {
    let bad = || {
        ApiError::invalid(format!(
            "nodeId must be dataset:NAMESPACE:NAME or job:NAMESPACE:NAME, got {raw:?}"
        ))
    };
    let (kind, rest) = raw.split_once(':').ok_or_else(bad)?;
    if kind != "dataset" && kind != "job" {
        return Err(bad());
    }
    let (ns, name) = rest.rsplit_once(':').ok_or_else(bad)?;
    if ns.is_empty() || name.is_empty() {
        return Err(bad());
    }
    Ok((kind, ns, name))
}

/// The lineage graph around a dataset or job in Marquez's shape: dataset and job nodes
/// with `inEdges` and `outEdges`.
#[utoipa::path(get, path = "/api/v1/lineage", tag = "openlineage", params(MarquezLineageParams),
    responses((status = 200, description = "Marquez's lineage graph"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn graph(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<MarquezLineageParams>,
) -> Result<Json<Value>, ApiError> {
    let raw = params
        .node_id
        .as_deref()
        .ok_or_else(|| ApiError::invalid("nodeId is required, e.g. nodeId=dataset:s3://lake:raw/orders"))?;
    let (kind, ns, name) = parse_node_id(raw)?;
    let depth = match params.depth.as_deref() {
        None | Some("") => 20,
        Some(d) => d
            .parse::<u32>()
            .ok()
            .filter(|d| *d >= 1)
            .ok_or_else(|| ApiError::invalid(format!("depth must be a positive number, got {d:?}")))?,
    };
    // Marquez counts job hops too: dataset -> job -> dataset is 2.
    let hops = depth.div_ceil(2).clamp(1, MAX_GRAPH_DEPTH);
    let l = lineage(&state);
    let urn = lineage_urn(ns, name);
    let start = if kind == "job" {
        let p = l
            .store()
            .get_process(&urn)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("job {name:?} not found in namespace {ns:?}")))?;
        let edges = l.store().process_edges(&p.urn, None).await?;
        match edges.first() {
            Some(e) => e.target.clone(),
            None => return Ok(Json(json!({"graph": [marquez_node_job(&p, &[])]}))),
        }
    } else {
        urn
    };
    let graph = l.graph(&GraphQuery::new(start, Direction::Both, hops)).await?;
    let datasets: BTreeMap<String, LineageDataset> = l
        .store()
        .lineage_datasets_by_id(&graph.nodes.iter().map(|n| n.id).collect::<Vec<_>>())
        .await?
        .into_iter()
        .map(|d| (d.urn.clone(), d))
        .collect();
    let node_id = |prefix: &str, urn: &str| {
        let (ns, name) = torro_model::lineage::split_urn(urn);
        format!("{prefix}:{ns}:{name}")
    };
    let mut in_edges: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut out_edges: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut add = |from: String, to: String| {
        let edge = json!({"origin": from, "destination": to});
        out_edges.entry(from).or_default().push(edge.clone());
        in_edges.entry(to).or_default().push(edge);
    };
    for e in &graph.edges {
        let source = node_id("dataset", &e.source);
        let target = node_id("dataset", &e.target);
        match &e.process {
            Some(p) => {
                let job = node_id("job", p);
                add(source, job.clone());
                add(job, target);
            }
            None => add(source, target),
        }
    }
    let mut nodes = Vec::new();
    for d in datasets.values() {
        let id = node_id("dataset", &d.urn);
        nodes.push(json!({"id": id, "type": "DATASET", "data": marquez_dataset(d),
            "inEdges": dedup(in_edges.remove(&id)), "outEdges": dedup(out_edges.remove(&id))}));
    }
    for p in &graph.processes {
        let id = node_id("job", &p.urn);
        let edges: Vec<LineageEdge> = graph
            .edges
            .iter()
            .filter(|e| e.process.as_ref() == Some(&p.urn))
            .cloned()
            .collect();
        let mut node = marquez_node_job(p, &edges);
        node["inEdges"] = json!(dedup(in_edges.remove(&id)));
        node["outEdges"] = json!(dedup(out_edges.remove(&id)));
        nodes.push(node);
    }
    Ok(Json(json!({"graph": nodes})))
}

fn marquez_node_job(p: &LineageProcess, edges: &[LineageEdge]) -> Value {
    let (ns, name) = torro_model::lineage::split_urn(&p.urn);
    json!({"id": format!("job:{ns}:{name}"), "type": "JOB", "data": marquez_job(p, edges, None),
           "inEdges": [], "outEdges": []})
}

fn dedup(edges: Option<Vec<Value>>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for e in edges.unwrap_or_default() {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_split_at_the_last_colon() {
        assert_eq!(
            parse_node_id("dataset:postgres://db:5432:shop.public.orders").unwrap(),
            ("dataset", "postgres://db:5432", "shop.public.orders")
        );
        assert_eq!(
            parse_node_id("job:airflow:etl.load").unwrap(),
            ("job", "airflow", "etl.load")
        );
        for bad in ["dataset", "table:a:b", "dataset::x", "dataset:ns:"] {
            assert!(parse_node_id(bad).is_err(), "{bad}");
        }
    }
}
