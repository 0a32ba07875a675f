//! [`AssetStore`] for [`SqlStore`], stamped out per backend like `impl_catalog_store!`
//! (see `sql.rs` for why a macro rather than generic code).

use sqlx::Database;
use torro_model::{AssetIdKind, AssetOutcome, AssetPatch, AssetQuery, ObservedAsset, Schema, SchemaDiff};

use crate::assets::{AssetScope, AssetStore, asset_key, dataset_asset, file_asset};
use crate::dialect::{Arg, Dialect};
use crate::sql::{AuditRow, SqlStore, corrupt, limits, now, parse, placeholders};
use crate::{CatalogError, Result};

const ASSET_COLUMNS: &str = "a.id, a.connector_id, a.source_name, a.asset_type, a.catalog_name, a.schema_name, \
     a.name, a.qualified_name, a.namespace, a.technical_json, a.operational_json, a.business_json, \
     a.source_comment, a.columns_json, a.definition_language, a.definition_text, a.schema_hash, \
     a.discovered_at, a.last_seen, a.last_changed, a.deleted";

/// The union the listing pages over: database assets, files outside datasets, datasets.
/// Columns: kind, id, qname, t, c, s, cid, del.
const UNION: &str = "SELECT 'db' AS kind, a.id AS id, a.qualified_name AS qname, a.asset_type AS t, \
     a.catalog_name AS c, a.schema_name AS s, a.connector_id AS cid, a.deleted AS del FROM assets a \
     UNION ALL SELECT 'file', d.id, d.path, 'file', d.container, d.folder, cn.id, d.deleted \
     FROM discoveries d LEFT JOIN connections cn ON cn.name = d.source_name WHERE d.dataset_id IS NULL \
     UNION ALL SELECT 'dataset', ds.id, ds.path, 'dataset', ds.container, '', NULL, \
     CASE WHEN EXISTS (SELECT 1 FROM discoveries f WHERE f.dataset_id = ds.id AND f.deleted = FALSE) \
     THEN FALSE ELSE TRUE END FROM datasets ds";

/// Written by every scan that sees a change, in `scanned_args` order.
const SCANNED_COLUMNS: [&str; 11] = [
    "source_name",
    "qualified_name",
    "namespace",
    "technical_json",
    "operational_json",
    "source_comment",
    "columns_json",
    "definition_language",
    "definition_text",
    "schema_hash",
    "fingerprint",
];

/// WHERE clause and binds of an asset listing over [`UNION`] (aliased `u`).
fn asset_filter(q: &AssetQuery) -> (String, Vec<Arg>) {
    let mut conds = Vec::new();
    let mut args = Vec::new();
    if !q.include_deleted {
        conds.push("u.del = FALSE".to_string());
    }
    if let Some(id) = q.connector_id {
        conds.push("u.cid = ?".into());
        args.push(Arg::I64(id));
    }
    for (col, v) in [("c", &q.catalog), ("s", &q.schema)] {
        if let Some(v) = v {
            conds.push(format!("u.{col} = ?"));
            args.push(Arg::Str(v.clone()));
        }
    }
    if let Some(t) = q.asset_type {
        conds.push("u.t = ?".into());
        args.push(Arg::Str(t.as_str().into()));
    }
    // Every word, as a case-insensitive substring of the qualified name. LIKE wildcards in
    // the words are escaped so `%` and `_` match themselves (with `!`: a backslash means
    // different things in MySQL and standard string literals).
    for word in q.search.as_deref().unwrap_or_default().split_whitespace().take(10) {
        let escaped = word
            .to_lowercase()
            .replace('!', "!!")
            .replace('%', "!%")
            .replace('_', "!_");
        conds.push("lower(u.qname) LIKE ? ESCAPE '!'".into());
        args.push(Arg::Str(format!("%{escaped}%")));
    }
    let where_sql = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    (where_sql, args)
}

