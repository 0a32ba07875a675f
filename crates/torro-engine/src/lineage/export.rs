//! A lineage graph as OpenLineage events, Graphviz DOT or Mermaid.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Map, Value, json};
use torro_lineage::openlineage::{Dataset, Job, RUN_EVENT_SCHEMA, Run, RunEvent, TORRO_PRODUCER};
use torro_model::lineage::{LineageEdge, LineageGraph, split_urn};

/// Job of the edges no process produces (drawn by hand).
const MANUAL_JOB: &str = "torro://manual/edges";

/// Edges grouped by the process that produces them.
fn by_process(graph: &LineageGraph) -> BTreeMap<String, Vec<&LineageEdge>> {
    let mut out: BTreeMap<String, Vec<&LineageEdge>> = BTreeMap::new();
    for e in &graph.edges {
        out.entry(e.process.clone().unwrap_or_else(|| MANUAL_JOB.to_string()))
            .or_default()
            .push(e);
    }
    out
}

/// One COMPLETE RunEvent per process: its inputs, outputs and a `columnLineage` facet per
/// output. Run ids are derived from the process URN so an export is reproducible.
pub fn to_openlineage(graph: &LineageGraph) -> Vec<RunEvent> {
    let mut events = Vec::new();
    for (process, edges) in by_process(graph) {
        let (job_ns, job_name) = split_urn(&process);
        let mut inputs: BTreeMap<String, Dataset> = BTreeMap::new();
        let mut outputs: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        let mut valid_from = None;
        for e in &edges {
            let (ns, name) = split_urn(&e.source);
            inputs
                .entry(e.source.clone())
                .or_insert_with(|| Dataset::new(ns.clone(), name));
            let fields = outputs.entry(e.target.clone()).or_default();
            for c in &e.columns {
                let entry = fields
                    .entry(c.target_column.clone())
                    .or_insert_with(|| json!({"inputFields": []}));
                if let Some(list) = entry["inputFields"].as_array_mut() {
                    let (sns, sname) = split_urn(&e.source);
                    list.push(json!({
                        "namespace": sns, "name": sname, "field": c.source_column,
                        "transformations": [{"type": "DIRECT", "subtype": c.transformation.as_str().to_ascii_uppercase(),
                                             "description": c.expression.clone().unwrap_or_default()}],
                    }));
                }
            }
            valid_from = valid_from.max(Some(e.valid_from));
        }
        let outputs = outputs
            .into_iter()
            .map(|(urn, fields)| {
                let (ns, name) = split_urn(&urn);
                let mut d = Dataset::new(ns, name);
                if !fields.is_empty() {
                    d.facets.insert(
                        "columnLineage".into(),
                        json!({"_producer": TORRO_PRODUCER,
                               "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
                               "fields": fields}),
                    );
                }
                d
            })
            .collect();
        let definition = graph
            .processes
            .iter()
            .find(|p| p.urn == process)
            .and_then(|p| p.definition.clone());
        let mut job_facets = Map::new();
        if let Some(sql) = definition {
            job_facets.insert(
                "sql".into(),
                json!({"_producer": TORRO_PRODUCER,
                       "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json", "query": sql}),
            );
        }
        events.push(RunEvent {
            event_type: Some("COMPLETE".into()),
            event_time: valid_from
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default(),
            run: Some(Run {
                run_id: stable_uuid(&process),
                facets: Map::new(),
            }),
            job: Some(Job {
                namespace: job_ns,
                name: job_name,
                facets: job_facets,
            }),
            inputs: inputs.into_values().collect(),
            outputs,
            dataset: None,
            producer: TORRO_PRODUCER.into(),
            schema_url: Some(RUN_EVENT_SCHEMA.into()),
        });
    }
    events
}

/// A UUID-shaped id derived from `text` (FNV-1a; not random, so exports are reproducible).
fn stable_uuid(text: &str) -> String {
    let mut a: u64 = 0xcbf29ce484222325;
    let mut b: u64 = 0x84222325cbf29ce4;
    for byte in text.bytes() {
        a = (a ^ byte as u64).wrapping_mul(0x100000001b3);
        b = (b ^ byte as u64).wrapping_mul(0x100000001b3).rotate_left(7);
    }
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Quotes a DOT string.
fn dot_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn to_dot(graph: &LineageGraph) -> String {
    let mut out = String::from("digraph lineage {\n  rankdir=LR;\n  node [shape=box];\n");
    for n in &graph.nodes {
        let style = if n.urn == graph.root { ", style=bold" } else { "" };
        let _ = writeln!(out, "  {} [label={}{style}];", dot_str(&n.urn), dot_str(&n.name));
    }
    for e in &graph.edges {
        let mut label = e.relationship.clone();
        if !e.columns.is_empty() {
            let cols: Vec<String> = e
                .columns
                .iter()
                .map(|c| format!("{} → {}", c.source_column, c.target_column))
                .collect();
            label = format!("{label}\\n{}", cols.join("\\n").replace('"', "'"));
        }
        let dashed = if e.confidence < 1.0 { ", style=dashed" } else { "" };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\"{dashed}];",
            dot_str(&e.source),
            dot_str(&e.target),
            label.replace('"', "'")
        );
    }
    out.push_str("}\n");
    out
}

