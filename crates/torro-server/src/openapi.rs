//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` attributes
//! and the bodies' `ToSchema` derives.

use axum::Json;
use utoipa::OpenApi;

use crate::routes::{
    assets, connections, datasets, discovery, events, health, lineage, notifications, openlineage, scans,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Torro API", description = "Data discovery and catalog."),
    paths(
        health::health,
        discovery::list,
        discovery::stats,
        discovery::show,
        discovery::schema_history,
        discovery::audit,
        discovery::approve,
        discovery::reject,
        discovery::publish,
        discovery::archive,
        discovery::trigger,
        scans::list,
        scans::show,
        scans::errors,
        scans::cancel,
        events::events,
        notifications::test,
        connections::create,
        connections::list,
        connections::show,
        connections::update,
        connections::delete,
        connections::test_config,
        connections::test,
        connections::scan,
        connections::discoveries,
        datasets::list,
        datasets::show,
        datasets::files,
        assets::list,
        assets::show,
        assets::patch,
        assets::schema_history,
        lineage::process,
        lineage::manual,
        lineage::close_manual,
        lineage::graph,
        lineage::impact,
        lineage::sql,
        lineage::folders,
        lineage::audit,
        openlineage::intake,
        openlineage::graph,
        openlineage::namespaces,
        openlineage::datasets,
        openlineage::dataset,
        openlineage::jobs,
        openlineage::job,
    ),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "discovery", description = "The catalog of discovered files"),
        (name = "workflow", description = "Review: approve, reject, publish, archive"),
        (name = "scans", description = "Scan runs and their errors"),
        (name = "connections", description = "Managed connections: storage accounts, their secrets (never returned), tests and scans"),
        (name = "datasets", description = "Logical datasets: partition folders and numbered part files rolled up"),
        (name = "assets", description = "One catalog: database tables, views, routines and triggers, files and datasets"),
        (name = "notifications", description = "E-mails and webhooks sent when a scan found something"),
        (name = "health", description = "Liveness and database check"),
        (name = "lineage", description = "Lineage: processes, manual edges, SQL, graph over time, impact, exports"),
        (name = "openlineage", description = "OpenLineage intake and the Marquez read API subset"),
    )
)]
pub struct ApiDoc;

/// The document as served at `GET /api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
