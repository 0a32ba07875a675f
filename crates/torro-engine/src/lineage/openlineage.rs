//! OpenLineage intake: a RunEvent becomes a process (the job), its datasets (with every
//! facet kept), edges inputs × outputs with the `columnLineage` facet's mappings, and a
//! run. Edges open at the event's time. A COMPLETE event that names both inputs and
//! outputs is the job's whole lineage now, so edges it no longer names are closed; other
//! events only add (producers often send inputs on START and outputs on COMPLETE).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use torro_lineage::openlineage::{Dataset, RunEvent};
use torro_model::Actor;
use torro_model::lineage::{
    ChangeContext, ColumnMapping, DatasetRef, EdgeInput, LineageOrigin, ProcessInput, ProcessWrite, RunInput,
    Transformation, WriteSummary, lineage_urn,
};

use super::{Lineage, new_ingestion_id};
use crate::EngineError;

#[derive(Clone, Debug, Default, Serialize)]
pub struct IngestOutcome {
    pub process: Option<String>,
    pub run_id: Option<String>,
    pub state: String,
    pub summary: WriteSummary,
}

fn invalid(field: &str, message: impl Into<String>) -> EngineError {
    EngineError::InvalidInput {
        field: field.into(),
        message: message.into(),
    }
}

fn dataset_ref(d: &Dataset) -> DatasetRef {
    DatasetRef {
        urn: lineage_urn(&d.namespace, &d.name),
        description: d.description().map(str::to_string),
        facets: if d.facets.is_empty() {
            Value::Null
        } else {
            Value::Object(d.facets.clone())
        },
    }
}

fn check_dataset(field: &str, d: &Dataset) -> Result<(), EngineError> {
    if d.namespace.trim().is_empty() || d.name.trim().is_empty() {
        return Err(invalid(field, "every dataset needs a namespace and a name"));
    }
    Ok(())
}

impl Lineage {
    /// Records an OpenLineage event sent by `actor` (the API token's user); the event's
    /// producer becomes the audit rows' source system.
    pub async fn ingest_openlineage(&self, event: &RunEvent, actor: &Actor) -> Result<IngestOutcome, EngineError> {
        let event_time: DateTime<Utc> = DateTime::parse_from_rfc3339(&event.event_time)
            .map_err(|e| {
                invalid(
                    "eventTime",
                    format!("{:?} is not an ISO 8601 time with a zone: {e}", event.event_time),
                )
            })?
            .with_timezone(&Utc);
        for d in &event.inputs {
            check_dataset("inputs", d)?;
        }
        for d in &event.outputs {
            check_dataset("outputs", d)?;
        }
        let state = event.state();
        let producer = if event.producer.is_empty() {
            "openlineage"
        } else {
            &event.producer
        };
        let mut ctx = ChangeContext {
            actor: actor.clone(),
            source_system: producer.to_string(),
            ingestion_id: Some(match &event.run {
                Some(run) => format!("openlineage-{}-{}", run.run_id, state.to_lowercase()),
                None => new_ingestion_id("openlineage"),
            }),
            origin: Some(LineageOrigin::OpenLineage),
            at: Some(event_time),
        };
        let mut datasets: Vec<DatasetRef> = event.inputs.iter().chain(&event.outputs).map(dataset_ref).collect();
        if let Some(d) = &event.dataset {
            check_dataset("dataset", d)?;
            datasets.push(dataset_ref(d));
        }

        let Some(job) = &event.job else {
            if event.run.is_some() {
                return Err(invalid("job", "a run event needs its job (namespace and name)"));
            }
            self.store().upsert_lineage_datasets(&datasets, &ctx).await?;
            return Ok(IngestOutcome {
                state,
                ..IngestOutcome::default()
            });
        };
        if job.namespace.trim().is_empty() || job.name.trim().is_empty() {
            return Err(invalid("job", "the job needs a namespace and a name"));
        }
        let (integration, job_type) = event.job_type();
        if let Some(integration) = integration {
            ctx.source_system = integration.to_ascii_lowercase();
        }
        if event.run.as_ref().is_some_and(|r| r.run_id.trim().is_empty()) {
            return Err(invalid("run.runId", "the run needs an id"));
        }
        let process_urn = lineage_urn(&job.namespace, &job.name);
        let mut edges = Vec::new();
        for output in &event.outputs {
            let links = output.column_links();
            for input in &event.inputs {
                let columns: Vec<ColumnMapping> = links
                    .iter()
                    .filter(|l| l.input_namespace == input.namespace && l.input_name == input.name)
                    .map(|l| ColumnMapping {
                        source_column: l.input_field.clone(),
                        target_column: l.output_field.clone(),
                        transformation: Transformation::lenient(&l.transformation),
                        expression: l.description.clone(),
                    })
                    .collect();
                edges.push(EdgeInput {
                    columns,
                    ..EdgeInput::new(
                        lineage_urn(&input.namespace, &input.name),
                        lineage_urn(&output.namespace, &output.name),
                    )
                });
            }
        }
        let write = ProcessWrite {
            process: ProcessInput {
                urn: process_urn.clone(),
                name: job.name.clone(),
                process_type: job_type.map(str::to_ascii_lowercase).unwrap_or_else(|| "job".into()),
                source_system: ctx.source_system.clone(),
                job_id: None,
                job_name: Some(job.name.clone()),
                definition: event.sql().map(str::to_string),
                description: event.job_description().map(str::to_string),
                facets: if job.facets.is_empty() {
                    Value::Null
                } else {
                    Value::Object(job.facets.clone())
                },
            },
            datasets,
            edges,
            replace: state == "COMPLETE" && !event.inputs.is_empty() && !event.outputs.is_empty(),
        };
        let summary = self.store().write_process(&write, &ctx).await?;
        let run_id = match &event.run {
            Some(run) => {
                let input = RunInput {
                    process_urn: process_urn.clone(),
                    run_id: run.run_id.clone(),
                    state: state.clone(),
                    event_time,
                    facets: if run.facets.is_empty() {
                        Value::Null
                    } else {
                        Value::Object(run.facets.clone())
                    },
                };
                self.store().record_run(&input, &ctx).await?;
                Some(run.run_id.clone())
            }
            None => None,
        };
        Ok(IngestOutcome {
            process: Some(process_urn),
            run_id,
            state,
            summary,
        })
    }
}
