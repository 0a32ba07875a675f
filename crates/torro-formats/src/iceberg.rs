//! Apache Iceberg tables from their `metadata.json`: a pure function over the bytes of the
//! current metadata file (the engine finds it: `metadata/version-hint.text`, or the
//! highest `vN.metadata.json` / `NNNNN-uuid.metadata.json`). Manifests are not read: the
//! record and file totals come from the current snapshot's summary.
//!
//! Format v1 has one `schema` and one `partition-spec`; v2 and v3 have `schemas` with a
//! `current-schema-id` and `partition-specs` with a `default-spec-id` (v1 writers often
//! write both forms; the list wins when present).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use torro_model::{DataType, Field, FileFormat, Schema, TimeUnit};

use crate::FormatError;

const MAX_DEPTH: usize = 64;

/// One field of the current partition spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcebergPartitionField {
    /// The partition's name (`day`, `id_bucket`).
    pub name: String,
    /// The source column's dotted path in the schema (`None` when the id is unknown).
    pub source_column: Option<String>,
    pub source_id: i64,
    /// `identity`, `bucket[16]`, `truncate[4]`, `year`, `month`, `day`, `hour`, `void`.
    pub transform: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IcebergTable {
    pub schema: Schema,
    pub format_version: u64,
    pub location: Option<String>,
    pub table_uuid: Option<String>,
    pub current_schema_id: Option<i64>,
    /// `None` for a table without snapshots (created, never written).
    pub current_snapshot_id: Option<i64>,
    pub partition_fields: Vec<IcebergPartitionField>,
    /// From the current snapshot's summary.
    pub total_records: Option<u64>,
    pub total_data_files: Option<u64>,
    pub properties: BTreeMap<String, String>,
    /// `format_version`, `location`, `table_uuid`, `last_updated_ms`, `current_schema_id`,
    /// `current_snapshot_id`, `snapshot_count`, `operation`, `summary`, `partition_spec`,
    /// `sort_order`, `properties`.
    pub details: Value,
}

fn invalid(message: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        format: FileFormat::Iceberg,
        message: message.into(),
    }
}

