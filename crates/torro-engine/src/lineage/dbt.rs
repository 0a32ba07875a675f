//! dbt import: every model, seed, snapshot and source of `manifest.json` becomes a dataset
//! (description, columns with descriptions and types from `catalog.json`, tests); every
//! model and snapshot a process (its compiled SQL the definition) with edges from the nodes
//! it depends on; column lineage comes from analysing the compiled SQL. Re-importing
//! closes edges a model no longer has.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Value, json};
use torro_lineage::dbt::{Catalog, Manifest, Node};
use torro_lineage::{AnalyzeOptions, SqlDialect, analyze};
use torro_model::lineage::{
    ColumnMapping, DatasetRef, EdgeInput, LineageOrigin, ProcessInput, ProcessWrite, Transformation, lineage_urn,
};

use super::{Lineage, context};
use crate::EngineError;

#[derive(Clone, Debug, Default)]
pub struct DbtImportOptions {
    /// The warehouse's namespace (`postgres://host:5432`), so dbt's tables land on the
    /// database assets Torro scanned; `dbt://{project}` when not given.
    pub namespace: Option<String>,
    pub actor: torro_model::Actor,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct DbtImport {
    pub project: String,
    pub namespace: String,
    pub datasets: usize,
    pub models: usize,
    pub tests: usize,
    pub edges_opened: u64,
    pub edges_closed: u64,
    pub column_mappings: usize,
    /// Models whose compiled SQL could not be analysed fully (their table lineage from
    /// `depends_on` is still recorded).
    pub warnings: Vec<String>,
}

fn dialect_of(adapter: Option<&str>) -> SqlDialect {
    adapter.and_then(|a| a.parse().ok()).unwrap_or_default()
}

impl Lineage {
    pub async fn import_dbt(
        &self,
        manifest: &Manifest,
        catalog: Option<&Catalog>,
        opts: &DbtImportOptions,
    ) -> Result<DbtImport, EngineError> {
        let project = manifest
            .metadata
            .project_name
            .clone()
            .unwrap_or_else(|| "dbt".to_string());
        let namespace = opts
            .namespace
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| format!("dbt://{project}"));
        let adapter = manifest.metadata.adapter_type.as_deref();
        let dialect = dialect_of(adapter);
        let ctx = context(&opts.actor, "dbt", LineageOrigin::Dbt);
        let mut out = DbtImport {
            project: project.clone(),
            namespace: namespace.clone(),
            ..DbtImport::default()
        };

        let relations: Vec<&Node> = manifest.relations().chain(manifest.sources.values()).collect();
        let urn_of = |n: &Node| lineage_urn(&namespace, &n.qualified_name());
        let by_name: HashMap<String, String> = relations.iter().map(|n| (n.qualified_name(), urn_of(n))).collect();

        // Tests by the node they test.
        let mut tests: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for t in manifest.tests() {
            out.tests += 1;
            let tested = t
                .attached_node
                .clone()
                .or_else(|| t.depends_on.nodes.iter().find(|d| !d.starts_with("macro.")).cloned());
            if let Some(node) = tested {
                tests.entry(node).or_default().push(json!({
                    "name": t.name,
                    "test": t.test_metadata.as_ref().map(|m| m.name.clone()),
                    "column": t.column_name,
                    "unique_id": t.unique_id,
                }));
            }
        }

