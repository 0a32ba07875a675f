//! Excel workbooks: `.xlsx` (a zip of XML parts) and `.xls` (BIFF8 in an OLE container),
//! read with `calamine`. One schema per sheet; the first sheet with columns gives the file's.
//!
//! **Read plan: whole files only, up to [`MAX_WINDOW`].** The ranged plan an `.xlsx`
//! invites (the zip's end-of-central-directory record in the last 64 KiB, then the central
//! directory, then `xl/workbook.xml`, the shared strings and the first sheet's part by their
//! offsets) does not fit the read protocol: a window is *one contiguous range* that grows,
//! and the parts a schema needs sit at both ends of the file (sheets near the head, the
//! central directory at the tail, the shared strings anywhere), so any window that holds
//! them all is close to the whole file. calamine also wants `Read + Seek` over the whole
//! zip. So a workbook of at most 4 MiB is fetched whole (one read: [`initial_read`] asks
//! for all of it), and a larger one is refused with `TooLarge` after a 64 KiB head read
//! that only checks it is a workbook at all. `.xls` has the same rule: its OLE container
//! scatters the workbook stream's sectors across the file.
//!
//! Large `.xlsx`/`.xlsm` files do not go through this protocol: the engine drives
//! [`crate::xlsx_ranged::XlsxPlan`] instead, a few separate ranged reads (the zip's tail, its
//! central directory, the workbook, its relationships, and the heads of the shared strings
//! and of the first sheet's part).
//!
//! **Cells.** `.xlsx` sheets are streamed cell by cell (`worksheet_cells_reader`), so a sheet
//! whose dimension claims a million rows costs nothing until cells appear; `.xls` sheets
//! come from calamine as dense ranges. Header detection is CSV's (see `delimited`), applied
//! to the first non-empty row; typed cells keep their type (integers, whole floats →
//! `int64`, other floats → `float64`, booleans, dates → `date`, date-times →
//! `timestamp[us]`, times of day → `time[ms]`, durations → `interval`) and text cells are
//! typed with the CSV rules (`scalar::infer_text`). Error cells (`#DIV/0!`) count as nulls.
//!
//! calamine is a large parser of hostile input: its calls run under `catch_unwind`, so a
//! panic inside it becomes `Invalid` instead of unwinding into the engine.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{Data, DataRef, Reader, SheetType, SheetVisible, Xls, Xlsx};
use serde_json::{Value, json};
use torro_model::{DataType, Field, FileFormat, Schema, TimeUnit};

use crate::delimited::{column_names, detect_header};
use crate::scalar::{self, Scalar};
use crate::{ByteRange, FormatError, HEAD_BYTES, InferOptions, Inferred, MAX_WINDOW, Outcome, Window};

