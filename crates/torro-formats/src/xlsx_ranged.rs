//! Large `.xlsx`/`.xlsm` workbooks (above [`MAX_WINDOW`]) read by ranged reads: the zip's
//! end-of-central-directory record from the last 64 KiB, the central directory, then
//! `xl/workbook.xml`, `xl/_rels/workbook.xml.rels`, the head of `xl/sharedStrings.xml` and
//! the head of the first sheet's part, each as one bounded range. The engine drives an
//! [`XlsxPlan`]: it asks for ranges ([`Step::Fetch`]) and ends with [`Step::Done`].
//!
//! The zip records are parsed by hand: the `zip` crate (and calamine over it) wants
//! `Read + Seek` over the whole archive, which is exactly what this path avoids.
//!
//! Only the first sheet is read, only its first `max_sample_rows` rows, and only from the
//! first [`MAX_COMPRESSED_HEAD`] compressed bytes of its part (a truncated deflate stream
//! gives its decompressed prefix). Styles are not read: date-formatted numbers are typed as
//! numbers (`int64`/`float64`). Shared strings past the head of `sharedStrings.xml` are
//! strings of unknown text; an unresolved header cell is named `column_N`. The row count is
//! unknown (`None`).

use std::io::Read;

use calamine::{SheetType, SheetVisible};
use flate2::read::DeflateDecoder;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde_json::json;

use crate::excel::{
    Cell, Container, Kind, SheetRead, SheetScan, bool_cell, error_cell, float_cell, invalid, iso_cell, text_cell,
};
use crate::scalar::Scalar;
use crate::{ByteRange, FormatError, HEAD_BYTES, InferOptions, Inferred, MAX_WINDOW};

/// Compressed bytes read at most from the sheet and shared-strings parts (and the whole of
/// the workbook and its relationships, which are small).
pub const MAX_COMPRESSED_HEAD: u64 = 1024 * 1024;
/// Decompressed bytes kept at most from one part.
const MAX_DECOMPRESSED: usize = 32 * 1024 * 1024;
/// Central directories larger than this are refused (an xlsx has a few dozen parts).
const MAX_DIRECTORY: u64 = 2 * 1024 * 1024;
/// Room for a local header's name and extra field, which may differ from the directory's.
const LOCAL_HEADER_SLACK: u64 = 30 + 1024;
/// Shared strings kept at most.
const MAX_SHARED_STRINGS: usize = 1_000_000;
/// Marks a header cell whose shared string was not in the head read.
const UNRESOLVED: &str = "\u{1}unresolved";

const EOCD_SIG: &[u8] = b"PK\x05\x06";
const ZIP64_LOCATOR_SIG: &[u8] = b"PK\x06\x07";
const ZIP64_EOCD_SIG: &[u8] = b"PK\x06\x06";
const CENTRAL_SIG: &[u8] = b"PK\x01\x02";
const LOCAL_SIG: &[u8] = b"PK\x03\x04";

/// True when a file is read by [`XlsxPlan`]: an `.xlsx`/`.xlsm` above [`MAX_WINDOW`].
pub fn xlsx_ranged_applies(file_name: &str, file_size: u64) -> bool {
    let lower = file_name.to_ascii_lowercase();
    file_size > MAX_WINDOW && (lower.ends_with(".xlsx") || lower.ends_with(".xlsm"))
}

/// One central directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    /// 0 stored, 8 deflate (others are refused when the part is decoded).
    pub method: u16,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub local_header_offset: u64,
}

/// Where the central directory is, from the end-of-central-directory record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eocd {
    Directory {
        offset: u64,
        size: u64,
    },
    /// Zip64: the Zip64 EOCD record sits at this offset (56 bytes) and was not in the tail.
    Zip64At(u64),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

fn zip_invalid(message: impl std::fmt::Display) -> FormatError {
    invalid(format!("the zip structure is damaged: {message}"))
}

