//! Bodies of the `/api/datasets` endpoints: logical datasets that partition folders and
//! numbered part files roll up into.

use chrono::{DateTime, Utc};
use serde::Serialize;
use torro_model::Dataset;
use utoipa::ToSchema;

use super::Pagination;
use super::discovery::SchemaBody;

/// Links of a dataset.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetLinks {
    #[serde(rename = "self")]
    pub self_: String,
    /// Its files, as a discovery list.
    pub files: String,
}

/// One logical dataset. Counts, size, formats, partitions and schemas are over its live
/// files; `deleted_file_count` counts the deleted ones.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetBody {
    pub id: i64,
    /// OpenLineage-style URN of the dataset's root folder, e.g. `s3://lake/curated/sales`.
    pub urn: String,
    /// local, s3, azure_blob or gcs.
    pub storage_type: String,
    pub account: String,
    pub container: String,
    /// The root folder inside the container ("" = the container root).
    pub path: String,
    /// Partition column names in path order; empty for a folder of part files.
    #[schema(example = json!(["year", "month"]))]
    pub partition_columns: Vec<String>,
    pub file_count: i64,
    pub deleted_file_count: i64,
    /// Bytes.
    pub total_size: i64,
    /// Distinct formats, sorted.
    pub formats: Vec<String>,
    /// Distinct partition value combinations.
    pub partition_count: i64,
    /// The schema of the most recently changed file that has one; null when none has.
    pub schema: Option<SchemaBody>,
    pub schema_hash: Option<String>,
    /// Distinct schemas among the files; more than 1 means the files disagree.
    pub distinct_schema_count: i64,
    pub first_seen: DateTime<Utc>,
    /// The newest change of any of its files (a deletion counts).
    pub last_changed: DateTime<Utc>,
    pub links: DatasetLinks,
}

impl From<&Dataset> for DatasetBody {
    fn from(d: &Dataset) -> Self {
        let base = format!("/api/datasets/{}", d.id);
        DatasetBody {
            id: d.id,
            urn: d.urn.clone(),
            storage_type: d.location.storage_type.as_str().to_string(),
            account: d.location.account.clone(),
            container: d.location.container.clone(),
            path: d.path.clone(),
            partition_columns: d.partition_columns.clone(),
            file_count: d.file_count,
            deleted_file_count: d.deleted_file_count,
            total_size: d.total_size,
            formats: d.formats.clone(),
            partition_count: d.partition_count,
            schema: d.schema.as_ref().map(SchemaBody::from),
            schema_hash: d.schema_hash.clone(),
            distinct_schema_count: d.distinct_schema_count,
            first_seen: d.first_seen,
            last_changed: d.last_changed,
            links: DatasetLinks {
                files: format!("{base}/files"),
                self_: base,
            },
        }
    }
}

/// `GET /api/datasets`: newest change first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetList {
    pub datasets: Vec<DatasetBody>,
    pub pagination: Pagination,
}

/// One `key=value` partition folder of a file's path.
#[derive(Debug, Serialize, ToSchema)]
pub struct PartitionValue {
    pub column: String,
    /// Percent-decoded; may be empty.
    pub value: String,
}

/// A file's partition values in path order; `None` when it is not in a partitioned dataset.
pub(crate) fn partition_values(values: Option<&Vec<(String, String)>>) -> Option<Vec<PartitionValue>> {
    values.map(|v| {
        v.iter()
            .map(|(column, value)| PartitionValue {
                column: column.clone(),
                value: value.clone(),
            })
            .collect()
    })
}
