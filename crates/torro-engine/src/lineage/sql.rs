//! Lineage from SQL: [`torro_lineage::analyze`] names tables (`schema.table`) and columns;
//! here they become dataset URNs in one namespace (`postgres://host:5432`, DESIGN.md
//! section 4) and edges, and are optionally stored as a process.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::{Deserialize, Serialize};
use torro_lineage::{AnalyzeOptions, ScriptLineage, SqlDialect, analyze};
use torro_model::Actor;
use torro_model::lineage::{
    ChangeContext, ColumnMapping, EdgeInput, LineageOrigin, ProcessInput, ProcessWrite, Transformation, WriteSummary,
    lineage_urn, split_urn,
};

use super::{Lineage, context};
use crate::EngineError;

/// `POST /api/lineage/sql`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SqlRequest {
    pub sql: String,
    #[serde(default)]
    pub dialect: SqlDialect,
    #[serde(default)]
    pub default_database: Option<String>,
    #[serde(default)]
    pub default_schema: Option<String>,
    /// The namespace of the tables (`postgres://host:5432`); needed to store.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Store the result as this process (its URN); `None` only parses.
    #[serde(default)]
    pub process_urn: Option<String>,
    #[serde(default)]
    pub process_name: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SqlOutcome {
    pub lineage: ScriptLineage,
    /// The edges between dataset URNs (when a namespace was given).
    pub edges: Vec<EdgeInput>,
    /// What storing changed, when asked to store.
    pub stored: Option<WriteSummary>,
}

/// `schema.table.column` → (`schema.table`, `column`).
fn split_column(qualified: &str) -> Option<(&str, &str)> {
    qualified
        .rsplit_once('.')
        .filter(|(t, c)| !t.is_empty() && !c.is_empty())
}

/// The table edges of a script, with temporary tables (intermediates) collapsed: a chain
/// `a -> tmp -> b` becomes `a -> b`. Column lineage (already collapsed by the analyser)
/// is attached to the edge of its tables. Tables become URNs under `namespace`.
pub fn script_edges(lineage: &ScriptLineage, namespace: &str) -> Vec<EdgeInput> {
    let intermediates: HashSet<&str> = lineage.intermediates.iter().map(String::as_str).collect();
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for s in &lineage.statements {
        for r in s.sources.iter().chain(&s.intermediates) {
            for w in &s.targets {
                if r != w {
                    next.entry(r.as_str()).or_default().insert(w.as_str());
                }
            }
        }
    }
    // Every non-intermediate table reaches the non-intermediate tables behind intermediates.
    let mut pairs: BTreeSet<(String, String)> = BTreeSet::new();
    for &start in next.keys() {
        if intermediates.contains(start) {
            continue;
        }
        let mut stack: Vec<&str> = next[start].iter().copied().collect();
        let mut seen: HashSet<&str> = HashSet::new();
        while let Some(t) = stack.pop() {
            if !seen.insert(t) {
                continue;
            }
            if intermediates.contains(t) {
                stack.extend(next.get(t).into_iter().flatten().copied());
            } else if t != start {
                pairs.insert((start.to_string(), t.to_string()));
            }
        }
    }
    let mut columns: BTreeMap<(String, String), Vec<ColumnMapping>> = BTreeMap::new();
    for c in &lineage.column_lineage {
        let (Some((st, sc)), Some((tt, tc))) = (split_column(&c.source), split_column(&c.target)) else {
            continue;
        };
        if st == tt {
            continue;
        }
        pairs.insert((st.to_string(), tt.to_string()));
        columns
            .entry((st.to_string(), tt.to_string()))
            .or_default()
            .push(ColumnMapping {
                source_column: sc.to_string(),
                target_column: tc.to_string(),
                transformation: Transformation::lenient(c.transformation.as_str()),
                expression: c.expression.clone(),
            });
    }
    pairs
        .into_iter()
        .map(|(s, t)| {
            let cols = columns.remove(&(s.clone(), t.clone())).unwrap_or_default();
            EdgeInput {
                columns: cols,
                ..EdgeInput::new(lineage_urn(namespace, &s), lineage_urn(namespace, &t))
            }
        })
        .collect()
}

fn options(dialect: SqlDialect, database: Option<String>, schema: Option<String>) -> AnalyzeOptions {
    AnalyzeOptions {
        dialect,
        default_database: database,
        default_schema: schema,
        ..AnalyzeOptions::default()
    }
}

