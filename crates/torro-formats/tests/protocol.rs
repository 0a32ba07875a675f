//! Drives `initial_read` / `infer` the way the engine does, over fixtures built in code,
//! and counts what was read.

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_array::{
    ArrayRef, Decimal128Array, Int32Array, Int64Array, RecordBatch, StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Fields, Schema as ArrowSchema};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;
use torro_formats::{
    ByteRange, Compression, FormatError, HEAD_BYTES, InferOptions, Inferred, MAX_WINDOW, Outcome, Window, infer,
    initial_read,
};
use torro_model::FileFormat;

/// What the engine did for one file.
struct Run {
    result: Result<Inferred, FormatError>,
    reads: usize,
    bytes_read: u64,
}

/// The engine: fetch the initial range, then only the missing bytes of each larger
/// window, merging into one contiguous window, until an answer.
fn drive(format: FormatAndCompression, file: &[u8]) -> Run {
    let (format, compression) = format;
    let size = file.len() as u64;
    let mut range = initial_read(format, size);
    let mut window: Vec<u8> = file[range.start as usize..range.end as usize].to_vec();
    let mut reads = 1;
    let mut bytes_read = range.len();
    loop {
        let outcome = infer(
            format,
            compression,
            size,
            &Window {
                offset: range.start,
                bytes: &window,
            },
            &InferOptions::default(),
        );
        match outcome {
            Ok(Outcome::Inferred(i)) => {
                return Run {
                    result: Ok(i),
                    reads,
                    bytes_read,
                };
            }
            Err(e) => {
                return Run {
                    result: Err(e),
                    reads,
                    bytes_read,
                };
            }
            Ok(Outcome::NeedMore(next)) => {
                assert!(
                    next.start <= range.start && next.end >= range.end,
                    "{next:?} is not a superset of {range:?}"
                );
                assert!(next.len() <= MAX_WINDOW, "{next:?} is larger than MAX_WINDOW");
                assert!(
                    next.end <= size && next != range,
                    "{next:?} for a file of {size} bytes, window {range:?}"
                );
                let mut merged = file[next.start as usize..range.start as usize].to_vec();
                merged.extend_from_slice(&window);
                merged.extend_from_slice(&file[range.end as usize..next.end as usize]);
                reads += 1;
                bytes_read += next.len() - range.len();
                window = merged;
                range = next;
                assert!(reads < 20, "too many reads");
            }
        }
    }
}

type FormatAndCompression = (FileFormat, Compression);
const CSV: FormatAndCompression = (FileFormat::Csv, Compression::None);
const JSON: FormatAndCompression = (FileFormat::Json, Compression::None);
const PARQUET: FormatAndCompression = (FileFormat::Parquet, Compression::None);
const AVRO: FormatAndCompression = (FileFormat::Avro, Compression::None);

