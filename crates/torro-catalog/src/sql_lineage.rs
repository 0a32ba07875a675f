//! [`LineageStore`] for SQLite, PostgreSQL and MySQL: stamped out per backend by
//! `impl_lineage_store!`, for the same reason as `impl_catalog_store!` in `sql.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Database;
use torro_model::lineage::{
    ChangeContext, ColumnMapping, DatasetRef, EdgeInput, LineageAuditEntry, LineageDataset, LineageEdge, LineageOrigin,
    LineageProcess, LineageRun, ProcessInput, ProcessWrite, RunInput, WriteSummary, catalog_candidates, split_urn,
};

use crate::dialect::{Arg, Dialect};
use crate::lineage::{CatalogLink, LineageStore};
use crate::sql::{SqlStore, corrupt, limits, location_key, map_unique, now, placeholders};
use crate::{CatalogError, Result};

/// Longest URN accepted (keys are hashed, but the text is stored and shown).
const MAX_URN_LEN: usize = 4096;

fn sha_hex(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn urn_key(urn: &str) -> String {
    sha_hex(&[urn])
}

/// The identity of an open edge: (source, target, process).
fn open_key(source_id: i64, target_id: i64, process_id: Option<i64>) -> String {
    let process = process_id.map(|p| p.to_string()).unwrap_or_default();
    sha_hex(&[&source_id.to_string(), &target_id.to_string(), &process])
}

/// Column mappings sorted and without duplicates, so equal content hashes equal.
fn normalized_columns(columns: &[ColumnMapping]) -> Vec<ColumnMapping> {
    let mut seen = HashSet::new();
    let mut out: Vec<ColumnMapping> = columns.iter().filter(|c| seen.insert((*c).clone())).cloned().collect();
    out.sort_by(|a, b| {
        (
            &a.target_column,
            &a.source_column,
            a.transformation.as_str(),
            &a.expression,
        )
            .cmp(&(
                &b.target_column,
                &b.source_column,
                b.transformation.as_str(),
                &b.expression,
            ))
    });
    out
}

fn confidence_pct(c: f64) -> i64 {
    if c.is_finite() {
        (c.clamp(0.0, 1.0) * 100.0).round() as i64
    } else {
        100
    }
}

/// What an edge says besides its ends: a change of any of it opens a new version.
fn content_hash(e: &EdgeInput) -> String {
    let columns = serde_json::to_string(&normalized_columns(&e.columns)).unwrap_or_default();
    sha_hex(&[
        &e.relationship,
        &confidence_pct(e.confidence).to_string(),
        &e.metadata.to_string(),
        &columns,
    ])
}

/// `new`'s keys replace `old`'s; non-objects replace wholesale (null keeps `old`).
fn merge_facets(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (_, Value::Null) => old.clone(),
        (Value::Object(o), Value::Object(n)) => {
            let mut out = o.clone();
            for (k, v) in n {
                out.insert(k.clone(), v.clone());
            }
            Value::Object(out)
        }
        _ => new.clone(),
    }
}

fn check_urn(field: &str, urn: &str) -> Result<()> {
    if urn.trim().is_empty() || urn.len() > MAX_URN_LEN || urn.chars().any(char::is_control) {
        return Err(CatalogError::InvalidInput {
            field: field.into(),
            message: format!(
                "{field} must be a URN such as s3://bucket/path or postgres://host:5432/db.schema.table \
                 (1 to {MAX_URN_LEN} characters, no control characters), got {:?}",
                urn.chars().take(200).collect::<String>()
            ),
        });
    }
    Ok(())
}

/// Edges of one write, one per (source, target): duplicates merge their column mappings.
fn dedup_edges(edges: &[EdgeInput]) -> Result<Vec<EdgeInput>> {
    let mut out: Vec<EdgeInput> = Vec::new();
    let mut at: HashMap<(String, String), usize> = HashMap::new();
    for e in edges {
        check_urn("source", &e.source)?;
        check_urn("target", &e.target)?;
        match at.get(&(e.source.clone(), e.target.clone())) {
            Some(&i) => out[i].columns.extend(e.columns.iter().cloned()),
            None => {
                at.insert((e.source.clone(), e.target.clone()), out.len());
                out.push(e.clone());
            }
        }
    }
    for e in &mut out {
        e.columns = normalized_columns(&e.columns);
    }
    Ok(out)
}

const EDGE_SELECT: &str = "SELECT e.id, e.source_id, e.target_id, e.relationship, e.origin, e.confidence, \
     e.metadata_json, e.valid_from, e.valid_to, s.urn AS source_urn, t.urn AS target_urn, p.urn AS process_urn \
     FROM lineage_edges e JOIN lineage_datasets s ON s.id = e.source_id \
     JOIN lineage_datasets t ON t.id = e.target_id LEFT JOIN lineage_processes p ON p.id = e.process_id";

const DATASET_COLUMNS: &str = "id, urn, namespace, name, description, facets_json, created_at, updated_at";

const PROCESS_COLUMNS: &str = "id, urn, namespace, name, process_type, source_system, job_id, job_name, definition, \
     description, facets_json, created_at, updated_at";

const RUN_SELECT: &str = "SELECT r.id, r.run_id, r.state, r.started_at, r.ended_at, r.updated_at, r.facets_json, \
     p.urn AS process_urn FROM lineage_runs r JOIN lineage_processes p ON p.id = r.process_id";

