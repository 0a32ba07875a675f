//! Apache ORC: the schema and row count from the file tail, no stripe is read.
//!
//! An ORC file ends with `[footer][postscript][1 byte: postscript length]`. The postscript is
//! never compressed and says how long the footer is and how it is compressed; the footer
//! holds the type tree (a flat list of types in pre-order, the root a struct), the number
//! of rows, the stripes and user metadata.
//!
//! The few protobuf messages needed (`PostScript`, `Footer`, `Type`, `UserMetadataItem`) are
//! decoded by the small reader in this file rather than with `prost` derives or `orc-rust`:
//! `orc-rust` needs arrow 59 (the workspace is on 60), and a hand-written reader of a
//! dozen fields costs no proc-macro build, skips unknown fields, and bounds every length
//! against the bytes at hand, which suits input that may be anything.
//!
//! Compressed footers are a series of chunks, each with a 3-byte header
//! (`length << 1 | is_original`); the codecs read are zlib (raw deflate), snappy, zstd and
//! lz4 (raw blocks); LZO is refused with a clear message.

use std::io::Read;

use serde_json::{Map, Value, json};
use torro_model::{DataType, Field, FileFormat, Schema, TimeUnit};

use crate::{ByteRange, FormatError, MAX_WINDOW, Outcome, Window};

/// Deepest type nesting followed.
const MAX_DEPTH: usize = 64;
/// The footer's decompressed size is refused beyond this.
const MAX_FOOTER_BYTES: usize = 64 * 1024 * 1024;
/// Metadata values longer than this are cut in `details`.
const MAX_METADATA_VALUE: usize = 1024;

fn invalid(message: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        format: FileFormat::Orc,
        message: message.into(),
    }
}

// ---------- a minimal protobuf reader ----------

enum WireValue<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

struct Proto<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Proto<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Proto { buf, pos: 0 }
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self
                .buf
                .get(self.pos)
                .ok_or_else(|| "a number runs past the end of its message".to_string())?;
            self.pos += 1;
            if shift < 64 {
                value |= u64::from(byte & 0x7f) << shift;
            }
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a number is longer than 10 bytes".into())
    }

    /// The next `(field number, value)`, or `None` at the end.
    fn next_field(&mut self) -> Result<Option<(u64, WireValue<'a>)>, String> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = key >> 3;
        let value = match key & 7 {
            0 => WireValue::Varint(self.varint()?),
            1 => {
                self.skip(8)?;
                WireValue::Fixed
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| "a length does not fit".to_string())?;
                let start = self.pos;
                self.skip(len)?;
                WireValue::Bytes(&self.buf[start..self.pos])
            }
            5 => {
                self.skip(4)?;
                WireValue::Fixed
            }
            other => return Err(format!("unknown protobuf wire type {other}")),
        };
        Ok(Some((field, value)))
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.buf.len() => {
                self.pos = end;
                Ok(())
            }
            _ => Err("a field runs past the end of its message".into()),
        }
    }
}

/// Repeated uint32 fields come packed (one length-delimited run) or one by one.
fn push_u32s(value: WireValue<'_>, out: &mut Vec<u32>) -> Result<(), String> {
    match value {
        WireValue::Varint(v) => out.push(v as u32),
        WireValue::Bytes(b) => {
            let mut p = Proto::new(b);
            while p.pos < b.len() {
                out.push(p.varint()? as u32);
            }
        }
        WireValue::Fixed => return Err("a number list has the wrong wire type".into()),
    }
    Ok(())
}

fn varint_of(value: WireValue<'_>) -> Result<u64, String> {
    match value {
        WireValue::Varint(v) => Ok(v),
        _ => Err("a number field has the wrong wire type".into()),
    }
}

fn bytes_of(value: WireValue<'_>) -> Result<&[u8], String> {
    match value {
        WireValue::Bytes(b) => Ok(b),
        _ => Err("a text field has the wrong wire type".into()),
    }
}

// ---------- messages ----------

#[derive(Debug, Default)]
struct PostScript {
    footer_length: u64,
    compression: u64,
    compression_block_size: Option<u64>,
    version: Vec<u32>,
    metadata_length: u64,
    writer_version: Option<u64>,
    magic: Option<String>,
}