fn ok(run: &Run) -> &Inferred {
    match &run.result {
        Ok(i) => i,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn columns(i: &Inferred) -> Vec<String> {
    i.schema
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

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn big_csv(rows: usize) -> String {
    let mut s = String::from("id,amount,label,created\n");
    for i in 0..rows {
        s.push_str(&format!(
            "{i},{}.{:02},item {i},2024-01-{:02}T10:00:00Z\n",
            i * 3,
            i % 100,
            i % 28 + 1
        ));
    }
    s
}

// ---------- CSV ----------

#[test]
fn csv_reads_one_head_only() {
    let file = big_csv(20_000);
    assert!(file.len() > 500_000);
    let run = drive(CSV, file.as_bytes());
    let i = ok(&run);
    assert_eq!((run.reads, run.bytes_read), (1, HEAD_BYTES));
    assert_eq!(
        columns(i),
        [
            "id: int64 not null",
            "amount: decimal(6,2) not null",
            "label: string not null",
            "created: timestamp[us, UTC] not null"
        ]
    );
    assert_eq!(i.row_count, None);
    assert_eq!(i.details["sampled_rows"], 1000);
    let estimate = i.details["estimated_row_count"].as_u64().unwrap();
    assert!((10_000..30_000).contains(&estimate), "{estimate}");
}

#[test]
fn small_csv_counts_rows_exactly() {
    let run = drive(CSV, big_csv(50).as_bytes());
    assert_eq!(ok(&run).row_count, Some(50));
    assert_eq!(run.reads, 1);
}

#[test]
fn gzip_csv_infers_from_the_compressed_head() {
    let file = gzip(big_csv(200_000).as_bytes());
    assert!(file.len() as u64 > HEAD_BYTES);
    let run = drive((FileFormat::Csv, Compression::Gzip), &file);
    let i = ok(&run);
    assert_eq!((run.reads, i.details["compression"].as_str()), (1, Some("gzip")));
    assert_eq!(i.schema.fields.len(), 4);
    assert_eq!(i.row_count, None);
    let small = gzip(big_csv(10).as_bytes());
    assert_eq!(
        ok(&drive((FileFormat::Csv, Compression::Gzip), &small)).row_count,
        Some(10)
    );
}

#[test]
fn truncated_gzip_uses_the_decompressed_prefix() {
    let full = gzip(big_csv(5_000).as_bytes());
    let cut = &full[..full.len() / 2];
    let run = drive((FileFormat::Csv, Compression::Gzip), cut);
    let i = ok(&run);
    assert_eq!(i.schema.fields[0].name, "id");
    assert_eq!(i.row_count, None, "a cut stream gives no exact count");
}

fn bzip2(bytes: &[u8], level: bzip2::Compression) -> Vec<u8> {
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), level);
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(bytes, 3).unwrap()
}

#[test]
fn bzip2_and_zstd_text_infer_from_the_compressed_head() {
    let csv = big_csv(60_000);
    let expected = [
        "id: int64 not null",
        "amount: decimal(6,2) not null",
        "label: string not null",
        "created: timestamp[us, UTC] not null",
    ];
    // Small bzip2 blocks (level 1: 100 kB) and zstd: the 64 KiB head holds whole blocks.
    for (compression, file) in [
        (Compression::Bzip2, bzip2(csv.as_bytes(), bzip2::Compression::fast())),
        (Compression::Zstd, zstd(csv.as_bytes())),
    ] {
        assert!(file.len() as u64 > HEAD_BYTES, "{compression}");
        let run = drive((FileFormat::Csv, compression), &file);
        let i = ok(&run);
        assert_eq!(run.reads, 1, "{compression}");
        assert_eq!(columns(i), expected, "{compression}");
        assert_eq!(i.details["compression"], compression.as_str());
        assert_eq!(i.row_count, None);
    }
    // Level 9 bzip2: the first 900 kB block is longer than the head; one more read of 1 MiB
    // (or the whole file when smaller).
    let file = bzip2(csv.as_bytes(), bzip2::Compression::best());
    assert!(file.len() as u64 > 2 * HEAD_BYTES, "{}", file.len());
    let run = drive((FileFormat::Csv, Compression::Bzip2), &file);
    assert_eq!(columns(ok(&run)), expected);
    assert_eq!((run.reads, run.bytes_read), (2, file.len().min(1024 * 1024) as u64));
}

#[test]
fn small_compressed_json_is_counted_exactly() {
    let ndjson: String = (0..50).map(|i| format!("{{\"id\":{i},\"tags\":[\"a\"]}}\n")).collect();
    for (compression, file) in [
        (Compression::Gzip, gzip(ndjson.as_bytes())),
        (Compression::Bzip2, bzip2(ndjson.as_bytes(), bzip2::Compression::fast())),
        (Compression::Zstd, zstd(ndjson.as_bytes())),
    ] {
        let run = drive((FileFormat::Ndjson, compression), &file);
        let i = ok(&run);
        assert_eq!(i.row_count, Some(50), "{compression}");
        assert_eq!(columns(i), ["id: int64 not null", "tags: list<string> not null"]);
    }
}

#[test]
fn compression_is_refused_for_binary_formats_and_checked_by_magic() {
    let err = drive((FileFormat::Parquet, Compression::Zstd), b"PAR1....PAR1")
        .result
        .unwrap_err();
    assert!(err.to_string().contains("zstd"), "{err}");
    let err = drive((FileFormat::Json, Compression::Bzip2), b"{\"a\": 1}")
        .result
        .unwrap_err();
    assert!(err.to_string().contains(".bz2"), "{err}");
}

#[test]
fn a_long_first_record_needs_more_reads() {
    let wide: Vec<String> = (0..20_000).map(|i| format!("col{i}")).collect();
    let file = format!(
        "{}\n{}\n",
        wide.join(","),
        (0..20_000).map(|i| i.to_string()).collect::<Vec<_>>().join(",")
    );
    let run = drive(CSV, file.as_bytes());
    let i = ok(&run);
    assert_eq!(i.schema.fields.len(), 20_000);
    assert_eq!(i.details["has_header"], true);
    assert!(
        run.reads > 1 && run.bytes_read <= file.len() as u64,
        "{} reads",
        run.reads
    );
}

#[test]
fn a_50_mb_single_line_stops_at_max_window() {
    let file = vec![b'a'; 50 * 1024 * 1024];
    let run = drive(CSV, &file);
    match &run.result {
        Err(FormatError::TooLarge(m)) => assert!(m.contains("longer than 4 MiB"), "{m}"),
        other => panic!("{:?}", other.as_ref().map(|_| ())),
    }
    assert_eq!(run.bytes_read, MAX_WINDOW);
}

#[test]
fn binary_junk_named_csv_is_refused() {
    let junk: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    match drive(CSV, &junk).result {
        Err(FormatError::Invalid { message, .. }) => assert!(message.contains("binary"), "{message}"),
        other => panic!("{:?}", other.map(|i| i.schema)),
    }
}

#[test]
fn latin1_and_utf16_csv() {
    let latin1 = b"nom;ville\nFran\xe7ois;Z\xfcrich\n";
    let i = drive(CSV, latin1).result.unwrap();
    assert_eq!(i.details["encoding"], "windows-1252");
    assert_eq!(i.details["delimiter"], ";");
    assert_eq!(columns(&i), ["nom: string not null", "ville: string not null"]);

    let text = "name\tprice\nçà\t1.50\n";
    for (bom, le) in [([0xff, 0xfe], true), ([0xfe, 0xff], false)] {
        let mut file = bom.to_vec();
        for u in text.encode_utf16() {
            file.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        let i = drive((FileFormat::Tsv, Compression::None), &file).result.unwrap();
        assert_eq!(i.details["encoding"], if le { "utf-16le" } else { "utf-16be" });
        assert_eq!(columns(&i), ["name: string not null", "price: decimal(3,2) not null"]);
    }
}

#[test]
fn empty_files_are_empty_for_every_format() {
    for format in FileFormat::ALL {
        assert_eq!(
            drive((format, Compression::None), b"").result.unwrap_err(),
            FormatError::Empty,
            "{format}"
        );
    }
}

// ---------- JSON ----------

#[test]
fn json_array_head_is_enough() {
    let mut file = String::from("[\n");
    for i in 0..20_000 {
        file.push_str(&format!(
            "{{\"id\": {i}, \"user\": {{\"name\": \"u{i}\", \"tags\": [\"a\"]}}, \"score\": {}}},\n",
            if i % 2 == 0 { "1".to_string() } else { format!("{i}.5") }
        ));
    }
    file.push_str("{\"id\": -1}]");
    let run = drive(JSON, file.as_bytes());
    let i = ok(&run);
    assert_eq!((run.reads, run.bytes_read), (1, HEAD_BYTES));
    assert_eq!(
        columns(i),
        [
            "id: int64 not null",
            "user: struct<name: string not null, tags: list<string> not null> not null",
            "score: float64 not null"
        ]
    );
    assert_eq!(i.format, FileFormat::Json);
    assert_eq!(i.row_count, None);
}

#[test]
fn json_named_file_holding_ndjson_is_reported_as_ndjson() {
    let file: String = (0..10)
        .map(|i| format!("{{\"a\": {i}, \"when\": \"2024-01-0{}\"}}\n", i % 9 + 1))
        .collect();
    let i = drive(JSON, file.as_bytes()).result.unwrap();
    assert_eq!(i.format, FileFormat::Ndjson);
    assert_eq!(columns(&i), ["a: int64 not null", "when: date not null"]);
    assert_eq!(i.row_count, Some(10));
}

#[test]
fn json_nested_100000_levels_is_a_clear_error() {
    let file = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let run = drive(JSON, file.as_bytes());
    match run.result {
        Err(FormatError::Invalid { message, .. }) => assert!(message.contains("deeper than 64"), "{message}"),
        other => panic!("{:?}", other.map(|i| i.schema)),
    }
    assert_eq!(run.reads, 1);
    let objects = format!("{}{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
    assert!(
        drive((FileFormat::Ndjson, Compression::None), objects.as_bytes())
            .result
            .is_err()
    );
}

// ---------- Parquet ----------

fn parquet_file(batch: &RecordBatch, props: WriterProperties) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
    out
}

fn nested_batch(rows: usize) -> RecordBatch {
    let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows as i64));
    let names: ArrayRef = Arc::new(StringArray::from_iter(
        (0..rows).map(|i| (i % 3 != 0).then(|| format!("n{i}"))),
    ));
    let prices: ArrayRef = Arc::new(
        Decimal128Array::from_iter_values((0..rows).map(|i| i as i128))
            .with_precision_and_scale(10, 2)
            .unwrap(),
    );
    let at: ArrayRef =
        Arc::new(TimestampMicrosecondArray::from_iter_values((0..rows).map(|i| i as i64)).with_timezone("UTC"));
    let mut tags = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        tags.values().append_value(format!("t{i}"));
        tags.append(true);
    }
    let tags: ArrayRef = Arc::new(tags.finish());
    let inner_fields = Fields::from(vec![
        ArrowField::new("city", ArrowType::Utf8, true),
        ArrowField::new("zip", ArrowType::Int32, false),
    ]);
    let address: ArrayRef = Arc::new(StructArray::new(
        inner_fields,
        vec![
            Arc::new(StringArray::from_iter_values((0..rows).map(|i| format!("c{i}")))) as ArrayRef,
            Arc::new(Int32Array::from_iter_values(0..rows as i32)),
        ],
        None,
    ));
    RecordBatch::try_from_iter_with_nullable(vec![
        ("id", ids, false),
        ("name", names, true),
        ("price", prices, false),
        ("at", at, true),
        ("tags", tags, true),
        ("address", address, true),
    ])
    .unwrap()
}

