//! Avro object container files: the schema from the header.
//!
//! The header is `Obj\x01`, a map of metadata (`avro.schema`, `avro.codec`, ...) written
//! as Avro map blocks of zigzag varints, then a 16-byte sync marker. The map is decoded
//! here by hand (a few lines, and it tells exactly how many bytes are missing); the
//! schema JSON is parsed and validated by `apache-avro`, then mapped to Torro types.

use std::collections::{BTreeMap, HashMap};

use apache_avro::Schema as Avro;
use serde_json::json;
use torro_model::{DataType, Field, FileFormat, Schema, TimeUnit};

use crate::{ByteRange, FormatError, Inferred, MAX_WINDOW, Outcome, Window};

const MAGIC: &[u8; 4] = b"Obj\x01";
const SYNC_LEN: usize = 16;
const MAX_DEPTH: usize = 64;

fn invalid(message: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        format: FileFormat::Avro,
        message: message.into(),
    }
}

enum Parse {
    /// The header goes on at least up to this byte offset.
    Short(u64),
    Bad(String),
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// A zigzag-encoded variable-length long.
    fn long(&mut self) -> Result<i64, Parse> {
        let mut value: u64 = 0;
        for shift in (0..70).step_by(7) {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(Parse::Short(self.pos as u64 + 1));
            };
            self.pos += 1;
            if shift == 63 && b > 1 {
                return Err(Parse::Bad("a length in the header is not a valid varint".into()));
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err(Parse::Bad("a length in the header is not a valid varint".into()))
    }

    fn take(&mut self, len: u64) -> Result<&[u8], Parse> {
        let end = (self.pos as u64).saturating_add(len);
        if end > self.bytes.len() as u64 {
            return Err(Parse::Short(end));
        }
        let start = self.pos;
        self.pos = end as usize;
        Ok(self.bytes.get(start..self.pos).unwrap_or_default())
    }

    /// Avro `bytes`/`string`: a length, then that many bytes.
    fn bytes(&mut self) -> Result<&[u8], Parse> {
        let len = self.long()?;
        let len = u64::try_from(len).map_err(|_| Parse::Bad(format!("negative length {len} in the header")))?;
        self.take(len)
    }
}

fn read_header(bytes: &[u8]) -> Result<HashMap<String, Vec<u8>>, Parse> {
    let mut c = Cursor { bytes, pos: 0 };
    if c.take(MAGIC.len() as u64)? != MAGIC {
        return Err(Parse::Bad(
            "the file does not start with the Avro magic Obj\\x01".into(),
        ));
    }
    let mut meta = HashMap::new();
    loop {
        let count = c.long()?;
        if count == 0 {
            break;
        }
        if count < 0 {
            // A negative count is followed by the block's size in bytes.
            c.long()?;
        }
        for _ in 0..count.unsigned_abs() {
            let key = String::from_utf8_lossy(c.bytes()?).into_owned();
            let value = c.bytes()?.to_vec();
            meta.insert(key, value);
        }
    }
    c.take(SYNC_LEN as u64)?;
    Ok(meta)
}

pub(crate) fn infer(file_size: u64, window: &Window<'_>) -> Result<Outcome, FormatError> {
    if window.offset != 0 {
        return Err(invalid("the window must start at the head of the file"));
    }
    let meta = match read_header(window.bytes) {
        Ok(meta) => meta,
        Err(Parse::Bad(message)) => return Err(invalid(message)),
        Err(Parse::Short(needed)) => {
            if needed > file_size || window.is_whole_file(file_size) {
                return Err(invalid("the header is cut short: the file ends inside it"));
            }
            if needed > MAX_WINDOW {
                return Err(FormatError::TooLarge(format!(
                    "the Avro header is longer than the {} MiB read limit",
                    MAX_WINDOW / (1024 * 1024)
                )));
            }
            let doubled = (window.bytes.len() as u64)
                .saturating_mul(2)
                .min(MAX_WINDOW)
                .min(file_size);
            return Ok(Outcome::NeedMore(ByteRange {
                start: 0,
                end: needed.max(doubled),
            }));
        }
    };
    let schema_json = meta
        .get("avro.schema")
        .ok_or_else(|| invalid("the header has no avro.schema entry"))?;
    let schema_text =
        std::str::from_utf8(schema_json).map_err(|_| invalid("the avro.schema entry is not UTF-8 text"))?;
    // Third-party parser on untrusted text: a panic becomes an error.
    let schema = std::panic::catch_unwind(|| Avro::parse_str(schema_text))
        .map_err(|_| invalid("the avro.schema entry could not be parsed"))?
        .map_err(|e| invalid(format!("the avro.schema entry is not a valid Avro schema: {e}")))?;
    let codec = meta
        .get("avro.codec")
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_else(|| "null".into());

    let mut mapper = Mapper::default();
    let fields = match &schema {
        Avro::Record(record) => {
            mapper.stack.push(record.name.fullname(None));
            record
                .fields
                .iter()
                .map(|f| {
                    let (t, nullable) = mapper.map(&f.schema, 1)?;
                    let mut field = Field::new(f.name.clone(), t, nullable);
                    field.description = f.doc.clone();
                    Ok(field)
                })
                .collect::<Result<Vec<_>, String>>()
                .map_err(invalid)?
        }
        other => {
            let (t, nullable) = mapper.map(other, 1).map_err(invalid)?;
            vec![Field::new("value", t, nullable)]
        }
    };
    let (name, namespace) = match &schema {
        Avro::Record(r) => (Some(r.name.name().to_string()), r.name.namespace().map(str::to_string)),
        Avro::Enum(e) => (Some(e.name.name().to_string()), e.name.namespace().map(str::to_string)),
        Avro::Fixed(f) => (Some(f.name.name().to_string()), f.name.namespace().map(str::to_string)),
        _ => (None, None),
    };
    let user_meta: BTreeMap<&str, String> = meta
        .iter()
        .filter(|(k, _)| !k.starts_with("avro."))
        .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v).chars().take(1024).collect()))
        .collect();
    Ok(Outcome::Inferred(Inferred {
        format: FileFormat::Avro,
        schema: Schema::new(fields),
        row_count: None,
        details: json!({
            "codec": codec,
            "schema_name": name,
            "schema_namespace": namespace,
            "metadata": user_meta,
        }),
    }))
}