/// Parses the end-of-central-directory record (and the Zip64 one when present) from the
/// `tail` of the file, which starts at `tail_offset`.
pub fn parse_eocd(tail: &[u8], tail_offset: u64, file_size: u64) -> Result<Eocd, FormatError> {
    let pos = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| {
            tail[i..].starts_with(EOCD_SIG) && u16_at(tail, i + 20).is_some_and(|c| i + 22 + c as usize <= tail.len())
        })
        .ok_or_else(|| zip_invalid("no end-of-central-directory record in the last bytes of the file"))?;
    let entries = u16_at(tail, pos + 10).unwrap_or(0);
    let size = u32_at(tail, pos + 12).unwrap_or(0);
    let offset = u32_at(tail, pos + 16).unwrap_or(0);
    let (offset, size) = if entries == 0xffff || size == u32::MAX || offset == u32::MAX {
        let loc = pos
            .checked_sub(20)
            .filter(|&l| tail[l..].starts_with(ZIP64_LOCATOR_SIG))
            .ok_or_else(|| zip_invalid("a Zip64 archive without its Zip64 locator"))?;
        let at = u64_at(tail, loc + 8).unwrap_or(u64::MAX);
        match at.checked_sub(tail_offset).and_then(|rel| usize::try_from(rel).ok()) {
            Some(rel) if rel.checked_add(56).is_some_and(|e| e <= tail.len()) => parse_zip64_eocd(&tail[rel..])?,
            _ if at.checked_add(56).is_some_and(|e| e <= file_size) => return Ok(Eocd::Zip64At(at)),
            _ => return Err(zip_invalid("the Zip64 record points outside the file")),
        }
    } else {
        (u64::from(offset), u64::from(size))
    };
    if offset.checked_add(size).is_none_or(|end| end > file_size) {
        return Err(zip_invalid(format!(
            "the central directory ({size} bytes at {offset}) lies outside the file ({file_size} bytes)"
        )));
    }
    Ok(Eocd::Directory { offset, size })
}

/// Parses a 56-byte Zip64 end-of-central-directory record: `(offset, size)` of the directory.
pub fn parse_zip64_eocd(record: &[u8]) -> Result<(u64, u64), FormatError> {
    if !record.starts_with(ZIP64_EOCD_SIG) {
        return Err(zip_invalid("the Zip64 end-of-central-directory record is missing"));
    }
    match (u64_at(record, 48), u64_at(record, 40)) {
        (Some(offset), Some(size)) => Ok((offset, size)),
        _ => Err(zip_invalid("the Zip64 end-of-central-directory record is cut short")),
    }
}

/// Parses the central directory entries.
pub fn parse_central_directory(bytes: &[u8]) -> Result<Vec<ZipEntry>, FormatError> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        if !bytes[at..].starts_with(CENTRAL_SIG) {
            if out.is_empty() || bytes[at..].starts_with(b"PK\x05\x05") || bytes[at..].starts_with(ZIP64_EOCD_SIG) {
                if out.is_empty() {
                    return Err(zip_invalid("the central directory does not start with an entry"));
                }
                break;
            }
            return Err(zip_invalid(format!(
                "entry {} of the central directory is damaged",
                out.len() + 1
            )));
        }
        let short = || zip_invalid("a central directory entry is cut short");
        let method = u16_at(bytes, at + 10).ok_or_else(short)?;
        let mut compressed = u64::from(u32_at(bytes, at + 20).ok_or_else(short)?);
        let mut uncompressed = u64::from(u32_at(bytes, at + 24).ok_or_else(short)?);
        let name_len = usize::from(u16_at(bytes, at + 28).ok_or_else(short)?);
        let extra_len = usize::from(u16_at(bytes, at + 30).ok_or_else(short)?);
        let comment_len = usize::from(u16_at(bytes, at + 32).ok_or_else(short)?);
        let mut offset = u64::from(u32_at(bytes, at + 42).ok_or_else(short)?);
        let name_start = at + 46;
        let extra_start = name_start + name_len;
        let end = extra_start + extra_len + comment_len;
        let name = bytes.get(name_start..extra_start).ok_or_else(short)?;
        let extra = bytes.get(extra_start..extra_start + extra_len).ok_or_else(short)?;
        if end > bytes.len() {
            return Err(short());
        }
        // Zip64 extended information: only the fields whose 32-bit value is saturated, in order.
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e).unwrap_or(0);
            let len = usize::from(u16_at(extra, e + 2).unwrap_or(0));
            let data = extra.get(e + 4..e + 4 + len).unwrap_or(&[]);
            if id == 1 {
                let mut f = 0;
                for field in [&mut uncompressed, &mut compressed, &mut offset] {
                    if *field == u64::from(u32::MAX) {
                        if let Some(v) = u64_at(data, f) {
                            *field = v;
                        }
                        f += 8;
                    }
                }
            }
            e += 4 + len;
        }
        out.push(ZipEntry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed_size: compressed,
            uncompressed_size: uncompressed,
            local_header_offset: offset,
        });
        at = end;
    }
    Ok(out)
}

