//! Sample data lakes on local disk: a small fixed demo lake for `torro serve --demo`,
//! and N generated files for benchmarks. Deterministic for a given seed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use apache_avro::types::Value as AvroValue;
use arrow_array::builder::{Int64Builder, ListBuilder, StringBuilder};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray, StructArray,
    TimestampMicrosecondArray,
};
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;

/// splitmix64: tiny, fast, and stable forever, so a seed always makes the same lake.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64) as usize]
    }
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Linus", "Margaret", "Ken", "Frances", "Dennis",
];
const LAST: &[&str] = &[
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Torvalds", "Hamilton", "Thompson",
];
const COUNTRIES: &[&str] = &["FR", "DE", "GB", "US", "NL", "ES", "IT", "SE"];
const PRODUCTS: &[&str] = &["laptop", "monitor", "keyboard", "mouse", "dock", "headset", "webcam"];

/// Writes `bytes` unless the file already holds exactly them, so running the demo again
/// leaves modification times alone and the rescan finds nothing changed.
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if fs::read(path).is_ok_and(|existing| existing == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn date(rng: &mut Rng) -> String {
    format!("2024-{:02}-{:02}", rng.range(1, 13), rng.range(1, 29))
}

fn timestamp(rng: &mut Rng) -> String {
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(rng),
        rng.range(0, 24),
        rng.range(0, 60),
        rng.range(0, 60)
    )
}

fn person(rng: &mut Rng) -> (String, String) {
    let (f, l) = (*rng.pick(FIRST), *rng.pick(LAST));
    (
        format!("{f} {l}"),
        format!("{}.{}@example.com", f.to_lowercase(), l.to_lowercase()),
    )
}