fn postscript(buf: &[u8]) -> Result<PostScript, String> {
    let mut p = Proto::new(buf);
    let mut ps = PostScript::default();
    while let Some((field, value)) = p.next_field()? {
        match field {
            1 => ps.footer_length = varint_of(value)?,
            2 => ps.compression = varint_of(value)?,
            3 => ps.compression_block_size = Some(varint_of(value)?),
            4 => push_u32s(value, &mut ps.version)?,
            5 => ps.metadata_length = varint_of(value)?,
            6 => ps.writer_version = Some(varint_of(value)?),
            8000 => ps.magic = Some(String::from_utf8_lossy(bytes_of(value)?).into_owned()),
            _ => {}
        }
    }
    Ok(ps)
}

#[derive(Debug, Default)]
struct OrcType {
    kind: u64,
    subtypes: Vec<u32>,
    field_names: Vec<String>,
    maximum_length: Option<u64>,
    precision: Option<u64>,
    scale: Option<u64>,
}

fn orc_type(buf: &[u8]) -> Result<OrcType, String> {
    let mut p = Proto::new(buf);
    let mut t = OrcType::default();
    while let Some((field, value)) = p.next_field()? {
        match field {
            1 => t.kind = varint_of(value)?,
            2 => push_u32s(value, &mut t.subtypes)?,
            3 => t
                .field_names
                .push(String::from_utf8_lossy(bytes_of(value)?).into_owned()),
            4 => t.maximum_length = Some(varint_of(value)?),
            5 => t.precision = Some(varint_of(value)?),
            6 => t.scale = Some(varint_of(value)?),
            _ => {}
        }
    }
    Ok(t)
}

#[derive(Debug, Default)]
struct Footer {
    types: Vec<OrcType>,
    number_of_rows: Option<u64>,
    stripes: u64,
    metadata: Vec<(String, Vec<u8>)>,
    row_index_stride: Option<u64>,
    writer: Option<u64>,
}

fn footer(buf: &[u8]) -> Result<Footer, String> {
    let mut p = Proto::new(buf);
    let mut f = Footer::default();
    while let Some((field, value)) = p.next_field()? {
        match field {
            3 => {
                bytes_of(value)?;
                f.stripes += 1;
            }
            4 => f.types.push(orc_type(bytes_of(value)?)?),
            5 => {
                let mut item = Proto::new(bytes_of(value)?);
                let (mut name, mut val) = (String::new(), Vec::new());
                while let Some((field, value)) = item.next_field()? {
                    match field {
                        1 => name = String::from_utf8_lossy(bytes_of(value)?).into_owned(),
                        2 => val = bytes_of(value)?.to_vec(),
                        _ => {}
                    }
                }
                f.metadata.push((name, val));
            }
            6 => f.number_of_rows = Some(varint_of(value)?),
            8 => f.row_index_stride = Some(varint_of(value)?),
            9 => f.writer = Some(varint_of(value)?),
            _ => {}
        }
    }
    Ok(f)
}

// ---------- compression ----------

fn codec_name(kind: u64) -> Option<&'static str> {
    Some(match kind {
        0 => "none",
        1 => "zlib",
        2 => "snappy",
        3 => "lzo",
        4 => "lz4",
        5 => "zstd",
        _ => return None,
    })
}