/// The parts a schema needs, picked from the central directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkbookParts {
    pub workbook: ZipEntry,
    pub rels: Option<ZipEntry>,
    pub shared_strings: Option<ZipEntry>,
}

fn find_entry<'a>(entries: &'a [ZipEntry], name: &str) -> Option<&'a ZipEntry> {
    entries
        .iter()
        .find(|e| e.name == name)
        .or_else(|| entries.iter().find(|e| e.name.eq_ignore_ascii_case(name)))
}

/// Picks `xl/workbook.xml`, its relationships and the shared strings.
pub fn pick_parts(entries: &[ZipEntry]) -> Result<WorkbookParts, FormatError> {
    let workbook = find_entry(entries, "xl/workbook.xml")
        .cloned()
        .ok_or_else(|| invalid("not an Excel workbook: the zip archive has no xl/workbook.xml part"))?;
    Ok(WorkbookParts {
        workbook,
        rels: find_entry(entries, "xl/_rels/workbook.xml.rels").cloned(),
        shared_strings: find_entry(entries, "xl/sharedStrings.xml").cloned(),
    })
}

/// The range to fetch for a part: its local header and at most `max_compressed` bytes of data.
pub fn part_range(entry: &ZipEntry, max_compressed: u64, file_size: u64) -> ByteRange {
    let start = entry.local_header_offset.min(file_size);
    let len = LOCAL_HEADER_SLACK + entry.name.len() as u64 + entry.compressed_size.min(max_compressed);
    ByteRange {
        start,
        end: start.saturating_add(len).min(file_size),
    }
}

/// Decodes a part from bytes that start at its local file header; a cut-short part gives the
/// decompressed prefix of what is there.
pub fn decode_part(bytes: &[u8], entry: &ZipEntry) -> Result<Vec<u8>, FormatError> {
    if !bytes.starts_with(LOCAL_SIG) {
        return Err(zip_invalid(format!("no local file header for {}", entry.name)));
    }
    let (Some(name_len), Some(extra_len)) = (u16_at(bytes, 26), u16_at(bytes, 28)) else {
        return Err(zip_invalid(format!("the local header of {} is cut short", entry.name)));
    };
    let start = 30 + usize::from(name_len) + usize::from(extra_len);
    let data = bytes.get(start..).unwrap_or(&[]);
    let data = &data[..data
        .len()
        .min(usize::try_from(entry.compressed_size).unwrap_or(usize::MAX))];
    match entry.method {
        0 => Ok(data[..data.len().min(MAX_DECOMPRESSED)].to_vec()),
        8 => {
            let mut decoder = DeflateDecoder::new(data);
            let mut out = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            while out.len() < MAX_DECOMPRESSED {
                match decoder.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => out.extend_from_slice(&chunk[..n]),
                    // The stream is cut at the read's end: keep the prefix.
                    Err(_) => break,
                }
            }
            Ok(out)
        }
        m => Err(invalid(format!(
            "the part {} uses zip compression method {m} (only stored and deflate are read)",
            entry.name
        ))),
    }
}