/// The fixed demo lake: every format Torro reads, nested and partitioned folders,
/// a gzip CSV, a Latin-1 CSV and one file it cannot read (to show a per-file error).
pub fn generate_demo(dir: &Path) -> Result<usize> {
    let mut rng = Rng::new(42);
    let mut files = 0;
    let mut put = |rel: &str, bytes: Vec<u8>| -> Result<()> {
        files += 1;
        write(&dir.join(rel), &bytes)
    };

    let mut customers = String::from("customer_id,full_name,email,country,signup_date,lifetime_value,is_active\n");
    for id in 1..=200 {
        let (name, email) = person(&mut rng);
        let value = format!("{}.{:02}", rng.range(0, 5000), rng.range(0, 100));
        customers.push_str(&format!(
            "{id},{name},{email},{},{},{value},{}\n",
            rng.pick(COUNTRIES),
            date(&mut rng),
            rng.range(0, 2) == 1
        ));
    }
    put("raw/crm/customers.csv", customers.into_bytes())?;

    let mut contacts = String::from("contact_id\tcustomer_id\tphone\tpreferred_channel\tlast_contacted_at\n");
    for id in 1..=150 {
        contacts.push_str(&format!(
            "{id}\t{}\t+33 6 {:02} {:02} {:02} {:02}\t{}\t{}\n",
            rng.range(1, 201),
            rng.range(0, 100),
            rng.range(0, 100),
            rng.range(0, 100),
            rng.range(0, 100),
            rng.pick(&["email", "phone", "sms"]),
            timestamp(&mut rng)
        ));
    }
    put("raw/crm/contacts.tsv", contacts.into_bytes())?;

    // Latin-1 bytes (é = 0xE9), as legacy exports are.
    let mut suppliers: Vec<u8> = b"supplier_id;name;city\n".to_vec();
    for (i, (name, city)) in [
        ("Société Générale", "Paris"),
        ("Café Noël", "Orléans"),
        ("Müller AG", "Köln"),
    ]
    .iter()
    .enumerate()
    {
        let line = format!("{};{name};{city}\n", i + 1);
        suppliers.extend(line.chars().map(|c| c as u32 as u8));
    }
    put("raw/legacy/suppliers_latin1.csv", suppliers)?;

    for day in 1..=3 {
        let mut events = String::new();
        for i in 0..100 {
            let (_, email) = person(&mut rng);
            let items: Vec<String> = (0..rng.range(0, 4))
                .map(|_| format!("\"{}\"", rng.pick(PRODUCTS)))
                .collect();
            events.push_str(&format!(
                "{{\"event_id\":{},\"event_type\":\"{}\",\"occurred_at\":\"2024-01-0{day}T10:{:02}:00Z\",\"user\":{{\"email\":\"{email}\",\"agent\":\"{}\"}},\"items\":[{}],\"value\":{}}}\n",
                day * 1000 + i,
                rng.pick(&["view", "click", "purchase"]),
                i % 60,
                rng.pick(&["firefox", "chrome", "safari"]),
                items.join(","),
                if i % 7 == 0 { "null".to_string() } else { format!("{}.{}", rng.range(1, 500), rng.range(0, 10)) }
            ));
        }
        put(
            &format!("raw/events/clickstream/2024-01-0{day}.ndjson"),
            events.into_bytes(),
        )?;
    }

    let sessions: Vec<serde_json::Value> = (0..50)
        .map(|i| {
            serde_json::json!({
                "session_id": format!("s-{i:04}"),
                "started_at": timestamp(&mut rng),
                "duration_seconds": rng.range(5, 3600),
                "pages": (0..rng.range(1, 4)).map(|p| serde_json::json!({"url": format!("/p/{p}"), "ms": rng.range(10, 900)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    put("raw/web/sessions.json", serde_json::to_vec_pretty(&sessions)?)?;
    put(
        "raw/web/README.txt",
        b"Exports from the web analytics tool, one file a day.\n".to_vec(),
    )?;

    let mut orders = String::from("order_id,customer_id,ordered_at,product,quantity,unit_price,currency\n");
    for id in 1..=300 {
        orders.push_str(&format!(
            "{id},{},{},{},{},{}.{:02},EUR\n",
            rng.range(1, 201),
            timestamp(&mut rng),
            rng.pick(PRODUCTS),
            rng.range(1, 5),
            rng.range(5, 900),
            rng.range(0, 100)
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(orders.as_bytes())?;
    put("staging/orders/orders.csv.gz", gz.finish()?)?;

    put("staging/payments/payments.avro", payments_avro(&mut rng)?)?;

    for month in 1..=3 {
        put(
            &format!("curated/sales/year=2024/month={month:02}/part-00000.parquet"),
            sales_parquet(&mut rng, 250)?,
        )?;
    }
    put("curated/products/products.parquet", products_parquet()?)?;

    // Deliberately broken, so the demo shows how a per-file error looks.
    put(
        "staging/orders/orders_truncated.parquet",
        b"PAR1 this file was cut off mid-upload".to_vec(),
    )?;
    Ok(files)
}

fn payments_avro(rng: &mut Rng) -> Result<Vec<u8>> {
    let schema = apache_avro::Schema::parse_str(
        r#"{"type":"record","name":"Payment","namespace":"com.example.billing","fields":[
            {"name":"payment_id","type":"long"},
            {"name":"order_id","type":"long"},
            {"name":"amount","type":"double"},
            {"name":"method","type":{"type":"enum","name":"Method","symbols":["CARD","IBAN","PAYPAL"]}},
            {"name":"iban","type":["null","string"],"default":null},
            {"name":"paid_at","type":{"type":"long","logicalType":"timestamp-millis"}}
        ]}"#,
    )?;
    let mut writer = apache_avro::Writer::new(&schema, Vec::new())?;
    for id in 1..=100_i64 {
        let method = rng.range(0, 3) as u32;
        writer.append_value(AvroValue::Record(vec![
            ("payment_id".into(), AvroValue::Long(id)),
            ("order_id".into(), AvroValue::Long(rng.range(1, 301) as i64)),
            ("amount".into(), AvroValue::Double(rng.range(500, 90000) as f64 / 100.0)),
            (
                "method".into(),
                AvroValue::Enum(method, ["CARD", "IBAN", "PAYPAL"][method as usize].into()),
            ),
            (
                "iban".into(),
                if method == 1 {
                    AvroValue::Union(
                        1,
                        Box::new(AvroValue::String(format!("FR76 3000 6000 0112 3456 7890 {id:03}"))),
                    )
                } else {
                    AvroValue::Union(0, Box::new(AvroValue::Null))
                },
            ),
            (
                "paid_at".into(),
                AvroValue::TimestampMillis(1_704_067_200_000 + id * 3_600_000),
            ),
        ]))?;
    }
    Ok(writer.into_inner()?)
}

fn parquet_bytes(batch: RecordBatch) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(out)
}

fn sales_parquet(rng: &mut Rng, rows: usize) -> Result<Vec<u8>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("sale_id", DataType::Int64, false),
        Field::new("customer_id", DataType::Int64, false),
        Field::new(
            "sold_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new("sale_date", DataType::Date32, false),
        Field::new("product", DataType::Utf8, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("refunded", DataType::Boolean, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..rows as i64)),
        Arc::new(Int64Array::from_iter_values(
            (0..rows).map(|_| rng.range(1, 201) as i64),
        )),
        Arc::new(
            TimestampMicrosecondArray::from_iter_values(
                (0..rows).map(|i| 1_704_067_200_000_000 + i as i64 * 60_000_000),
            )
            .with_timezone("UTC"),
        ),
        Arc::new(Date32Array::from_iter_values(
            (0..rows).map(|i| 19_723 + (i as i32 % 28)),
        )),
        Arc::new(StringArray::from_iter((0..rows).map(|_| Some(*rng.pick(PRODUCTS))))),
        Arc::new(Float64Array::from_iter(
            (0..rows).map(|i| (i % 9 != 0).then(|| rng.range(100, 99_900) as f64 / 100.0)),
        )),
        Arc::new(BooleanArray::from_iter((0..rows).map(|i| Some(i % 17 == 0)))),
    ];
    parquet_bytes(RecordBatch::try_new(schema, columns)?)
}

/// Nested types: a struct column and a list column.
fn products_parquet() -> Result<Vec<u8>> {
    let dims = Fields::from(vec![
        Field::new("width_cm", DataType::Float64, true),
        Field::new("height_cm", DataType::Float64, true),
    ]);
    let n = PRODUCTS.len();
    let dimensions = StructArray::new(
        dims.clone(),
        vec![
            Arc::new(Float64Array::from_iter_values((0..n).map(|i| 10.0 + i as f64))) as ArrayRef,
            Arc::new(Float64Array::from_iter_values((0..n).map(|i| 2.0 + i as f64))) as ArrayRef,
        ],
        None,
    );
    let mut tags = ListBuilder::new(StringBuilder::new());
    let mut stock = Int64Builder::new();
    for (i, p) in PRODUCTS.iter().enumerate() {
        tags.values().append_value("hardware");
        if i % 2 == 0 {
            tags.values().append_value(format!("{p}-family"));
        }
        tags.append(true);
        stock.append_value(i as i64 * 13);
    }
    let tags = tags.finish();
    let schema = Arc::new(Schema::new(vec![
        Field::new("product_code", DataType::Utf8, false),
        Field::new("dimensions", DataType::Struct(dims), true),
        Field::new("tags", tags.data_type().clone(), true),
        Field::new("units_in_stock", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(PRODUCTS.iter())),
            Arc::new(dimensions),
            Arc::new(tags),
            Arc::new(stock.finish()),
        ],
    )?;
    parquet_bytes(batch)
}

/// Column kinds for generated tables, with realistic names.
#[derive(Clone, Copy)]
enum Kind {
    Id,
    Name,
    Email,
    Amount,
    Count,
    Date,
    Timestamp,
    Flag,
    Code,
}

const KINDS: &[(Kind, &str)] = &[
    (Kind::Id, "id"),
    (Kind::Name, "name"),
    (Kind::Email, "email"),
    (Kind::Amount, "amount"),
    (Kind::Count, "count"),
    (Kind::Date, "date"),
    (Kind::Timestamp, "updated_at"),
    (Kind::Flag, "is_valid"),
    (Kind::Code, "code"),
];

fn columns(rng: &mut Rng) -> Vec<(Kind, String)> {
    let n = rng.range(5, 41) as usize;
    (0..n)
        .map(|i| {
            let (kind, base) = *rng.pick(KINDS);
            (kind, format!("{base}_{i}"))
        })
        .collect()
}

fn cell(rng: &mut Rng, kind: Kind, row: usize) -> String {
    match kind {
        Kind::Id => row.to_string(),
        Kind::Name => person(rng).0,
        Kind::Email => person(rng).1,
        Kind::Amount => format!("{}.{:02}", rng.range(0, 10_000), rng.range(0, 100)),
        Kind::Count => rng.range(0, 1000).to_string(),
        Kind::Date => date(rng),
        Kind::Timestamp => timestamp(rng),
        Kind::Flag => (rng.range(0, 2) == 1).to_string(),
        Kind::Code => format!("C{:05}", rng.range(0, 100_000)),
    }
}

fn bench_csv(rng: &mut Rng, target: usize) -> Vec<u8> {
    let cols = columns(rng);
    let mut out = cols.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(",");
    out.push('\n');
    let mut row = 0;
    while out.len() < target {
        let line: Vec<String> = cols.iter().map(|(k, _)| cell(rng, *k, row)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
        row += 1;
    }
    out.into_bytes()
}

fn bench_ndjson(rng: &mut Rng, target: usize) -> Vec<u8> {
    let cols = columns(rng);
    let mut out = String::new();
    let mut row = 0;
    while out.len() < target {
        let mut record = serde_json::Map::new();
        for (kind, name) in &cols {
            let text = cell(rng, *kind, row);
            let value = match kind {
                Kind::Id | Kind::Count => serde_json::json!(text.parse::<i64>().unwrap_or_default()),
                Kind::Amount => serde_json::json!(text.parse::<f64>().unwrap_or_default()),
                Kind::Flag => serde_json::json!(text == "true"),
                _ => serde_json::json!(text),
            };
            record.insert(name.clone(), value);
        }
        out.push_str(&serde_json::Value::Object(record).to_string());
        out.push('\n');
        row += 1;
    }
    out.into_bytes()
}

fn bench_parquet(rng: &mut Rng, rows: usize) -> Result<Vec<u8>> {
    let cols = columns(rng);
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (kind, name) in &cols {
        let (data_type, array): (DataType, ArrayRef) = match kind {
            Kind::Id | Kind::Count => (
                DataType::Int64,
                Arc::new(Int64Array::from_iter_values(
                    (0..rows).map(|_| rng.range(0, 1000) as i64),
                )),
            ),
            Kind::Amount => (
                DataType::Float64,
                Arc::new(Float64Array::from_iter_values(
                    (0..rows).map(|_| rng.range(0, 1_000_000) as f64 / 100.0),
                )),
            ),
            Kind::Flag => (
                DataType::Boolean,
                Arc::new(BooleanArray::from_iter((0..rows).map(|i| Some(i % 3 == 0)))),
            ),
            _ => (
                DataType::Utf8,
                Arc::new(StringArray::from_iter_values((0..rows).map(|r| cell(rng, *kind, r)))),
            ),
        };
        fields.push(Field::new(name, data_type, true));
        arrays.push(array);
    }
    parquet_bytes(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// `files` objects under `dir`: 40% CSV (~19 KiB), 40% Parquet, 20% NDJSON (~19 KiB),
/// 100 per folder, 5-40 columns each, the mix the peer benchmark uses.
pub fn generate_bench(dir: &Path, files: usize, seed: u64) -> Result<u64> {
    let mut rng = Rng::new(seed);
    let mut bytes = 0u64;
    for i in 0..files {
        let folder = format!("raw/domain_{:02}/table_{:04}", i % 20, i / 100);
        let (ext, data) = match i % 5 {
            0 | 1 => ("csv", bench_csv(&mut rng, 19 * 1024)),
            2 | 3 => ("parquet", bench_parquet(&mut rng, 300)?),
            _ => ("ndjson", bench_ndjson(&mut rng, 19 * 1024)),
        };
        bytes += data.len() as u64;
        write(&dir.join(format!("{folder}/part-{i:06}.{ext}")), &data)?;
    }
    Ok(bytes)
}

/// Where `serve --demo` puts its lake when not told otherwise.
pub fn default_demo_dir() -> PathBuf {
    PathBuf::from("demo-lake")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_lake() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        generate_bench(a.path(), 10, 7).unwrap();
        generate_bench(b.path(), 10, 7).unwrap();
        let file = "raw/domain_00/table_0000/part-000000.csv";
        assert_eq!(
            fs::read(a.path().join(file)).unwrap(),
            fs::read(b.path().join(file)).unwrap()
        );
        let parquet = "raw/domain_02/table_0000/part-000002.parquet";
        assert_eq!(&fs::read(a.path().join(parquet)).unwrap()[..4], b"PAR1");
    }

    #[test]
    fn the_demo_lake_has_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let n = generate_demo(dir.path()).unwrap();
        assert_eq!(n, 15);
        for rel in [
            "raw/crm/customers.csv",
            "raw/crm/contacts.tsv",
            "raw/web/sessions.json",
            "raw/events/clickstream/2024-01-01.ndjson",
            "staging/orders/orders.csv.gz",
            "staging/payments/payments.avro",
            "curated/sales/year=2024/month=02/part-00000.parquet",
            "curated/products/products.parquet",
        ] {
            assert!(dir.path().join(rel).metadata().unwrap().len() > 0, "{rel}");
        }
        // Generating again rewrites nothing, so a rescan of the demo finds nothing changed.
        let file = dir.path().join("raw/crm/customers.csv");
        let before = file.metadata().unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        generate_demo(dir.path()).unwrap();
        assert_eq!(file.metadata().unwrap().modified().unwrap(), before);
    }
}
