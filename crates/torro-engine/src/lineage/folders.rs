//! Folder-based lineage: medallion layers (`raw/x` → `staging/x` → `curated/x`) linked by
//! matching names. A guess, so its edges carry a lower confidence and relationship
//! "medallion"; they belong to one process per rule set, so re-running the rules closes
//! links whose files went away.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use torro_model::lineage::{EdgeInput, LineageOrigin, ProcessInput, ProcessWrite, split_urn};
use torro_model::{Actor, Dataset, DiscoveryQuery, SortField, SortOrder};

use super::{Lineage, context};
use crate::EngineError;

/// `[lineage.folders]` rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderRules {
    /// Layer folder names, upstream first.
    #[serde(default = "default_layers")]
    pub layers: Vec<String>,
    /// Confidence of the links (0..1).
    #[serde(default = "default_confidence")]
    pub confidence: f64,
}

fn default_layers() -> Vec<String> {
    ["raw", "bronze", "staging", "silver", "curated", "gold"]
        .into_iter()
        .map(String::from)
        .collect()
}

fn default_confidence() -> f64 {
    0.5
}

impl Default for FolderRules {
    fn default() -> Self {
        FolderRules {
            layers: default_layers(),
            confidence: default_confidence(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct FolderLinkSummary {
    pub candidates: usize,
    pub links: usize,
    pub edges_opened: u64,
    pub edges_closed: u64,
}

/// Where a URN sits in the layers: (layer index, match key). The key is the namespace,
/// the path before the layer folder, and the path after it without the file extension,
/// lower-cased: `s3://lake/raw/orders.csv` and `s3://lake/curated/orders.parquet` share it.
pub fn layer_key(urn: &str, layers: &[String]) -> Option<(usize, String)> {
    let (namespace, name) = split_urn(urn);
    let segments: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
    for (i, seg) in segments.iter().enumerate() {
        let Some(layer) = layers.iter().position(|l| l.eq_ignore_ascii_case(seg)) else {
            continue;
        };
        let rest = &segments[i + 1..];
        let (last, middle) = rest.split_last()?;
        let stem = last.split('.').next().unwrap_or(last);
        let key = format!("{namespace}|{}|{}/{stem}", segments[..i].join("/"), middle.join("/")).to_lowercase();
        return Some((layer, key));
    }
    None
}

/// Links each item to the same-named item in the nearest later layer that has one.
pub fn medallion_edges(urns: &[String], rules: &FolderRules) -> Vec<EdgeInput> {
    let mut by_key: BTreeMap<String, BTreeMap<usize, Vec<&String>>> = BTreeMap::new();
    for urn in urns {
        if let Some((layer, key)) = layer_key(urn, &rules.layers) {
            by_key.entry(key).or_default().entry(layer).or_default().push(urn);
        }
    }
    let mut edges = Vec::new();
    for layers in by_key.values() {
        let ordered: Vec<&Vec<&String>> = layers.values().collect();
        for pair in ordered.windows(2) {
            for source in pair[0] {
                for target in pair[1] {
                    edges.push(EdgeInput {
                        relationship: "medallion".into(),
                        confidence: rules.confidence,
                        metadata: serde_json::json!({"rule": "folder layers", "layers": rules.layers}),
                        ..EdgeInput::new(source.as_str(), target.as_str())
                    });
                }
            }
        }
    }
    edges
}

impl Lineage {
    /// Applies the folder rules to the catalog's logical datasets and the files that belong
    /// to none.
    pub async fn link_folders(&self, rules: &FolderRules, actor: &Actor) -> Result<FolderLinkSummary, EngineError> {
        if rules.layers.len() < 2 {
            return Err(EngineError::InvalidInput {
                field: "layers".into(),
                message: "name at least two layers, upstream first (raw, staging, curated)".into(),
            });
        }
        let mut urns = Vec::new();
        let mut page = 0;
        loop {
            let datasets = self.store.list_datasets(page, 1000, None).await?;
            urns.extend(datasets.items.iter().map(|d| d.urn.clone()));
            if (page as i64 + 1) * 1000 >= datasets.total {
                break;
            }
            page += 1;
        }
        let mut query = DiscoveryQuery {
            size: 1000,
            sort: SortField::Id,
            order: SortOrder::Asc,
            ..DiscoveryQuery::default()
        };
        loop {
            let files = self.store.list_discoveries(&query).await?;
            for d in files.items.iter().filter(|d| d.dataset_id.is_none()) {
                urns.push(Dataset::urn_of(&d.location, &d.path));
            }
            if (query.page as i64 + 1) * 1000 >= files.total {
                break;
            }
            query.page += 1;
        }
        let edges = medallion_edges(&urns, rules);
        let write = ProcessWrite {
            process: ProcessInput {
                urn: format!("torro://folder-rules/{}", rules.layers.join("-")),
                name: format!("folder layers {}", rules.layers.join(" → ")),
                process_type: "folder_rule".into(),
                source_system: "torro".into(),
                ..ProcessInput::default()
            },
            datasets: Vec::new(),
            edges: edges.clone(),
            replace: true,
        };
        let summary = self
            .store()
            .write_process(&write, &context(actor, "torro", LineageOrigin::Folder))
            .await?;
        Ok(FolderLinkSummary {
            candidates: urns.len(),
            links: edges.len(),
            edges_opened: summary.edges_opened,
            edges_closed: summary.edges_closed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_link_by_name_in_order() {
        let urns: Vec<String> = [
            "s3://lake/raw/orders.csv",
            "s3://lake/staging/orders.parquet",
            "s3://lake/curated/orders",
            "s3://lake/raw/customers.csv",
            "s3://lake/curated/customers.parquet",
            "s3://lake/raw/lonely.csv",
            "s3://other/curated/orders.parquet",
            "file://host/data/raw/x/sales.csv",
            "file://host/data/gold/x/sales.csv",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let mut pairs: Vec<(String, String)> = medallion_edges(&urns, &FolderRules::default())
            .into_iter()
            .map(|e| {
                assert_eq!((e.relationship.as_str(), e.confidence), ("medallion", 0.5));
                (e.source, e.target)
            })
            .collect();
        pairs.sort();
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            pairs,
            [
                p("file://host/data/raw/x/sales.csv", "file://host/data/gold/x/sales.csv"),
                p("s3://lake/raw/customers.csv", "s3://lake/curated/customers.parquet"),
                p("s3://lake/raw/orders.csv", "s3://lake/staging/orders.parquet"),
                p("s3://lake/staging/orders.parquet", "s3://lake/curated/orders"),
            ],
            "nearest later layer; other buckets and lone names stay unlinked"
        );
    }

    #[test]
    fn rules_read_from_toml_with_defaults() {
        let r: FolderRules = toml::from_str("layers = [\"landing\", \"clean\"]").unwrap();
        assert_eq!((r.layers.len(), r.confidence), (2, 0.5));
        assert!(toml::from_str::<FolderRules>("layer = []").is_err(), "typos are errors");
    }
}