macro_rules! impl_asset_store {
    ($db:ty) => {
        impl SqlStore<$db> {
            fn asset(row: &<$db as Database>::Row) -> Result<torro_model::Asset> {
                use sqlx::Row;
                let s = |c: &str| -> Result<String> { Ok(row.try_get::<String, _>(c)?) };
                let json = |c: &str| -> Result<serde_json::Value> {
                    serde_json::from_str(&s(c)?).map_err(|e| corrupt(c, e))
                };
                let id: i64 = row.try_get("id")?;
                let namespace = s("namespace")?;
                let qualified_name = s("qualified_name")?;
                let definition = match (
                    row.try_get::<Option<String>, _>("definition_language")?,
                    row.try_get::<Option<String>, _>("definition_text")?,
                ) {
                    (Some(language), Some(text)) => Some(torro_model::AssetDefinition { language, text }),
                    _ => None,
                };
                Ok(torro_model::Asset {
                    id: format!("db-{id}"),
                    asset_type: parse("asset_type", &s("asset_type")?)?,
                    name: s("name")?,
                    catalog: s("catalog_name")?,
                    schema: s("schema_name")?,
                    urn: format!("{namespace}/{qualified_name}"),
                    qualified_name,
                    connector_id: row.try_get("connector_id")?,
                    source_name: s("source_name")?,
                    discovered_at: Self::ts(row, "discovered_at")?,
                    last_seen: Self::ts(row, "last_seen")?,
                    last_changed: Self::ts(row, "last_changed")?,
                    deleted: row.try_get("deleted")?,
                    technical_metadata: json("technical_json")?,
                    operational_metadata: json("operational_json")?,
                    business_metadata: serde_json::from_str(&s("business_json")?)
                        .map_err(|e| corrupt("business_json", e))?,
                    source_comment: row.try_get("source_comment")?,
                    columns: serde_json::from_str(&s("columns_json")?).map_err(|e| corrupt("columns_json", e))?,
                    definition,
                    schema_hash: row.try_get("schema_hash")?,
                })
            }

            async fn db_assets(&self, ids: &[i64]) -> Result<Vec<torro_model::Asset>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let rows = Self::query(
                    &format!("SELECT {ASSET_COLUMNS} FROM assets a WHERE a.id IN ({})", placeholders(ids.len())),
                    ids.iter().map(|id| Arg::I64(*id)).collect(),
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::asset).collect()
            }

            /// The connection id of each discovery's source name (files carry names, not ids).
            async fn connector_of(&self, source_name: &str) -> Result<Option<i64>> {
                use sqlx::Row;
                let row = Self::query("SELECT id FROM connections WHERE name = ?", vec![Arg::Str(source_name.into())])
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.try_get::<i64, _>("id")).transpose()?)
            }

            /// Appends a schema version when `hash` differs from the newest one.
            async fn add_schema_version(
                conn: &mut <$db as Database>::Connection,
                asset_id: i64,
                schema: &Schema,
                scope: &AssetScope,
            ) -> Result<bool> {
                use sqlx::Row;
                let hash = schema.hash();
                let last = Self::query(
                    "SELECT version, schema_hash, schema_json FROM asset_schema_versions WHERE asset_id = ? \
                     ORDER BY version DESC LIMIT 1",
                    vec![Arg::I64(asset_id)],
                )
                .fetch_optional(&mut *conn)
                .await?;
                let (version, diff) = match &last {
                    None => (1, None),
                    Some(r) => {
                        if r.try_get::<String, _>("schema_hash")? == hash {
                            return Ok(false);
                        }
                        let old: Schema = serde_json::from_str(&r.try_get::<String, _>("schema_json")?)
                            .map_err(|e| corrupt("schema_json", e))?;
                        let diff = serde_json::to_string(&SchemaDiff::between(&old, schema))
                            .map_err(|e| corrupt("diff", e))?;
                        (r.try_get::<i64, _>("version")? + 1, Some(diff))
                    }
                };
                Self::query(
                    "INSERT INTO asset_schema_versions (asset_id, version, schema_hash, schema_json, diff_json, \
                     observed_at, scan_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    vec![
                        Arg::I64(asset_id),
                        Arg::I64(version),
                        Arg::Str(hash),
                        Arg::Str(serde_json::to_string(schema).map_err(|e| corrupt("schema", e))?),
                        Arg::OptStr(diff),
                        Arg::Ts(scope.seen_at),
                        Arg::OptI64(scope.scan_id),
                    ],
                )
                .execute(&mut *conn)
                .await?;
                Ok(last.is_some())
            }

            /// The scanned values of `o`, in `SCANNED_COLUMNS` order.
            fn scanned_args(o: &ObservedAsset, scope: &AssetScope) -> Result<Vec<Arg>> {
                let js = |v: &serde_json::Value| v.to_string();
                let schema_hash = o.asset_type.has_columns().then(|| o.schema().hash());
                Ok(vec![
                    Arg::Str(scope.source_name.clone()),
                    Arg::Str(o.qualified_name()),
                    Arg::Str(scope.namespace.clone()),
                    Arg::Str(js(&o.technical_metadata)),
                    Arg::Str(js(&o.operational_metadata)),
                    Arg::OptStr(o.comment.clone()),
                    Arg::Str(serde_json::to_string(&o.columns).map_err(|e| corrupt("columns", e))?),
                    Arg::OptStr(o.definition.as_ref().map(|d| d.language.clone())),
                    Arg::OptStr(o.definition.as_ref().map(|d| d.text.clone())),
                    Arg::OptStr(schema_hash),
                    Arg::Str(o.fingerprint()),
                ])
            }
        }

        #[async_trait::async_trait]
        impl AssetStore for SqlStore<$db> {
            async fn upsert_assets(
                &self,
                scope: &AssetScope,
                batch: &[ObservedAsset],
            ) -> Result<Vec<(i64, AssetOutcome)>> {
                use sqlx::Row;
                let mut out = Vec::with_capacity(batch.len());
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                for o in batch {
                    let key = asset_key(scope.connector_id, o);
                    let existing = Self::query(
                        &format!(
                            "SELECT id, fingerprint, deleted FROM assets WHERE asset_key = ?{}",
                            <$db as Dialect>::FOR_UPDATE
                        ),
                        vec![Arg::Str(key.clone())],
                    )
                    .fetch_optional(&mut *tx)
                    .await?;
                    let scanned = Self::scanned_args(o, scope)?;
                    let outcome = match existing {
                        None => {
                            let mut cols = vec![
                                "asset_key",
                                "connector_id",
                                "asset_type",
                                "catalog_name",
                                "schema_name",
                                "name",
                                "business_json",
                                "discovered_at",
                                "last_seen",
                                "last_changed",
                                "last_scan_id",
                            ];
                            cols.extend(SCANNED_COLUMNS);
                            let mut args = vec![
                                Arg::Str(key),
                                Arg::I64(scope.connector_id),
                                Arg::Str(o.asset_type.as_str().into()),
                                Arg::Str(o.catalog.clone()),
                                Arg::Str(o.schema.clone()),
                                Arg::Str(o.name.clone()),
                                Arg::Str("{}".into()),
                                Arg::Ts(scope.seen_at),
                                Arg::Ts(scope.seen_at),
                                Arg::Ts(scope.seen_at),
                                Arg::OptI64(scope.scan_id),
                            ];
                            args.extend(scanned);
                            let id = Self::insert_id(
                                &mut *tx,
                                &format!(
                                    "INSERT INTO assets ({}) VALUES ({})",
                                    cols.join(", "),
                                    placeholders(cols.len())
                                ),
                                args,
                            )
                            .await?;
                            if o.asset_type.has_columns() {
                                Self::add_schema_version(&mut *tx, id, &o.schema(), scope).await?;
                            }
                            (id, AssetOutcome::New)
                        }
                        Some(row) => {
                            let id: i64 = row.try_get("id")?;
                            let deleted: bool = row.try_get("deleted")?;
                            if !deleted && row.try_get::<String, _>("fingerprint")? == o.fingerprint() {
                                Self::query(
                                    "UPDATE assets SET last_seen = ?, last_scan_id = ? WHERE id = ?",
                                    vec![Arg::Ts(scope.seen_at), Arg::OptI64(scope.scan_id), Arg::I64(id)],
                                )
                                .execute(&mut *tx)
                                .await?;
                                (id, AssetOutcome::Unchanged)
                            } else {
                                let sets: Vec<String> = SCANNED_COLUMNS.iter().map(|c| format!("{c} = ?")).collect();
                                let mut args = scanned;
                                args.extend([
                                    Arg::Ts(scope.seen_at),
                                    Arg::Ts(scope.seen_at),
                                    Arg::OptI64(scope.scan_id),
                                    Arg::I64(id),
                                ]);
                                Self::query(
                                    &format!(
                                        "UPDATE assets SET {}, last_seen = ?, last_changed = ?, last_scan_id = ?, \
                                         deleted = FALSE, deleted_at = NULL WHERE id = ?",
                                        sets.join(", ")
                                    ),
                                    args,
                                )
                                .execute(&mut *tx)
                                .await?;
                                let schema_changed = o.asset_type.has_columns()
                                    && Self::add_schema_version(&mut *tx, id, &o.schema(), scope).await?;
                                (id, AssetOutcome::Changed { schema_changed })
                            }
                        }
                    };
                    out.push(outcome);
                }
                tx.commit().await?;
                Ok(out)
            }

            async fn live_asset_keys(&self, connector_id: i64) -> Result<Vec<torro_model::AssetKey>> {
                use sqlx::Row;
                let rows = Self::query(
                    "SELECT id, asset_type, catalog_name, schema_name, name FROM assets \
                     WHERE connector_id = ? AND deleted = FALSE",
                    vec![Arg::I64(connector_id)],
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(torro_model::AssetKey {
                            id: r.try_get("id")?,
                            asset_type: parse("asset_type", &r.try_get::<String, _>("asset_type")?)?,
                            catalog: r.try_get("catalog_name")?,
                            schema: r.try_get("schema_name")?,
                            name: r.try_get("name")?,
                        })
                    })
                    .collect()
            }

            async fn mark_assets_deleted(
                &self,
                scan_id: Option<i64>,
                ids: &[i64],
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64> {
                let mut n = 0;
                for chunk in ids.chunks(<$db as Dialect>::MAX_IN_LIST.min(5_000)) {
                    let mut args = vec![Arg::Ts(at), Arg::Ts(at), Arg::OptI64(scan_id)];
                    args.extend(chunk.iter().map(|id| Arg::I64(*id)));
                    n += Self::query(
                        &format!(
                            "UPDATE assets SET deleted = TRUE, deleted_at = ?, last_changed = ?, last_scan_id = ? \
                             WHERE deleted = FALSE AND id IN ({})",
                            placeholders(chunk.len())
                        ),
                        args,
                    )
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                }
                Ok(n)
            }

            async fn list_assets(&self, q: &AssetQuery) -> Result<torro_model::Page<torro_model::Asset>> {
                use sqlx::Row;
                let (where_sql, args) = asset_filter(q);
                let total: i64 = Self::query(
                    &format!("SELECT CAST(COUNT(*) AS {}) FROM ({UNION}) u{where_sql}", <$db as Dialect>::BIGINT),
                    args.clone(),
                )
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
                let (size, offset) = limits(q.page, q.size);
                let mut page_args = args;
                page_args.extend([Arg::I64(size), Arg::I64(offset)]);
                let rows = Self::query(
                    &format!("SELECT u.kind, u.id FROM ({UNION}) u{where_sql} ORDER BY u.qname, u.kind, u.id LIMIT ? OFFSET ?"),
                    page_args,
                )
                .fetch_all(&self.pool)
                .await?;
                let mut items = Vec::with_capacity(rows.len());
                let keys: Vec<(String, i64)> = rows
                    .iter()
                    .map(|r| Ok((r.try_get::<String, _>("kind")?, r.try_get::<i64, _>("id")?)))
                    .collect::<Result<_>>()?;
                let db_ids: Vec<i64> = keys.iter().filter(|(k, _)| k == "db").map(|(_, id)| *id).collect();
                let mut db = self.db_assets(&db_ids).await?;
                for (kind, id) in keys {
                    let asset = match kind.as_str() {
                        "db" => {
                            let i = db.iter().position(|a| a.id == format!("db-{id}"));
                            i.map(|i| db.swap_remove(i))
                        }
                        "file" => self.get_asset(&format!("file-{id}")).await?,
                        _ => self.get_asset(&format!("dataset-{id}")).await?,
                    };
                    items.extend(asset);
                }
                Ok(torro_model::Page {
                    items,
                    page: q.page,
                    size: size as u32,
                    total,
                })
            }

            async fn get_asset(&self, id: &str) -> Result<Option<torro_model::Asset>> {
                let Some((kind, n)) = torro_model::parse_asset_id(id) else {
                    return Ok(None);
                };
                Ok(match kind {
                    AssetIdKind::Database => self.db_assets(&[n]).await?.pop(),
                    AssetIdKind::File => match crate::CatalogStore::get_discovery(self, n).await? {
                        Some(d) => Some(file_asset(&d, self.connector_of(&d.labels.source_name).await?)),
                        None => None,
                    },
                    AssetIdKind::Dataset => crate::CatalogStore::get_dataset(self, n).await?.as_ref().map(dataset_asset),
                })
            }

            async fn patch_asset(&self, id: i64, patch: &AssetPatch, actor: &torro_model::Actor) -> Result<torro_model::Asset> {
                use sqlx::Row;
                let mut tx = self.pool.begin_with(<$db as Dialect>::BEGIN_WRITE).await?;
                let row = Self::query(
                    &format!("SELECT business_json FROM assets WHERE id = ?{}", <$db as Dialect>::FOR_UPDATE),
                    vec![Arg::I64(id)],
                )
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| CatalogError::NotFound(format!("asset db-{id}")))?;
                let before: torro_model::BusinessMetadata =
                    serde_json::from_str(&row.try_get::<String, _>("business_json")?)
                        .map_err(|e| corrupt("business_json", e))?;
                let after = patch.apply(&before);
                let to_json = |b: &torro_model::BusinessMetadata| serde_json::to_string(b).map_err(|e| corrupt("business", e));
                Self::query(
                    "UPDATE assets SET business_json = ? WHERE id = ?",
                    vec![Arg::Str(to_json(&after)?), Arg::I64(id)],
                )
                .execute(&mut *tx)
                .await?;
                let to_value = |b: &torro_model::BusinessMetadata| serde_json::to_value(b).map_err(|e| corrupt("business", e));
                Self::insert_audit(
                    &mut *tx,
                    AuditRow {
                        entity_type: "asset",
                        entity_id: id,
                        action: "update_business_metadata",
                        actor,
                        at: now(),
                        before: Some(to_value(&before)?),
                        after: Some(to_value(&after)?),
                        comment: patch.comment.clone(),
                    },
                )
                .await?;
                tx.commit().await?;
                self.db_assets(&[id]).await?.pop().ok_or_else(|| CatalogError::NotFound(format!("asset db-{id}")))
            }

            async fn asset_schema_history(&self, id: i64) -> Result<Vec<torro_model::AssetSchemaVersion>> {
                use sqlx::Row;
                let rows = Self::query(
                    "SELECT version, schema_hash, schema_json, diff_json, observed_at, scan_id \
                     FROM asset_schema_versions WHERE asset_id = ? ORDER BY version ASC",
                    vec![Arg::I64(id)],
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(torro_model::AssetSchemaVersion {
                            version: r.try_get("version")?,
                            schema_hash: r.try_get("schema_hash")?,
                            schema: serde_json::from_str(&r.try_get::<String, _>("schema_json")?)
                                .map_err(|e| corrupt("schema_json", e))?,
                            diff: r
                                .try_get::<Option<String>, _>("diff_json")?
                                .map(|j| serde_json::from_str(&j).map_err(|e| corrupt("diff_json", e)))
                                .transpose()?,
                            observed_at: Self::ts(r, "observed_at")?,
                            scan_id: r.try_get("scan_id")?,
                        })
                    })
                    .collect()
            }
        }
    };
}

mod sqlite {
    use super::*;
    impl_asset_store!(sqlx::Sqlite);
}
mod postgres {
    use super::*;
    impl_asset_store!(sqlx::Postgres);
}
mod mysql {
    use super::*;
    impl_asset_store!(sqlx::MySql);
}