fn attr(e: &BytesStart<'_>, local: &str, prefixed: Option<bool>) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        let key = a.key;
        let ok = key.local_name().as_ref() == local && prefixed.is_none_or(|p| key.prefix().is_some() == p);
        ok.then(|| a.normalized_value(XmlVersion::Implicit1_0).map(|v| v.into_owned()).ok())
            .flatten()
    })
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// The first sheet of `xl/workbook.xml`: `(name, relationship id, state)`.
pub fn first_sheet(workbook_xml: &str) -> Result<(String, String, SheetVisible), FormatError> {
    let mut reader = Reader::from_str(workbook_xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "sheet" => {
                let name = attr(&e, "name", None).unwrap_or_else(|| "Sheet1".into());
                let rid = attr(&e, "id", Some(true))
                    .ok_or_else(|| invalid("the first sheet in xl/workbook.xml has no r:id"))?;
                let visible = match attr(&e, "state", None).as_deref() {
                    Some("hidden") => SheetVisible::Hidden,
                    Some("veryHidden") => SheetVisible::VeryHidden,
                    _ => SheetVisible::Visible,
                };
                return Ok((name, rid, visible));
            }
            Ok(Event::Eof) => return Err(invalid("xl/workbook.xml lists no sheet")),
            Err(e) => return Err(invalid(format!("xl/workbook.xml does not parse: {e}"))),
            _ => {}
        }
    }
}