#[test]
fn parquet_small_footer_is_one_read() {
    let file = parquet_file(&nested_batch(100), WriterProperties::builder().build());
    let run = drive(PARQUET, &file);
    let i = ok(&run);
    assert_eq!(run.reads, 1);
    assert_eq!(
        columns(i),
        [
            "id: int64 not null",
            "name: string",
            "price: decimal(10,2) not null",
            "at: timestamp[us, UTC]",
            "tags: list<string>",
            "address: struct<city: string, zip: int32 not null>",
        ]
    );
    assert_eq!(i.row_count, Some(100));
    assert_eq!(i.details["num_row_groups"], 1);
    assert_eq!(i.details["compression_codecs"], serde_json::json!(["uncompressed"]));
    assert!(i.details["created_by"].as_str().unwrap().contains("parquet-rs"));
    assert!(i.details["key_value_metadata"]["ARROW:schema"].is_string());
}

#[test]
fn parquet_large_footer_is_exactly_two_reads() {
    let fields: Vec<ArrowField> = (0..1500)
        .map(|i| ArrowField::new(format!("column_{i}"), ArrowType::Int64, true))
        .collect();
    let columns_data: Vec<ArrayRef> = (0..1500)
        .map(|_| Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(Arc::new(ArrowSchema::new(fields)), columns_data).unwrap();
    let file = parquet_file(&batch, WriterProperties::builder().build());
    let footer_len = u32::from_le_bytes(file[file.len() - 8..file.len() - 4].try_into().unwrap()) as u64;
    assert!(footer_len > HEAD_BYTES, "footer of {footer_len} bytes");
    let run = drive(PARQUET, &file);
    let i = ok(&run);
    assert_eq!(run.reads, 2);
    assert_eq!(run.bytes_read, footer_len + 8);
    assert_eq!(i.schema.fields.len(), 1500);
    assert_eq!(i.row_count, Some(2));
}

#[test]
fn parquet_big_key_value_metadata_needs_a_second_read() {
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
            "big".into(),
            "x".repeat(200_000),
        )]))
        .build();
    let file = parquet_file(&nested_batch(3), props);
    let run = drive(PARQUET, &file);
    let i = ok(&run);
    assert_eq!(run.reads, 2);
    assert!(
        i.details["key_value_metadata"]["big"]
            .as_str()
            .unwrap()
            .ends_with("(200000 bytes in all)")
    );
}

