//! `/api/lineage`: record processes and manual edges, parse SQL, and read the graph
//! (upstream, downstream, at a time, for one column), its impact and its exports.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use torro_engine::lineage::{FolderRules, Lineage, SqlRequest, context, export};
use torro_model::lineage::{
    DEFAULT_GRAPH_NODES, Direction, GraphQuery, LineageOrigin, MAX_GRAPH_DEPTH, MAX_GRAPH_NODES,
};
use utoipa::IntoParams;

use crate::AppState;
use crate::auth::Identity;
use crate::dto::lineage::{FolderRulesBody, ManualEdgeBody, ProcessBody, SqlBody};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, IdPath};

fn lineage(state: &AppState) -> Lineage {
    Lineage::new(state.store().clone())
}

/// The signed-in user; an `actor` field naming someone else is refused.
fn actor(identity: &Identity, given: &Option<String>) -> Result<torro_model::Actor, ApiError> {
    identity.check_claimed("actor", given.as_deref())?;
    Ok(identity.actor())
}

/// `as_of`: an RFC 3339 time or a date (midnight UTC).
pub(crate) fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "{field} must be a time like 2024-03-01T00:00:00Z or a date like 2024-03-01, got {raw:?}"
            ))
        })
}

/// Records a process with its inputs and outputs.
#[utoipa::path(
    post,
    path = "/api/lineage/process",
    tag = "lineage",
    request_body = ProcessBody,
    responses(
        (status = 200, description = "What changed: process id, edges opened, closed and unchanged"),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn process(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(body): ApiJson<ProcessBody>,
) -> Result<Json<torro_model::lineage::WriteSummary>, ApiError> {
    let write = body.write()?;
    let ctx = context(
        &actor(&identity, &body.actor)?,
        &write.process.source_system,
        LineageOrigin::Api,
    );
    Ok(Json(lineage(&state).record_process(&write, &ctx).await?))
}

/// Adds an edge drawn by hand (idempotent: the same edge again returns the open one).
#[utoipa::path(
    post,
    path = "/api/lineage/manual",
    tag = "lineage",
    request_body = ManualEdgeBody,
    responses(
        (status = 201, description = "The edge, with its id for DELETE"),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn manual(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(body): ApiJson<ManualEdgeBody>,
) -> Result<(StatusCode, Json<torro_model::lineage::LineageEdge>), ApiError> {
    let edge = body.edge()?;
    let mut added = lineage(&state)
        .add_manual(&[edge], &actor(&identity, &body.actor)?)
        .await?;
    let edge = added
        .pop()
        .ok_or_else(|| ApiError::internal("the edge was not returned after writing it"))?;
    Ok((StatusCode::CREATED, Json(edge)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActorParams {
    /// Who closes it (audit log); default "api".
    pub actor: Option<String>,
}

/// Closes a manual edge (never deletes it: `as_of` queries still see it).
#[utoipa::path(
    delete,
    path = "/api/lineage/manual/{id}",
    tag = "lineage",
    params(("id" = i64, Path, description = "Edge id"), ActorParams),
    responses(
        (status = 200, description = "The closed edge"),
        (status = 404, description = "No such edge", body = ErrorBody),
        (status = 409, description = "Already closed, or not a manual edge", body = ErrorBody),
    )
)]
pub async fn close_manual(
    State(state): State<AppState>,
    identity: Identity,
    IdPath(id): IdPath,
    ApiQuery(params): ApiQuery<ActorParams>,
) -> Result<Json<torro_model::lineage::LineageEdge>, ApiError> {
    Ok(Json(
        lineage(&state)
            .close_manual(id, &actor(&identity, &params.actor)?)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GraphParams {
    /// Dataset URN to start from.
    pub urn: Option<String>,
    /// upstream, downstream or both (default).
    pub direction: Option<String>,
    /// Hops, 1..=50; default 3.
    #[param(value_type = Option<u32>)]
    pub depth: Option<String>,
    /// Edges valid at this time (RFC 3339 or YYYY-MM-DD); default now.
    pub as_of: Option<String>,
    /// Follow only this column of the start dataset.
    pub column: Option<String>,
    /// Node limit, 1..=100000; default 1000 (the answer says `truncated`).
    #[param(value_type = Option<u32>)]
    pub max_nodes: Option<String>,
    /// json (default), openlineage, dot or mermaid.
    pub format: Option<String>,
}

impl GraphParams {
    fn query(&self) -> Result<GraphQuery, ApiError> {
        let urn = self
            .urn
            .clone()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("urn is required, e.g. ?urn=s3://lake/raw/orders"))?;
        let direction = match self.direction.as_deref().filter(|d| !d.is_empty()) {
            None => Direction::Both,
            Some(d) => d
                .parse()
                .map_err(|e: String| ApiError::invalid(format!("direction: {e}")))?,
        };
        let depth = match self.depth.as_deref().filter(|d| !d.is_empty()) {
            None => 3,
            Some(d) => d
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=MAX_GRAPH_DEPTH).contains(d))
                .ok_or_else(|| {
                    ApiError::invalid(format!("depth must be between 1 and {MAX_GRAPH_DEPTH}, got {d:?}"))
                })?,
        };
        let max_nodes = match self.max_nodes.as_deref().filter(|d| !d.is_empty()) {
            None => DEFAULT_GRAPH_NODES,
            Some(n) => n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_GRAPH_NODES).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(format!("max_nodes must be between 1 and {MAX_GRAPH_NODES}, got {n:?}"))
                })?,
        };
        let as_of = match self.as_of.as_deref().filter(|d| !d.is_empty()) {
            None => None,
            Some(raw) => Some(parse_time("as_of", raw)?),
        };
        Ok(GraphQuery {
            urn,
            direction,
            depth,
            as_of,
            column: self.column.clone().filter(|c| !c.is_empty()),
            max_nodes,
        })
    }
}

