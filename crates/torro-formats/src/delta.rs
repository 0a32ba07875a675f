//! Delta Lake tables from their transaction log: pure functions over bytes the engine
//! fetched (it lists `_delta_log/` and chooses which files to read).
//!
//! The log is a series of commits `NNNNNNNNNNNNNNNNNNNN.json`, each holding one action per
//! line (`add`, `remove`, `metaData`, `protocol`, `commitInfo`, `txn`...), plus periodic
//! checkpoints (`NNN.checkpoint.parquet`) that hold the table's state at a version. Delta
//! writes a `metaData` action only when the metadata *changes* (and in every checkpoint),
//! so once old commits are cleaned up (log retention, 30 days by default) the current
//! schema may only be in the latest checkpoint: pass the checkpoint and the commits after
//! it. Checkpoints are read with the parquet crate's row reader (uncompressed or snappy
//! pages, the codec Delta writers use by default); V2/multi-part checkpoints are not read.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use torro_model::{DataType, Field, FileFormat, Schema, TimeUnit};

use crate::FormatError;

/// Deepest type nesting followed in a schema.
const MAX_DEPTH: usize = 64;

/// A Delta table's current state, as its log tells it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeltaTable {
    pub schema: Schema,
    /// The latest commit's version; `None` when only a checkpoint was given.
    pub version: Option<u64>,
    pub partition_columns: Vec<String>,
    /// Data files in the current version: adds minus removes over the checkpoint and commits.
    pub live_files: u64,
    /// Bytes of those files, from the `size` of their `add` actions.
    pub live_bytes: u64,
    pub name: Option<String>,
    pub description: Option<String>,
    pub configuration: BTreeMap<String, String>,
    /// `table_id`, `created_time`, `format`, `min_reader_version`, `min_writer_version`,
    /// `commits_read`, `checkpoint_read`, `last_operation`, `version`, `partition_columns`...
    pub details: Value,
}

fn invalid(message: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        format: FileFormat::Delta,
        message: message.into(),
    }
}

/// What the log says, replayed in order.
#[derive(Default)]
struct State {
    metadata: Option<Value>,
    protocol: Option<Value>,
    /// Live data files by path, with their size.
    files: HashMap<String, u64>,
    last_operation: Option<String>,
}

impl State {
    fn apply(&mut self, action: &Value) {
        let Some(obj) = action.as_object() else { return };
        if let Some(add) = obj.get("add").filter(|v| v.is_object())
            && let Some(path) = add.get("path").and_then(Value::as_str)
        {
            let size = add.get("size").and_then(Value::as_u64).unwrap_or(0);
            self.files.insert(path.to_string(), size);
        }
        if let Some(path) = obj.get("remove").and_then(|r| r.get("path")).and_then(Value::as_str) {
            self.files.remove(path);
        }
        if let Some(m) = obj.get("metaData").filter(|v| v.is_object()) {
            self.metadata = Some(m.clone());
        }
        if let Some(p) = obj.get("protocol").filter(|v| v.is_object()) {
            self.protocol = Some(p.clone());
        }
        if let Some(op) = obj
            .get("commitInfo")
            .and_then(|c| c.get("operation"))
            .and_then(Value::as_str)
        {
            self.last_operation = Some(op.to_string());
        }
    }
}

