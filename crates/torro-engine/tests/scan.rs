//! The discovery engine against real local folders and a real catalog: every test runs
//! on SQLite, PostgreSQL and MariaDB (a fresh database each).

use std::path::Path;
use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use torro_catalog::CatalogStore;
use torro_engine::{Engine, EngineError, NoProgress, SourceConfig, TorroConfig};
use torro_model::{DiscoveryQuery, FileFormat, FileStatus, ScanErrorKind, ScanRun, ScanStatus};

/// One `#[tokio::test]` per (backend, test fn).
macro_rules! engine_suite {
    ($($test:ident),+ $(,)?) => {
        engine_suite!(@on sqlite; $($test),+);
        engine_suite!(@on postgres; $($test),+);
        engine_suite!(@on mysql; $($test),+);
    };
    (@on $backend:ident; $($test:ident),+) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let Some(db) = torro_catalog::testing::$backend(true).await else { return };
                    let fixture = super::Fixture { lake: tempfile::tempdir().unwrap(), store: db.store.clone() };
                    super::$test(fixture).await;
                    db.drop_database().await;
                }
            )+
        }
    };
}

engine_suite!(
    first_scan_catalogs_and_a_rescan_with_no_change_reads_nothing,
    changes_deletions_and_returns_are_detected,
    bad_files_become_per_file_errors_and_the_scan_goes_on,
    containers_and_extension_filters_limit_what_is_scanned,
    one_scan_at_a_time_and_a_missing_folder_fails_the_run_clearly,
    delta_and_iceberg_tables_are_one_entry_each,
    a_large_workbook_is_read_by_ranged_reads,
);

struct Fixture {
    lake: tempfile::TempDir,
    store: Arc<dyn CatalogStore>,
}

impl Fixture {
    fn write(&self, rel: &str, bytes: &[u8]) {
        let path = self.lake.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn engine_with(&self, edit: impl FnOnce(&mut SourceConfig)) -> Engine {
        let mut source = SourceConfig::local_folder(self.lake.path());
        edit(&mut source);
        Engine::new(
            self.store.clone(),
            TorroConfig {
                sources: vec![source],
                ..Default::default()
            },
        )
    }

    async fn scan(&self) -> ScanRun {
        self.engine_with(|_| {}).run_scan("test", &NoProgress).await.unwrap()
    }

    async fn by_path(&self, path: &str) -> torro_model::Discovery {
        let page = self
            .store
            .list_discoveries(&DiscoveryQuery {
                size: 100,
                include_deleted: true,
                ..Default::default()
            })
            .await
            .unwrap();
        page.items
            .into_iter()
            .find(|d| d.path == path)
            .unwrap_or_else(|| panic!("{path} not cataloged"))
    }
}

fn parquet_file(columns: &[&str]) -> Vec<u8> {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(*c, DataType::Int64, false))
            .collect::<Vec<_>>(),
    ));
    let arrays = columns
        .iter()
        .map(|_| Arc::new(Int64Array::from(vec![1, 2, 3])) as _)
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

async fn first_scan_catalogs_and_a_rescan_with_no_change_reads_nothing(f: Fixture) {
    f.write("raw/customers.csv", b"id,email\n1,a@x.io\n2,b@x.io\n");
    f.write(
        "raw/events/day1.ndjson",
        b"{\"id\":1,\"user\":{\"name\":\"a\"}}\n{\"id\":2,\"user\":{\"name\":\"b\"}}\n",
    );
    f.write(
        "curated/sales/year=2024/month=01/part-0.parquet",
        &parquet_file(&["sale_id", "amount"]),
    );
    f.write("notes.txt", b"not data");

    let first = f.scan().await;
    assert_eq!(first.status, ScanStatus::Succeeded);
    assert_eq!((first.counts.listed, first.counts.new, first.counts.failed), (4, 4, 0));
    assert!(first.counts.bytes_read > 0);

    let csv = f.by_path("raw/customers.csv").await;
    assert_eq!(csv.format, Some(FileFormat::Csv));
    let names: Vec<_> = csv
        .schema
        .as_ref()
        .unwrap()
        .fields
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["id", "email"]);
    assert_eq!(csv.row_count, Some(2));
    let parquet = f.by_path("curated/sales/year=2024/month=01/part-0.parquet").await;
    assert_eq!(parquet.row_count, Some(3));
    assert_eq!(parquet.folder, "curated/sales/year=2024/month=01");
    let txt = f.by_path("notes.txt").await;
    assert_eq!((txt.format, txt.schema.is_none()), (None, true));

    let second = f.scan().await;
    assert_eq!(
        (second.counts.listed, second.counts.unchanged, second.counts.new),
        (4, 4, 0)
    );
    assert_eq!(
        second.counts.bytes_read, 0,
        "an unchanged rescan must read no file bytes"
    );
    let again = f.by_path("raw/customers.csv").await;
    assert_eq!(again.id, csv.id);
    assert!(again.last_seen >= csv.last_seen);
    assert_eq!(again.last_scan_id, Some(second.id));
}

