//! Large `.xlsx` files read by ranged reads ([`XlsxPlan`]), driven over an in-memory file
//! that counts requests and bytes.

use std::io::{Cursor, Write};

use torro_formats::xlsx_ranged::{Step, XlsxPlan};
use torro_formats::{FormatError, InferOptions, Inferred, MAX_WINDOW, xlsx_ranged_applies};
use torro_model::DataType;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/data.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sales &amp; Co" sheetId="1" r:id="rId7"/><sheet name="Other" sheetId="2" r:id="rId1"/></sheets></workbook>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/other.xml"/><Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/data.xml"/></Relationships>"#;

/// A small deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Sheet XML: a header row of shared strings 0..6, then rows until `target` bytes.
fn sheet_xml(target: usize) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:F999999"/><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c></row>"#,
    );
    let mut r = 2u64;
    while xml.len() < target {
        let x = rng.next();
        let name = 6 + x % 50;
        let score = (x >> 8) % 100_000;
        let active = (x >> 30) & 1;
        xml.push_str(&format!(
            r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="s"><v>{name}</v></c><c r="C{r}"><v>{}.{:02}</v></c><c r="D{r}" t="b"><v>{active}</v></c><c r="E{r}" t="inlineStr"><is><t>note {x:x}</t></is></c><c r="F{r}" t="str"><v>c-{}</v></c></row>"#,
            score / 100,
            score % 100 + 1,
            x % 997
        ));
        r += 1;
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

fn shared_strings() -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="56" uniqueCount="56"><si><t>id</t></si><si><r><t>na</t></r><r><t>me</t></r></si><si><t>score</t></si><si><t>active</t></si><si><t>note</t></si><si><t>code</t></si>"#,
    );
    for i in 0..50 {
        xml.push_str(&format!("<si><t>customer {i} &amp; sons</t></si>"));
    }
    xml.push_str("</sst>");
    xml
}