/// Sheets looked at; the names of further sheets are listed without a schema.
const MAX_SHEETS: usize = 64;
/// Columns typed per sheet (Excel allows 16,384).
const MAX_COLUMNS: u32 = 1024;
/// Cells visited over the whole workbook (sampling and counting rows).
const MAX_CELLS: u64 = 4_000_000;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const OLE_MAGIC: &[u8] = &[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/// The whole file when it fits [`MAX_WINDOW`]; else a head read that only confirms the kind.
pub(crate) fn initial_read(file_size: u64) -> ByteRange {
    ByteRange {
        start: 0,
        end: if file_size <= MAX_WINDOW {
            file_size
        } else {
            HEAD_BYTES.min(file_size)
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Container {
    Xlsx,
    Xls,
}

impl Container {
    fn as_str(self) -> &'static str {
        match self {
            Container::Xlsx => "xlsx",
            Container::Xls => "xls",
        }
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        format: FileFormat::Excel,
        message: message.into(),
    }
}

pub(crate) fn infer(file_size: u64, window: &Window<'_>, options: &InferOptions) -> Result<Outcome, FormatError> {
    if window.offset != 0 {
        return Err(invalid("the window must start at the head of the file"));
    }
    let head = window.bytes;
    let container = if head.starts_with(ZIP_MAGIC) {
        Container::Xlsx
    } else if head.starts_with(OLE_MAGIC) {
        Container::Xls
    } else if head.len() < OLE_MAGIC.len() && file_size > head.len() as u64 {
        return Ok(Outcome::NeedMore(initial_read(file_size)));
    } else {
        return Err(invalid(
            "it is neither a zip-based workbook (.xlsx) nor an OLE one (.xls): the first bytes match neither",
        ));
    };
    if file_size > MAX_WINDOW {
        return Err(FormatError::TooLarge(format!(
            "this Excel file ({} bytes) is above the {} MiB limit for schema reading: workbooks are read \
             whole, because the parts a schema needs are spread over the file (large .xlsx files \
             are read by ranged reads through XlsxPlan instead)",
            file_size,
            MAX_WINDOW / (1024 * 1024)
        )));
    }
    if !window.is_whole_file(file_size) {
        return Ok(Outcome::NeedMore(ByteRange {
            start: 0,
            end: file_size,
        }));
    }
    let bytes = &head[..file_size as usize];
    let sample_rows = options.max_sample_rows.max(1);
    let read = catch_unwind(AssertUnwindSafe(|| match container {
        Container::Xlsx => read_xlsx(bytes, sample_rows),
        Container::Xls => read_xls(bytes, sample_rows),
    }));
    let sheets = match read {
        Ok(result) => result?,
        Err(_) => return Err(invalid("the Excel reader failed on this workbook (calamine panicked)")),
    };
    Ok(Outcome::Inferred(summarise(container, sheets)))
}

/// One sheet as read.
pub(crate) struct SheetRead {
    pub(crate) name: String,
    pub(crate) visible: SheetVisible,
    pub(crate) typ: SheetType,
    /// `None` for sheets that were not read (charts, past [`MAX_SHEETS`]).
    pub(crate) table: Option<Result<Table, String>>,
}

/// A sheet's schema.
pub(crate) struct Table {
    pub(crate) fields: Vec<Field>,
    has_header: bool,
    /// Data rows (header excluded); `None` when the cell budget ran out first.
    row_count: Option<u64>,
    sampled_rows: usize,
    columns_truncated: bool,
    /// Why the sheet was not read to its end, when it was damaged.
    warning: Option<String>,
}

pub(crate) fn summarise(container: Container, sheets: Vec<SheetRead>) -> Inferred {
    let mut chosen: Option<(String, &Table)> = None;
    let mut listed = Vec::with_capacity(sheets.len());
    for sheet in &sheets {
        let mut entry = json!({
            "name": sheet.name,
            "type": sheet_type(sheet.typ),
            "visible": visibility(sheet.visible),
        });
        match &sheet.table {
            Some(Ok(table)) => {
                entry["has_header"] = json!(table.has_header);
                entry["row_count"] = json!(table.row_count);
                entry["sampled_rows"] = json!(table.sampled_rows);
                entry["columns"] = columns_json(&table.fields);
                if table.columns_truncated {
                    entry["columns_truncated"] = json!(true);
                }
                if let Some(warning) = &table.warning {
                    entry["warning"] = json!(warning);
                }
                if chosen.is_none() && !table.fields.is_empty() {
                    chosen = Some((sheet.name.clone(), table));
                }
            }
            Some(Err(message)) => entry["error"] = json!(message),
            None => {}
        }
        listed.push(entry);
    }
    let (sheet, schema, row_count, has_header) = match chosen {
        Some((name, table)) => (
            Some(name),
            Schema::new(table.fields.clone()),
            table.row_count,
            table.has_header,
        ),
        None => (None, Schema::new(Vec::new()), Some(0), false),
    };
    Inferred {
        format: FileFormat::Excel,
        schema,
        row_count,
        details: json!({
            "container": container.as_str(),
            "sheet": sheet,
            "has_header": has_header,
            "sheet_count": sheets.len(),
            "sheets": listed,
        }),
    }
}

fn columns_json(fields: &[Field]) -> Value {
    fields
        .iter()
        .map(|f| json!({"name": f.name, "type": f.data_type.to_string(), "nullable": f.nullable}))
        .collect()
}

fn sheet_type(t: SheetType) -> &'static str {
    match t {
        SheetType::WorkSheet => "worksheet",
        SheetType::DialogSheet => "dialog",
        SheetType::MacroSheet => "macro",
        SheetType::ChartSheet => "chart",
        SheetType::Vba => "vba",
    }
}

fn visibility(v: SheetVisible) -> &'static str {
    match v {
        SheetVisible::Visible => "visible",
        SheetVisible::Hidden => "hidden",
        SheetVisible::VeryHidden => "very_hidden",
    }
}

fn read_xlsx(bytes: &[u8], sample_rows: usize) -> Result<Vec<SheetRead>, FormatError> {
    let mut workbook =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| invalid(format!("the workbook does not open: {e}")))?;
    let metadata = workbook.sheets_metadata().to_vec();
    let mut budget = MAX_CELLS;
    let mut out = Vec::with_capacity(metadata.len());
    for (i, sheet) in metadata.into_iter().enumerate() {
        let table = (i < MAX_SHEETS && sheet.typ == SheetType::WorkSheet).then(|| {
            let mut reader = workbook
                .worksheet_cells_reader(&sheet.name)
                .map_err(|e| format!("the sheet does not open: {e}"))?;
            let mut scan = SheetScan::new(sample_rows);
            loop {
                if budget == 0 {
                    scan.complete = false;
                    break;
                }
                match reader.next_cell() {
                    Ok(Some(cell)) => {
                        budget -= 1;
                        let (row, col) = cell.get_position();
                        scan.push(row, col, cell_of_ref(cell.get_value()));
                    }
                    Ok(None) => break,
                    // A damaged sheet part: what was read so far still types the columns.
                    Err(e) if scan.rows_seen > 0 => {
                        scan.complete = false;
                        scan.error = Some(format!("the sheet is damaged after {} rows: {e}", scan.rows_seen));
                        break;
                    }
                    Err(e) => return Err(format!("the sheet does not decode: {e}")),
                }
            }
            Ok(scan.into_table())
        });
        out.push(SheetRead {
            name: sheet.name,
            visible: sheet.visible,
            typ: sheet.typ,
            table,
        });
    }
    Ok(out)
}