async fn changes_deletions_and_returns_are_detected(f: Fixture) {
    f.write("a.csv", b"id,name\n1,x\n");
    f.write("b.csv", b"id\n1\n");
    f.scan().await;

    // Same size would keep the fingerprint only if mtime also stayed; change the size to be sure.
    f.write("a.csv", b"id,name,added_col\n1,x,2024-01-01\n");
    std::fs::remove_file(f.lake.path().join("b.csv")).unwrap();
    let run = f.scan().await;
    assert_eq!(
        (run.counts.changed, run.counts.deleted, run.counts.unchanged),
        (1, 1, 0)
    );

    let a = f.by_path("a.csv").await;
    let history = f.store.schema_history(a.id).await.unwrap();
    assert_eq!(history.len(), 2);
    let diff = history[1].diff.as_ref().unwrap();
    assert_eq!(
        diff.added.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["added_col"]
    );
    let b = f.by_path("b.csv").await;
    assert!(b.deleted && b.status == FileStatus::Deleted);

    f.write("b.csv", b"id\n1\n");
    let back = f.scan().await;
    assert_eq!(back.counts.changed, 1);
    let b = f.by_path("b.csv").await;
    assert!(!b.deleted && b.status == FileStatus::Active);
}

async fn bad_files_become_per_file_errors_and_the_scan_goes_on(f: Fixture) {
    f.write("good.csv", b"id,name\n1,x\n");
    f.write("bad/empty.csv", b"");
    f.write("bad/truncated.parquet", &parquet_file(&["a"])[..20]);
    f.write(
        "bad/junk.csv",
        &(0..4096u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>(),
    );
    f.write("bad/deep.json", &[b"[".repeat(100_000), b"]".repeat(100_000)].concat());
    let mut long_line = vec![b'x'; 50 * 1024 * 1024];
    long_line.extend_from_slice(b"\n1\n");
    f.write("bad/one_line_50mb.csv", &long_line);
    f.write("ok/latin1.csv", b"name;city\nCaf\xe9;K\xf6ln\n");
    std::os::unix::fs::symlink(
        f.lake.path().join("nowhere.csv"),
        f.lake.path().join("bad/dangling.csv"),
    )
    .unwrap();
    std::os::unix::fs::symlink(f.lake.path().join("bad"), f.lake.path().join("bad/loop")).unwrap();

    let run = f.scan().await;
    assert_eq!(run.status, ScanStatus::Succeeded, "{:?}", run.message);
    let errors = f.store.list_scan_errors(run.id, 0, 100).await.unwrap().items;
    let kind_of = |suffix: &str| {
        errors
            .iter()
            .find(|e| e.path.ends_with(suffix))
            .unwrap_or_else(|| panic!("no error for {suffix}: {errors:#?}"))
            .kind
    };
    assert_eq!(kind_of("empty.csv"), ScanErrorKind::Empty);
    assert_eq!(kind_of("truncated.parquet"), ScanErrorKind::Format);
    assert_eq!(kind_of("junk.csv"), ScanErrorKind::Format);
    assert_eq!(kind_of("deep.json"), ScanErrorKind::Format);
    assert_eq!(kind_of("one_line_50mb.csv"), ScanErrorKind::Format);
    assert_eq!(kind_of("dangling.csv"), ScanErrorKind::Read);
    assert_eq!(kind_of("loop"), ScanErrorKind::Read);
    assert_eq!(errors.len(), 7, "{errors:#?}");
    assert_eq!(run.error_count, 7);
    // The 50 MB line was not read whole: the engine stops at the formats' window limit.
    assert!(
        run.counts.bytes_read < 8 * 1024 * 1024,
        "read {} bytes",
        run.counts.bytes_read
    );

    // Good files are cataloged; broken ones are cataloged with their error.
    assert_eq!(f.by_path("good.csv").await.status, FileStatus::Active);
    let latin = f.by_path("ok/latin1.csv").await;
    assert_eq!(latin.status, FileStatus::Active, "{:?}", latin.error);
    let junk = f.by_path("bad/junk.csv").await;
    assert_eq!(junk.status, FileStatus::Error);
    assert!(
        junk.error.as_deref().unwrap_or_default().contains("csv"),
        "{:?}",
        junk.error
    );

    // The catalog stays consistent: a rescan finds the same errors and changes nothing.
    let again = f.scan().await;
    assert_eq!(
        (again.counts.new, again.counts.changed, again.counts.deleted),
        (0, 0, 0)
    );
}

async fn containers_and_extension_filters_limit_what_is_scanned(f: Fixture) {
    f.write("raw/a.csv", b"id\n1\n");
    f.write("raw/b.parquet", &parquet_file(&["x"]));
    f.write("raw2/c.csv", b"id\n1\n");
    let engine = f.engine_with(|s| {
        s.containers = vec!["raw".into()];
        s.file_extensions = vec!["csv".into()];
    });
    let run = engine.run_scan("test", &NoProgress).await.unwrap();
    assert_eq!(run.counts.listed, 1);
    f.by_path("raw/a.csv").await;

    // A later scan of the whole root must not mark raw/ files deleted, and scanning
    // raw/ alone must not delete raw2/ files.
    f.scan().await;
    let run = engine.run_scan("test", &NoProgress).await.unwrap();
    assert_eq!(run.counts.deleted, 0);
    assert!(!f.by_path("raw2/c.csv").await.deleted);
}

async fn one_scan_at_a_time_and_a_missing_folder_fails_the_run_clearly(f: Fixture) {
    f.write("a.csv", b"id\n1\n");
    let engine = f.engine_with(|_| {});
    // In-process scans (the CLI's) hold a one-scan slot; a second one is refused while it runs.
    let (first, second) = tokio::join!(engine.run_scan("cli", &NoProgress), async {
        tokio::task::yield_now().await;
        engine.run_scan("cli", &NoProgress).await
    });
    let first = first.unwrap();
    assert_eq!(first.status, ScanStatus::Succeeded);
    match second {
        // The slot may still be claiming (no run id yet) when the second scan asks.
        Err(EngineError::AlreadyRunning(id)) => assert!(id == first.id || id < 0, "{id}"),
        // The first scan may already be over on a fast machine; then a second one runs.
        other => assert_eq!(other.unwrap().status, ScanStatus::Succeeded),
    }
    assert!(engine.running_scan().is_none());

    let gone = f.engine_with(|s| s.root = Some(Path::new("/no/such/lake").to_path_buf()));
    let run = gone.run_scan("test", &NoProgress).await.unwrap();
    assert_eq!(run.status, ScanStatus::Failed);
    assert!(
        run.message.as_deref().unwrap().contains("check the path exists"),
        "{:?}",
        run.message
    );
    let missing_container = f.engine_with(|s| s.containers = vec!["nope".into()]);
    let run = missing_container.run_scan("test", &NoProgress).await.unwrap();
    assert_eq!(run.status, ScanStatus::Failed);
    assert!(run.message.as_deref().unwrap().contains("nope"), "{:?}", run.message);
}

fn delta_commit(columns: &[(&str, &str)], add: &str) -> String {
    let fields: Vec<String> = columns
        .iter()
        .map(|(n, t)| format!(r#"{{"name":"{n}","type":"{t}","nullable":true,"metadata":{{}}}}"#))
        .collect();
    let schema = format!(r#"{{"type":"struct","fields":[{}]}}"#, fields.join(","));
    format!(
        "{}\n{}\n",
        serde_json::json!({"metaData": {"id": "t1", "format": {"provider": "parquet", "options": {}},
            "schemaString": schema, "partitionColumns": [], "configuration": {}, "createdTime": 1_700_000_000_000_i64}}),
        serde_json::json!({"add": {"path": add, "partitionValues": {}, "size": 100,
            "modificationTime": 1_700_000_000_000_i64, "dataChange": true}}),
    )
}

async fn delta_and_iceberg_tables_are_one_entry_each(f: Fixture) {
    f.write(
        "curated/orders/_delta_log/00000000000000000000.json",
        delta_commit(&[("id", "long")], "p0.parquet").as_bytes(),
    );
    f.write("curated/orders/p0.parquet", &parquet_file(&["id"]));
    f.write(
        "warehouse/events/metadata/v1.metadata.json",
        br#"{"format-version": 1, "table-uuid": "9c12", "location": "s3://b/warehouse/events", "last-updated-ms": 1,
            "last-column-id": 2, "schema": {"type": "struct", "schema-id": 0, "fields": [
              {"id": 1, "name": "event_id", "required": true, "type": "long"},
              {"id": 2, "name": "ts", "required": false, "type": "timestamptz"}]},
            "partition-spec": [], "properties": {}, "current-snapshot-id": -1, "snapshots": []}"#,
    );
    f.write("warehouse/events/metadata/snap-1-1-abc.avro", b"Obj\x01");

    let first = f.scan().await;
    assert_eq!(first.status, ScanStatus::Succeeded, "{:?}", first.message);
    // Two tables and the one data file; the metadata files are not entries of their own.
    assert_eq!(
        (first.counts.listed, first.counts.new, first.counts.failed),
        (3, 3, 0),
        "{first:?}"
    );
    let delta = f.by_path("curated/orders").await;
    assert_eq!(delta.format, Some(FileFormat::Delta));
    assert_eq!(delta.schema.as_ref().unwrap().fields[0].name, "id");
    let iceberg = f.by_path("warehouse/events").await;
    assert_eq!(iceberg.format, Some(FileFormat::Iceberg));
    let names: Vec<_> = iceberg
        .schema
        .as_ref()
        .unwrap()
        .fields
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["event_id", "ts"]);

    let again = f.scan().await;
    assert_eq!((again.counts.unchanged, again.counts.bytes_read), (3, 0));

    // A new commit that adds a column: the table entry changes and gets schema version 2.
    f.write(
        "curated/orders/_delta_log/00000000000000000001.json",
        delta_commit(&[("id", "long"), ("country", "string")], "p1.parquet").as_bytes(),
    );
    let changed = f.scan().await;
    assert_eq!(changed.counts.changed, 1, "{changed:?}");
    let history = f.store.schema_history(delta.id).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].diff.as_ref().unwrap().added[0].name, "country");
}