/// The footer's bytes, decompressed chunk by chunk.
fn decompress(kind: u64, block_size: u64, mut data: &[u8]) -> Result<Vec<u8>, String> {
    if kind == 0 {
        return Ok(data.to_vec());
    }
    let name = codec_name(kind).ok_or_else(|| format!("unknown compression kind {kind}"))?;
    if name == "lzo" {
        return Err("its footer is LZO-compressed, which Torro does not read".into());
    }
    // A chunk decompresses to at most the block size (256 KiB by default).
    let chunk_cap = usize::try_from(block_size)
        .unwrap_or(usize::MAX)
        .clamp(1, 16 * 1024 * 1024);
    let mut out = Vec::new();
    while !data.is_empty() {
        let &[a, b, c, ..] = data else {
            return Err("a compressed chunk header is cut short".into());
        };
        let header = u32::from(a) | u32::from(b) << 8 | u32::from(c) << 16;
        let (len, original) = ((header >> 1) as usize, header & 1 == 1);
        let chunk = data
            .get(3..3 + len)
            .ok_or_else(|| "a compressed chunk runs past the footer".to_string())?;
        data = &data[3 + len..];
        if original {
            out.extend_from_slice(chunk);
        } else {
            let decoded = match name {
                "zlib" => {
                    let mut d = Vec::new();
                    flate2::read::DeflateDecoder::new(chunk)
                        .take(chunk_cap as u64 + 1)
                        .read_to_end(&mut d)
                        .map_err(|e| format!("zlib: {e}"))?;
                    d
                }
                "snappy" => {
                    let n = snap::raw::decompress_len(chunk).map_err(|e| format!("snappy: {e}"))?;
                    if n > chunk_cap {
                        return Err(format!("snappy: a chunk claims {n} bytes, above the block size"));
                    }
                    snap::raw::Decoder::new()
                        .decompress_vec(chunk)
                        .map_err(|e| format!("snappy: {e}"))?
                }
                "zstd" => zstd::bulk::decompress(chunk, chunk_cap).map_err(|e| format!("zstd: {e}"))?,
                "lz4" => lz4_flex::block::decompress(chunk, chunk_cap).map_err(|e| format!("lz4: {e}"))?,
                _ => unreachable!("codec names are matched above"),
            };
            if decoded.len() > chunk_cap {
                return Err(format!("a {name} chunk decompresses past the block size"));
            }
            out.extend_from_slice(&decoded);
        }
        if out.len() > MAX_FOOTER_BYTES {
            return Err(format!(
                "the footer decompresses to more than {} MiB",
                MAX_FOOTER_BYTES / (1024 * 1024)
            ));
        }
    }
    Ok(out)
}

// ---------- types ----------

fn data_type(types: &[OrcType], index: usize, depth: usize) -> Result<DataType, String> {
    if depth > MAX_DEPTH {
        return Err(format!("types nest deeper than {MAX_DEPTH} levels"));
    }
    let t = types
        .get(index)
        .ok_or_else(|| format!("type {index} is referenced but not defined"))?;
    // Types are listed in pre-order: a child always comes after its parent, so no cycle.
    let child = |n: usize| -> Result<DataType, String> {
        let sub = *t
            .subtypes
            .get(n)
            .ok_or_else(|| format!("type {index} lacks its subtype {n}"))? as usize;
        if sub <= index {
            return Err(format!("type {index} refers back to type {sub}"));
        }
        data_type(types, sub, depth + 1)
    };
    Ok(match t.kind {
        0 => DataType::Boolean,
        1 => DataType::Int8,
        2 => DataType::Int16,
        3 => DataType::Int32,
        4 => DataType::Int64,
        5 => DataType::Float32,
        6 => DataType::Float64,
        7 | 16 | 17 => DataType::String,
        8 => DataType::Binary,
        9 => DataType::Timestamp {
            unit: TimeUnit::Nanosecond,
            timezone: None,
        },
        10 => DataType::List(Box::new(child(0)?)),
        11 => DataType::Map(Box::new(child(0)?), Box::new(child(1)?)),
        12 => DataType::Struct(struct_fields(types, index, depth)?),
        13 => DataType::Json,
        14 => {
            // Files from before Hive 0.13 carry no precision: the widest decimal.
            let precision = t.precision.filter(|&p| p > 0).unwrap_or(38).min(76) as u8;
            let scale = t.scale.unwrap_or(0).min(u64::from(precision)) as i8;
            DataType::Decimal { precision, scale }
        }
        15 => DataType::Date,
        18 => DataType::Timestamp {
            unit: TimeUnit::Nanosecond,
            timezone: Some("UTC".into()),
        },
        other => DataType::Other(format!("orc kind {other}")),
    })
}

fn struct_fields(types: &[OrcType], index: usize, depth: usize) -> Result<Vec<Field>, String> {
    let t = &types[index];
    t.subtypes
        .iter()
        .enumerate()
        .map(|(n, &sub)| {
            let sub = sub as usize;
            if sub <= index {
                return Err(format!("type {index} refers back to type {sub}"));
            }
            let name = t.field_names.get(n).cloned().unwrap_or_else(|| format!("_col{n}"));
            // ORC has no NOT NULL: every column may hold nulls.
            Ok(Field::new(name, data_type(types, sub, depth + 1)?, true))
        })
        .collect()
}