/// Mermaid node text: no quotes or brackets inside.
fn mermaid_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if matches!(c, '"' | '[' | ']' | '(' | ')' | '{' | '}' | '|' | '<' | '>') {
                '_'
            } else {
                c
            }
        })
        .collect()
}

pub fn to_mermaid(graph: &LineageGraph) -> String {
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut out = String::from("flowchart LR\n");
    for (i, n) in graph.nodes.iter().enumerate() {
        let id = format!("n{i}");
        let _ = writeln!(out, "  {id}[\"{}\"]", mermaid_text(&n.name));
        ids.insert(&n.urn, id);
    }
    for e in &graph.edges {
        let (Some(s), Some(t)) = (ids.get(e.source.as_str()), ids.get(e.target.as_str())) else {
            continue;
        };
        let arrow = if e.confidence < 1.0 { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {s} {arrow}|{}| {t}", mermaid_text(&e.relationship));
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use torro_model::lineage::{ColumnMapping, GraphNode, LineageOrigin, Transformation};

    use super::*;

    fn graph() -> LineageGraph {
        let node = |urn: &str, depth| {
            let (namespace, name) = split_urn(urn);
            GraphNode {
                id: 0,
                urn: urn.into(),
                namespace,
                name,
                depth,
                columns: vec![],
                discovery_id: None,
                dataset_id: None,
            }
        };
        let edge = |s: &str, t: &str, process: Option<&str>, confidence| LineageEdge {
            id: 1,
            source: s.into(),
            target: t.into(),
            process: process.map(str::to_string),
            relationship: "derives".into(),
            origin: LineageOrigin::Api,
            confidence,
            metadata: Value::Null,
            columns: vec![ColumnMapping {
                source_column: "amount".into(),
                target_column: "total".into(),
                transformation: Transformation::Aggregation,
                expression: Some("SUM(amount)".into()),
            }],
            valid_from: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            valid_to: None,
            source_id: 0,
            target_id: 0,
        };
        LineageGraph {
            root: "s3://lake/raw/a\"x".into(),
            nodes: vec![node("s3://lake/raw/a\"x", 0), node("postgres://db:5432/shop.mart.b", 1)],
            edges: vec![
                edge(
                    "s3://lake/raw/a\"x",
                    "postgres://db:5432/shop.mart.b",
                    Some("airflow://prod/load"),
                    1.0,
                ),
                edge("s3://lake/raw/a\"x", "postgres://db:5432/shop.mart.b", None, 0.5),
            ],
            processes: vec![],
            truncated: false,
        }
    }

    #[test]
    fn openlineage_export_reads_back_with_column_lineage() {
        let events = to_openlineage(&graph());
        assert_eq!(
            events.len(),
            2,
            "one event per process, manual edges under their own job"
        );
        let load = events.iter().find(|e| e.job.as_ref().unwrap().name == "load").unwrap();
        let json = serde_json::to_string(load).unwrap();
        let back: RunEvent = serde_json::from_str(&json).unwrap();
        let links = back.outputs[0].column_links();
        assert_eq!(
            (
                links[0].input_field.as_str(),
                links[0].output_field.as_str(),
                links[0].transformation.as_str()
            ),
            ("amount", "total", "AGGREGATION")
        );
        assert_eq!(back.inputs[0].namespace, "s3://lake");
        assert_eq!(back.event_time, "2023-11-14T22:13:20.000Z");
        assert_eq!(to_openlineage(&graph()), events, "reproducible");
    }

    #[test]
    fn dot_and_mermaid_escape_names() {
        let dot = to_dot(&graph());
        assert!(dot.starts_with("digraph lineage {"));
        assert!(
            dot.contains("\"s3://lake/raw/a\\\"x\" -> \"postgres://db:5432/shop.mart.b\""),
            "{dot}"
        );
        assert!(dot.contains("style=dashed"), "lower confidence is dashed");
        let mermaid = to_mermaid(&graph());
        assert!(mermaid.starts_with("flowchart LR\n"));
        assert!(mermaid.contains("n0[\"raw/a_x\"]"), "{mermaid}");
        assert!(mermaid.contains("n0 -->|derives| n1") && mermaid.contains("n0 -.->|derives| n1"));
    }
}