/// The table's state from `commits` (`(version, the commit file's bytes)`, in any order;
/// when a checkpoint is given, the commits after it) and the latest `checkpoint`
/// (a single-file `.checkpoint.parquet`), if any.
pub fn table_from_log(commits: &[(u64, &[u8])], checkpoint: Option<&[u8]>) -> Result<DeltaTable, FormatError> {
    if commits.is_empty() && checkpoint.is_none() {
        return Err(invalid("the log holds no commit and no checkpoint"));
    }
    let mut state = State::default();
    if let Some(bytes) = checkpoint {
        for action in checkpoint_actions(bytes)? {
            state.apply(&action);
        }
    }
    let mut ordered: Vec<&(u64, &[u8])> = commits.iter().collect();
    ordered.sort_by_key(|(v, _)| *v);
    for (version, bytes) in &ordered {
        for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let action: Value =
                serde_json::from_slice(line).map_err(|e| invalid(format!("commit {version}, line {}: {e}", n + 1)))?;
            state.apply(&action);
        }
    }
    let version = ordered.last().map(|(v, _)| *v);
    let metadata = state.metadata.as_ref().ok_or_else(|| {
        invalid(if checkpoint.is_some() {
            "neither the checkpoint nor the commits hold a metaData action".to_string()
        } else {
            "no metaData action in the commits given: after log cleanup the table's metadata \
             is only in its latest checkpoint, which must be passed too"
                .to_string()
        })
    })?;
    let schema_string = metadata
        .get("schemaString")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("the metaData action has no schemaString"))?;
    let schema_json: Value =
        serde_json::from_str(schema_string).map_err(|e| invalid(format!("the schemaString is not JSON: {e}")))?;
    let fields = struct_fields(&schema_json, 0).map_err(|e| invalid(format!("the schema: {e}")))?;
    let strings = |key: &str| -> Vec<String> {
        metadata
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let partition_columns = strings("partitionColumns");
    let configuration: BTreeMap<String, String> = metadata
        .get("configuration")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                .collect()
        })
        .unwrap_or_default();
    let text = |key: &str| metadata.get(key).and_then(Value::as_str).map(str::to_string);
    let live_files = state.files.len() as u64;
    let live_bytes = state.files.values().fold(0u64, |a, &b| a.saturating_add(b));
    let protocol = state.protocol.as_ref();
    let details = json!({
        "version": version,
        "table_id": text("id"),
        "created_time": metadata.get("createdTime"),
        "format": metadata.get("format").and_then(|f| f.get("provider")),
        "partition_columns": partition_columns,
        "configuration": configuration,
        "live_files": live_files,
        "live_bytes": live_bytes,
        "min_reader_version": protocol.and_then(|p| p.get("minReaderVersion")),
        "min_writer_version": protocol.and_then(|p| p.get("minWriterVersion")),
        "reader_features": protocol.and_then(|p| p.get("readerFeatures")),
        "writer_features": protocol.and_then(|p| p.get("writerFeatures")),
        "last_operation": state.last_operation,
        "commits_read": commits.len(),
        "checkpoint_read": checkpoint.is_some(),
    });
    Ok(DeltaTable {
        schema: Schema::new(fields),
        version,
        partition_columns,
        live_files,
        live_bytes,
        name: text("name"),
        description: text("description"),
        configuration,
        details,
    })
}

/// Spark's struct JSON (`{"type":"struct","fields":[...]}`) to fields.
fn struct_fields(value: &Value, depth: usize) -> Result<Vec<Field>, String> {
    if value.get("type").and_then(Value::as_str) != Some("struct") {
        return Err("a struct type is expected".into());
    }
    let fields = value
        .get("fields")
        .and_then(Value::as_array)
        .ok_or("a struct has no fields list")?;
    fields
        .iter()
        .map(|f| {
            let name = f.get("name").and_then(Value::as_str).ok_or("a field has no name")?;
            let t = f.get("type").ok_or_else(|| format!("field {name:?} has no type"))?;
            let nullable = f.get("nullable").and_then(Value::as_bool).unwrap_or(true);
            let mut field = Field::new(name, spark_type(t, depth + 1)?, nullable);
            field.description = f
                .get("metadata")
                .and_then(|m| m.get("comment"))
                .and_then(Value::as_str)
                .map(str::to_string);
            Ok(field)
        })
        .collect()
}

fn spark_type(value: &Value, depth: usize) -> Result<DataType, String> {
    if depth > MAX_DEPTH {
        return Err(format!("types nest deeper than {MAX_DEPTH} levels"));
    }
    if let Some(name) = value.as_str() {
        return Ok(primitive(name));
    }
    match value.get("type").and_then(Value::as_str) {
        Some("struct") => Ok(DataType::Struct(struct_fields(value, depth)?)),
        Some("array") => {
            let item = value.get("elementType").ok_or("an array has no elementType")?;
            Ok(DataType::List(Box::new(spark_type(item, depth + 1)?)))
        }
        Some("map") => {
            let k = value.get("keyType").ok_or("a map has no keyType")?;
            let v = value.get("valueType").ok_or("a map has no valueType")?;
            Ok(DataType::Map(
                Box::new(spark_type(k, depth + 1)?),
                Box::new(spark_type(v, depth + 1)?),
            ))
        }
        Some(other) => Ok(DataType::Other(other.to_ascii_lowercase())),
        None => Err(format!("a type is neither a name nor an object: {value}")),
    }
}