// ---------- the read plan ----------

pub(crate) fn infer(file_size: u64, window: &Window<'_>) -> Result<Outcome, FormatError> {
    let range = window.range();
    if range.end != file_size {
        return Err(invalid("the window must end at the end of the file"));
    }
    let bytes = window.bytes;
    let &ps_len = bytes.last().ok_or_else(|| invalid("the window is empty"))?;
    let ps_len = u64::from(ps_len);
    if file_size < ps_len + 1 + 3 {
        return Err(invalid(format!(
            "a postscript of {ps_len} bytes does not fit a file of {file_size} bytes; is this really ORC?"
        )));
    }
    let ps_start = file_size - 1 - ps_len;
    if ps_start < window.offset {
        // A postscript is at most 255 bytes: any sane first read holds it.
        return Ok(Outcome::NeedMore(ByteRange {
            start: ps_start,
            end: file_size,
        }));
    }
    let local = |at: u64| (at - window.offset) as usize;
    let ps = postscript(&bytes[local(ps_start)..bytes.len() - 1])
        .map_err(|e| invalid(format!("the postscript does not decode ({e}); is this really ORC?")))?;
    if ps.magic.as_deref() != Some("ORC") {
        return Err(invalid("no \"ORC\" magic in the postscript; is this really ORC?"));
    }
    let footer_start = ps_start.checked_sub(ps.footer_length).ok_or_else(|| {
        invalid(format!(
            "the footer length {} is past the file's start",
            ps.footer_length
        ))
    })?;
    if footer_start < window.offset {
        let wanted = file_size - footer_start;
        if wanted > MAX_WINDOW {
            return Err(FormatError::TooLarge(format!(
                "the ORC footer and postscript take {wanted} bytes, above the {} MiB limit",
                MAX_WINDOW / (1024 * 1024)
            )));
        }
        return Ok(Outcome::NeedMore(ByteRange {
            start: footer_start,
            end: file_size,
        }));
    }
    let raw = &bytes[local(footer_start)..local(ps_start)];
    let block_size = ps.compression_block_size.unwrap_or(256 * 1024);
    let decoded = decompress(ps.compression, block_size, raw)
        .map_err(|e| invalid(format!("the footer does not decompress: {e}")))?;
    let footer = footer(&decoded).map_err(|e| invalid(format!("the footer does not decode: {e}")))?;
    let root = footer.types.first().ok_or_else(|| invalid("the footer has no types"))?;
    let fields = if root.kind == 12 {
        struct_fields(&footer.types, 0, 0)
    } else {
        data_type(&footer.types, 0, 0).map(|t| vec![Field::new("value", t, true)])
    }
    .map_err(|e| invalid(format!("the type tree is broken: {e}")))?;

    let mut metadata = Map::new();
    for (name, value) in &footer.metadata {
        let text = String::from_utf8_lossy(value);
        let shown = if text.chars().count() > MAX_METADATA_VALUE {
            json!({"value": text.chars().take(MAX_METADATA_VALUE).collect::<String>(), "length": value.len()})
        } else {
            Value::String(text.into_owned())
        };
        metadata.insert(name.clone(), shown);
    }
    let version: Vec<String> = ps.version.iter().map(u32::to_string).collect();
    Ok(Outcome::Inferred(crate::Inferred {
        format: FileFormat::Orc,
        schema: Schema::new(fields),
        row_count: footer.number_of_rows,
        details: json!({
            "compression": codec_name(ps.compression),
            "compression_block_size": ps.compression_block_size,
            "version": (!version.is_empty()).then(|| version.join(".")),
            "writer_version": ps.writer_version,
            "writer": footer.writer,
            "num_stripes": footer.stripes,
            "row_index_stride": footer.row_index_stride,
            "metadata_length": ps.metadata_length,
            "key_value_metadata": metadata,
        }),
    }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Protobuf encoding for hand-made files: just enough to write ORC tails.
    pub(crate) fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    pub(crate) fn field_varint(field: u64, v: u64, out: &mut Vec<u8>) {
        varint(field << 3, out);
        varint(v, out);
    }

    pub(crate) fn field_bytes(field: u64, bytes: &[u8], out: &mut Vec<u8>) {
        varint(field << 3 | 2, out);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }

    fn ty(kind: u64, subtypes: &[u64], names: &[&str]) -> Vec<u8> {
        let mut t = Vec::new();
        field_varint(1, kind, &mut t);
        for &s in subtypes {
            field_varint(2, s, &mut t);
        }
        for n in names {
            field_bytes(3, n.as_bytes(), &mut t);
        }
        t
    }

    /// An ORC file with no stripes: header magic, footer and postscript, compression NONE.
    pub(crate) fn hand_made_orc(rows: u64) -> Vec<u8> {
        let mut footer = Vec::new();
        field_varint(1, 3, &mut footer); // header length
        field_varint(2, 0, &mut footer); // content length
        let mut decimal = ty(14, &[], &[]);
        field_varint(5, 12, &mut decimal);
        field_varint(6, 3, &mut decimal);
        let mut varchar = ty(16, &[], &[]);
        field_varint(4, 20, &mut varchar);
        for t in [
            ty(12, &[1, 2, 3, 4, 6], &["id", "price", "code", "tags", "seen"]),
            ty(4, &[], &[]),
            decimal,
            varchar,
            ty(10, &[5], &[]),
            ty(7, &[], &[]),
            ty(18, &[], &[]),
        ] {
            field_bytes(4, &t, &mut footer);
        }
        let mut item = Vec::new();
        field_bytes(1, b"origin", &mut item);
        field_bytes(2, b"hand-made", &mut item);
        field_bytes(5, &item, &mut footer);
        field_varint(6, rows, &mut footer);
        field_varint(8, 10_000, &mut footer);

        let mut ps = Vec::new();
        field_varint(1, footer.len() as u64, &mut ps);
        field_varint(2, 0, &mut ps);
        field_bytes(4, &[0, 12], &mut ps); // version 0.12, packed
        field_varint(5, 0, &mut ps);
        field_varint(6, 9, &mut ps);
        field_bytes(8000, b"ORC", &mut ps);

        let mut file = b"ORC".to_vec();
        file.extend_from_slice(&footer);
        file.extend_from_slice(&ps);
        file.push(ps.len() as u8);
        file
    }

    #[test]
    fn a_hand_made_tail_decodes() {
        let file = hand_made_orc(42);
        let window = Window {
            offset: 0,
            bytes: &file,
        };
        let Outcome::Inferred(i) = infer(file.len() as u64, &window).unwrap() else {
            panic!()
        };
        let cols: Vec<String> = i
            .schema
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.name, f.data_type))
            .collect();
        assert_eq!(
            cols,
            [
                "id: int64",
                "price: decimal(12,3)",
                "code: string",
                "tags: list<string>",
                "seen: timestamp[ns, UTC]"
            ]
        );
        assert_eq!(i.row_count, Some(42));
        assert_eq!(i.details["compression"], "none");
        assert_eq!(i.details["version"], "0.12");
        assert_eq!(i.details["num_stripes"], 0);
        assert_eq!(i.details["key_value_metadata"]["origin"], "hand-made");
    }

    #[test]
    fn broken_type_trees_are_refused() {
        // A struct whose child points back at itself.
        let mut footer = Vec::new();
        field_bytes(4, &ty(12, &[0], &["loop"]), &mut footer);
        let types = footer_types(&footer);
        assert!(struct_fields(&types, 0, 0).unwrap_err().contains("refers back"));
        let mut footer = Vec::new();
        field_bytes(4, &ty(10, &[], &[]), &mut footer);
        let types = footer_types(&footer);
        assert!(data_type(&types, 0, 0).unwrap_err().contains("lacks its subtype"));
    }

    fn footer_types(bytes: &[u8]) -> Vec<OrcType> {
        footer(bytes).unwrap().types
    }

    #[test]
    fn varints_are_bounded() {
        let mut p = Proto::new(&[0xff; 12]);
        assert!(p.varint().is_err());
        let mut p = Proto::new(&[0x0a, 0x7f]);
        assert!(p.next_field().is_err(), "a length past the end");
    }
}