#[test]
fn truncated_and_corrupt_parquet_fail_clearly() {
    let file = parquet_file(&nested_batch(10), WriterProperties::builder().build());
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (file[..file.len() - 3].to_vec(), "magic"),
        (file[..10].to_vec(), "too small"),
        (
            [&file[..file.len() / 2], &file[file.len() - 8..]].concat(),
            "more than the file",
        ),
        (
            {
                let mut f = file.clone();
                let n = f.len();
                for b in &mut f[n - 200..n - 8] {
                    *b = 0xff;
                }
                f
            },
            "corrupt",
        ),
    ];
    for (bytes, want) in cases {
        match drive(PARQUET, &bytes).result {
            Err(FormatError::Invalid { message, .. }) => assert!(message.contains(want), "{message} / {want}"),
            other => panic!("{:?}", other.map(|i| i.schema)),
        }
    }
}

// ---------- Avro ----------

#[test]
fn avro_files_from_the_writer() {
    let schema = apache_avro::Schema::parse_str(
        r#"{"type": "record", "name": "Order", "namespace": "shop", "fields": [
            {"name": "id", "type": "long"},
            {"name": "note", "type": ["null", "string"], "default": null},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Item",
                "fields": [{"name": "sku", "type": "string"}, {"name": "id", "type": {"type": "string", "logicalType": "uuid"}}]}}}
        ]}"#,
    )
    .unwrap();
    let mut writer = apache_avro::Writer::new(&schema, Vec::new()).unwrap();
    for n in 0..1000i64 {
        let mut record = apache_avro::types::Record::new(&schema).unwrap();
        record.put("id", n);
        record.put(
            "note",
            apache_avro::types::Value::Union(0, Box::new(apache_avro::types::Value::Null)),
        );
        record.put("day", apache_avro::types::Value::Date(19_000));
        record.put("items", apache_avro::types::Value::Array(vec![]));
        writer.append_value(record).unwrap();
    }
    let file = writer.into_inner().unwrap();
    let run = drive(AVRO, &file);
    let i = ok(&run);
    assert_eq!(run.reads, 1);
    assert_eq!(
        columns(i),
        [
            "id: int64 not null",
            "note: string",
            "day: date not null",
            "items: list<struct<sku: string not null, id: uuid not null>> not null"
        ]
    );
    assert_eq!(i.details["codec"], "null");
    assert_eq!(i.details["schema_namespace"], "shop");
    assert_eq!(i.row_count, None);
}