fn primitive(name: &str) -> DataType {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "string" => DataType::String,
        "long" => DataType::Int64,
        "integer" => DataType::Int32,
        "short" => DataType::Int16,
        "byte" => DataType::Int8,
        "float" => DataType::Float32,
        "double" => DataType::Float64,
        "boolean" => DataType::Boolean,
        "binary" => DataType::Binary,
        "date" => DataType::Date,
        // Delta's `timestamp` is an instant (adjusted to UTC), `timestamp_ntz` a wall clock.
        "timestamp" => DataType::Timestamp {
            unit: TimeUnit::Microsecond,
            timezone: Some("UTC".into()),
        },
        "timestamp_ntz" => DataType::Timestamp {
            unit: TimeUnit::Microsecond,
            timezone: None,
        },
        "void" => DataType::Null,
        "variant" => DataType::Json,
        "decimal" => DataType::Decimal {
            precision: 10,
            scale: 0,
        },
        _ => parse_decimal(&lower).unwrap_or(DataType::Other(lower)),
    }
}

/// `decimal(p,s)`.
fn parse_decimal(s: &str) -> Option<DataType> {
    let inner = s.strip_prefix("decimal(")?.strip_suffix(')')?;
    let (p, sc) = inner.split_once(',')?;
    let precision: u8 = p.trim().parse().ok()?;
    let scale: i8 = sc.trim().parse().ok()?;
    (1..=76)
        .contains(&precision)
        .then_some(DataType::Decimal { precision, scale })
}

/// The actions of a checkpoint, one per row (`add`, `remove`, `metaData`, `protocol`...),
/// as JSON objects like the commits' lines.
fn checkpoint_actions(bytes: &[u8]) -> Result<Vec<Value>, FormatError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(bytes::Bytes::copy_from_slice(bytes))
        .map_err(|e| invalid(format!("the checkpoint is not readable Parquet: {e}")))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| invalid(format!("the checkpoint's rows do not read: {e}")))?;
    let mut actions = Vec::new();
    for row in rows {
        let row = row.map_err(|e| invalid(format!("the checkpoint's rows do not read: {e}")))?;
        let mut action = serde_json::Map::new();
        for (name, field) in row.get_column_iter() {
            if matches!(name.as_str(), "add" | "remove" | "metaData" | "protocol")
                && !matches!(field, parquet::record::Field::Null)
            {
                action.insert(name.clone(), field.to_json_value());
            }
        }
        if !action.is_empty() {
            actions.push(Value::Object(action));
        }
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_types_map_to_ours() {
        let schema = json!({"type": "struct", "fields": [
            {"name": "id", "type": "long", "nullable": false, "metadata": {"comment": "key"}},
            {"name": "price", "type": "decimal(12,2)", "nullable": true, "metadata": {}},
            {"name": "at", "type": "timestamp", "nullable": true, "metadata": {}},
            {"name": "local", "type": "timestamp_ntz", "nullable": true, "metadata": {}},
            {"name": "tags", "type": {"type": "array", "elementType": "string", "containsNull": true}, "nullable": true, "metadata": {}},
            {"name": "attrs", "type": {"type": "map", "keyType": "string", "valueType": "integer", "valueContainsNull": true}, "nullable": true, "metadata": {}},
            {"name": "addr", "type": {"type": "struct", "fields": [{"name": "zip", "type": "short", "nullable": true, "metadata": {}}]}, "nullable": true, "metadata": {}},
            {"name": "odd", "type": "interval day", "nullable": true, "metadata": {}},
        ]});
        let fields = struct_fields(&schema, 0).unwrap();
        let shown: Vec<String> = fields
            .iter()
            .map(|f| {
                format!(
                    "{}: {}{}",
                    f.name,
                    f.data_type,
                    if f.nullable { "" } else { " not null" }
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "id: int64 not null",
                "price: decimal(12,2)",
                "at: timestamp[us, UTC]",
                "local: timestamp[us]",
                "tags: list<string>",
                "attrs: map<string, int32>",
                "addr: struct<zip: int16>",
                "odd: other(interval day)",
            ]
        );
        assert_eq!(fields[0].description.as_deref(), Some("key"));
    }

    #[test]
    fn deep_schemas_are_refused() {
        let mut t = json!("string");
        for _ in 0..100 {
            t = json!({"type": "array", "elementType": t});
        }
        let schema = json!({"type": "struct", "fields": [{"name": "x", "type": t}]});
        assert!(struct_fields(&schema, 0).unwrap_err().contains("deeper"));
    }
}
