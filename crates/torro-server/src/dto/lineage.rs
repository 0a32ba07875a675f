//! Bodies of the `/api/lineage` endpoints. Responses are the model's lineage records
//! (`torro_model::lineage`) as JSON; requests are validated into them here.

use serde::Deserialize;
use serde_json::Value;
use torro_model::lineage::{
    ColumnMapping, EdgeInput, ProcessInput, ProcessWrite, Transformation, default_relationship,
};
use utoipa::ToSchema;

use crate::error::ApiError;

/// One column mapping of a request.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ColumnMappingBody {
    /// Source dataset URN; in a process, one of its inputs (default: its only input).
    #[serde(default)]
    pub source: Option<String>,
    /// Target dataset URN; in a process, one of its outputs (default: its only output).
    #[serde(default)]
    pub target: Option<String>,
    pub source_column: String,
    pub target_column: String,
    /// pass_through, aggregation, expression, filter_only or unknown (default); OpenLineage
    /// names (IDENTITY, TRANSFORMATION, AGGREGATION, INDIRECT) are understood too.
    #[serde(default)]
    pub transformation: Option<String>,
    /// The expression text, e.g. `SUM(amount)`.
    #[serde(default)]
    pub expression: Option<String>,
}

impl ColumnMappingBody {
    fn mapping(&self) -> Result<ColumnMapping, ApiError> {
        if self.source_column.trim().is_empty() || self.target_column.trim().is_empty() {
            return Err(ApiError::invalid(
                "column_lineage: source_column and target_column must not be empty",
            ));
        }
        Ok(ColumnMapping {
            source_column: self.source_column.clone(),
            target_column: self.target_column.clone(),
            transformation: self
                .transformation
                .as_deref()
                .map(Transformation::lenient)
                .unwrap_or_default(),
            expression: self.expression.clone(),
        })
    }
}

/// `POST /api/lineage/process`: a process (job) reading `inputs` and writing `outputs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessBody {
    /// The process URN, e.g. `airflow://prod/etl.load_orders`.
    pub urn: String,
    #[serde(default)]
    pub name: Option<String>,
    /// job (default), view, procedure, dbt_model, ...
    #[serde(default)]
    pub process_type: Option<String>,
    /// airflow, spark, dbt, ... (default: torro).
    #[serde(default)]
    pub source_system: Option<String>,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub job_name: Option<String>,
    /// SQL or code that defines it.
    #[serde(default)]
    pub definition: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Input dataset URNs.
    pub inputs: Vec<String>,
    /// Output dataset URNs.
    pub outputs: Vec<String>,
    /// Relationship of every edge (default "derives").
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub column_lineage: Vec<ColumnMappingBody>,
    /// True: these inputs and outputs are all of the process's lineage now; its other open
    /// edges are closed. False (default): edges are added.
    #[serde(default)]
    pub replace: bool,
    /// Who records it (audit log); default "api".
    #[serde(default)]
    pub actor: Option<String>,
}

impl ProcessBody {
    pub fn write(&self) -> Result<ProcessWrite, ApiError> {
        if self.inputs.is_empty() || self.outputs.is_empty() {
            return Err(ApiError::invalid(
                "inputs and outputs: name at least one input and one output dataset URN",
            ));
        }
        let pick = |given: &Option<String>, list: &[String], what: &str| -> Result<String, ApiError> {
            match given {
                Some(urn) if list.contains(urn) => Ok(urn.clone()),
                Some(urn) => Err(ApiError::invalid(format!(
                    "column_lineage.{what}: {urn:?} is not one of the process's {what}s"
                ))),
                None if list.len() == 1 => Ok(list[0].clone()),
                None => Err(ApiError::invalid(format!(
                    "column_lineage.{what}: the process has several {what}s; name the dataset"
                ))),
            }
        };
        let mut edges: Vec<EdgeInput> = Vec::new();
        for i in &self.inputs {
            for o in &self.outputs {
                edges.push(EdgeInput {
                    relationship: self.relationship.clone().unwrap_or_else(default_relationship),
                    ..EdgeInput::new(i.clone(), o.clone())
                });
            }
        }
        for c in &self.column_lineage {
            let source = pick(&c.source, &self.inputs, "source")?;
            let target = pick(&c.target, &self.outputs, "target")?;
            let mapping = c.mapping()?;
            if let Some(e) = edges.iter_mut().find(|e| e.source == source && e.target == target) {
                e.columns.push(mapping);
            }
        }
        Ok(ProcessWrite {
            process: ProcessInput {
                urn: self.urn.clone(),
                name: self.name.clone().unwrap_or_default(),
                process_type: self.process_type.clone().unwrap_or_default(),
                source_system: self.source_system.clone().unwrap_or_else(|| "torro".into()),
                job_id: self.job_id.clone(),
                job_name: self.job_name.clone(),
                definition: self.definition.clone(),
                description: self.description.clone(),
                facets: Value::Null,
            },
            datasets: Vec::new(),
            edges,
            replace: self.replace,
        })
    }
}

/// `POST /api/lineage/manual`: an edge drawn by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualEdgeBody {
    /// Source dataset URN (a file, table, view ...).
    pub source: String,
    /// Target dataset URN.
    pub target: String,
    /// derives (default), copies, feeds, ...
    #[serde(default)]
    pub relationship: Option<String>,
    #[serde(default)]
    pub column_lineage: Vec<ColumnMappingBody>,
    /// Free JSON kept with the edge (ticket, note ...).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// 0..1, default 1.
    #[serde(default)]
    pub confidence: Option<f64>,
    #[serde(default)]
    pub actor: Option<String>,
}

impl ManualEdgeBody {
    pub fn edge(&self) -> Result<EdgeInput, ApiError> {
        let confidence = self.confidence.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&confidence) {
            return Err(ApiError::invalid(format!(
                "confidence must be between 0 and 1, got {confidence}"
            )));
        }
        Ok(EdgeInput {
            relationship: self.relationship.clone().unwrap_or_else(default_relationship),
            columns: self
                .column_lineage
                .iter()
                .map(ColumnMappingBody::mapping)
                .collect::<Result<_, _>>()?,
            metadata: self.metadata.clone(),
            confidence,
            ..EdgeInput::new(self.source.clone(), self.target.clone())
        })
    }
}

/// `POST /api/lineage/sql`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlBody {
    pub sql: String,
    /// generic (default), ansi, postgres, mysql, mssql, oracle, snowflake, bigquery, hive,
    /// spark, databricks, redshift, sqlite, duckdb.
    #[serde(default)]
    pub dialect: Option<String>,
    #[serde(default)]
    pub default_database: Option<String>,
    #[serde(default)]
    pub default_schema: Option<String>,
    /// Namespace of the tables, e.g. `postgres://db:5432`: maps tables to dataset URNs.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Store the result as this process (needs `namespace`); omitted: parse only.
    #[serde(default)]
    pub process_urn: Option<String>,
    #[serde(default)]
    pub process_name: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
}

/// `POST /api/lineage/folders`: medallion rules; defaults raw, bronze, staging, silver,
/// curated, gold at confidence 0.5.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FolderRulesBody {
    #[serde(default)]
    pub layers: Option<Vec<String>>,
    #[serde(default)]
    pub confidence: Option<f64>,
    #[serde(default)]
    pub actor: Option<String>,
}
