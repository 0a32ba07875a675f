//! Delta Lake logs and Iceberg metadata files, written as their writers write them.

use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Fields, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression as ParquetCompression;
use parquet::file::properties::WriterProperties;
use torro_formats::{FormatError, table_from_log, table_from_metadata};
use torro_model::Schema;

fn columns(schema: &Schema) -> Vec<String> {
    schema
        .fields
        .iter()
        .map(|f| {
            format!(
                "{}: {}{}",
                f.name,
                f.data_type,
                if f.nullable { "" } else { " not null" }
            )
        })
        .collect()
}

const SCHEMA_V0: &str = r#"{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{"comment":"order id"}},{"name":"amount","type":"decimal(10,2)","nullable":true,"metadata":{}},{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},{"name":"day","type":"date","nullable":true,"metadata":{}}]}"#;
const SCHEMA_V2: &str = r#"{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{"comment":"order id"}},{"name":"amount","type":"decimal(10,2)","nullable":true,"metadata":{}},{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},{"name":"day","type":"date","nullable":true,"metadata":{}},{"name":"tags","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},{"name":"extra","type":{"type":"map","keyType":"string","valueType":{"type":"struct","fields":[{"name":"v","type":"double","nullable":true,"metadata":{}}]},"valueContainsNull":true},"nullable":true,"metadata":{}}]}"#;

fn metadata_line(schema: &str) -> String {
    serde_json::json!({"metaData": {
        "id": "6b3f6d1c-2a8e-4b7a-9f57-7b0c2f0d9a11",
        "name": "orders",
        "description": "Orders by day",
        "format": {"provider": "parquet", "options": {}},
        "schemaString": schema,
        "partitionColumns": ["day"],
        "configuration": {"delta.appendOnly": "false", "delta.logRetentionDuration": "interval 30 days"},
        "createdTime": 1704067200000u64
    }})
    .to_string()
}

fn add(path: &str, size: u64) -> String {
    serde_json::json!({"add": {"path": path, "partitionValues": {"day": "2024-01-01"}, "size": size,
        "modificationTime": 1704067200000u64, "dataChange": true,
        "stats": "{\"numRecords\":10}"}})
    .to_string()
}

fn commit(lines: &[String]) -> Vec<u8> {
    let mut s = lines.join("\n");
    s.push('\n');
    s.into_bytes()
}

fn three_commits() -> Vec<(u64, Vec<u8>)> {
    let c0 = commit(&[
        r#"{"commitInfo":{"timestamp":1704067200000,"operation":"CREATE TABLE","operationParameters":{}}}"#.into(),
        r#"{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}"#.into(),
        metadata_line(SCHEMA_V0),
        add("day=2024-01-01/part-00000.parquet", 1000),
        add("day=2024-01-01/part-00001.parquet", 2000),
    ]);
    let c1 = commit(&[
        r#"{"commitInfo":{"timestamp":1704153600000,"operation":"WRITE"}}"#.into(),
        add("day=2024-01-02/part-00000.parquet", 3000),
    ]);
    let c2 = commit(&[
        r#"{"commitInfo":{"timestamp":1704240000000,"operation":"MERGE"}}"#.into(),
        metadata_line(SCHEMA_V2),
        r#"{"remove":{"path":"day=2024-01-01/part-00001.parquet","deletionTimestamp":1704240000000,"dataChange":true}}"#
            .into(),
        add("day=2024-01-02/part-00001.parquet", 500),
    ]);
    vec![(0, c0), (1, c1), (2, c2)]
}

