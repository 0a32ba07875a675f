//! dbt artifacts: `target/manifest.json` (models, sources, seeds, snapshots, tests, their
//! descriptions, columns, dependencies and compiled SQL) and `target/catalog.json` (the
//! columns and types dbt read from the warehouse). Only the fields Torro uses are modelled;
//! every other field is ignored, so manifests of any schema version (v7 to v12) read.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Manifest {
    #[serde(default)]
    pub metadata: ManifestMetadata,
    #[serde(default)]
    pub nodes: BTreeMap<String, Node>,
    #[serde(default)]
    pub sources: BTreeMap<String, Node>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ManifestMetadata {
    #[serde(default)]
    pub dbt_schema_version: Option<String>,
    #[serde(default)]
    pub dbt_version: Option<String>,
    #[serde(default)]
    pub project_name: Option<String>,
    #[serde(default)]
    pub adapter_type: Option<String>,
    #[serde(default)]
    pub invocation_id: Option<String>,
}

/// A model, seed, snapshot, test or source.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Node {
    pub unique_id: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub package_name: String,
    #[serde(default)]
    pub database: Option<String>,
    #[serde(default)]
    pub schema: Option<String>,
    /// The relation's name when it differs from `name`.
    #[serde(default)]
    pub alias: Option<String>,
    /// Sources: the table's name.
    #[serde(default)]
    pub identifier: Option<String>,
    #[serde(default)]
    pub relation_name: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub columns: BTreeMap<String, Column>,
    #[serde(default)]
    pub depends_on: DependsOn,
    /// dbt >= 1.3; `compiled_sql` before.
    #[serde(default, alias = "compiled_sql")]
    pub compiled_code: Option<String>,
    #[serde(default, alias = "raw_sql")]
    pub raw_code: Option<String>,
    #[serde(default)]
    pub original_file_path: String,
    #[serde(default)]
    pub config: NodeConfig,
    /// Tests: the column they test.
    #[serde(default)]
    pub column_name: Option<String>,
    /// Generic tests: their name and arguments.
    #[serde(default)]
    pub test_metadata: Option<TestMetadata>,
    /// Tests: the node they test.
    #[serde(default)]
    pub attached_node: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Column {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub data_type: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct DependsOn {
    #[serde(default)]
    pub nodes: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct NodeConfig {
    #[serde(default)]
    pub materialized: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TestMetadata {
    #[serde(default)]
    pub name: String,
}

/// `catalog.json`: what dbt read from the warehouse.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Catalog {
    #[serde(default)]
    pub nodes: BTreeMap<String, CatalogTable>,
    #[serde(default)]
    pub sources: BTreeMap<String, CatalogTable>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CatalogTable {
    #[serde(default)]
    pub metadata: CatalogTableMetadata,
    #[serde(default)]
    pub columns: BTreeMap<String, CatalogColumn>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CatalogTableMetadata {
    #[serde(rename = "type", default)]
    pub table_type: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CatalogColumn {
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub data_type: Option<String>,
    #[serde(default)]
    pub index: Option<i64>,
}

/// A manifest or catalog that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{file} is not a dbt artifact Torro can read: {source}")]
pub struct ArtifactError {
    pub file: String,
    #[source]
    pub source: serde_json::Error,
}

impl Manifest {
    pub fn from_json(text: &str) -> Result<Self, ArtifactError> {
        serde_json::from_str(text).map_err(|source| ArtifactError {
            file: "manifest.json".into(),
            source,
        })
    }

    /// Models, seeds and snapshots: the nodes that are relations in the warehouse.
    pub fn relations(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values().filter(|n| n.is_relation())
    }

    pub fn tests(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values().filter(|n| n.resource_type == "test")
    }

    /// A node or source by unique id.
    pub fn get(&self, unique_id: &str) -> Option<&Node> {
        self.nodes.get(unique_id).or_else(|| self.sources.get(unique_id))
    }
}

impl Catalog {
    pub fn from_json(text: &str) -> Result<Self, ArtifactError> {
        serde_json::from_str(text).map_err(|source| ArtifactError {
            file: "catalog.json".into(),
            source,
        })
    }

    pub fn get(&self, unique_id: &str) -> Option<&CatalogTable> {
        self.nodes.get(unique_id).or_else(|| self.sources.get(unique_id))
    }
}

impl Node {
    pub fn is_relation(&self) -> bool {
        matches!(self.resource_type.as_str(), "model" | "seed" | "snapshot" | "source")
            && self.config.materialized.as_deref() != Some("ephemeral")
    }

    /// `database.schema.table` lower-cased without quotes: the name lineage uses.
    pub fn qualified_name(&self) -> String {
        let table = self
            .alias
            .as_deref()
            .or(self.identifier.as_deref())
            .unwrap_or(&self.name);
        [self.database.as_deref(), self.schema.as_deref(), Some(table)]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .map(|p| p.trim_matches('"').to_lowercase())
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_models_sources_tests_and_names_relations() {
        let m = Manifest::from_json(
            r#"{"metadata": {"project_name": "shop", "adapter_type": "postgres"},
                "nodes": {
                  "model.shop.orders": {"unique_id": "model.shop.orders", "resource_type": "model", "name": "orders",
                    "database": "Shop", "schema": "mart", "alias": "orders_v2", "description": "Orders",
                    "columns": {"id": {"name": "id", "description": "key"}},
                    "depends_on": {"nodes": ["source.shop.raw.orders"]},
                    "compiled_sql": "select id from \"shop\".\"raw\".\"orders\"", "config": {"materialized": "table"}},
                  "model.shop.tmp": {"unique_id": "model.shop.tmp", "resource_type": "model", "name": "tmp",
                    "config": {"materialized": "ephemeral"}},
                  "test.shop.unique_orders_id": {"unique_id": "test.shop.unique_orders_id", "resource_type": "test",
                    "name": "unique_orders_id", "column_name": "id", "test_metadata": {"name": "unique"},
                    "attached_node": "model.shop.orders"}},
                "sources": {"source.shop.raw.orders": {"unique_id": "source.shop.raw.orders", "resource_type": "source",
                    "name": "orders", "identifier": "orders_raw", "database": "shop", "schema": "raw"}},
                "unknown_field": 1}"#,
        )
        .unwrap();
        let relations: Vec<&str> = m.relations().map(|n| n.unique_id.as_str()).collect();
        assert_eq!(relations, ["model.shop.orders"], "ephemeral models are no relations");
        let orders = m.get("model.shop.orders").unwrap();
        assert_eq!(orders.qualified_name(), "shop.mart.orders_v2");
        assert_eq!(
            orders.compiled_code.as_deref(),
            Some("select id from \"shop\".\"raw\".\"orders\"")
        );
        assert_eq!(
            m.get("source.shop.raw.orders").unwrap().qualified_name(),
            "shop.raw.orders_raw"
        );
        assert_eq!(m.tests().count(), 1);
        assert!(
            Manifest::from_json(r#"{"nodes": []}"#)
                .unwrap_err()
                .to_string()
                .contains("manifest.json")
        );
    }
}