/// A workbook over the formats' 4 MiB whole-file limit: one sheet of inline strings and numbers.
fn large_workbook() -> Vec<u8> {
    use std::io::Write;
    use zip::write::{SimpleFileOptions, ZipWriter};
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>order_id</t></is></c><c r="B1" t="inlineStr"><is><t>customer</t></is></c><c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>"#,
    );
    let mut r = 2;
    while sheet.len() < 5 * 1024 * 1024 {
        sheet.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>customer {}</t></is></c><c r="C{r}"><v>{}.5</v></c></row>"#,
            r % 97,
            r % 1000
        ));
        r += 1;
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in [
        (
            "xl/workbook.xml",
            r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Orders" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
        ("xl/worksheets/sheet1.xml", sheet.as_str()),
    ] {
        zip.start_file(name, stored).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

async fn a_large_workbook_is_read_by_ranged_reads(f: Fixture) {
    let workbook = large_workbook();
    assert!(workbook.len() > 5 * 1024 * 1024);
    f.write("finance/orders.xlsx", &workbook);
    let run = f.scan().await;
    assert_eq!((run.status, run.counts.failed), (ScanStatus::Succeeded, 0), "{run:?}");
    let entry = f.by_path("finance/orders.xlsx").await;
    assert_eq!(entry.format, Some(FileFormat::Excel));
    let columns: Vec<_> = entry
        .schema
        .as_ref()
        .unwrap()
        .fields
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.to_string()))
        .collect();
    assert_eq!(
        columns,
        [
            ("order_id", "int64".into()),
            ("customer", "string".into()),
            ("amount", "float64".into())
        ]
    );
    // One listing plus a handful of ranged reads, a small fraction of the file.
    assert!(run.counts.requests <= 1 + 6, "{run:?}");
    assert!(
        run.counts.bytes_read < 2 * 1024 * 1024,
        "read {} of {} bytes",
        run.counts.bytes_read,
        workbook.len()
    );
}

