//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` attributes
//! and the bodies' `ToSchema` derives.

use axum::Json;
use utoipa::OpenApi;

use crate::routes::{
    assets, audit, auth, connections, datasets, discovery, events, health, lineage, notifications, oidc, openlineage,
    scans, tokens, users,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Torro API", description = "Data discovery and catalog."),
    paths(
        health::health,
        auth::config,
        auth::login,
        auth::logout,
        auth::me,
        auth::change_password,
        oidc::login,
        oidc::callback,
        users::list,
        users::create,
        users::patch,
        tokens::list,
        tokens::create,
        tokens::revoke,
        audit::list,
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
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
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
        (name = "auth", description = "Sign in and out (session cookie + CSRF token), the signed-in user, password"),
        (name = "users", description = "Users and roles (admins)"),
        (name = "tokens", description = "Personal API tokens, sent as `Authorization: Bearer`"),
        (name = "audit", description = "Who did what, when, from where: every mutation and sign-in"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate: an API token, or the browser's session cookie (whose
/// mutations also need the `X-CSRF-Token` header).
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("torro_pat_…")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::session::SESSION_COOKIE))),
        );
    }
}

/// The document as served at `GET /api/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