#[test]
fn avro_header_longer_than_the_head() {
    let fields: Vec<String> = (0..3000)
        .map(|i| format!("{{\"name\": \"f{i}\", \"type\": \"double\"}}"))
        .collect();
    let schema_text = format!(
        "{{\"type\": \"record\", \"name\": \"Wide\", \"fields\": [{}]}}",
        fields.join(",")
    );
    let schema = apache_avro::Schema::parse_str(&schema_text).unwrap();
    let writer = apache_avro::Writer::new(&schema, Vec::new()).unwrap();
    let file = writer.into_inner().unwrap();
    assert!(file.len() as u64 > HEAD_BYTES);
    let run = drive(AVRO, &file);
    assert_eq!(ok(&run).schema.fields.len(), 3000);
    assert_eq!(run.reads, 2);
    let cut = &file[..file.len() - 20];
    assert!(matches!(drive(AVRO, cut).result, Err(FormatError::Invalid { .. })));
}

// ---------- Excel ----------

const EXCEL: FormatAndCompression = (FileFormat::Excel, Compression::None);

#[test]
fn xlsx_sheets_from_openpyxl() {
    let file = include_bytes!("fixtures/orders.xlsx");
    let run = drive(EXCEL, file);
    let i = ok(&run);
    assert_eq!((run.reads, run.bytes_read), (1, file.len() as u64), "read whole, once");
    assert_eq!(
        columns(i),
        [
            "id: int64 not null",
            "customer: string not null",
            "amount: float64 not null",
            "paid: boolean not null",
            "ordered_on: date not null",
            "shipped_at: timestamp[us] not null",
            "note: string",
        ]
    );
    assert_eq!(i.row_count, Some(20));
    let d = &i.details;
    assert_eq!(d["container"], "xlsx");
    assert_eq!(d["sheet"], "Orders");
    assert_eq!(d["sheet_count"], 4);
    let sheets = d["sheets"].as_array().unwrap();
    let names: Vec<_> = sheets.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Orders", "Empty", "Codes", "Hidden"]);
    assert_eq!(sheets[1]["columns"], serde_json::json!([]));
    assert_eq!(sheets[1]["row_count"], 0);
    assert_eq!(
        sheets[2]["columns"],
        serde_json::json!([
            {"name": "code", "type": "string", "nullable": false},
            {"name": "label", "type": "string", "nullable": false},
        ])
    );
    assert_eq!(sheets[3]["visible"], "hidden");
    assert_eq!(sheets[3]["has_header"], false);
    assert_eq!(
        sheets[3]["columns"],
        serde_json::json!([
            {"name": "column_1", "type": "int64", "nullable": false},
            {"name": "column_2", "type": "float64", "nullable": false},
        ])
    );
}