/// The same engine over the object-store emulators (SeaweedFS for S3, Azurite, fake-gcs-server)
/// that `scripts/test.sh` starts, on a SQLite catalog: the store side is what differs here.
mod cloud {
    use super::*;
    use torro_connectors::testing::{Emulator, fixture};
    use torro_model::ConnectorConfig;

    fn source_from(config: &ConnectorConfig) -> SourceConfig {
        let mut source = SourceConfig::local_folder(Path::new("/unused"));
        source.name = "cloud".into();
        source.storage_type = config.storage_type;
        source.root = None;
        source.account = config.account.clone();
        source.containers = vec![config.container.clone()];
        source.auth = config.auth.clone();
        source.endpoint = config.endpoint.clone();
        source.region = config.region.clone();
        source.options = config.options.clone();
        source.secrets = config.secrets.clone();
        source
    }

    async fn catalog() -> (tempfile::TempDir, Arc<dyn CatalogStore>) {
        let dir = tempfile::tempdir().unwrap();
        let store = torro_catalog::connect(&format!("sqlite:{}", dir.path().join("c.db").display()))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        (dir, store)
    }

    async fn scans_detect_changes_with_one_get_per_object(emulator: Emulator, test: &str) {
        let Some(f) = fixture(emulator, test).await else { return };
        let (_dir, store) = catalog().await;
        f.put("raw/crm/customers.csv", &b"id,email\n1,a@x.io\n2,b@x.io\n"[..])
            .await;
        f.put(
            "raw/events/day=1/part-0.ndjson",
            &b"{\"id\":1,\"user\":{\"name\":\"a\"}}\n"[..],
        )
        .await;
        f.put(
            "raw/sales/year=2024/part-0.parquet",
            parquet_file(&["sale_id", "amount"]),
        )
        .await;
        f.put("raw/notes.txt", &b"not data"[..]).await;
        f.put("other/skipped.csv", &b"id\n1\n"[..]).await;
        let mut source = source_from(&f.config);
        source.folders = vec!["raw".into()];
        let engine = Engine::new(
            store.clone(),
            TorroConfig {
                sources: vec![source.clone()],
                ..Default::default()
            },
        );

        let cold = engine.run_scan("test", &NoProgress).await.unwrap();
        assert_eq!(cold.status, ScanStatus::Succeeded, "{:?}", cold.message);
        assert_eq!(
            (cold.counts.listed, cold.counts.new, cold.counts.failed),
            (4, 4, 0),
            "{cold:?}"
        );
        // One listing page plus exactly one ranged GET per readable object (CSV, NDJSON,
        // Parquet with a small footer); the .txt file is cataloged without a read.
        assert_eq!(cold.counts.requests, 1 + 3, "{cold:?}");
        let page = store
            .list_discoveries(&DiscoveryQuery {
                size: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        let by_name = |name: &str| page.items.iter().find(|d| d.name == name).unwrap().clone();
        let parquet = by_name("part-0.parquet");
        assert_eq!(parquet.row_count, Some(3));
        assert_eq!(parquet.location.container, f.container);
        let csv = by_name("customers.csv");
        assert_eq!(csv.schema.as_ref().unwrap().fields.len(), 2);
        assert!(csv.urn().contains(&f.container), "{}", csv.urn());

        let unchanged = engine.run_scan("test", &NoProgress).await.unwrap();
        assert_eq!((unchanged.counts.unchanged, unchanged.counts.bytes_read), (4, 0));
        assert_eq!(unchanged.counts.requests, 1, "an unchanged rescan only lists");

        f.put("raw/crm/customers.csv", &b"id,email,country\n1,a@x.io,FR\n"[..])
            .await;
        f.delete("raw/notes.txt").await;
        let changed = engine.run_scan("test", &NoProgress).await.unwrap();
        assert_eq!(
            (changed.counts.changed, changed.counts.deleted, changed.counts.unchanged),
            (1, 1, 2)
        );
        let history = store.schema_history(csv.id).await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].diff.as_ref().unwrap().added[0].name, "country");
    }