/// The current state of an Iceberg table from its metadata file.
pub fn table_from_metadata(json: &[u8]) -> Result<IcebergTable, FormatError> {
    let meta: Value =
        serde_json::from_slice(json).map_err(|e| invalid(format!("the metadata file is not JSON: {e}")))?;
    if !meta.is_object() {
        return Err(invalid("the metadata file is not a JSON object"));
    }
    let format_version = meta
        .get("format-version")
        .and_then(Value::as_u64)
        .ok_or_else(|| invalid("no format-version: is this an Iceberg metadata file?"))?;
    let current_schema_id = meta.get("current-schema-id").and_then(Value::as_i64);
    let schema_json = match (meta.get("schemas").and_then(Value::as_array), current_schema_id) {
        (Some(list), Some(id)) => list
            .iter()
            .find(|s| s.get("schema-id").and_then(Value::as_i64) == Some(id))
            .ok_or_else(|| invalid(format!("current-schema-id {id} is not among the schemas")))?,
        _ => meta
            .get("schema")
            .ok_or_else(|| invalid("neither schemas with a current-schema-id nor a schema"))?,
    };
    let mut paths = HashMap::new();
    let fields = struct_fields(schema_json, "", &mut paths, 0).map_err(|e| invalid(format!("the schema: {e}")))?;

    let spec_fields = match (
        meta.get("partition-specs").and_then(Value::as_array),
        meta.get("default-spec-id").and_then(Value::as_i64),
    ) {
        (Some(list), Some(id)) => list
            .iter()
            .find(|s| s.get("spec-id").and_then(Value::as_i64) == Some(id))
            .and_then(|s| s.get("fields"))
            .and_then(Value::as_array),
        _ => meta.get("partition-spec").and_then(Value::as_array),
    };
    let partition_fields: Vec<IcebergPartitionField> = spec_fields
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    let source_id = f.get("source-id").and_then(Value::as_i64).unwrap_or(-1);
                    IcebergPartitionField {
                        name: f.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                        source_column: paths.get(&source_id).cloned(),
                        source_id,
                        transform: f
                            .get("transform")
                            .and_then(Value::as_str)
                            .unwrap_or("identity")
                            .to_string(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();

    // -1 (v1 writers) and null both mean "no snapshot yet".
    let current_snapshot_id = meta
        .get("current-snapshot-id")
        .and_then(Value::as_i64)
        .filter(|&id| id != -1);
    let snapshots = meta.get("snapshots").and_then(Value::as_array);
    let snapshot = current_snapshot_id.and_then(|id| {
        snapshots?
            .iter()
            .find(|s| s.get("snapshot-id").and_then(Value::as_i64) == Some(id))
    });
    let summary = snapshot.and_then(|s| s.get("summary"));
    // Summary values are strings ("total-records": "100").
    let total = |key: &str| -> Option<u64> {
        let v = summary?.get(key)?;
        v.as_u64().or_else(|| v.as_str()?.trim().parse().ok())
    };
    let properties: BTreeMap<String, String> = meta
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_string);
    let total_records = total("total-records");
    let total_data_files = total("total-data-files");
    let sort_order = match (
        meta.get("sort-orders").and_then(Value::as_array),
        meta.get("default-sort-order-id").and_then(Value::as_i64),
    ) {
        (Some(list), Some(id)) => list
            .iter()
            .find(|s| s.get("order-id").and_then(Value::as_i64) == Some(id))
            .and_then(|s| s.get("fields"))
            .cloned(),
        _ => None,
    };
    let details = json!({
        "format_version": format_version,
        "location": text("location"),
        "table_uuid": text("table-uuid"),
        "last_updated_ms": meta.get("last-updated-ms"),
        "current_schema_id": current_schema_id,
        "current_snapshot_id": current_snapshot_id,
        "snapshot_count": snapshots.map_or(0, Vec::len),
        "operation": summary.and_then(|s| s.get("operation")),
        "summary": summary,
        "total_records": total_records,
        "total_data_files": total_data_files,
        "partition_spec": partition_fields.iter().map(|p| json!({
            "name": p.name,
            "source_column": p.source_column,
            "source_id": p.source_id,
            "transform": p.transform,
        })).collect::<Vec<_>>(),
        "sort_order": sort_order,
        "properties": properties,
    });
    Ok(IcebergTable {
        schema: Schema::new(fields),
        format_version,
        location: text("location"),
        table_uuid: text("table-uuid"),
        current_schema_id,
        current_snapshot_id,
        partition_fields,
        total_records,
        total_data_files,
        properties,
        details,
    })
}

/// A struct's fields; records every field id's dotted path in `paths`.
fn struct_fields(
    value: &Value,
    prefix: &str,
    paths: &mut HashMap<i64, String>,
    depth: usize,
) -> Result<Vec<Field>, String> {
    let fields = value
        .get("fields")
        .and_then(Value::as_array)
        .ok_or("a struct has no fields list")?;
    fields
        .iter()
        .map(|f| {
            let name = f.get("name").and_then(Value::as_str).ok_or("a field has no name")?;
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if let Some(id) = f.get("id").and_then(Value::as_i64) {
                paths.insert(id, path.clone());
            }
            let t = f.get("type").ok_or_else(|| format!("field {name:?} has no type"))?;
            let required = f.get("required").and_then(Value::as_bool).unwrap_or(false);
            let mut field = Field::new(name, iceberg_type(t, &path, paths, depth + 1)?, !required);
            field.description = f.get("doc").and_then(Value::as_str).map(str::to_string);
            Ok(field)
        })
        .collect()
}

fn iceberg_type(value: &Value, path: &str, paths: &mut HashMap<i64, String>, depth: usize) -> Result<DataType, String> {
    if depth > MAX_DEPTH {
        return Err(format!("types nest deeper than {MAX_DEPTH} levels"));
    }
    if let Some(name) = value.as_str() {
        return Ok(primitive(name));
    }
    match value.get("type").and_then(Value::as_str) {
        Some("struct") => Ok(DataType::Struct(struct_fields(value, path, paths, depth)?)),
        Some("list") => {
            let item = value.get("element").ok_or("a list has no element")?;
            Ok(DataType::List(Box::new(iceberg_type(
                item,
                &format!("{path}.element"),
                paths,
                depth + 1,
            )?)))
        }
        Some("map") => {
            let k = value.get("key").ok_or("a map has no key")?;
            let v = value.get("value").ok_or("a map has no value")?;
            Ok(DataType::Map(
                Box::new(iceberg_type(k, &format!("{path}.key"), paths, depth + 1)?),
                Box::new(iceberg_type(v, &format!("{path}.value"), paths, depth + 1)?),
            ))
        }
        Some(other) => Ok(DataType::Other(other.to_ascii_lowercase())),
        None => Err(format!("a type is neither a name nor an object: {value}")),
    }
}

fn primitive(name: &str) -> DataType {
    let lower = name.trim().to_ascii_lowercase();
    let ts = |unit, utc: bool| DataType::Timestamp {
        unit,
        timezone: utc.then(|| "UTC".to_string()),
    };
    match lower.as_str() {
        "boolean" => DataType::Boolean,
        "int" => DataType::Int32,
        "long" => DataType::Int64,
        "float" => DataType::Float32,
        "double" => DataType::Float64,
        "date" => DataType::Date,
        "time" => DataType::Time(TimeUnit::Microsecond),
        "timestamp" => ts(TimeUnit::Microsecond, false),
        "timestamptz" => ts(TimeUnit::Microsecond, true),
        "timestamp_ns" => ts(TimeUnit::Nanosecond, false),
        "timestamptz_ns" => ts(TimeUnit::Nanosecond, true),
        "string" => DataType::String,
        "uuid" => DataType::Uuid,
        "binary" => DataType::Binary,
        "variant" => DataType::Json,
        "unknown" => DataType::Null,
        _ => fixed_or_decimal(&lower).unwrap_or(DataType::Other(lower)),
    }
}

/// `fixed[16]`, `decimal(10, 2)`.
fn fixed_or_decimal(s: &str) -> Option<DataType> {
    if let Some(n) = s.strip_prefix("fixed[").and_then(|r| r.strip_suffix(']')) {
        return n.trim().parse().ok().map(DataType::FixedBinary);
    }
    let inner = s.strip_prefix("decimal(")?.strip_suffix(')')?;
    let (p, sc) = inner.split_once(',')?;
    let precision: u8 = p.trim().parse().ok()?;
    let scale: i8 = sc.trim().parse().ok()?;
    (1..=76)
        .contains(&precision)
        .then_some(DataType::Decimal { precision, scale })
}