/// Maps Avro types, resolving references to named types seen before.
#[derive(Default)]
struct Mapper {
    named: HashMap<String, Avro>,
    /// Named types being mapped: a reference to one of them is recursion.
    stack: Vec<String>,
}

impl Mapper {
    /// The type and whether it admits null (a union with `null`).
    fn map(&mut self, s: &Avro, depth: usize) -> Result<(DataType, bool), String> {
        if depth > MAX_DEPTH {
            return Err(format!("the schema nests deeper than {MAX_DEPTH} levels"));
        }
        let t = match s {
            Avro::Null => return Ok((DataType::Null, true)),
            Avro::Boolean => DataType::Boolean,
            Avro::Int => DataType::Int32,
            Avro::Long => DataType::Int64,
            Avro::Float => DataType::Float32,
            Avro::Double => DataType::Float64,
            Avro::Bytes => DataType::Binary,
            Avro::String => DataType::String,
            Avro::Array(a) => DataType::List(Box::new(self.map(&a.items, depth + 1)?.0)),
            Avro::Map(m) => DataType::Map(Box::new(DataType::String), Box::new(self.map(&m.types, depth + 1)?.0)),
            Avro::Union(u) => {
                let nullable = u.variants().iter().any(|v| matches!(v, Avro::Null));
                let mut types = Vec::new();
                for v in u.variants().iter().filter(|v| !matches!(v, Avro::Null)) {
                    types.push(self.map(v, depth + 1)?.0);
                }
                let t = match types.len() {
                    0 => DataType::Null,
                    1 => types.remove(0),
                    _ => DataType::Other(format!(
                        "union<{}>",
                        types.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                    )),
                };
                return Ok((t, nullable));
            }
            Avro::Record(r) => {
                let name = r.name.fullname(None);
                self.named.insert(name.clone(), s.clone());
                self.stack.push(name);
                let mut fields = Vec::new();
                for f in &r.fields {
                    let (t, nullable) = self.map(&f.schema, depth + 1)?;
                    fields.push(Field::new(f.name.clone(), t, nullable));
                }
                self.stack.pop();
                DataType::Struct(fields)
            }
            Avro::Enum(e) => {
                self.named.insert(e.name.fullname(None), s.clone());
                DataType::String
            }
            Avro::Fixed(f) => {
                self.named.insert(f.name.fullname(None), s.clone());
                DataType::FixedBinary(u32::try_from(f.size).unwrap_or(u32::MAX))
            }
            Avro::Decimal(d) => match (u8::try_from(d.precision), i8::try_from(d.scale)) {
                (Ok(precision), Ok(scale)) => DataType::Decimal { precision, scale },
                _ => DataType::Other(format!("decimal({},{})", d.precision, d.scale)),
            },
            Avro::BigDecimal => DataType::Other("big-decimal".into()),
            Avro::Uuid(_) => DataType::Uuid,
            Avro::Date => DataType::Date,
            Avro::TimeMillis => DataType::Time(TimeUnit::Millisecond),
            Avro::TimeMicros => DataType::Time(TimeUnit::Microsecond),
            Avro::TimestampMillis => utc(TimeUnit::Millisecond),
            Avro::TimestampMicros => utc(TimeUnit::Microsecond),
            Avro::TimestampNanos => utc(TimeUnit::Nanosecond),
            Avro::LocalTimestampMillis => DataType::Timestamp {
                unit: TimeUnit::Millisecond,
                timezone: None,
            },
            Avro::LocalTimestampMicros => DataType::Timestamp {
                unit: TimeUnit::Microsecond,
                timezone: None,
            },
            Avro::LocalTimestampNanos => DataType::Timestamp {
                unit: TimeUnit::Nanosecond,
                timezone: None,
            },
            Avro::Duration(_) => DataType::Interval,
            Avro::Ref { name } => {
                let full = name.fullname(None);
                if self.stack.contains(&full) {
                    // A recursive type (a linked list, a tree): named, not expanded.
                    DataType::Other(full)
                } else if let Some(def) = self.named.get(&full).cloned() {
                    return self.map(&def, depth + 1);
                } else {
                    DataType::Other(full)
                }
            }
        };
        Ok((t, false))
    }
}