    async fn wrong_credentials_fail_the_run_with_what_to_fix(emulator: Emulator, test: &str) {
        let Some(f) = fixture(emulator, test).await else { return };
        let (_dir, store) = catalog().await;
        let mut source = source_from(&f.config);
        match emulator {
            Emulator::S3 => {
                source.secrets.insert("secret_access_key".into(), "wrong".into());
            }
            Emulator::Azure => {
                let bad = f.config.secrets["connection_string"].replace("AccountKey=", "AccountKey=AAAA");
                source.secrets.insert("connection_string".into(), bad);
            }
            Emulator::Gcs => return, // fake-gcs-server checks no credentials
        }
        let engine = Engine::new(
            store,
            TorroConfig {
                sources: vec![source],
                ..Default::default()
            },
        );
        let run = engine.run_scan("test", &NoProgress).await.unwrap();
        assert_eq!(run.status, ScanStatus::Failed);
        let message = run.message.unwrap_or_default();
        assert!(message.contains("credentials"), "{message}");
        assert!(!message.contains("wrong"), "a secret leaked into {message}");
    }

    macro_rules! on {
        ($($emulator:ident => $variant:expr),+) => {
            $(
                mod $emulator {
                    use super::*;

                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn scans_detect_changes_with_one_get_per_object() {
                        super::scans_detect_changes_with_one_get_per_object($variant, module_path!()).await;
                    }

                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn wrong_credentials_fail_the_run_with_what_to_fix() {
                        super::wrong_credentials_fail_the_run_with_what_to_fix($variant, module_path!()).await;
                    }
                }
            )+
        };
    }

    on!(s3 => Emulator::S3, azure => Emulator::Azure, gcs => Emulator::Gcs);
}