/// The part path of relationship `rid` in `xl/_rels/workbook.xml.rels`.
pub fn relationship_target(rels_xml: &str, rid: &str) -> Option<String> {
    let mut reader = Reader::from_str(rels_xml);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == "Relationship" && attr(&e, "Id", None).as_deref() == Some(rid) =>
            {
                let target = attr(&e, "Target", None)?;
                return Some(resolve_target(&target));
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

fn resolve_target(target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("xl/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The shared strings in the head of `xl/sharedStrings.xml` (only complete `<si>` items).
pub fn shared_strings_head(xml: &str) -> Vec<String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let (mut in_t, mut in_phonetic) = (false, 0usize);
    while out.len() < MAX_SHARED_STRINGS {
        match reader.read_event() {
            Ok(Event::Start(e)) => match e.local_name().as_ref() {
                "si" => current = Some(String::new()),
                "t" => in_t = true,
                "rPh" => in_phonetic += 1,
                _ => {}
            },
            Ok(Event::Empty(e)) if e.local_name().as_ref() == "si" => out.push(String::new()),
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "si" => out.extend(current.take()),
                "t" => in_t = false,
                "rPh" => in_phonetic = in_phonetic.saturating_sub(1),
                _ => {}
            },
            Ok(Event::Text(t)) if in_t && in_phonetic == 0 => {
                if let Some(s) = current.as_mut() {
                    s.push_str(&t.xml10_content());
                }
            }
            Ok(Event::CData(t)) if in_t && in_phonetic == 0 => {
                if let Some(s) = current.as_mut() {
                    s.push_str(&t);
                }
            }
            Ok(Event::GeneralRef(r)) if in_t && in_phonetic == 0 => {
                let c = r.resolve_char_ref().ok().flatten().or_else(|| entity(&r));
                if let (Some(s), Some(c)) = (current.as_mut(), c) {
                    s.push(c);
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

/// Zero-based column of a cell reference such as `AB12`.
fn column_of(reference: &str) -> Option<u32> {
    let letters = reference.bytes().take_while(u8::is_ascii_alphabetic);
    let mut col: u32 = 0;
    let mut any = false;
    for b in letters {
        col = col
            .checked_mul(26)?
            .checked_add(u32::from(b.to_ascii_uppercase() - b'A' + 1))?;
        any = true;
    }
    any.then(|| col - 1)
}

/// The cell of a sheet part's `<c>` from its type attribute and value text.
fn sheet_cell(t: Option<&str>, value: &str, inline: &str, strings: &[String]) -> Option<Cell> {
    match t {
        Some("s") => {
            let index: usize = value.trim().parse().ok()?;
            match strings.get(index) {
                Some(s) => text_cell(s),
                None => Some(Cell {
                    text: format!("{UNRESOLVED}{index}"),
                    kind: Some(Kind::Scalar(Scalar::String)),
                }),
            }
        }
        Some("inlineStr") => text_cell(inline),
        Some("str") => text_cell(value),
        Some("b") => match value.trim() {
            "" => None,
            v => Some(bool_cell(v == "1" || v.eq_ignore_ascii_case("true"))),
        },
        Some("e") => Some(error_cell()),
        Some("d") => iso_cell(value, false),
        _ => {
            let v = value.trim();
            if v.is_empty() {
                None
            } else {
                match v.parse::<f64>() {
                    Ok(f) => Some(float_cell(f)),
                    Err(_) => text_cell(v),
                }
            }
        }
    }
}

/// Scans the head of a sheet part: complete rows only, at most `sample_rows` + 1 of them.
pub(crate) fn scan_sheet(xml: &str, strings: &[String], sample_rows: usize) -> SheetScan {
    let mut scan = SheetScan::new(sample_rows);
    scan.complete = false;
    let limit = sample_rows.saturating_add(1) as u64;
    let mut reader = Reader::from_str(xml);
    let mut row_index: u32 = 0;
    let mut row: Vec<(u32, Option<Cell>)> = Vec::new();
    let mut in_row = false;
    // The cell being read: column, type, value text, inline text.
    let mut cell: Option<(u32, Option<String>, String, String)> = None;
    let (mut in_v, mut in_is_t) = (false, false);
    let mut next_col: u32 = 0;
    loop {
        if scan.rows_seen >= limit {
            break;
        }
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(e) => e,
        };
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "row" => {
                row_index = attr(&e, "r", None)
                    .and_then(|r| r.trim().parse::<u32>().ok())
                    .map_or(row_index.saturating_add(1), |r| r.saturating_sub(1));
                row.clear();
                next_col = 0;
                in_row = true;
            }
            Event::Start(e) if in_row && e.local_name().as_ref() == "c" => {
                let col = attr(&e, "r", None).and_then(|r| column_of(&r)).unwrap_or(next_col);
                cell = Some((col, attr(&e, "t", None), String::new(), String::new()));
            }
            Event::Empty(e) if in_row && e.local_name().as_ref() == "c" => {
                let col = attr(&e, "r", None).and_then(|r| column_of(&r)).unwrap_or(next_col);
                next_col = col.saturating_add(1);
            }
            Event::Start(e) => match e.local_name().as_ref() {
                "v" => in_v = true,
                "t" if cell.is_some() => in_is_t = true,
                _ => {}
            },
            Event::Text(t) if in_v || in_is_t => {
                if let Some((_, _, v, inline)) = cell.as_mut() {
                    (if in_v { v } else { inline }).push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_v || in_is_t => {
                let c = r.resolve_char_ref().ok().flatten().or_else(|| entity(&r));
                if let (Some((_, _, v, inline)), Some(c)) = (cell.as_mut(), c) {
                    (if in_v { v } else { inline }).push(c);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "v" => in_v = false,
                "t" => in_is_t = false,
                "c" => {
                    if let Some((col, t, v, inline)) = cell.take() {
                        next_col = col.saturating_add(1);
                        row.push((col, sheet_cell(t.as_deref(), &v, &inline, strings)));
                    }
                }
                "row" => {
                    in_row = false;
                    for (col, c) in row.drain(..) {
                        scan.push(row_index, col, c);
                    }
                }
                "sheetData" => {
                    scan.complete = true;
                    break;
                }
                _ => {}
            },
            _ => {}
        }
    }
    scan
}

/// What the engine does next.
#[derive(Debug)]
pub enum Step {
    /// Fetch these ranges, then call [`XlsxPlan::next`] with their bytes in the same order.
    Fetch(Vec<ByteRange>),
    Done(Result<Inferred, FormatError>),
}

enum State {
    Start,
    Tail {
        start: u64,
    },
    Zip64,
    Directory,
    Parts(WorkbookParts),
    Sheet {
        name: String,
        visible: SheetVisible,
        entry: ZipEntry,
        strings: Vec<String>,
        shared_strings_read: bool,
    },
    Finished,
}

/// The ranged read plan of a large `.xlsx` (see the module docs).
pub struct XlsxPlan {
    file_size: u64,
    sample_rows: usize,
    state: State,
    entries: Vec<ZipEntry>,
}

impl XlsxPlan {
    pub fn new(file_size: u64, options: &InferOptions) -> Self {
        XlsxPlan {
            file_size,
            sample_rows: options.max_sample_rows.max(1),
            state: State::Start,
            entries: Vec::new(),
        }
    }

    /// The next step, given the bytes of the ranges the previous step asked for (nothing on
    /// the first call). Never panics.
    pub fn next(&mut self, fetched: &[&[u8]]) -> Step {
        match self.advance(fetched) {
            Ok(step) => step,
            Err(e) => {
                self.state = State::Finished;
                Step::Done(Err(e))
            }
        }
    }

    fn directory_step(&mut self, offset: u64, size: u64, tail: Option<(&[u8], u64)>) -> Result<Step, FormatError> {
        if size > MAX_DIRECTORY {
            return Err(FormatError::TooLarge(format!(
                "the workbook's zip central directory ({size} bytes) is above the {} MiB limit",
                MAX_DIRECTORY / (1024 * 1024)
            )));
        }
        if let Some((bytes, start)) = tail
            && offset >= start
        {
            let rel = (offset - start) as usize;
            if let Some(dir) = bytes.get(rel..rel.saturating_add(size as usize)) {
                return self.parts_step(parse_central_directory(dir)?);
            }
        }
        self.state = State::Directory;
        Ok(Step::Fetch(vec![ByteRange {
            start: offset,
            end: offset + size,
        }]))
    }

    fn parts_step(&mut self, entries: Vec<ZipEntry>) -> Result<Step, FormatError> {
        let parts = pick_parts(&entries)?;
        let mut ranges = vec![part_range(&parts.workbook, MAX_COMPRESSED_HEAD, self.file_size)];
        ranges.extend(
            parts
                .rels
                .iter()
                .map(|e| part_range(e, MAX_COMPRESSED_HEAD, self.file_size)),
        );
        ranges.extend(
            parts
                .shared_strings
                .iter()
                .map(|e| part_range(e, MAX_COMPRESSED_HEAD, self.file_size)),
        );
        self.state = State::Parts(parts);
        // The sheet's part is looked up again from the directory once its path is known.
        self.entries = entries;
        Ok(Step::Fetch(ranges))
    }

    fn advance(&mut self, fetched: &[&[u8]]) -> Result<Step, FormatError> {
        let first = fetched.first().copied().unwrap_or(&[]);
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Start => {
                let start = self.file_size.saturating_sub(HEAD_BYTES);
                self.state = State::Tail { start };
                Ok(Step::Fetch(vec![ByteRange {
                    start,
                    end: self.file_size,
                }]))
            }
            State::Tail { start } => match parse_eocd(first, start, self.file_size)? {
                Eocd::Directory { offset, size } => self.directory_step(offset, size, Some((first, start))),
                Eocd::Zip64At(at) => {
                    self.state = State::Zip64;
                    Ok(Step::Fetch(vec![ByteRange {
                        start: at,
                        end: at + 56,
                    }]))
                }
            },
            State::Zip64 => {
                let (offset, size) = parse_zip64_eocd(first)?;
                if offset.checked_add(size).is_none_or(|e| e > self.file_size) {
                    return Err(zip_invalid("the central directory lies outside the file"));
                }
                self.directory_step(offset, size, None)
            }
            State::Directory => self.parts_step(parse_central_directory(first)?),
            State::Parts(parts) => {
                let workbook = decode_part(first, &parts.workbook)?;
                let (name, rid, visible) = first_sheet(&String::from_utf8_lossy(&workbook))?;
                let mut next = 1;
                let path = match &parts.rels {
                    Some(rels) => {
                        let bytes = decode_part(fetched.get(next).copied().unwrap_or(&[]), rels)?;
                        next += 1;
                        relationship_target(&String::from_utf8_lossy(&bytes), &rid)
                    }
                    None => None,
                }
                .unwrap_or_else(|| "xl/worksheets/sheet1.xml".into());
                let strings = match &parts.shared_strings {
                    Some(sst) => {
                        let bytes = decode_part(fetched.get(next).copied().unwrap_or(&[]), sst)?;
                        shared_strings_head(&String::from_utf8_lossy(&bytes))
                    }
                    None => Vec::new(),
                };
                let entry = find_entry(&self.entries, &path)
                    .cloned()
                    .ok_or_else(|| invalid(format!("the first sheet's part {path} is not in the zip archive")))?;
                let range = part_range(&entry, MAX_COMPRESSED_HEAD, self.file_size);
                self.state = State::Sheet {
                    name,
                    visible,
                    entry,
                    strings,
                    shared_strings_read: parts.shared_strings.is_some(),
                };
                Ok(Step::Fetch(vec![range]))
            }
            State::Sheet {
                name,
                visible,
                entry,
                strings,
                shared_strings_read,
            } => {
                let bytes = decode_part(first, &entry)?;
                let xml = String::from_utf8_lossy(&bytes);
                let scan = scan_sheet(&xml, &strings, self.sample_rows);
                let mut table = scan.into_table();
                for (i, field) in table.fields.iter_mut().enumerate() {
                    if field.name.starts_with(UNRESOLVED) {
                        field.name = format!("column_{}", i + 1);
                    }
                }
                let sheets = vec![SheetRead {
                    name,
                    visible,
                    typ: SheetType::WorkSheet,
                    table: Some(Ok(table)),
                }];
                let mut inferred = crate::excel::summarise(Container::Xlsx, sheets);
                inferred.details["read"] = json!("ranged");
                inferred.details["sheet_part"] = json!(entry.name);
                inferred.details["shared_strings_read"] = json!(strings.len());
                inferred.details["shared_strings_part"] = json!(shared_strings_read);
                inferred.details["note"] = json!(
                    "large workbook: only the first sheet's first rows were read; date-formatted \
                     numbers read as numbers; row count unknown"
                );
                Ok(Step::Done(Ok(inferred)))
            }
            State::Finished => Err(invalid("the xlsx read plan has already finished")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::DeflateEncoder;
    use torro_model::DataType;

    use super::*;

    #[test]
    fn a_cut_short_deflate_stream_gives_its_prefix() {
        let text: String = (0..20_000).map(|i| format!("<row r=\"{i}\"/>")).collect();
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        let data = enc.finish().unwrap();
        let name = "xl/worksheets/sheet1.xml";
        let mut part = b"PK\x03\x04".to_vec();
        part.extend_from_slice(&[0; 22]);
        part.extend_from_slice(&(name.len() as u16).to_le_bytes());
        part.extend_from_slice(&0u16.to_le_bytes());
        part.extend_from_slice(name.as_bytes());
        part.extend_from_slice(&data[..data.len() / 2]);
        let entry = ZipEntry {
            name: name.into(),
            method: 8,
            compressed_size: data.len() as u64,
            uncompressed_size: text.len() as u64,
            local_header_offset: 0,
        };
        let out = decode_part(&part, &entry).unwrap();
        assert!(!out.is_empty() && out.len() < text.len());
        assert!(text.as_bytes().starts_with(&out));
        assert!(decode_part(b"PK\x03", &entry).is_err());
    }

    #[test]
    fn shared_strings_head_keeps_complete_items_only() {
        let xml =
            "<sst><si><t>a &amp; b</t></si><si><r><t>x</t></r><r><t>y</t></r><rPh><t>ignored</t></rPh></si><si><t>cut";
        assert_eq!(shared_strings_head(xml), vec!["a & b".to_string(), "xy".to_string()]);
    }

    #[test]
    fn unresolved_shared_strings_name_header_cells_column_n() {
        let xml = r#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>9</v></c></row><row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2.5</v></c></row><row r="3"><c r="A3"><v>2</v></c><c r="B3"><v>3"#;
        let mut table = scan_sheet(xml, &["id".into()], 10).into_table();
        for (i, field) in table.fields.iter_mut().enumerate() {
            if field.name.starts_with(UNRESOLVED) {
                field.name = format!("column_{}", i + 1);
            }
        }
        let got: Vec<_> = table
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.data_type.clone()))
            .collect();
        // The cut-short third row is not sampled.
        assert_eq!(
            got,
            vec![
                ("id".to_string(), DataType::Int64),
                ("column_2".to_string(), DataType::Float64)
            ]
        );
    }

    #[test]
    fn relationship_targets_resolve_against_xl() {
        let rels = r#"<Relationships><Relationship Id="rId2" Target="/xl/worksheets/a.xml"/><Relationship Id="rId3" Target="./worksheets/../worksheets/b.xml"/></Relationships>"#;
        assert_eq!(
            relationship_target(rels, "rId2").as_deref(),
            Some("xl/worksheets/a.xml")
        );
        assert_eq!(
            relationship_target(rels, "rId3").as_deref(),
            Some("xl/worksheets/b.xml")
        );
        assert_eq!(relationship_target(rels, "rId9"), None);
        assert_eq!(column_of("AB12"), Some(27));
        assert_eq!(column_of("12"), None);
    }
}
