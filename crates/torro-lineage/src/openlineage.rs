//! The OpenLineage event model (<https://openlineage.io/spec/2-0-2/OpenLineage.json>), as
//! sent by Airflow, Spark, dbt and the `openlineage-python` client: a `RunEvent` names a
//! job, a run, input and output datasets, and facets. Facets are kept as JSON so that
//! nothing a producer sends is lost; the few Torro reads (schema, columnLineage, sql,
//! documentation) have typed accessors.
//!
//! Hand-written with serde: no maintained Rust crate models the spec (the `openlineage`
//! crates on crates.io are unmaintained client stubs).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The producer Torro names in the events it writes (exports).
pub const TORRO_PRODUCER: &str = "https://github.com/torro-data/torro";
pub const RUN_EVENT_SCHEMA: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunEvent {
    /// START, RUNNING, COMPLETE, FAIL, ABORT, OTHER; absent in dataset and job events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    /// ISO 8601 with a time zone.
    pub event_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<Job>,
    #[serde(default)]
    pub inputs: Vec<Dataset>,
    #[serde(default)]
    pub outputs: Vec<Dataset>,
    /// A dataset event (OpenLineage 2) carries one dataset and no run or job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Dataset>,
    #[serde(default)]
    pub producer: String,
    #[serde(rename = "schemaURL", default, skip_serializing_if = "Option::is_none")]
    pub schema_url: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub run_id: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub facets: Map<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub namespace: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub facets: Map<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dataset {
    pub namespace: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub facets: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub input_facets: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub output_facets: Map<String, Value>,
}

/// One column-level link read from an output's `columnLineage` facet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnLink {
    pub input_namespace: String,
    pub input_name: String,
    pub input_field: String,
    pub output_field: String,
    /// The transformation subtype (IDENTITY, TRANSFORMATION, AGGREGATION, JOIN, FILTER ...),
    /// else its type (DIRECT, INDIRECT), else the field's `transformationType`.
    pub transformation: String,
    pub description: Option<String>,
}

impl RunEvent {
    /// The run state, upper-cased ("OTHER" when absent or unknown).
    pub fn state(&self) -> String {
        let s = self.event_type.as_deref().unwrap_or("OTHER").to_ascii_uppercase();
        match s.as_str() {
            "START" | "RUNNING" | "COMPLETE" | "FAIL" | "ABORT" | "OTHER" => s,
            _ => "OTHER".into(),
        }
    }

    /// The SQL of the `sql` job facet, when sent.
    pub fn sql(&self) -> Option<&str> {
        self.job.as_ref()?.facets.get("sql")?.get("query")?.as_str()
    }

    /// The `documentation` job facet's description, when sent.
    pub fn job_description(&self) -> Option<&str> {
        self.job
            .as_ref()?
            .facets
            .get("documentation")?
            .get("description")?
            .as_str()
    }

    /// The `jobType` facet's integration and type ("AIRFLOW"/"TASK", "SPARK"/"JOB", "DBT"/"MODEL").
    pub fn job_type(&self) -> (Option<&str>, Option<&str>) {
        let facet = self.job.as_ref().and_then(|j| j.facets.get("jobType"));
        let field = |k: &str| facet.and_then(|f| f.get(k)).and_then(Value::as_str);
        (field("integration"), field("jobType"))
    }
}