        let datasets: Vec<DatasetRef> = relations
            .iter()
            .map(|n| {
                let warehouse = catalog.and_then(|c| c.get(&n.unique_id));
                let mut columns: BTreeMap<String, Value> = BTreeMap::new();
                for c in n.columns.values() {
                    columns.insert(
                        c.name.to_lowercase(),
                        json!({"name": c.name, "description": c.description, "type": c.data_type}),
                    );
                }
                for c in warehouse.map(|w| w.columns.values()).into_iter().flatten() {
                    let entry = columns
                        .entry(c.name.to_lowercase())
                        .or_insert_with(|| json!({"name": c.name, "description": ""}));
                    entry["type"] = json!(c.data_type);
                    entry["index"] = json!(c.index);
                }
                let mut columns: Vec<Value> = columns.into_values().collect();
                columns.sort_by_key(|c| c["index"].as_i64().unwrap_or(i64::MAX));
                DatasetRef {
                    urn: urn_of(n),
                    description: (!n.description.is_empty()).then(|| n.description.clone()),
                    facets: json!({
                        "dbt": {
                            "unique_id": n.unique_id,
                            "resource_type": n.resource_type,
                            "materialized": n.config.materialized,
                            "path": n.original_file_path,
                            "tests": tests.get(&n.unique_id).cloned().unwrap_or_default(),
                            "table_type": warehouse.and_then(|w| w.metadata.table_type.clone()),
                        },
                        "schema": {"fields": columns},
                    }),
                }
            })
            .collect();
        out.datasets = datasets.len();
        self.store().upsert_lineage_datasets(&datasets, &ctx).await?;

        for node in manifest
            .relations()
            .filter(|n| matches!(n.resource_type.as_str(), "model" | "snapshot"))
        {
            out.models += 1;
            let target = urn_of(node);
            let mut edges: BTreeMap<String, EdgeInput> = BTreeMap::new();
            for dep in &node.depends_on.nodes {
                if let Some(parent) = manifest.get(dep).filter(|p| p.is_relation()) {
                    let source = urn_of(parent);
                    edges.insert(source.clone(), EdgeInput::new(source, target.clone()));
                }
            }
            if let Some(sql) = node.compiled_code.as_deref().filter(|s| !s.trim().is_empty()) {
                let own = node.qualified_name();
                let script = format!("CREATE TABLE {own} AS {sql}");
                let lineage = analyze(
                    &script,
                    &AnalyzeOptions {
                        dialect,
                        default_database: node.database.clone(),
                        default_schema: node.schema.clone(),
                        ..AnalyzeOptions::default()
                    },
                );
                for w in &lineage.warnings {
                    out.warnings.push(format!("{}: {}", node.unique_id, w.message));
                }
                for c in &lineage.column_lineage {
                    let (Some((st, sc)), Some((_, tc))) = (c.source.rsplit_once('.'), c.target.rsplit_once('.')) else {
                        continue;
                    };
                    let Some(source) = by_name.get(st) else { continue };
                    if *source == target {
                        continue;
                    }
                    let edge = edges
                        .entry(source.clone())
                        .or_insert_with(|| EdgeInput::new(source.clone(), target.clone()));
                    edge.columns.push(ColumnMapping {
                        source_column: sc.to_string(),
                        target_column: tc.to_string(),
                        transformation: Transformation::lenient(c.transformation.as_str()),
                        expression: c.expression.clone(),
                    });
                    out.column_mappings += 1;
                }
            }
            let write = ProcessWrite {
                process: ProcessInput {
                    urn: format!("dbt://{project}/{}", node.unique_id),
                    name: node.name.clone(),
                    process_type: format!("dbt_{}", node.resource_type),
                    source_system: "dbt".into(),
                    job_id: Some(node.unique_id.clone()),
                    job_name: Some(node.name.clone()),
                    definition: node.compiled_code.clone().or(node.raw_code.clone()),
                    description: (!node.description.is_empty()).then(|| node.description.clone()),
                    // No invocation id: a re-import of the same project must change nothing.
                    facets: json!({"dbt": {"path": node.original_file_path, "materialized": node.config.materialized}}),
                },
                datasets: Vec::new(),
                edges: edges.into_values().collect(),
                replace: true,
            };
            let summary = self.store().write_process(&write, &ctx).await?;
            out.edges_opened += summary.edges_opened;
            out.edges_closed += summary.edges_closed;
        }
        Ok(out)
    }
}