/// Builds a workbook; `sheet_method` compresses the sheet; `padding` adds a stored binary part
/// of that many pseudo-random bytes (as an embedded image would).
fn workbook(sheet_bytes: usize, sheet_method: CompressionMethod, padding: usize, with_workbook: bool) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let deflate = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    zip.start_file("[Content_Types].xml", deflate).unwrap();
    zip.write_all(CONTENT_TYPES.as_bytes()).unwrap();
    zip.start_file("xl/worksheets/other.xml", deflate).unwrap();
    zip.write_all(b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row></sheetData></worksheet>")
        .unwrap();
    zip.start_file(
        "xl/worksheets/data.xml",
        SimpleFileOptions::default().compression_method(sheet_method),
    )
    .unwrap();
    zip.write_all(sheet_xml(sheet_bytes).as_bytes()).unwrap();
    if padding > 0 {
        let mut rng = Rng(42);
        let bytes: Vec<u8> = (0..padding).map(|_| rng.next() as u8).collect();
        zip.start_file("xl/media/image1.png", stored).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    if with_workbook {
        zip.start_file("xl/workbook.xml", deflate).unwrap();
        zip.write_all(WORKBOOK.as_bytes()).unwrap();
        zip.start_file("xl/_rels/workbook.xml.rels", deflate).unwrap();
        zip.write_all(RELS.as_bytes()).unwrap();
    }
    zip.start_file("xl/sharedStrings.xml", deflate).unwrap();
    zip.write_all(shared_strings().as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

struct Read {
    result: Result<Inferred, FormatError>,
    requests: usize,
    bytes: u64,
}

fn drive(file: &[u8]) -> Read {
    let size = file.len() as u64;
    let mut plan = XlsxPlan::new(size, &InferOptions::default());
    let (mut requests, mut bytes) = (0, 0);
    let mut fetched: Vec<Vec<u8>> = Vec::new();
    for _ in 0..10 {
        let slices: Vec<&[u8]> = fetched.iter().map(Vec::as_slice).collect();
        match plan.next(&slices) {
            Step::Done(result) => {
                return Read {
                    result,
                    requests,
                    bytes,
                };
            }
            Step::Fetch(ranges) => {
                fetched = ranges
                    .iter()
                    .map(|r| {
                        assert!(r.start <= r.end && r.end <= size, "range {r:?} outside the file");
                        requests += 1;
                        bytes += r.len();
                        file[r.start as usize..r.end as usize].to_vec()
                    })
                    .collect();
            }
        }
    }
    panic!("the plan did not finish in 10 steps");
}

fn assert_schema(inferred: &Inferred) {
    let fields: Vec<(&str, &DataType)> = inferred
        .schema
        .fields
        .iter()
        .map(|f| (f.name.as_str(), &f.data_type))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("id", &DataType::Int64),
            ("name", &DataType::String),
            ("score", &DataType::Float64),
            ("active", &DataType::Boolean),
            ("note", &DataType::String),
            ("code", &DataType::String),
        ]
    );
    assert_eq!(inferred.details["sheet"], "Sales & Co");
    assert_eq!(inferred.details["has_header"], true);
    assert_eq!(inferred.details["read"], "ranged");
    assert_eq!(inferred.details["sheets"][0]["sampled_rows"], 1000);
    assert_eq!(inferred.row_count, None);
}

#[test]
fn a_large_stored_sheet_is_read_by_a_few_ranged_reads() {
    let file = workbook(6 * 1024 * 1024, CompressionMethod::Stored, 0, true);
    assert!(file.len() as u64 > MAX_WINDOW);
    assert!(xlsx_ranged_applies("s3://b/Big.XLSX", file.len() as u64));
    let read = drive(&file);
    let inferred = read.result.expect("schema");
    assert_schema(&inferred);
    eprintln!(
        "stored: {} bytes file, {} requests, {} bytes read",
        file.len(),
        read.requests,
        read.bytes
    );
    assert!(read.requests < 8, "{} requests", read.requests);
    assert!(read.bytes < 4 * 1024 * 1024, "{} bytes", read.bytes);
}

#[test]
fn a_large_deflated_sheet_is_read_from_its_compressed_head() {
    // Random digits compress poorly: the sheet's deflate stream is above the 1 MiB head read,
    // so the plan decodes a cut-short stream.
    let file = workbook(6 * 1024 * 1024, CompressionMethod::Deflated, 3 * 1024 * 1024, true);
    assert!(file.len() as u64 > MAX_WINDOW);
    let read = drive(&file);
    let inferred = read.result.expect("schema");
    assert_schema(&inferred);
    eprintln!(
        "deflated: {} bytes file, {} requests, {} bytes read",
        file.len(),
        read.requests,
        read.bytes
    );
    assert!(read.requests < 8, "{} requests", read.requests);
    assert!(read.bytes < 4 * 1024 * 1024, "{} bytes", read.bytes);
}

#[test]
fn a_damaged_central_directory_is_invalid() {
    let mut file = workbook(5 * 1024 * 1024, CompressionMethod::Stored, 0, true);
    // The central directory starts where the end record says; overwrite its first signature.
    let eocd = file.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
    let cd = u32::from_le_bytes(file[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    file[cd..cd + 4].copy_from_slice(b"XXXX");
    let err = drive(&file).result.unwrap_err();
    assert!(
        matches!(&err, FormatError::Invalid { message, .. } if message.contains("zip structure is damaged")),
        "{err:?}"
    );
    // No end record at all.
    let len = file.len();
    file[eocd..eocd + 4].copy_from_slice(b"XXXX");
    let err = drive(&file).result.unwrap_err();
    assert!(
        matches!(&err, FormatError::Invalid { message, .. } if message.contains("end-of-central-directory")),
        "{err:?} ({len} bytes)"
    );
}

#[test]
fn a_zip_without_a_workbook_part_is_not_an_excel_workbook() {
    let file = workbook(5 * 1024 * 1024, CompressionMethod::Stored, 0, false);
    let err = drive(&file).result.unwrap_err();
    assert!(
        matches!(&err, FormatError::Invalid { message, .. } if message.contains("not an Excel workbook")),
        "{err:?}"
    );
}

#[test]
fn arbitrary_tails_never_panic() {
    let mut rng = Rng(7);
    for len in [0usize, 1, 21, 22, 100, 5000] {
        for _ in 0..50 {
            let mut file: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if len >= 22 {
                // An end record with garbage fields.
                file[len - 22..len - 18].copy_from_slice(b"PK\x05\x06");
                file[len - 2] = 0;
                file[len - 1] = 0;
            }
            let _ = drive(&file);
        }
    }
}