#[test]
fn xls_from_xlwt() {
    let file = include_bytes!("fixtures/people.xls");
    let run = drive(EXCEL, file);
    let i = ok(&run);
    assert_eq!(
        columns(i),
        [
            "name: string not null",
            "age: int64 not null",
            "height: float64 not null",
            "born: date not null",
        ]
    );
    assert_eq!(i.row_count, Some(3));
    assert_eq!(i.details["container"], "xls");
    assert_eq!(i.details["sheet"], "People");
}

#[test]
fn excel_over_the_limit_is_refused_after_one_head_read() {
    let mut file = include_bytes!("fixtures/orders.xlsx").to_vec();
    file.resize(MAX_WINDOW as usize + 1, 0);
    let run = drive(EXCEL, &file);
    assert_eq!((run.reads, run.bytes_read), (1, HEAD_BYTES));
    let err = run.result.unwrap_err();
    assert!(matches!(err, FormatError::TooLarge(_)), "{err}");
    assert!(err.to_string().contains("Excel file"), "{err}");
}

#[test]
fn damaged_workbooks_fail_clearly() {
    let file = include_bytes!("fixtures/orders.xlsx");
    let err = drive(EXCEL, &file[..file.len() / 2]).result.unwrap_err();
    assert!(err.to_string().contains("not a valid excel file"), "{err}");
    let err = drive(EXCEL, b"id,name\n1,a\n").result.unwrap_err();
    assert!(err.to_string().contains("neither a zip-based workbook"), "{err}");
    let xls = include_bytes!("fixtures/people.xls");
    let err = drive(EXCEL, &xls[..xls.len() - 600]).result.unwrap_err();
    assert!(err.to_string().contains("not a valid excel file"), "{err}");
}

/// A damaged .xls whose DIMENSIONS record declares billions of cells is refused before
/// calamine reserves memory for them (a failed allocation would abort the process).
#[test]
fn an_xls_declaring_a_huge_sheet_is_refused_not_allocated() {
    let original = include_bytes!("fixtures/people.xls");
    let dims = original
        .windows(4)
        .position(|w| w == [0x00, 0x02, 0x0e, 0x00])
        .expect("the fixture has a BIFF8 DIMENSIONS record");
    // Last row + 1 (u32 at +8 of the record): 4,000,000,000 rows.
    let mut huge = original.to_vec();
    huge[dims + 8..dims + 12].copy_from_slice(&4_000_000_000u32.to_le_bytes());
    let err = drive(EXCEL, &huge).result.unwrap_err();
    assert!(err.to_string().contains("declares rows"), "{err}");
    // First row after the last one: calamine's size arithmetic would wrap.
    let mut inverted = original.to_vec();
    inverted[dims + 4..dims + 8].copy_from_slice(&9u32.to_le_bytes());
    let err = drive(EXCEL, &inverted).result.unwrap_err();
    assert!(err.to_string().contains("declares rows"), "{err}");
    // The untouched file still reads.
    assert!(drive(EXCEL, original).result.is_ok());
}