/// A sheet may declare at most this many cells. calamine reserves memory for the declared
/// size of each sheet before reading it, and a failed allocation aborts the process, which
/// no `catch_unwind` can stop: a damaged file declaring billions of cells must never get there.
const MAX_DECLARED_XLS_CELLS: u64 = 4_000_000;

/// Refuses `.xls` files whose DIMENSIONS records declare sheets larger than
/// [`MAX_DECLARED_XLS_CELLS`] or inverted ranges (which calamine's size arithmetic wraps).
/// Mirrors calamine's reading of the record (MS-XLS 2.4.90).
fn check_xls_dimensions(bytes: &[u8]) -> Result<(), FormatError> {
    use std::io::Read;
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| invalid(format!("the workbook's compound file does not open: {e}")))?;
    let mut stream = Vec::new();
    let opened = ["/Workbook", "/Book"]
        .iter()
        .find_map(|name| file.open_stream(name).ok());
    let Some(mut workbook) = opened else {
        return Err(invalid(
            "the file has no Workbook stream; is it really an .xls workbook?",
        ));
    };
    workbook
        .read_to_end(&mut stream)
        .map_err(|e| invalid(format!("the Workbook stream does not read: {e}")))?;
    let mut rest = &stream[..];
    while rest.len() >= 4 {
        let kind = u16::from_le_bytes([rest[0], rest[1]]);
        let len = u16::from_le_bytes([rest[2], rest[3]]) as usize;
        let Some(data) = rest.get(4..4 + len) else { break };
        if kind == 0x0200 {
            let u16_at = |i: usize| u16::from_le_bytes([data[i], data[i + 1]]) as u64;
            let u32_at = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]) as u64;
            let (rf, rl, cf, cl) = match len {
                10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
                14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
                _ => (0, 0, 0, 0),
            };
            let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
            if rl >= 1 && cl >= 1 {
                // calamine takes the last row and column as rl - 1 and cl - 1, inclusive.
                let rows = (rl - 1).checked_sub(rf).map(|n| n + 1);
                let cols = (cl - 1).checked_sub(cf).map(|n| n + 1);
                match (rows, cols) {
                    (Some(rows), Some(cols)) if rows.saturating_mul(cols) <= MAX_DECLARED_XLS_CELLS => {}
                    _ => {
                        return Err(invalid(format!(
                            "a sheet declares rows {rf}..{rl} and columns {cf}..{cl}, which is damaged or larger \
                             than the {MAX_DECLARED_XLS_CELLS} cells Torro reads from .xls files"
                        )));
                    }
                }
            }
        }
        rest = &rest[4 + len..];
    }
    Ok(())
}

fn read_xls(bytes: &[u8], sample_rows: usize) -> Result<Vec<SheetRead>, FormatError> {
    check_xls_dimensions(bytes)?;
    let mut workbook = Xls::new(Cursor::new(bytes)).map_err(|e| invalid(format!("the workbook does not open: {e}")))?;
    let metadata = workbook.sheets_metadata().to_vec();
    let mut budget = MAX_CELLS;
    let mut out = Vec::with_capacity(metadata.len());
    for (i, sheet) in metadata.into_iter().enumerate() {
        let table = (i < MAX_SHEETS && sheet.typ == SheetType::WorkSheet).then(|| {
            let range = workbook
                .worksheet_range(&sheet.name)
                .map_err(|e| format!("the sheet does not decode: {e}"))?;
            let (row0, col0) = range.start().unwrap_or((0, 0));
            let mut scan = SheetScan::new(sample_rows);
            for (r, c, value) in range.used_cells() {
                if budget == 0 {
                    scan.complete = false;
                    break;
                }
                budget -= 1;
                let (row, col) = (row0.saturating_add(r as u32), col0.saturating_add(c as u32));
                scan.push(row, col, cell_of_data(value));
            }
            Ok(scan.into_table())
        });
        out.push(SheetRead {
            name: sheet.name,
            visible: sheet.visible,
            typ: sheet.typ,
            table,
        });
    }
    Ok(out)
}