#[test]
fn delta_log_of_three_commits() {
    let owned = three_commits();
    // Out of order on purpose: versions order the replay.
    let commits: Vec<(u64, &[u8])> = owned.iter().rev().map(|(v, b)| (*v, b.as_slice())).collect();
    let t = table_from_log(&commits, None).unwrap();
    assert_eq!(
        columns(&t.schema),
        [
            "id: int64 not null",
            "amount: decimal(10,2)",
            "ts: timestamp[us, UTC]",
            "day: date",
            "tags: list<string>",
            "extra: map<string, struct<v: float64>>",
        ]
    );
    assert_eq!(t.schema.fields[0].description.as_deref(), Some("order id"));
    assert_eq!(t.version, Some(2));
    assert_eq!(t.partition_columns, ["day"]);
    assert_eq!((t.live_files, t.live_bytes), (3, 1000 + 3000 + 500));
    assert_eq!(t.name.as_deref(), Some("orders"));
    assert_eq!(t.description.as_deref(), Some("Orders by day"));
    assert_eq!(t.configuration["delta.appendOnly"], "false");
    assert_eq!(t.details["min_writer_version"], 2);
    assert_eq!(t.details["last_operation"], "MERGE");
    assert_eq!(t.details["format"], "parquet");

    // The first version alone: the old schema.
    let t0 = table_from_log(&commits[2..], None).unwrap();
    assert_eq!(t0.schema.fields.len(), 4);
    assert_eq!((t0.version, t0.live_files), (Some(0), 2));
}

#[test]
fn delta_errors_are_clear() {
    let owned = three_commits();
    let later: Vec<(u64, &[u8])> = vec![(1, owned[1].1.as_slice())];
    let err = table_from_log(&later, None).unwrap_err();
    assert!(err.to_string().contains("checkpoint"), "{err}");
    let err = table_from_log(&[(3, b"{not json\n".as_slice())], None).unwrap_err();
    assert!(err.to_string().contains("commit 3, line 1"), "{err}");
    assert!(matches!(table_from_log(&[], None), Err(FormatError::Invalid { .. })));
    let err = table_from_log(&[], Some(b"not parquet")).unwrap_err();
    assert!(err.to_string().contains("checkpoint"), "{err}");
}

/// A checkpoint as Delta writes one: a row per action, snappy pages.
fn checkpoint() -> Vec<u8> {
    let meta_fields = Fields::from(vec![
        ArrowField::new("id", ArrowType::Utf8, true),
        ArrowField::new("name", ArrowType::Utf8, true),
        ArrowField::new("schemaString", ArrowType::Utf8, true),
    ]);
    let add_fields = Fields::from(vec![
        ArrowField::new("path", ArrowType::Utf8, true),
        ArrowField::new("size", ArrowType::Int64, true),
    ]);
    let meta = StructArray::try_new(
        meta_fields.clone(),
        vec![
            Arc::new(StringArray::from(vec![Some("tid"), None, None])) as ArrayRef,
            Arc::new(StringArray::from(vec![Some("orders"), None, None])),
            Arc::new(StringArray::from(vec![Some(SCHEMA_V0), None, None])),
        ],
        Some(vec![true, false, false].into()),
    )
    .unwrap();
    let adds = StructArray::try_new(
        add_fields.clone(),
        vec![
            Arc::new(StringArray::from(vec![None, Some("a.parquet"), Some("b.parquet")])) as ArrayRef,
            Arc::new(Int64Array::from(vec![None, Some(10), Some(20)])),
        ],
        Some(vec![false, true, true].into()),
    )
    .unwrap();
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("metaData", ArrowType::Struct(meta_fields), true),
        ArrowField::new("add", ArrowType::Struct(add_fields), true),
    ]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(meta), Arc::new(adds)]).unwrap();
    let props = WriterProperties::builder()
        .set_compression(ParquetCompression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    out
}

#[test]
fn delta_checkpoint_then_commits() {
    let cp = checkpoint();
    let t = table_from_log(&[], Some(&cp)).unwrap();
    assert_eq!(t.schema.fields.len(), 4);
    assert_eq!((t.version, t.live_files, t.live_bytes), (None, 2, 30));
    assert_eq!(t.name.as_deref(), Some("orders"));
    // A later commit removes a file and adds a column.
    let c = commit(&[
        metadata_line(SCHEMA_V2),
        r#"{"remove":{"path":"a.parquet","dataChange":true}}"#.into(),
    ]);
    let t = table_from_log(&[(11, &c)], Some(&cp)).unwrap();
    assert_eq!(t.schema.fields.len(), 6);
    assert_eq!((t.version, t.live_files), (Some(11), 1));
}