// ---------- ORC ----------

const ORC: FormatAndCompression = (FileFormat::Orc, Compression::None);

#[test]
fn orc_footers_from_pyarrow_in_every_codec() {
    let files: [(&str, &[u8]); 5] = [
        ("none", include_bytes!("fixtures/orders_uncompressed.orc")),
        ("zlib", include_bytes!("fixtures/orders_zlib.orc")),
        ("snappy", include_bytes!("fixtures/orders_snappy.orc")),
        ("zstd", include_bytes!("fixtures/orders_zstd.orc")),
        ("lz4", include_bytes!("fixtures/orders_lz4.orc")),
    ];
    for (codec, file) in files {
        let run = drive(ORC, file);
        let i = ok(&run);
        assert_eq!(run.reads, 1, "{codec}: the 64 KiB suffix holds the tail");
        assert_eq!(
            columns(i),
            [
                "id: int64",
                "name: string",
                "price: decimal(10,2)",
                "ordered: timestamp[ns]",
                "day: date",
                "ok: boolean",
                "ratio: float64",
                "small: int16",
                "tags: list<string>",
                "attrs: map<string, int32>",
                "address: struct<city: string, zip: int32>",
                "blob: binary",
            ],
            "{codec}"
        );
        assert_eq!(i.row_count, Some(1000), "{codec}");
        assert_eq!(i.details["compression"], codec);
        assert!(i.details["num_stripes"].as_u64().unwrap() >= 1, "{codec}");
    }
}

#[test]
fn orc_tail_longer_than_the_first_read_needs_one_more() {
    // A hand-made file whose footer carries 100 KiB of user metadata.
    let big = "x".repeat(100 * 1024);
    let mut footer = Vec::new();
    pb_bytes(4, &[0x08, 12, 0x12, 1, 1, 0x1a, 2, b'i', b'd'], &mut footer); // struct<id>
    pb_bytes(4, &[0x08, 4], &mut footer); // long
    let mut item = Vec::new();
    pb_bytes(1, b"note", &mut item);
    pb_bytes(2, big.as_bytes(), &mut item);
    pb_bytes(5, &item, &mut footer);
    footer.extend_from_slice(&[6 << 3, 7]); // 7 rows
    let mut ps = Vec::new();
    ps.push(1 << 3);
    pb_varint(footer.len() as u64, &mut ps);
    pb_bytes(8000, b"ORC", &mut ps);
    let mut file = b"ORC".to_vec();
    file.extend_from_slice(&footer);
    file.extend_from_slice(&ps);
    file.push(ps.len() as u8);

    let run = drive(ORC, &file);
    let i = ok(&run);
    assert_eq!(run.reads, 2);
    assert_eq!(columns(i), ["id: int64"]);
    assert_eq!(i.row_count, Some(7));
    assert_eq!(i.details["key_value_metadata"]["note"]["length"], 100 * 1024);
}

#[test]
fn corrupt_orc_fails_clearly() {
    let file = include_bytes!("fixtures/orders_zlib.orc");
    let err = drive(ORC, &file[..file.len() - 1]).result.unwrap_err();
    assert!(matches!(err, FormatError::Invalid { .. }), "{err}");
    let err = drive(ORC, b"PAR1 not an orc file PAR1").result.unwrap_err();
    assert!(err.to_string().contains("really ORC"), "{err}");
    let mut flipped = file.to_vec();
    let n = flipped.len();
    flipped[n - 40] ^= 0xff; // inside the compressed footer
    assert!(drive(ORC, &flipped).result.is_err());
}

