//! Scanning a database connection into assets: list its objects, upsert them in batches
//! (schema versions with diffs on change), mark the ones no longer there deleted, and
//! record per-object errors on the run.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::Utc;
use torro_catalog::{AssetScope, CatalogStore};
use torro_connectors::database::{DatabaseScan, DatabaseSource};
use torro_model::{
    Actor, AssetKey, AssetOutcome, AssetType, Connection, DatabaseConfig, NewScanError, ScanCounts, ScanErrorKind,
    ScanRun, ScanStatus, asset::qualified_name,
};

use torro_lineage::SqlDialect;
use torro_model::lineage::{LineageOrigin, lineage_urn};

use crate::lineage::{Lineage, context};
use crate::{EngineError, EngineEvent, ScanControl, ScanProgress};

/// Objects per catalog transaction.
const BATCH: usize = 500;

/// Runs scan `scan_id` of database connection `connection` to its end and returns the
/// finished run. An unreachable database fails the run (with the reason as its message);
/// unreadable parts are per-object errors on a succeeded run. A cancel stops it between
/// batches, as `cancelled`, with what was written so far kept.
pub(crate) async fn execute(
    store: &Arc<dyn CatalogStore>,
    connection: &Connection,
    config: &DatabaseConfig,
    scan_id: i64,
    progress: &dyn ScanProgress,
    control: &ScanControl,
) -> Result<ScanRun, EngineError> {
    let run = scan(store, connection, config, scan_id, progress, control).await?;
    control.events.send(EngineEvent::ScanFinished {
        scan_id: run.id,
        status: run.status,
        counts: run.counts.clone(),
        message: run.message.clone(),
    });
    Ok(run)
}

async fn scan(
    store: &Arc<dyn CatalogStore>,
    connection: &Connection,
    config: &DatabaseConfig,
    scan_id: i64,
    progress: &dyn ScanProgress,
    control: &ScanControl,
) -> Result<ScanRun, EngineError> {
    let mut counts = ScanCounts::default();
    let scanned = match torro_connectors::database::open(config) {
        Ok(source) => list(source.as_ref()).await,
        Err(e) => Err(e.to_string()),
    };
    let (source_namespace, scan) = match scanned {
        Ok(ok) => ok,
        Err(message) => {
            return Ok(crate::notify::finish_run(
                store,
                control.notify.as_deref(),
                scan_id,
                ScanStatus::Failed,
                &counts,
                Some(&message),
            )
            .await?);
        }
    };
    counts.listed = scan.objects.len() as i64;
    progress.update(&counts);
    let scope = AssetScope {
        scan_id: Some(scan_id),
        connector_id: connection.id,
        source_name: connection.name.clone(),
        namespace: source_namespace,
        seen_at: Utc::now(),
    };
    let mut errors: Vec<NewScanError> = scan
        .errors
        .iter()
        .map(|e| NewScanError {
            path: e.object.clone(),
            kind: ScanErrorKind::Read,
            message: e.message.clone(),
        })
        .collect();
    for batch in scan.objects.chunks(BATCH) {
        if control.cancel.is_cancelled() {
            store.record_scan_errors(scan_id, &errors).await?;
            return Ok(crate::notify::finish_run(
                store,
                control.notify.as_deref(),
                scan_id,
                ScanStatus::Cancelled,
                &counts,
                Some("cancelled"),
            )
            .await?);
        }
        match store.assets().upsert_assets(&scope, batch).await {
            Ok(outcomes) => {
                for (_, outcome) in outcomes {
                    match outcome {
                        AssetOutcome::New => counts.new += 1,
                        AssetOutcome::Changed { .. } => counts.changed += 1,
                        AssetOutcome::Unchanged => counts.unchanged += 1,
                    }
                }
            }
            Err(e) => {
                // The batch rolled back as a whole: say so for each of its objects.
                counts.failed += batch.len() as i64;
                errors.extend(batch.iter().map(|o| NewScanError {
                    path: o.qualified_name(),
                    kind: ScanErrorKind::Catalog,
                    message: format!("could not be recorded: {e}"),
                }));
            }
        }
        let _ = store.update_scan_progress(scan_id, &counts).await;
        progress.update(&counts);
        control.events.send(EngineEvent::ScanProgress {
            scan_id,
            counts: counts.clone(),
        });
    }
    let mut gone_urns = Vec::new();
    if counts.failed == 0 {
        let live = store.assets().live_asset_keys(connection.id).await?;
        let gone = dropped(&live, &scan);
        gone_urns = live
            .iter()
            .filter(|k| gone.contains(&k.id) && k.asset_type.has_sql_lineage())
            .map(|k| lineage_urn(&scope.namespace, &qualified_name(&k.catalog, &k.schema, &k.name)))
            .collect();
        counts.deleted = store
            .assets()
            .mark_assets_deleted(Some(scan_id), &gone, scope.seen_at)
            .await? as i64;
    }
    if !control.cancel.is_cancelled() {
        record_lineage(store, &scope.namespace, &scan, &gone_urns, &mut errors).await;
    }
    counts.failed += scan.errors.len() as i64;
    store.record_scan_errors(scan_id, &errors).await?;
    progress.update(&counts);
    Ok(crate::notify::finish_run(
        store,
        control.notify.as_deref(),
        scan_id,
        ScanStatus::Succeeded,
        &counts,
        None,
    )
    .await?)
}