const ICEBERG_V1: &str = r#"{
  "format-version": 1,
  "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
  "location": "s3://bucket/warehouse/db/events",
  "last-updated-ms": 1704067200000,
  "last-column-id": 5,
  "schema": {"type": "struct", "schema-id": 0, "fields": [
    {"id": 1, "name": "id", "required": true, "type": "long"},
    {"id": 2, "name": "data", "required": false, "type": "string", "doc": "payload"},
    {"id": 3, "name": "ts", "required": false, "type": "timestamptz"},
    {"id": 4, "name": "price", "required": false, "type": "decimal(9, 2)"},
    {"id": 5, "name": "hash", "required": false, "type": "fixed[16]"}
  ]},
  "partition-spec": [{"name": "ts_day", "transform": "day", "source-id": 3, "field-id": 1000}],
  "properties": {"owner": "etl", "write.format.default": "parquet"},
  "current-snapshot-id": -1,
  "snapshots": []
}"#;

const ICEBERG_V2: &str = r#"{
  "format-version": 2,
  "table-uuid": "5f8e7c2b-1111-4a3c-8f00-2b6d1e9a7c55",
  "location": "s3://bucket/warehouse/db/orders",
  "last-sequence-number": 2,
  "last-updated-ms": 1704153600000,
  "last-column-id": 9,
  "current-schema-id": 1,
  "schemas": [
    {"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"}
    ]},
    {"type": "struct", "schema-id": 1, "identifier-field-ids": [1], "fields": [
      {"id": 1, "name": "id", "required": true, "type": "long"},
      {"id": 2, "name": "customer", "required": false, "type": {"type": "struct", "fields": [
        {"id": 5, "name": "name", "required": false, "type": "string"},
        {"id": 6, "name": "country", "required": false, "type": "string"}
      ]}},
      {"id": 3, "name": "items", "required": false, "type": {"type": "list", "element-id": 7, "element": "string", "element-required": false}},
      {"id": 4, "name": "attrs", "required": false, "type": {"type": "map", "key-id": 8, "key": "string", "value-id": 9, "value": "int", "value-required": false}},
      {"id": 10, "name": "placed", "required": true, "type": "timestamp"}
    ]}
  ],
  "default-spec-id": 1,
  "partition-specs": [
    {"spec-id": 0, "fields": []},
    {"spec-id": 1, "fields": [
      {"name": "country", "transform": "identity", "source-id": 6, "field-id": 1000},
      {"name": "id_bucket", "transform": "bucket[16]", "source-id": 1, "field-id": 1001}
    ]}
  ],
  "last-partition-id": 1001,
  "default-sort-order-id": 0,
  "sort-orders": [{"order-id": 0, "fields": []}],
  "properties": {"commit.retry.num-retries": "4"},
  "current-snapshot-id": 3051729675574597004,
  "snapshots": [
    {"snapshot-id": 1, "timestamp-ms": 1704067200000, "summary": {"operation": "append", "total-records": "10", "total-data-files": "1"}, "manifest-list": "s3://x/snap-1.avro", "schema-id": 0},
    {"snapshot-id": 3051729675574597004, "parent-snapshot-id": 1, "sequence-number": 2, "timestamp-ms": 1704153600000,
     "summary": {"operation": "overwrite", "added-data-files": "2", "total-records": "250", "total-data-files": "3", "total-delete-files": "0"},
     "manifest-list": "s3://x/snap-2.avro", "schema-id": 1}
  ]
}"#;