fn utc(unit: TimeUnit) -> DataType {
    DataType::Timestamp {
        unit,
        timezone: Some("UTC".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag(n: i64) -> Vec<u8> {
        let mut v = ((n << 1) ^ (n >> 63)) as u64;
        let mut out = Vec::new();
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }

    fn header(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend(zigzag(entries.len() as i64));
        for (k, v) in entries {
            out.extend(zigzag(k.len() as i64));
            out.extend_from_slice(k.as_bytes());
            out.extend(zigzag(v.len() as i64));
            out.extend_from_slice(v);
        }
        out.extend(zigzag(0));
        out.extend([7u8; SYNC_LEN]);
        out
    }

    #[test]
    fn hand_built_headers_map_types() {
        let schema = br#"{"type": "record", "name": "Node", "namespace": "t", "fields": [
            {"name": "id", "type": "long", "doc": "key"},
            {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
            {"name": "at", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
            {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
            {"name": "other_kind", "type": "Kind"},
            {"name": "next", "type": ["null", "Node"]},
            {"name": "tags", "type": {"type": "map", "values": {"type": "array", "items": "string"}}},
            {"name": "either", "type": ["int", "string"]}
        ]}"#;
        let bytes = header(&[("avro.schema", schema), ("avro.codec", b"deflate"), ("app", b"x")]);
        let Outcome::Inferred(i) = infer(
            bytes.len() as u64,
            &Window {
                offset: 0,
                bytes: &bytes,
            },
        )
        .unwrap() else {
            panic!()
        };
        let got: Vec<String> = i
            .schema
            .fields
            .iter()
            .map(|f| format!("{}:{}:{}", f.name, f.data_type, f.nullable))
            .collect();
        assert_eq!(
            got,
            [
                "id:int64:false",
                "price:decimal(10,2):false",
                "at:timestamp[us, UTC]:true",
                "kind:string:false",
                "other_kind:string:false",
                "next:other(t.Node):true",
                "tags:map<string, list<string>>:false",
                "either:other(union<int32, string>):false",
            ]
        );
        assert_eq!(i.schema.fields[0].description.as_deref(), Some("key"));
        assert_eq!(i.details["codec"], "deflate");
        assert_eq!(i.details["schema_name"], "Node");
        assert_eq!(i.details["schema_namespace"], "t");
        assert_eq!(i.details["metadata"]["app"], "x");
    }

    #[test]
    fn a_cut_header_asks_for_more_and_bad_ones_fail() {
        let bytes = header(&[("avro.schema", &[b' '; 100_000])]);
        let window = Window {
            offset: 0,
            bytes: &bytes[..64 * 1024],
        };
        match infer(bytes.len() as u64, &window).unwrap() {
            Outcome::NeedMore(r) => assert_eq!((r.start, r.end), (0, bytes.len() as u64)),
            other => panic!("{other:?}"),
        }
        let err = infer(
            4,
            &Window {
                offset: 0,
                bytes: b"Obj\x02",
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("magic"), "{err}");
        let no_schema = header(&[("avro.codec", b"null")]);
        let err = infer(
            no_schema.len() as u64,
            &Window {
                offset: 0,
                bytes: &no_schema,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("avro.schema"), "{err}");
        let bad = header(&[("avro.schema", b"{\"type\": \"nope\"}")]);
        let err = infer(bad.len() as u64, &Window { offset: 0, bytes: &bad }).unwrap_err();
        assert!(err.to_string().contains("not a valid Avro schema"), "{err}");
        let mut negative = MAGIC.to_vec();
        negative.extend(zigzag(1));
        negative.extend(zigzag(-5));
        let err = infer(
            negative.len() as u64 + 100,
            &Window {
                offset: 0,
                bytes: &negative,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("negative"), "{err}");
    }
}