/// What a cell says about its column.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    Scalar(Scalar),
    Time,
    Interval,
}

impl Kind {
    fn join(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Scalar(a), Kind::Scalar(b)) => Kind::Scalar(a.join(b)),
            (a, b) if a == b => a,
            _ => Kind::Scalar(Scalar::String),
        }
    }

    fn to_data_type(self) -> DataType {
        match self {
            Kind::Scalar(s) => s.to_data_type(),
            Kind::Time => DataType::Time(TimeUnit::Millisecond),
            Kind::Interval => DataType::Interval,
        }
    }
}

/// A non-empty cell: its text (for header detection and names) and kind (`None`: a null,
/// such as an error cell).
#[derive(Clone, Debug)]
pub(crate) struct Cell {
    pub(crate) text: String,
    pub(crate) kind: Option<Kind>,
}

fn int_digits(i: i64) -> Kind {
    let digits = i.unsigned_abs().checked_ilog10().map_or(1, |d| d + 1);
    Kind::Scalar(Scalar::Int { digits: digits as u8 })
}

pub(crate) fn float_cell(f: f64) -> Cell {
    // Excel keeps every number as a double: whole values in the int64-exact range are integers.
    let kind = if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        int_digits(f as i64)
    } else {
        Kind::Scalar(Scalar::Float)
    };
    Cell {
        text: f.to_string(),
        kind: Some(kind),
    }
}

pub(crate) fn text_cell(s: &str) -> Option<Cell> {
    let trimmed = s.trim();
    if trimmed.is_empty() {
        return None;
    }
    Some(Cell {
        text: trimmed.to_string(),
        kind: Some(Kind::Scalar(scalar::infer_text(trimmed))),
    })
}

fn datetime_cell(value: f64, duration: bool) -> Cell {
    // The text is a stand-in that the CSV header rules see as a typed value.
    let (text, kind) = if duration {
        ("0", Kind::Interval)
    } else if value.fract() == 0.0 {
        ("2000-01-01", Kind::Scalar(Scalar::Date))
    } else if (0.0..1.0).contains(&value) {
        ("0", Kind::Time)
    } else {
        (
            "2000-01-01T00:00:00",
            Kind::Scalar(Scalar::Timestamp {
                nanos: false,
                utc: false,
            }),
        )
    };
    Cell {
        text: text.into(),
        kind: Some(kind),
    }
}

pub(crate) fn iso_cell(s: &str, duration: bool) -> Option<Cell> {
    if duration {
        return Some(Cell {
            text: "0".into(),
            kind: Some(Kind::Interval),
        });
    }
    let mut cell = text_cell(s)?;
    if cell.kind == Some(Kind::Scalar(Scalar::String)) && is_time_of_day(s.trim()) {
        cell.kind = Some(Kind::Time);
        cell.text = "0".into();
    }
    Some(cell)
}

fn is_time_of_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 5 && b[2] == b':' && b[..2].iter().chain(&b[3..5]).all(u8::is_ascii_digit)
}

fn int_cell(i: i64) -> Cell {
    Cell {
        text: i.to_string(),
        kind: Some(int_digits(i)),
    }
}

pub(crate) fn bool_cell(b: bool) -> Cell {
    Cell {
        text: b.to_string(),
        kind: Some(Kind::Scalar(Scalar::Boolean)),
    }
}

pub(crate) fn error_cell() -> Cell {
    Cell {
        text: "#ERROR".into(),
        kind: None,
    }
}

/// `None` for empty cells.
fn cell_of_ref(value: &DataRef<'_>) -> Option<Cell> {
    match value {
        DataRef::Empty => None,
        DataRef::String(s) => text_cell(s),
        DataRef::SharedString(s) => text_cell(s),
        DataRef::Int(i) => Some(int_cell(*i)),
        DataRef::Float(f) => Some(float_cell(*f)),
        DataRef::Bool(b) => Some(bool_cell(*b)),
        DataRef::DateTime(dt) => Some(datetime_cell(dt.as_f64(), dt.is_duration())),
        DataRef::DateTimeIso(s) => iso_cell(s, false),
        DataRef::DurationIso(s) => iso_cell(s, true),
        DataRef::Error(_) => Some(error_cell()),
    }
}