#[test]
fn iceberg_v1_metadata() {
    let t = table_from_metadata(ICEBERG_V1.as_bytes()).unwrap();
    assert_eq!(
        columns(&t.schema),
        [
            "id: int64 not null",
            "data: string",
            "ts: timestamp[us, UTC]",
            "price: decimal(9,2)",
            "hash: fixed_binary(16)",
        ]
    );
    assert_eq!(t.schema.fields[1].description.as_deref(), Some("payload"));
    assert_eq!(t.format_version, 1);
    assert_eq!(t.current_snapshot_id, None);
    assert_eq!((t.total_records, t.total_data_files), (None, None));
    assert_eq!(t.partition_fields.len(), 1);
    assert_eq!(t.partition_fields[0].source_column.as_deref(), Some("ts"));
    assert_eq!(t.partition_fields[0].transform, "day");
    assert_eq!(t.properties["owner"], "etl");
    assert_eq!(t.location.as_deref(), Some("s3://bucket/warehouse/db/events"));
}

#[test]
fn iceberg_v2_metadata() {
    let t = table_from_metadata(ICEBERG_V2.as_bytes()).unwrap();
    assert_eq!(
        columns(&t.schema),
        [
            "id: int64 not null",
            "customer: struct<name: string, country: string>",
            "items: list<string>",
            "attrs: map<string, int32>",
            "placed: timestamp[us] not null",
        ]
    );
    assert_eq!(t.format_version, 2);
    assert_eq!(t.current_schema_id, Some(1));
    assert_eq!(t.current_snapshot_id, Some(3051729675574597004));
    assert_eq!((t.total_records, t.total_data_files), (Some(250), Some(3)));
    let parts: Vec<_> = t
        .partition_fields
        .iter()
        .map(|p| (p.name.as_str(), p.source_column.as_deref(), p.transform.as_str()))
        .collect();
    assert_eq!(
        parts,
        [
            ("country", Some("customer.country"), "identity"),
            ("id_bucket", Some("id"), "bucket[16]")
        ]
    );
    assert_eq!(t.details["operation"], "overwrite");
    assert_eq!(t.details["snapshot_count"], 2);
}

#[test]
fn iceberg_errors_are_clear() {
    let err = table_from_metadata(b"[]").unwrap_err();
    assert!(err.to_string().contains("not a JSON object"), "{err}");
    let err = table_from_metadata(br#"{"format-version": 2, "current-schema-id": 7, "schemas": []}"#).unwrap_err();
    assert!(err.to_string().contains("current-schema-id 7"), "{err}");
    let err = table_from_metadata(br#"{"location": "x"}"#).unwrap_err();
    assert!(err.to_string().contains("format-version"), "{err}");
}

mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Table metadata readers answer on any bytes, JSON-like or not.
        #[test]
        fn table_readers_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..800),
            text in "[\\[\\]{}\",:0-9a-z\\-\\n ]{0,400}",
        ) {
            let _ = torro_formats::table_from_metadata(&bytes);
            let _ = torro_formats::table_from_metadata(text.as_bytes());
            let _ = torro_formats::table_from_log(&[(0, &bytes), (1, text.as_bytes())], None);
            let _ = torro_formats::table_from_log(&[], Some(&bytes));
        }

        /// Realistic documents with one value swapped for junk.
        #[test]
        fn mutated_metadata_never_panics(at in 0usize..3000, junk in "[\\[\\]{}\",:0-9a-z ]{1,6}") {
            for doc in [super::ICEBERG_V1, super::ICEBERG_V2] {
                let at = at.min(doc.len());
                let mut s = doc.as_bytes()[..at].to_vec();
                s.extend_from_slice(junk.as_bytes());
                s.extend_from_slice(&doc.as_bytes()[at..]);
                let _ = torro_formats::table_from_metadata(&s);
            }
            let owned = super::three_commits();
            let mut c2 = owned[2].1.clone();
            let at = at.min(c2.len());
            c2.splice(at..at, junk.bytes());
            let _ = torro_formats::table_from_log(&[(0, &owned[0].1), (2, &c2)], None);
        }
    }
}