fn pb_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn pb_bytes(field: u64, bytes: &[u8], out: &mut Vec<u8>) {
    pb_varint(field << 3 | 2, out);
    pb_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

// ---------- properties ----------

fn any_format() -> impl Strategy<Value = FormatAndCompression> {
    (
        prop::sample::select(FileFormat::ALL.to_vec()),
        prop::sample::select(Compression::ALL.to_vec()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Whatever the bytes, `infer` answers without panicking, and every NeedMore is a
    /// superset of the window within MAX_WINDOW (asserted by `drive`).
    #[test]
    fn infer_never_panics(format in any_format(), bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let _ = drive(format, &bytes);
    }

    /// The same with text-like input that reaches the parsers rather than the binary check.
    #[test]
    fn infer_never_panics_on_text(
        format in any_format(),
        text in "[\\[\\]{}\",;:0-9a-z.\\-\\n\\t TZ'|\\\\]{0,600}",
        offset_hint in 0u64..100_000,
    ) {
        let _ = drive(format, text.as_bytes());
        // A window in the middle of a larger file must not panic either.
        let size = text.len() as u64 + offset_hint;
        let window = Window { offset: offset_hint.min(size), bytes: text.as_bytes() };
        let _ = infer(format.0, format.1, size, &window, &InferOptions::default());
    }

    /// Real workbooks with bytes overwritten: an answer (often an error), never a panic.
    #[test]
    fn damaged_workbooks_never_panic(
        xls in any::<bool>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let mut file = if xls {
            include_bytes!("fixtures/people.xls").to_vec()
        } else {
            include_bytes!("fixtures/orders.xlsx").to_vec()
        };
        for (at, byte) in edits {
            let i = at.index(file.len());
            file[i] = byte;
        }
        let _ = drive(EXCEL, &file);
    }

    /// Real ORC files with bytes of the tail overwritten: an answer, never a panic.
    #[test]
    fn damaged_orc_tails_never_panic(
        codec in 0usize..5,
        edits in prop::collection::vec((0usize..600, any::<u8>()), 1..8),
    ) {
        let files: [&[u8]; 5] = [
            include_bytes!("fixtures/orders_uncompressed.orc"),
            include_bytes!("fixtures/orders_zlib.orc"),
            include_bytes!("fixtures/orders_snappy.orc"),
            include_bytes!("fixtures/orders_zstd.orc"),
            include_bytes!("fixtures/orders_lz4.orc"),
        ];
        let mut file = files[codec].to_vec();
        let n = file.len();
        for (back, byte) in edits {
            file[n - 1 - back.min(n - 1)] = byte;
        }
        let _ = drive(ORC, &file);
    }

    /// A real Parquet file with bytes of its footer overwritten: an answer, never a panic
    /// or an abort (list lengths and sizes in the footer are where a decoder could over-allocate).
    #[test]
    fn damaged_parquet_footers_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
    ) {
        let mut file = parquet_file(&nested_batch(20), WriterProperties::builder().build());
        let footer_len = u32::from_le_bytes(file[file.len() - 8..file.len() - 4].try_into().unwrap()) as usize;
        let footer_start = file.len() - 8 - footer_len;
        for (at, byte) in edits {
            let i = footer_start + at.index(footer_len);
            file[i] = byte;
        }
        let _ = drive(PARQUET, &file);
    }

    /// Parquet with a valid tail around arbitrary metadata bytes.
    #[test]
    fn parquet_footers_of_junk_never_panic(meta in prop::collection::vec(any::<u8>(), 0..600)) {
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(&meta);
        file.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        file.extend_from_slice(b"PAR1");
        prop_assert!(drive(PARQUET, &file).result.is_err(), "junk metadata decoded as a footer");
    }
}

#[test]
fn need_more_ranges_are_bounded() {
    // A window that cannot grow past MAX_WINDOW, for every format: the answer is an error or a result.
    let range = ByteRange {
        start: 0,
        end: MAX_WINDOW,
    };
    let bytes = vec![b'{'; MAX_WINDOW as usize];
    for format in FileFormat::ALL {
        let out = infer(
            format,
            Compression::None,
            MAX_WINDOW * 4,
            &Window {
                offset: range.start,
                bytes: &bytes,
            },
            &InferOptions::default(),
        );
        if let Ok(Outcome::NeedMore(next)) = out {
            assert!(
                next.len() <= MAX_WINDOW && next.start <= range.start && next.end >= range.end,
                "{format}: {next:?}"
            );
        }
    }
}