fn text(content_type: &'static str, body: String) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The lineage graph around a dataset: nodes (with catalog links), edges with column
/// mappings and validity, and the processes that produce them.
#[utoipa::path(
    get,
    path = "/api/lineage/graph",
    tag = "lineage",
    params(GraphParams),
    responses(
        (status = 200, description = "The graph as JSON, OpenLineage events, DOT or Mermaid (by `format`)"),
        (status = 400, description = "A parameter is invalid; the message names it", body = ErrorBody),
        (status = 404, description = "No lineage for this URN", body = ErrorBody),
    )
)]
pub async fn graph(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<GraphParams>,
) -> Result<Response, ApiError> {
    let q = params.query()?;
    let format = params.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "openlineage" | "dot" | "mermaid") {
        return Err(ApiError::invalid(format!(
            "format must be json, openlineage, dot or mermaid, got {format:?}"
        )));
    }
    let graph = lineage(&state).graph(&q).await?;
    Ok(match format {
        "openlineage" => Json(export::to_openlineage(&graph)).into_response(),
        "dot" => text("text/vnd.graphviz; charset=utf-8", export::to_dot(&graph)),
        "mermaid" => text("text/plain; charset=utf-8", export::to_mermaid(&graph)),
        _ => Json(graph).into_response(),
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImpactParams {
    /// Dataset URN that changes.
    pub urn: Option<String>,
    /// The column that changes; omitted: the whole dataset.
    pub column: Option<String>,
}

/// Everything downstream of a dataset or column: what breaks if it changes.
#[utoipa::path(
    get,
    path = "/api/lineage/impact",
    tag = "lineage",
    params(ImpactParams),
    responses(
        (status = 200, description = "Downstream datasets with their depth and affected columns"),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No lineage for this URN", body = ErrorBody),
    )
)]
pub async fn impact(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ImpactParams>,
) -> Result<Json<torro_model::lineage::ImpactReport>, ApiError> {
    let urn = params
        .urn
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ApiError::invalid("urn is required, e.g. ?urn=s3://lake/raw/orders"))?;
    let column = params.column.filter(|c| !c.is_empty());
    Ok(Json(lineage(&state).impact(&urn, column.as_deref()).await?))
}

/// Parses SQL into table and column lineage; with `namespace` and `process_urn`, stores it.
#[utoipa::path(
    post,
    path = "/api/lineage/sql",
    tag = "lineage",
    request_body = SqlBody,
    responses(
        (status = 200, description = "`lineage` (sources, targets, intermediates, column_lineage, statements, warnings), `edges` and `stored`"),
        (status = 400, description = "A field is invalid; the message names it", body = ErrorBody),
    )
)]
pub async fn sql(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(body): ApiJson<SqlBody>,
) -> Result<Json<torro_engine::lineage::SqlOutcome>, ApiError> {
    let dialect = match body.dialect.as_deref() {
        None => Default::default(),
        Some(d) => d.parse().map_err(|e| ApiError::invalid(format!("dialect: {e}")))?,
    };
    let req = SqlRequest {
        sql: body.sql,
        dialect,
        default_database: body.default_database,
        default_schema: body.default_schema,
        namespace: body.namespace,
        process_urn: body.process_urn,
        process_name: body.process_name,
    };
    Ok(Json(
        lineage(&state)
            .analyze_sql(&req, &actor(&identity, &body.actor)?)
            .await?,
    ))
}

/// Links medallion layers (`raw/x` → `staging/x` → `curated/x`) of the catalog by name,
/// at a lower confidence.
#[utoipa::path(
    post,
    path = "/api/lineage/folders",
    tag = "lineage",
    request_body = FolderRulesBody,
    responses(
        (status = 200, description = "Candidates, links and edges opened and closed"),
        (status = 400, description = "A field is invalid", body = ErrorBody),
    )
)]
pub async fn folders(
    State(state): State<AppState>,
    identity: Identity,
    ApiJson(body): ApiJson<FolderRulesBody>,
) -> Result<Json<torro_engine::lineage::FolderLinkSummary>, ApiError> {
    let defaults = FolderRules::default();
    let rules = FolderRules {
        layers: body.layers.unwrap_or(defaults.layers),
        confidence: body.confidence.unwrap_or(defaults.confidence),
    };
    if !(0.0..=1.0).contains(&rules.confidence) {
        return Err(ApiError::invalid("confidence must be between 0 and 1"));
    }
    Ok(Json(
        lineage(&state)
            .link_folders(&rules, &actor(&identity, &body.actor)?)
            .await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// dataset, process, edge or run (with `id`).
    pub entity_type: Option<String>,
    #[param(value_type = Option<i64>)]
    pub id: Option<String>,
    /// 1..=1000; default 100.
    #[param(value_type = Option<u32>)]
    pub limit: Option<String>,
}

/// The lineage audit trail, newest first.
#[utoipa::path(
    get,
    path = "/api/lineage/audit",
    tag = "lineage",
    params(AuditParams),
    responses(
        (status = 200, description = "Audit rows: action, entity, before, after, actor, source system, ingestion id"),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<Vec<torro_model::lineage::LineageAuditEntry>>, ApiError> {
    let limit = match params.limit.as_deref() {
        None => 100,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::invalid(format!("limit must be between 1 and 1000, got {l:?}")))?,
    };
    let entity = match (params.entity_type.as_deref(), params.id.as_deref()) {
        (Some(kind), Some(id)) => Some((kind, crate::extract::parse_id(id)?)),
        (None, None) => None,
        _ => return Err(ApiError::invalid("entity_type and id go together")),
    };
    Ok(Json(lineage(&state).store().lineage_audit(entity, limit).await?))
}