fn cell_of_data(value: &Data) -> Option<Cell> {
    match value {
        Data::Empty => None,
        Data::String(s) => text_cell(s),
        Data::Int(i) => Some(int_cell(*i)),
        Data::Float(f) => Some(float_cell(*f)),
        Data::Bool(b) => Some(bool_cell(*b)),
        Data::DateTime(dt) => Some(datetime_cell(dt.as_f64(), dt.is_duration())),
        Data::DateTimeIso(s) => iso_cell(s, false),
        Data::DurationIso(s) => iso_cell(s, true),
        Data::Error(_) => Some(error_cell()),
    }
}

/// Cells of one sheet in row order: the first rows kept as a sample, the rest counted.
pub(crate) struct SheetScan {
    sample_limit: usize,
    /// `(row index, cells by column)` of the first non-empty rows.
    sample: Vec<(u32, Vec<(u32, Cell)>)>,
    pub(crate) rows_seen: u64,
    last_row: Option<u32>,
    min_col: u32,
    max_col: u32,
    columns_truncated: bool,
    /// Every cell was visited (the row count is exact).
    pub(crate) complete: bool,
    error: Option<String>,
}

impl SheetScan {
    pub(crate) fn new(sample_rows: usize) -> Self {
        SheetScan {
            // The header row, then the data rows.
            sample_limit: sample_rows.saturating_add(1),
            sample: Vec::new(),
            rows_seen: 0,
            last_row: None,
            min_col: u32::MAX,
            max_col: 0,
            columns_truncated: false,
            complete: true,
            error: None,
        }
    }

    /// Takes one cell (`None`: an empty one).
    pub(crate) fn push(&mut self, row: u32, col: u32, cell: Option<Cell>) {
        let Some(cell) = cell else { return };
        if self.last_row != Some(row) {
            self.last_row = Some(row);
            self.rows_seen += 1;
            if self.sample.len() < self.sample_limit {
                self.sample.push((row, Vec::new()));
            }
        }
        if self.rows_seen as usize > self.sample.len() {
            return;
        }
        if let Some((r, cells)) = self.sample.last_mut()
            && *r == row
        {
            let lowest = self.min_col.min(col);
            if col.saturating_sub(lowest) >= MAX_COLUMNS || self.max_col.saturating_sub(lowest) >= MAX_COLUMNS {
                self.columns_truncated = true;
                return;
            }
            self.min_col = lowest;
            self.max_col = self.max_col.max(col);
            cells.push((col, cell));
        }
    }

    pub(crate) fn into_table(self) -> Table {
        let width = if self.sample.is_empty() {
            0
        } else {
            (self.max_col - self.min_col + 1) as usize
        };
        let grid: Vec<Vec<Option<Cell>>> = self
            .sample
            .into_iter()
            .map(|(_, cells)| {
                let mut row = vec![None; width];
                for (col, cell) in cells {
                    if let Some(slot) = row.get_mut((col - self.min_col) as usize) {
                        *slot = Some(cell);
                    }
                }
                row
            })
            .collect();
        let texts: Vec<Vec<String>> = grid
            .iter()
            .map(|row| {
                row.iter()
                    .map(|c| c.as_ref().map(|c| c.text.clone()).unwrap_or_default())
                    .collect()
            })
            .collect();
        let has_header = detect_header(&texts);
        let data = if has_header {
            grid.get(1..).unwrap_or_default()
        } else {
            &grid[..]
        };
        let names = column_names(has_header.then(|| texts[0].as_slice()), width);
        let fields = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let mut kind: Option<Kind> = None;
                let mut nullable = false;
                for row in data {
                    match row.get(i).and_then(|c| c.as_ref()).and_then(|c| c.kind) {
                        Some(k) => kind = Some(kind.map_or(k, |old| old.join(k))),
                        None => nullable = true,
                    }
                }
                match kind {
                    Some(k) => Field::new(name, k.to_data_type(), nullable),
                    None => Field::new(name, DataType::Null, true),
                }
            })
            .collect();
        Table {
            fields,
            has_header,
            row_count: self
                .complete
                .then(|| self.rows_seen.saturating_sub(u64::from(has_header))),
            sampled_rows: data.len(),
            columns_truncated: self.columns_truncated,
            warning: self.error,
        }
    }
}
