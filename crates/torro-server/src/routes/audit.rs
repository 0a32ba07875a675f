//! The audit log: every mutation, sign-in and failed sign-in, searchable and exportable.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use torro_model::AuditQuery;

use crate::AppState;
use crate::dto::Pagination;
use crate::dto::auth::{AuditPage, AuditParams, AuditRow};
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::params::{parse_page, parse_size};

/// Rows per store query while writing a CSV export.
const EXPORT_PAGE: u32 = 500;
/// A CSV export stops here; narrow the filter for more.
const EXPORT_MAX_ROWS: usize = 100_000;

/// Audit entries, newest first, filtered; `format=csv` downloads every match.
#[utoipa::path(
    get,
    path = "/api/audit",
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of entries (JSON) or all of them (CSV)", body = AuditPage),
        (status = 400, description = "A filter is invalid; the message names it", body = ErrorBody),
        (status = 403, description = "Needs the read_audit permission (steward, admin)", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Response, ApiError> {
    let query = to_query(&params)?;
    match params.format.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("json") => {
            let page = state.store().auth().search_audit(&query).await?;
            let body = AuditPage {
                entries: page.items.iter().map(AuditRow::from).collect(),
                pagination: Pagination::from(&page),
            };
            Ok(Json(body).into_response())
        }
        Some("csv") => export_csv(&state, query).await,
        Some(other) => Err(ApiError::invalid(format!("format must be json or csv, got {other:?}"))),
    }
}

fn to_query(p: &AuditParams) -> Result<AuditQuery, ApiError> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let entity_id = text(&p.entity_id)
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::invalid(format!("entity_id must be an integer, got {s:?}")))
        })
        .transpose()?;
    Ok(AuditQuery {
        actor: text(&p.actor),
        entity_type: text(&p.entity_type),
        entity_id,
        action: text(&p.action),
        since: text(&p.since).map(|s| time("since", &s)).transpose()?,
        until: text(&p.until).map(|s| time("until", &s)).transpose()?,
        page: parse_page(p.page.as_deref())?,
        size: parse_size(p.size.as_deref())?,
    })
}

fn time(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            ApiError::invalid(format!(
                "{field} must be an RFC 3339 time such as 2026-01-31T00:00:00Z, got {raw:?}"
            ))
        })
}

async fn export_csv(state: &AppState, mut query: AuditQuery) -> Result<Response, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "at",
        "actor",
        "role",
        "source_ip",
        "action",
        "entity_type",
        "entity_id",
        "comment",
        "before",
        "after",
    ])
    .map_err(ApiError::internal)?;
    query.size = EXPORT_PAGE;
    query.page = 0;
    let mut written = 0usize;
    loop {
        let page = state.store().auth().search_audit(&query).await?;
        for e in &page.items {
            let json = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
            out.write_record([
                e.id.to_string(),
                e.at.to_rfc3339(),
                csv_safe(&e.actor),
                e.role.clone().unwrap_or_default(),
                e.source_ip.clone().unwrap_or_default(),
                e.action.clone(),
                e.entity_type.clone(),
                e.entity_id.to_string(),
                csv_safe(e.comment.as_deref().unwrap_or_default()),
                json(&e.before),
                json(&e.after),
            ])
            .map_err(ApiError::internal)?;
        }
        written += page.items.len();
        if page.items.len() < EXPORT_PAGE as usize || written >= EXPORT_MAX_ROWS {
            break;
        }
        query.page += 1;
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    let name = format!("torro-audit-{}.csv", Utc::now().format("%Y%m%dT%H%M%SZ"));
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response())
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading
/// quote: actors and comments come from users (a failed login's username is anything).
fn csv_safe(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("ana"), "ana");
    }
}