/// Lineage from every view, materialized view and routine definition (edges whose SQL
/// changed are closed), and the edges of dropped ones closed. A definition we cannot parse
/// is a `lineage` error on the run, not a failure: the object is catalogued all the same.
async fn record_lineage(
    store: &Arc<dyn CatalogStore>,
    namespace: &str,
    scan: &DatabaseScan,
    gone_urns: &[String],
    errors: &mut Vec<NewScanError>,
) {
    let lineage = Lineage::new(store.clone());
    let ctx = context(&Actor::system("scanner"), namespace, LineageOrigin::Sql);
    for object in &scan.objects {
        let Some(definition) = &object.definition else { continue };
        let Some(dialect) = sql_dialect(&definition.language) else {
            continue;
        };
        if !object.asset_type.has_sql_lineage() {
            continue;
        }
        let urn = lineage_urn(namespace, &object.qualified_name());
        let process_type = object.asset_type.as_str();
        let message = match lineage
            .record_definition(&urn, &definition.text, dialect, process_type, &ctx)
            .await
        {
            Ok((parsed, summary)) if summary.process_id.is_none() && !parsed.warnings.is_empty() => {
                let first = &parsed.warnings[0];
                format!("no lineage: its SQL could not be read ({})", first.message)
            }
            Ok(_) => continue,
            Err(e) => format!("its lineage could not be recorded: {e}"),
        };
        errors.push(NewScanError {
            path: object.qualified_name(),
            kind: ScanErrorKind::Lineage,
            message,
        });
    }
    for urn in gone_urns {
        if let Err(e) = lineage.close_definition(urn, &ctx).await {
            tracing::warn!(urn, error = %e, "could not close the lineage of a dropped object");
        }
    }
}

/// The SQL dialect of a definition's language; `None` for languages with no SQL to read
/// (C, Python, JavaScript routines).
fn sql_dialect(language: &str) -> Option<SqlDialect> {
    Some(match language.to_ascii_lowercase().as_str() {
        "postgres" | "plpgsql" | "sql" => SqlDialect::Postgres,
        "mysql" => SqlDialect::MySql,
        "sqlite" => SqlDialect::Sqlite,
        "snowflake" => SqlDialect::Snowflake,
        "oracle" | "plsql" => SqlDialect::Oracle,
        _ => return None,
    })
}

async fn list(source: &dyn DatabaseSource) -> Result<(String, DatabaseScan), String> {
    let scan = source.scan().await.map_err(|e| e.to_string())?;
    Ok((source.namespace(), scan))
}

/// Ids of live assets the scan did not see, except in schemas it could not read fully.
fn dropped(live: &[AssetKey], scan: &DatabaseScan) -> Vec<i64> {
    let seen: HashSet<(AssetType, &str, &str, &str)> = scan
        .objects
        .iter()
        .map(|o| (o.asset_type, o.catalog.as_str(), o.schema.as_str(), o.name.as_str()))
        .collect();
    live.iter()
        .filter(|k| !seen.contains(&(k.asset_type, k.catalog.as_str(), k.schema.as_str(), k.name.as_str())))
        .filter(|k| {
            // MySQL and SQLite objects have no schema: their catalog is what the filter saw.
            let part = if k.schema.is_empty() { &k.catalog } else { &k.schema };
            !scan.incomplete.contains(part)
        })
        .map(|k| k.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use torro_model::ObservedAsset;

    fn key(id: i64, schema: &str, name: &str) -> AssetKey {
        AssetKey {
            id,
            asset_type: AssetType::Table,
            catalog: "db".into(),
            schema: schema.into(),
            name: name.into(),
        }
    }

    #[test]
    fn unseen_objects_are_dropped_except_in_incomplete_schemas() {
        let seen = ObservedAsset {
            asset_type: AssetType::Table,
            catalog: "db".into(),
            schema: "a".into(),
            name: "kept".into(),
            columns: vec![],
            technical_metadata: serde_json::json!({}),
            operational_metadata: serde_json::json!({}),
            comment: None,
            definition: None,
        };
        let mut scan = DatabaseScan {
            objects: vec![seen],
            ..Default::default()
        };
        scan.incomplete.insert("b".into());
        let live = [key(1, "a", "kept"), key(2, "a", "gone"), key(3, "b", "unknown")];
        assert_eq!(dropped(&live, &scan), [2]);
        let mut view = key(4, "a", "kept");
        view.asset_type = AssetType::View;
        assert_eq!(dropped(&[view], &scan), [4], "same name, other type");
    }
}