impl Lineage {
    /// Parses SQL; with a namespace, maps it to edges; with a process URN too, stores them.
    pub async fn analyze_sql(&self, req: &SqlRequest, actor: &Actor) -> Result<SqlOutcome, EngineError> {
        if req.sql.trim().is_empty() {
            return Err(EngineError::InvalidInput {
                field: "sql".into(),
                message: "give the SQL to analyse".into(),
            });
        }
        let lineage = analyze(
            &req.sql,
            &options(req.dialect, req.default_database.clone(), req.default_schema.clone()),
        );
        let namespace = req.namespace.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let edges = namespace.map(|ns| script_edges(&lineage, ns)).unwrap_or_default();
        let stored = match (&req.process_urn, namespace) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(EngineError::InvalidInput {
                    field: "namespace".into(),
                    message: "storing needs the tables' namespace, e.g. postgres://host:5432".into(),
                });
            }
            (Some(urn), Some(_)) => {
                let write = ProcessWrite {
                    process: ProcessInput {
                        urn: urn.clone(),
                        name: req.process_name.clone().unwrap_or_default(),
                        process_type: "sql".into(),
                        source_system: "torro".into(),
                        definition: Some(req.sql.clone()),
                        ..ProcessInput::default()
                    },
                    datasets: Vec::new(),
                    edges: edges.clone(),
                    replace: true,
                };
                let ctx = context(actor, "torro", LineageOrigin::Sql);
                Some(self.store().write_process(&write, &ctx).await?)
            }
        };
        Ok(SqlOutcome { lineage, edges, stored })
    }

    /// Records the lineage of a database view, materialized view or routine from its
    /// definition: the asset's URN is the process (of `process_type`: `view`, `procedure`...)
    /// and a view's target; edges whose source SQL no longer reads a table are closed. Called
    /// on every scan of a database (the scan passes each definition); unparseable SQL records
    /// nothing and returns the warnings.
    pub async fn record_definition(
        &self,
        asset_urn: &str,
        definition: &str,
        dialect: SqlDialect,
        process_type: &str,
        ctx: &ChangeContext,
    ) -> Result<(ScriptLineage, WriteSummary), EngineError> {
        let (namespace, name) = split_urn(asset_urn);
        let parts: Vec<&str> = name.split('.').collect();
        let (database, schema) = match parts.as_slice() {
            [db, schema, _] => (Some(db.to_string()), Some(schema.to_string())),
            [schema, _] => (None, Some(schema.to_string())),
            _ => (None, None),
        };
        let trimmed = definition.trim_start();
        let head = trimmed.get(..6).unwrap_or(trimmed).to_ascii_lowercase();
        // information_schema gives a view's SELECT only; make it say what it writes.
        let sql = if head.starts_with("select") || head.starts_with("with") || head.starts_with('(') {
            format!("CREATE VIEW {name} AS {trimmed}")
        } else {
            definition.to_string()
        };
        let lineage = analyze(&sql, &options(dialect, database, schema));
        let own = name.to_lowercase();
        // The analyser lower-cases unquoted names, and the defaults it was given (a database
        // named `Shop`, a SQLite file path) with them: give objects beside the asset its
        // spelling back, so their URNs match the catalog's.
        let beside = &asset_urn[..asset_urn.len() - name.len() + name.rfind('.').map_or(0, |i| i + 1)];
        let respell = |urn: &mut String| {
            if urn.len() >= beside.len()
                && urn.is_char_boundary(beside.len())
                && urn[..beside.len()].eq_ignore_ascii_case(beside)
            {
                urn.replace_range(..beside.len(), beside);
            }
        };
        let edges: Vec<EdgeInput> = script_edges(&lineage, &namespace)
            .into_iter()
            .map(|mut e| {
                respell(&mut e.source);
                respell(&mut e.target);
                if split_urn(&e.target).1.to_lowercase() == own {
                    e.target = asset_urn.to_string();
                }
                e
            })
            .filter(|e| e.source != asset_urn)
            .collect();
        if edges.is_empty() && !lineage.warnings.is_empty() {
            // SQL we cannot read must not close the lineage we had.
            return Ok((lineage, WriteSummary::default()));
        }
        let write = ProcessWrite {
            process: ProcessInput {
                urn: asset_urn.to_string(),
                name: name.clone(),
                process_type: process_type.into(),
                source_system: namespace.clone(),
                definition: Some(definition.to_string()),
                ..ProcessInput::default()
            },
            datasets: Vec::new(),
            edges,
            replace: true,
        };
        let summary = self.store().write_process(&write, ctx).await?;
        Ok((lineage, summary))
    }

    /// Closes the edges recorded from the definition of `asset_urn` (the object was dropped).
    pub async fn close_definition(&self, asset_urn: &str, ctx: &ChangeContext) -> Result<WriteSummary, EngineError> {
        let write = ProcessWrite {
            process: ProcessInput {
                urn: asset_urn.to_string(),
                name: split_urn(asset_urn).1,
                ..ProcessInput::default()
            },
            datasets: Vec::new(),
            edges: Vec::new(),
            replace: true,
        };
        Ok(self.store().write_process(&write, ctx).await?)
    }
}