/// The validity condition on `e` at `as_of` (open edges when `None`), pushing its binds.
fn valid_at(as_of: Option<DateTime<Utc>>, args: &mut Vec<Arg>) -> &'static str {
    match as_of {
        None => "e.valid_to IS NULL",
        Some(t) => {
            args.push(Arg::Ts(t));
            args.push(Arg::Ts(t));
            "e.valid_from <= ? AND (e.valid_to IS NULL OR e.valid_to > ?)"
        }
    }
}

fn json_col(what: &str, s: &str) -> Result<Value> {
    serde_json::from_str(s).map_err(|e| corrupt(what, e))
}

fn process_json(p: &ProcessInput) -> Value {
    json!({
        "urn": p.urn, "name": p.name, "process_type": p.process_type, "source_system": p.source_system,
        "job_id": p.job_id, "job_name": p.job_name, "definition": p.definition, "description": p.description,
    })
}

macro_rules! impl_lineage_store {
    ($db:ty) => {
        impl SqlStore<$db> {
            /// A page of `table`'s rows (datasets or processes), in one namespace or all.
            async fn page_by_namespace<T>(
                &self,
                table: &str,
                columns: &str,
                namespace: Option<&str>,
                page: u32,
                size: u32,
                map: fn(&<$db as Database>::Row) -> Result<T>,
            ) -> Result<torro_model::Page<T>> {
                let (limit, offset) = limits(page, size);
                let (where_sql, args) = match namespace {
                    Some(ns) => (" WHERE namespace = ?", vec![Arg::Str(ns.into())]),
                    None => ("", vec![]),
                };
                let total = self.count(&format!("SELECT COUNT(*) FROM {table}{where_sql}"), args.clone()).await?;
                let mut page_args = args;
                page_args.extend([Arg::I64(limit), Arg::I64(offset)]);
                let rows = Self::query(
                    &format!("SELECT {columns} FROM {table}{where_sql} ORDER BY namespace, name, id LIMIT ? OFFSET ?"),
                    page_args,
                )
                .fetch_all(&self.pool)
                .await?;
                let items = rows.iter().map(map).collect::<Result<_>>()?;
                Ok(torro_model::Page { items, page, size: limit as u32, total })
            }

            fn lineage_dataset(row: &<$db as Database>::Row) -> Result<LineageDataset> {
                use sqlx::Row;
                Ok(LineageDataset {
                    id: row.try_get("id")?,
                    urn: row.try_get("urn")?,
                    namespace: row.try_get("namespace")?,
                    name: row.try_get("name")?,
                    description: row.try_get("description")?,
                    facets: json_col("facets_json", &row.try_get::<String, _>("facets_json")?)?,
                    created_at: Self::ts(row, "created_at")?,
                    updated_at: Self::ts(row, "updated_at")?,
                })
            }

            fn lineage_process(row: &<$db as Database>::Row) -> Result<LineageProcess> {
                use sqlx::Row;
                Ok(LineageProcess {
                    id: row.try_get("id")?,
                    urn: row.try_get("urn")?,
                    namespace: row.try_get("namespace")?,
                    name: row.try_get("name")?,
                    process_type: row.try_get("process_type")?,
                    source_system: row.try_get("source_system")?,
                    job_id: row.try_get("job_id")?,
                    job_name: row.try_get("job_name")?,
                    definition: row.try_get("definition")?,
                    description: row.try_get("description")?,
                    facets: json_col("facets_json", &row.try_get::<String, _>("facets_json")?)?,
                    created_at: Self::ts(row, "created_at")?,
                    updated_at: Self::ts(row, "updated_at")?,
                })
            }

            fn lineage_run(row: &<$db as Database>::Row) -> Result<LineageRun> {
                use sqlx::Row;
                Ok(LineageRun {
                    id: row.try_get("id")?,
                    process: row.try_get("process_urn")?,
                    run_id: row.try_get("run_id")?,
                    state: row.try_get("state")?,
                    started_at: Self::opt_ts(row, "started_at")?,
                    ended_at: Self::opt_ts(row, "ended_at")?,
                    updated_at: Self::ts(row, "updated_at")?,
                    facets: json_col("facets_json", &row.try_get::<String, _>("facets_json")?)?,
                })
            }

            fn lineage_edge(row: &<$db as Database>::Row) -> Result<LineageEdge> {
                use sqlx::Row;
                let origin: String = row.try_get("origin")?;
                Ok(LineageEdge {
                    id: row.try_get("id")?,
                    source_id: row.try_get("source_id")?,
                    target_id: row.try_get("target_id")?,
                    source: row.try_get("source_urn")?,
                    target: row.try_get("target_urn")?,
                    process: row.try_get("process_urn")?,
                    relationship: row.try_get("relationship")?,
                    origin: origin.parse::<LineageOrigin>().map_err(|e| corrupt("origin", e))?,
                    confidence: row.try_get::<i64, _>("confidence")? as f64 / 100.0,
                    metadata: json_col("metadata_json", &row.try_get::<String, _>("metadata_json")?)?,
                    columns: Vec::new(),
                    valid_from: Self::ts(row, "valid_from")?,
                    valid_to: Self::opt_ts(row, "valid_to")?,
                })
            }

            /// Edges selected by `where_sql` (on `e`), with their column mappings, by id.
            async fn lineage_edges_where(
                conn: &mut <$db as Database>::Connection,
                where_sql: &str,
                args: Vec<Arg>,
            ) -> Result<Vec<LineageEdge>> {
                use sqlx::Row;
                let rows = Self::query(&format!("{EDGE_SELECT} WHERE {where_sql} ORDER BY e.id"), args)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut edges = rows.iter().map(Self::lineage_edge).collect::<Result<Vec<_>>>()?;
                let mut at: HashMap<i64, usize> = HashMap::with_capacity(edges.len());
                for (i, e) in edges.iter().enumerate() {
                    at.insert(e.id, i);
                }
                let ids: Vec<i64> = edges.iter().map(|e| e.id).collect();
                for chunk in ids.chunks(<$db as Dialect>::MAX_IN_LIST) {
                    let rows = Self::query(
                        &format!(
                            "SELECT edge_id, source_column, target_column, transformation, expression \
                             FROM lineage_column_edges WHERE edge_id IN ({}) ORDER BY id",
                            placeholders(chunk.len())
                        ),
                        chunk.iter().map(|id| Arg::I64(*id)).collect(),
                    )
                    .fetch_all(&mut *conn)
                    .await?;
                    for r in &rows {
                        let edge_id: i64 = r.try_get("edge_id")?;
                        let Some(&i) = at.get(&edge_id) else { continue };
                        edges[i].columns.push(ColumnMapping {
                            source_column: r.try_get("source_column")?,
                            target_column: r.try_get("target_column")?,
                            transformation: r
                                .try_get::<String, _>("transformation")?
                                .parse()
                                .map_err(|e| corrupt("transformation", e))?,
                            expression: r.try_get("expression")?,
                        });
                    }
                }
                Ok(edges)
            }

            async fn lineage_audit_row(
                conn: &mut <$db as Database>::Connection,
                ctx: &ChangeContext,
                at: DateTime<Utc>,
                action: &str,
                entity: (&str, i64, &str),
                before: Option<Value>,
                after: Option<Value>,
            ) -> Result<()> {
                Self::query(
                    "INSERT INTO lineage_audit (at, action, entity_type, entity_id, entity, before_json, after_json, \
                     actor, role, source_ip, source_system, ingestion_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        Arg::Ts(at),
                        Arg::Str(action.into()),
                        Arg::Str(entity.0.into()),
                        Arg::I64(entity.1),
                        Arg::Str(entity.2.into()),
                        Arg::OptStr(before.map(|v| v.to_string())),
                        Arg::OptStr(after.map(|v| v.to_string())),
                        Arg::Str(ctx.actor.name.clone()),
                        Arg::OptStr(ctx.actor.role.clone()),
                        Arg::OptStr(ctx.actor.source_ip.clone()),
                        Arg::Str(ctx.source_system.clone()),
                        Arg::OptStr(ctx.ingestion_id.clone()),
                    ],
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            /// The id of dataset `d` (inserted when missing; description and facets updated
            /// when they change), and whether it was created.
            async fn ensure_lineage_dataset(
                conn: &mut <$db as Database>::Connection,
                d: &DatasetRef,
                ctx: &ChangeContext,
                at: DateTime<Utc>,
            ) -> Result<(i64, bool)> {
                check_urn("urn", &d.urn)?;
                let key = urn_key(&d.urn);
                let select = format!("SELECT {DATASET_COLUMNS} FROM lineage_datasets WHERE urn_key = ?");
                let locked = format!("{select}{}", <$db as Dialect>::FOR_UPDATE);
                let row = Self::query(&locked, vec![Arg::Str(key.clone())]).fetch_optional(&mut *conn).await?;
                if let Some(row) = row {
                    let old = Self::lineage_dataset(&row)?;
                    let facets = merge_facets(&old.facets, &d.facets);
                    let description = d.description.clone().or(old.description.clone());
                    if facets != old.facets || description != old.description {
                        Self::query(
                            "UPDATE lineage_datasets SET description = ?, facets_json = ?, updated_at = ? WHERE id = ?",
                            vec![
                                Arg::OptStr(description.clone()),
                                Arg::Str(facets.to_string()),
                                Arg::Ts(at.max(old.updated_at)),
                                Arg::I64(old.id),
                            ],
                        )
                        .execute(&mut *conn)
                        .await?;
                        Self::lineage_audit_row(
                            conn,
                            ctx,
                            at,
                            "update",
                            ("dataset", old.id, &d.urn),
                            Some(json!({"description": old.description, "facets": old.facets})),
                            Some(json!({"description": description, "facets": facets})),
                        )
                        .await?;
                    }
                    return Ok((old.id, false));
                }
                let (namespace, name) = split_urn(&d.urn);
                let facets = merge_facets(&json!({}), &d.facets);
                Self::query(
                    &format!(
                        "INSERT INTO lineage_datasets (urn_key, urn, namespace, name, description, facets_json, \
                         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?){}",
                        <$db as Dialect>::on_conflict_ignore("urn_key")
                    ),
                    vec![
                        Arg::Str(key.clone()),
                        Arg::Str(d.urn.clone()),
                        Arg::Str(namespace),
                        Arg::Str(name),
                        Arg::OptStr(d.description.clone()),
                        Arg::Str(facets.to_string()),
                        Arg::Ts(at),
                        Arg::Ts(at),
                    ],
                )
                .execute(&mut *conn)
                .await?;
                // A locking read sees a row another transaction committed meanwhile.
                let row = Self::query(&locked, vec![Arg::Str(key)])
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(|| CatalogError::Corrupt(format!("lineage dataset {:?} vanished", d.urn)))?;
                let created = Self::lineage_dataset(&row)?;
                Self::lineage_audit_row(
                    conn,
                    ctx,
                    at,
                    "create",
                    ("dataset", created.id, &d.urn),
                    None,
                    Some(json!({"urn": d.urn, "description": d.description, "facets": facets})),
                )
                .await?;
                Ok((created.id, true))
            }

            /// The id of process `p`, inserted or updated (and locked) in the transaction.
            async fn ensure_process(
                conn: &mut <$db as Database>::Connection,
                p: &ProcessInput,
                ctx: &ChangeContext,
                at: DateTime<Utc>,
            ) -> Result<i64> {
                check_urn("process.urn", &p.urn)?;
                let key = urn_key(&p.urn);
                let locked = format!(
                    "SELECT {PROCESS_COLUMNS} FROM lineage_processes WHERE urn_key = ?{}",
                    <$db as Dialect>::FOR_UPDATE
                );
                let name = if p.name.trim().is_empty() { split_urn(&p.urn).1 } else { p.name.clone() };
                let process_type = if p.process_type.is_empty() { "job".to_string() } else { p.process_type.clone() };
                let source_system =
                    if p.source_system.is_empty() { ctx.source_system.clone() } else { p.source_system.clone() };
                let wanted = ProcessInput { name, process_type, source_system, ..p.clone() };
                if let Some(row) = Self::query(&locked, vec![Arg::Str(key.clone())]).fetch_optional(&mut *conn).await? {
                    let old = Self::lineage_process(&row)?;
                    let facets = merge_facets(&old.facets, &wanted.facets);
                    let merged = ProcessInput {
                        job_id: wanted.job_id.clone().or(old.job_id.clone()),
                        job_name: wanted.job_name.clone().or(old.job_name.clone()),
                        definition: wanted.definition.clone().or(old.definition.clone()),
                        description: wanted.description.clone().or(old.description.clone()),
                        facets: facets.clone(),
                        ..wanted
                    };
                    let before = ProcessInput {
                        urn: old.urn.clone(),
                        name: old.name.clone(),
                        process_type: old.process_type.clone(),
                        source_system: old.source_system.clone(),
                        job_id: old.job_id.clone(),
                        job_name: old.job_name.clone(),
                        definition: old.definition.clone(),
                        description: old.description.clone(),
                        facets: old.facets.clone(),
                    };
                    if merged != before {
                        Self::query(
                            "UPDATE lineage_processes SET name = ?, process_type = ?, source_system = ?, job_id = ?, \
                             job_name = ?, definition = ?, description = ?, facets_json = ?, updated_at = ? WHERE id = ?",
                            vec![
                                Arg::Str(merged.name.clone()),
                                Arg::Str(merged.process_type.clone()),
                                Arg::Str(merged.source_system.clone()),
                                Arg::OptStr(merged.job_id.clone()),
                                Arg::OptStr(merged.job_name.clone()),
                                Arg::OptStr(merged.definition.clone()),
                                Arg::OptStr(merged.description.clone()),
                                Arg::Str(facets.to_string()),
                                Arg::Ts(at.max(old.updated_at)),
                                Arg::I64(old.id),
                            ],
                        )
                        .execute(&mut *conn)
                        .await?;
                        Self::lineage_audit_row(
                            conn,
                            ctx,
                            at,
                            "update",
                            ("process", old.id, &p.urn),
                            Some(process_json(&before)),
                            Some(process_json(&merged)),
                        )
                        .await?;
                    }
                    return Ok(old.id);
                }
                let (namespace, _) = split_urn(&p.urn);
                let facets = merge_facets(&json!({}), &wanted.facets);
                Self::query(
                    &format!(
                        "INSERT INTO lineage_processes (urn_key, urn, namespace, name, process_type, source_system, \
                         job_id, job_name, definition, description, facets_json, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?){}",
                        <$db as Dialect>::on_conflict_ignore("urn_key")
                    ),
                    vec![
                        Arg::Str(key.clone()),
                        Arg::Str(p.urn.clone()),
                        Arg::Str(namespace),
                        Arg::Str(wanted.name.clone()),
                        Arg::Str(wanted.process_type.clone()),
                        Arg::Str(wanted.source_system.clone()),
                        Arg::OptStr(wanted.job_id.clone()),
                        Arg::OptStr(wanted.job_name.clone()),
                        Arg::OptStr(wanted.definition.clone()),
                        Arg::OptStr(wanted.description.clone()),
                        Arg::Str(facets.to_string()),
                        Arg::Ts(at),
                        Arg::Ts(at),
                    ],
                )
                .execute(&mut *conn)
                .await?;
                let row = Self::query(&locked, vec![Arg::Str(key)])
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or_else(|| CatalogError::Corrupt(format!("process {:?} vanished", p.urn)))?;
                let id = Self::lineage_process(&row)?.id;
                Self::lineage_audit_row(conn, ctx, at, "create", ("process", id, &p.urn), None, Some(process_json(&wanted)))
                    .await?;
                Ok(id)
            }

            async fn close_edge_in(
                conn: &mut <$db as Database>::Connection,
                id: i64,
                entity: &str,
                valid_from: DateTime<Utc>,
                ctx: &ChangeContext,
                at: DateTime<Utc>,
            ) -> Result<()> {
                let until = at.max(valid_from);
                Self::query(
                    "UPDATE lineage_edges SET valid_to = ?, open_key = NULL WHERE id = ?",
                    vec![Arg::Ts(until), Arg::I64(id)],
                )
                .execute(&mut *conn)
                .await?;
                Self::lineage_audit_row(
                    conn,
                    ctx,
                    at,
                    "close",
                    ("edge", id, entity),
                    Some(json!({"valid_to": null})),
                    Some(json!({"valid_to": until})),
                )
                .await
            }

            /// Opens each edge unless an equal one is open; an open one with other content is
            /// closed first. Returns the ids of the open edges that now stand for `edges`.
            async fn write_edges(
                conn: &mut <$db as Database>::Connection,
                process_id: Option<i64>,
                datasets: &[DatasetRef],
                edges: &[EdgeInput],
                ctx: &ChangeContext,
                at: DateTime<Utc>,
                summary: &mut WriteSummary,
            ) -> Result<Vec<i64>> {
                use sqlx::Row;
                let origin = ctx.origin.unwrap_or(LineageOrigin::Api);
                let mut ids = Vec::with_capacity(edges.len());
                let mut refs: BTreeMap<&str, DatasetRef> = datasets.iter().map(|d| (d.urn.as_str(), d.clone())).collect();
                for e in edges {
                    for urn in [&e.source, &e.target] {
                        refs.entry(urn.as_str()).or_insert_with(|| DatasetRef::new(urn.clone()));
                    }
                }
                // Datasets are locked in URN order, so concurrent writers cannot deadlock on them.
                let mut dataset_ids: HashMap<String, i64> = HashMap::with_capacity(refs.len());
                for (urn, d) in refs {
                    let (id, created) = Self::ensure_lineage_dataset(conn, &d, ctx, at).await?;
                    summary.datasets_created += created as u64;
                    dataset_ids.insert(urn.to_string(), id);
                }
                for e in edges {
                    let (source_id, target_id) = (dataset_ids[&e.source], dataset_ids[&e.target]);
                    let okey = open_key(source_id, target_id, process_id);
                    let hash = content_hash(e);
                    let entity = format!("{} -> {}", e.source, e.target);
                    let existing = Self::query(
                        &format!(
                            "SELECT id, content_hash, valid_from FROM lineage_edges WHERE open_key = ?{}",
                            <$db as Dialect>::FOR_UPDATE
                        ),
                        vec![Arg::Str(okey.clone())],
                    )
                    .fetch_optional(&mut *conn)
                    .await?;
                    if let Some(row) = existing {
                        let id: i64 = row.try_get("id")?;
                        if row.try_get::<String, _>("content_hash")? == hash {
                            summary.edges_unchanged += 1;
                            ids.push(id);
                            continue;
                        }
                        let from = Self::ts(&row, "valid_from")?;
                        Self::close_edge_in(conn, id, &entity, from, ctx, at).await?;
                        summary.edges_closed += 1;
                    }
                    let id = Self::insert_id(
                        &mut *conn,
                        "INSERT INTO lineage_edges (source_id, target_id, process_id, relationship, origin, confidence, \
                         metadata_json, content_hash, open_key, valid_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        vec![
                            Arg::I64(source_id),
                            Arg::I64(target_id),
                            Arg::OptI64(process_id),
                            Arg::Str(e.relationship.clone()),
                            Arg::Str(origin.as_str().into()),
                            Arg::I64(confidence_pct(e.confidence)),
                            Arg::Str(e.metadata.to_string()),
                            Arg::Str(hash),
                            Arg::Str(okey),
                            Arg::Ts(at),
                        ],
                    )
                    .await
                    .map_err(|err| map_unique(err, || format!("open edge {entity}")))?;
                    let columns = normalized_columns(&e.columns);
                    for chunk in columns.chunks(500) {
                        let mut args = Vec::with_capacity(chunk.len() * 5);
                        for c in chunk {
                            args.extend([
                                Arg::I64(id),
                                Arg::Str(c.source_column.clone()),
                                Arg::Str(c.target_column.clone()),
                                Arg::Str(c.transformation.as_str().into()),
                                Arg::OptStr(c.expression.clone()),
                            ]);
                        }
                        Self::query(
                            &format!(
                                "INSERT INTO lineage_column_edges (edge_id, source_column, target_column, \
                                 transformation, expression) VALUES {}",
                                vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ")
                            ),
                            args,
                        )
                        .execute(&mut *conn)
                        .await?;
                    }
                    Self::lineage_audit_row(
                        conn,
                        ctx,
                        at,
                        "open",
                        ("edge", id, &entity),
                        None,
                        Some(json!({
                            "source": e.source, "target": e.target, "relationship": e.relationship,
                            "origin": origin.as_str(), "confidence": confidence_pct(e.confidence) as f64 / 100.0,
                            "metadata": e.metadata, "columns": columns, "process_id": process_id,
                        })),
                    )
                    .await?;
                    summary.edges_opened += 1;
                    ids.push(id);
                }
                Ok(ids)
            }
        }

        #[async_trait::async_trait]
        impl LineageStore for SqlStore<$db> {
            async fn write_process(&self, write: &ProcessWrite, ctx: &ChangeContext) -> Result<WriteSummary> {
                use sqlx::Row;
                let at = ctx.at.unwrap_or_else(now);
                let edges = dedup_edges(&write.edges)?;
                let mut summary = WriteSummary::default();
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let process_id = Self::ensure_process(&mut *tx, &write.process, ctx, at).await?;
                summary.process_id = Some(process_id);
                let kept: HashSet<i64> = Self::write_edges(&mut *tx, Some(process_id), &write.datasets, &edges, ctx, at, &mut summary)
                    .await?
                    .into_iter()
                    .collect();
                if write.replace {
                    let rows = Self::query(
                        &format!(
                            "SELECT e.id, e.valid_from, s.urn AS source_urn, t.urn AS target_urn FROM lineage_edges e \
                             JOIN lineage_datasets s ON s.id = e.source_id JOIN lineage_datasets t ON t.id = e.target_id \
                             WHERE e.process_id = ? AND e.valid_to IS NULL{}",
                            <$db as Dialect>::FOR_UPDATE
                        ),
                        vec![Arg::I64(process_id)],
                    )
                    .fetch_all(&mut *tx)
                    .await?;
                    for r in &rows {
                        let id: i64 = r.try_get("id")?;
                        if kept.contains(&id) {
                            continue;
                        }
                        let entity = format!(
                            "{} -> {}",
                            r.try_get::<String, _>("source_urn")?,
                            r.try_get::<String, _>("target_urn")?
                        );
                        Self::close_edge_in(&mut *tx, id, &entity, Self::ts(r, "valid_from")?, ctx, at).await?;
                        summary.edges_closed += 1;
                    }
                }
                tx.commit().await?;
                Ok(summary)
            }

            async fn add_edges(&self, edges: &[EdgeInput], ctx: &ChangeContext) -> Result<Vec<LineageEdge>> {
                let at = ctx.at.unwrap_or_else(now);
                let edges = dedup_edges(edges)?;
                let mut summary = WriteSummary::default();
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let ids = Self::write_edges(&mut *tx, None, &[], &edges, ctx, at, &mut summary).await?;
                tx.commit().await?;
                let mut conn = self.pool.acquire().await?;
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(<$db as Dialect>::MAX_IN_LIST) {
                    let found = Self::lineage_edges_where(
                        &mut *conn,
                        &format!("e.id IN ({})", placeholders(chunk.len())),
                        chunk.iter().map(|id| Arg::I64(*id)).collect(),
                    )
                    .await?;
                    out.extend(found);
                }
                out.sort_by_key(|e| ids.iter().position(|i| *i == e.id));
                Ok(out)
            }

            async fn close_edge(&self, id: i64, ctx: &ChangeContext) -> Result<LineageEdge> {
                let at = ctx.at.unwrap_or_else(now);
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let edge = Self::lineage_edges_where(&mut *tx, "e.id = ?", vec![Arg::I64(id)])
                    .await?
                    .pop()
                    .ok_or_else(|| CatalogError::NotFound(format!("lineage edge {id}")))?;
                if let Some(to) = edge.valid_to {
                    return Err(CatalogError::Conflict(format!("lineage edge {id} was already closed at {to}")));
                }
                let entity = format!("{} -> {}", edge.source, edge.target);
                Self::close_edge_in(&mut *tx, id, &entity, edge.valid_from, ctx, at).await?;
                tx.commit().await?;
                self.get_edge(id).await?.ok_or_else(|| CatalogError::NotFound(format!("lineage edge {id}")))
            }

            async fn upsert_lineage_datasets(
                &self,
                datasets: &[DatasetRef],
                ctx: &ChangeContext,
            ) -> Result<Vec<LineageDataset>> {
                let at = ctx.at.unwrap_or_else(now);
                let mut sorted: Vec<&DatasetRef> = datasets.iter().collect();
                sorted.sort_by(|a, b| a.urn.cmp(&b.urn));
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                for d in sorted {
                    Self::ensure_lineage_dataset(&mut *tx, d, ctx, at).await?;
                }
                tx.commit().await?;
                let mut out = Vec::with_capacity(datasets.len());
                for d in datasets {
                    if let Some(found) = self.get_lineage_dataset(&d.urn).await? {
                        out.push(found);
                    }
                }
                Ok(out)
            }

            async fn record_run(&self, run: &RunInput, ctx: &ChangeContext) -> Result<LineageRun> {
                use sqlx::Row;
                let at = ctx.at.unwrap_or_else(now);
                let state = run.state.to_ascii_uppercase();
                let ended = matches!(state.as_str(), "COMPLETE" | "FAIL" | "ABORT");
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let process_id: i64 = Self::query(
                    "SELECT id FROM lineage_processes WHERE urn_key = ?",
                    vec![Arg::Str(urn_key(&run.process_urn))],
                )
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| CatalogError::NotFound(format!("process {:?}", run.process_urn)))?
                .try_get("id")?;
                let key = sha_hex(&[&run.process_urn, &run.run_id]);
                let entity = format!("{} run {}", run.process_urn, run.run_id);
                let existing = Self::query(
                    &format!("{RUN_SELECT} WHERE r.run_key = ?{}", <$db as Dialect>::FOR_UPDATE),
                    vec![Arg::Str(key.clone())],
                )
                .fetch_optional(&mut *tx)
                .await?;
                match existing {
                    None => {
                        let facets = merge_facets(&json!({}), &run.facets);
                        let id = Self::insert_id(
                            &mut *tx,
                            "INSERT INTO lineage_runs (process_id, run_key, run_id, state, started_at, ended_at, \
                             updated_at, facets_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            vec![
                                Arg::I64(process_id),
                                Arg::Str(key),
                                Arg::Str(run.run_id.clone()),
                                Arg::Str(state.clone()),
                                Arg::OptTs(Some(run.event_time)),
                                Arg::OptTs(ended.then_some(run.event_time)),
                                Arg::Ts(at),
                                Arg::Str(facets.to_string()),
                            ],
                        )
                        .await
                        .map_err(|e| map_unique(e, || entity.clone()))?;
                        Self::lineage_audit_row(&mut *tx, ctx, at, "create", ("run", id, &entity), None, Some(json!({"state": state})))
                            .await?;
                    }
                    Some(row) => {
                        let old = Self::lineage_run(&row)?;
                        // A late START or RUNNING never reopens a finished run.
                        let old_ended = matches!(old.state.as_str(), "COMPLETE" | "FAIL" | "ABORT");
                        let new_state = if old_ended && !ended { old.state.clone() } else { state.clone() };
                        let started = old.started_at.map_or(run.event_time, |s| s.min(run.event_time));
                        let ended_at = if ended { Some(run.event_time) } else { old.ended_at };
                        let facets = merge_facets(&old.facets, &run.facets);
                        Self::query(
                            "UPDATE lineage_runs SET state = ?, started_at = ?, ended_at = ?, updated_at = ?, \
                             facets_json = ? WHERE id = ?",
                            vec![
                                Arg::Str(new_state.clone()),
                                Arg::OptTs(Some(started)),
                                Arg::OptTs(ended_at),
                                Arg::Ts(at.max(old.updated_at)),
                                Arg::Str(facets.to_string()),
                                Arg::I64(old.id),
                            ],
                        )
                        .execute(&mut *tx)
                        .await?;
                        if new_state != old.state {
                            Self::lineage_audit_row(
                                &mut *tx,
                                ctx,
                                at,
                                "update",
                                ("run", old.id, &entity),
                                Some(json!({"state": old.state})),
                                Some(json!({"state": new_state})),
                            )
                            .await?;
                        }
                    }
                }
                tx.commit().await?;
                let row = Self::query(&format!("{RUN_SELECT} WHERE r.run_key = ?"), vec![Arg::Str(sha_hex(&[&run.process_urn, &run.run_id]))])
                    .fetch_one(&self.pool)
                    .await?;
                Self::lineage_run(&row)
            }

            async fn get_edge(&self, id: i64) -> Result<Option<LineageEdge>> {
                let mut conn = self.pool.acquire().await?;
                Ok(Self::lineage_edges_where(&mut *conn, "e.id = ?", vec![Arg::I64(id)]).await?.pop())
            }

            async fn get_lineage_dataset(&self, urn: &str) -> Result<Option<LineageDataset>> {
                let row = Self::query(
                    &format!("SELECT {DATASET_COLUMNS} FROM lineage_datasets WHERE urn_key = ?"),
                    vec![Arg::Str(urn_key(urn))],
                )
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::lineage_dataset).transpose()
            }

            async fn get_process(&self, urn: &str) -> Result<Option<LineageProcess>> {
                let row = Self::query(
                    &format!("SELECT {PROCESS_COLUMNS} FROM lineage_processes WHERE urn_key = ?"),
                    vec![Arg::Str(urn_key(urn))],
                )
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::lineage_process).transpose()
            }

            async fn list_lineage_datasets(
                &self,
                namespace: Option<&str>,
                page: u32,
                size: u32,
            ) -> Result<torro_model::Page<LineageDataset>> {
                self.page_by_namespace("lineage_datasets", DATASET_COLUMNS, namespace, page, size, Self::lineage_dataset)
                    .await
            }

            async fn list_processes(
                &self,
                namespace: Option<&str>,
                page: u32,
                size: u32,
            ) -> Result<torro_model::Page<LineageProcess>> {
                self.page_by_namespace("lineage_processes", PROCESS_COLUMNS, namespace, page, size, Self::lineage_process)
                    .await
            }

            async fn lineage_namespaces(&self) -> Result<Vec<String>> {
                use sqlx::Row;
                let rows = Self::query(
                    "SELECT namespace FROM lineage_datasets UNION SELECT namespace FROM lineage_processes",
                    vec![],
                )
                .fetch_all(&self.pool)
                .await?;
                let set: BTreeSet<String> = rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<_, _>>()?;
                Ok(set.into_iter().collect())
            }

            async fn process_runs(&self, process_urn: &str, limit: u32) -> Result<Vec<LineageRun>> {
                let rows = Self::query(
                    &format!("{RUN_SELECT} WHERE p.urn_key = ? ORDER BY r.updated_at DESC, r.id DESC LIMIT ?"),
                    vec![Arg::Str(urn_key(process_urn)), Arg::I64(limit.clamp(1, 1000) as i64)],
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::lineage_run).collect()
            }

            async fn process_edges(&self, process_urn: &str, as_of: Option<DateTime<Utc>>) -> Result<Vec<LineageEdge>> {
                let mut args = vec![Arg::Str(urn_key(process_urn))];
                let valid = valid_at(as_of, &mut args);
                let mut conn = self.pool.acquire().await?;
                Self::lineage_edges_where(&mut *conn, &format!("p.urn_key = ? AND {valid}"), args).await
            }

            async fn edges_of(&self, ids: &[i64], outgoing: bool, as_of: Option<DateTime<Utc>>) -> Result<Vec<LineageEdge>> {
                let col = if outgoing { "e.source_id" } else { "e.target_id" };
                let mut conn = self.pool.acquire().await?;
                let mut out = Vec::new();
                for chunk in ids.chunks(<$db as Dialect>::MAX_IN_LIST - 2) {
                    let mut args: Vec<Arg> = chunk.iter().map(|id| Arg::I64(*id)).collect();
                    let valid = valid_at(as_of, &mut args);
                    let found = Self::lineage_edges_where(
                        &mut *conn,
                        &format!("{col} IN ({}) AND {valid}", placeholders(chunk.len())),
                        args,
                    )
                    .await?;
                    out.extend(found);
                }
                Ok(out)
            }

            async fn lineage_datasets_by_id(&self, ids: &[i64]) -> Result<Vec<LineageDataset>> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(<$db as Dialect>::MAX_IN_LIST) {
                    let rows = Self::query(
                        &format!("SELECT {DATASET_COLUMNS} FROM lineage_datasets WHERE id IN ({})", placeholders(chunk.len())),
                        chunk.iter().map(|id| Arg::I64(*id)).collect(),
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    for r in &rows {
                        out.push(Self::lineage_dataset(r)?);
                    }
                }
                Ok(out)
            }

            async fn processes_by_urn(&self, urns: &[String]) -> Result<Vec<LineageProcess>> {
                let mut out = Vec::with_capacity(urns.len());
                for chunk in urns.chunks(<$db as Dialect>::MAX_IN_LIST) {
                    let rows = Self::query(
                        &format!("SELECT {PROCESS_COLUMNS} FROM lineage_processes WHERE urn_key IN ({})", placeholders(chunk.len())),
                        chunk.iter().map(|u| Arg::Str(urn_key(u))).collect(),
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    for r in &rows {
                        out.push(Self::lineage_process(r)?);
                    }
                }
                Ok(out)
            }

            async fn catalog_links(&self, urns: &[String]) -> Result<HashMap<String, CatalogLink>> {
                use sqlx::Row;
                let mut by_key: HashMap<String, String> = HashMap::new();
                for urn in urns {
                    for (location, path) in catalog_candidates(urn) {
                        by_key.insert(location_key(&location, &path), urn.clone());
                    }
                }
                let mut out: HashMap<String, CatalogLink> = HashMap::new();
                let keys: Vec<String> = by_key.keys().cloned().collect();
                for chunk in keys.chunks(<$db as Dialect>::MAX_IN_LIST) {
                    let args: Vec<Arg> = chunk.iter().map(|k| Arg::Str(k.clone())).collect();
                    let files = Self::query(
                        &format!(
                            "SELECT id, location_key FROM discoveries WHERE deleted = FALSE AND location_key IN ({})",
                            placeholders(chunk.len())
                        ),
                        args.clone(),
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    for r in &files {
                        if let Some(urn) = by_key.get(&r.try_get::<String, _>("location_key")?) {
                            out.entry(urn.clone()).or_default().discovery_id = Some(r.try_get("id")?);
                        }
                    }
                    let datasets = Self::query(
                        &format!("SELECT id, location_key FROM datasets WHERE location_key IN ({})", placeholders(chunk.len())),
                        args,
                    )
                    .fetch_all(&self.pool)
                    .await?;
                    for r in &datasets {
                        if let Some(urn) = by_key.get(&r.try_get::<String, _>("location_key")?) {
                            out.entry(urn.clone()).or_default().dataset_id = Some(r.try_get("id")?);
                        }
                    }
                }
                Ok(out)
            }

            async fn lineage_audit(&self, entity: Option<(&str, i64)>, limit: u32) -> Result<Vec<LineageAuditEntry>> {
                use sqlx::Row;
                let (where_sql, mut args) = match entity {
                    Some((kind, id)) => (" WHERE entity_type = ? AND entity_id = ?", vec![Arg::Str(kind.into()), Arg::I64(id)]),
                    None => ("", vec![]),
                };
                args.push(Arg::I64(limit.clamp(1, 10_000) as i64));
                let rows = Self::query(
                    &format!(
                        "SELECT id, at, action, entity_type, entity_id, entity, before_json, after_json, actor, \
                         role, source_ip, source_system, ingestion_id FROM lineage_audit{where_sql} ORDER BY id DESC LIMIT ?"
                    ),
                    args,
                )
                .fetch_all(&self.pool)
                .await?;
                let json = |r: &<$db as Database>::Row, c: &str| -> Result<Option<Value>> {
                    r.try_get::<Option<String>, _>(c)?.map(|s| json_col(c, &s)).transpose()
                };
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push(LineageAuditEntry {
                        id: r.try_get("id")?,
                        at: Self::ts(r, "at")?,
                        action: r.try_get("action")?,
                        entity_type: r.try_get("entity_type")?,
                        entity_id: r.try_get("entity_id")?,
                        entity: r.try_get("entity")?,
                        before: json(r, "before_json")?,
                        after: json(r, "after_json")?,
                        actor: r.try_get("actor")?,
                        role: r.try_get("role")?,
                        source_ip: r.try_get("source_ip")?,
                        source_system: r.try_get("source_system")?,
                        ingestion_id: r.try_get("ingestion_id")?,
                    });
                }
                Ok(out)
            }
        }
    };
}

impl_lineage_store!(sqlx::Sqlite);
impl_lineage_store!(sqlx::Postgres);
impl_lineage_store!(sqlx::MySql);