impl Dataset {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Dataset {
            namespace: namespace.into(),
            name: name.into(),
            ..Dataset::default()
        }
    }

    /// The `documentation` facet's description, when sent.
    pub fn description(&self) -> Option<&str> {
        self.facets.get("documentation")?.get("description")?.as_str()
    }

    /// Column names of the `schema` facet, in order.
    pub fn schema_fields(&self) -> Vec<String> {
        self.facets
            .get("schema")
            .and_then(|s| s.get("fields"))
            .and_then(Value::as_array)
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|f| f.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The column links of the `columnLineage` facet; malformed entries are skipped.
    pub fn column_links(&self) -> Vec<ColumnLink> {
        let mut out = Vec::new();
        let Some(fields) = self
            .facets
            .get("columnLineage")
            .and_then(|c| c.get("fields"))
            .and_then(Value::as_object)
        else {
            return out;
        };
        for (output_field, spec) in fields {
            let fallback = spec.get("transformationType").and_then(Value::as_str);
            let description = spec
                .get("transformationDescription")
                .and_then(Value::as_str)
                .map(str::to_string);
            let Some(inputs) = spec.get("inputFields").and_then(Value::as_array) else {
                continue;
            };
            for input in inputs {
                let text = |k: &str| input.get(k).and_then(Value::as_str);
                let (Some(ns), Some(name), Some(field)) = (text("namespace"), text("name"), text("field")) else {
                    continue;
                };
                let first = input
                    .get("transformations")
                    .and_then(Value::as_array)
                    .and_then(|t| t.first());
                let kind = |k: &str| first.and_then(|t| t.get(k)).and_then(Value::as_str);
                let transformation = kind("subtype").or(kind("type")).or(fallback).unwrap_or("").to_string();
                out.push(ColumnLink {
                    input_namespace: ns.to_string(),
                    input_name: name.to_string(),
                    input_field: field.to_string(),
                    output_field: output_field.clone(),
                    transformation,
                    description: kind("description").map(str::to_string).or(description.clone()),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{
      "eventType": "COMPLETE",
      "eventTime": "2024-03-01T10:00:00.000Z",
      "run": {"runId": "0190a9e2-7c1e-7d6f-8c1a-1b2c3d4e5f60", "facets": {"nominalTime": {"nominalStartTime": "2024-03-01T00:00:00Z"}}},
      "job": {"namespace": "airflow-prod", "name": "etl.load_orders", "facets": {
          "sql": {"query": "INSERT INTO mart.orders SELECT id, amount FROM raw.orders"},
          "documentation": {"description": "loads orders"},
          "jobType": {"processingType": "BATCH", "integration": "AIRFLOW", "jobType": "TASK"}}},
      "inputs": [{"namespace": "postgres://db:5432", "name": "shop.raw.orders",
                  "facets": {"schema": {"fields": [{"name": "id", "type": "int"}, {"name": "amount"}]}}}],
      "outputs": [{"namespace": "postgres://db:5432", "name": "shop.mart.orders", "facets": {
          "columnLineage": {"fields": {
              "total": {"inputFields": [{"namespace": "postgres://db:5432", "name": "shop.raw.orders", "field": "amount",
                         "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION", "description": "sum"}]}]},
              "id": {"inputFields": [{"namespace": "postgres://db:5432", "name": "shop.raw.orders", "field": "id"}],
                     "transformationType": "IDENTITY"},
              "bad": {"inputFields": [{"name": "no namespace"}]}}}}}],
      "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python",
      "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    }"#;

    #[test]
    fn run_event_reads_job_run_datasets_and_facets() {
        let e: RunEvent = serde_json::from_str(EVENT).unwrap();
        assert_eq!(e.state(), "COMPLETE");
        assert_eq!(
            e.sql(),
            Some("INSERT INTO mart.orders SELECT id, amount FROM raw.orders")
        );
        assert_eq!(e.job_description(), Some("loads orders"));
        assert_eq!(e.job_type(), (Some("AIRFLOW"), Some("TASK")));
        assert_eq!(e.inputs[0].schema_fields(), ["id", "amount"]);
        let mut links = e.outputs[0].column_links();
        links.sort_by(|a, b| a.output_field.cmp(&b.output_field));
        assert_eq!(links.len(), 2, "the malformed input field is skipped");
        assert_eq!(
            (links[0].output_field.as_str(), links[0].transformation.as_str()),
            ("id", "IDENTITY")
        );
        assert_eq!(
            (links[1].input_field.as_str(), links[1].transformation.as_str()),
            ("amount", "AGGREGATION")
        );
        assert_eq!(links[1].description.as_deref(), Some("sum"));
        // Round trip keeps every facet.
        let back: RunEvent = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn unknown_states_and_missing_parts_are_tolerated() {
        let e: RunEvent = serde_json::from_str(r#"{"eventType": "weird", "eventTime": "x"}"#).unwrap();
        assert_eq!(e.state(), "OTHER");
        assert!(e.run.is_none() && e.job.is_none() && e.sql().is_none());
        assert!(
            serde_json::from_str::<RunEvent>(r#"{"eventType": "START"}"#).is_err(),
            "eventTime is required"
        );
    }
}
