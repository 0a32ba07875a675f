//! JSON arrays of records and NDJSON: layout detection, a scanner that cuts complete
//! top-level values out of a partial head, and type inference with widening.
//!
//! Rules:
//! - the first non-blank character decides the layout: `[` is an array of records; `{`
//!   followed by more values is NDJSON (one value per line, or concatenated values);
//!   a lone `{...}` is one record. The result's `format` says which was found.
//! - objects become `struct`, arrays `list`, in first-seen field order. A key missing
//!   from some record, or a `null` value, makes the field nullable.
//! - widening: int64 + float64 → float64; `null` + X → nullable X; strings holding
//!   ISO dates/timestamps are typed as in CSV (see `scalar`); kinds that do not join
//!   (struct vs scalar, list vs scalar, text vs number, boolean vs number) → `json`.
//!   Integers beyond int64 and numbers with a fraction are float64.
//! - records that are not objects (`[1, 2]`) give one column named `value`.
//! - values nest at most [`MAX_DEPTH`] levels: deeper input is refused with an
//!   error, so hostile nesting cannot exhaust the stack.

use std::collections::HashMap;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::json;
use torro_model::format::Compression;
use torro_model::{DataType, Field, FileFormat, Schema};

use crate::plan::grow_head;
use crate::scalar::{self, Scalar};
use crate::text::{self, Decoded};
use crate::{FormatError, InferOptions, Inferred, MAX_WINDOW, Outcome, Window};

/// Deepest nesting of objects and arrays inside one record.
pub const MAX_DEPTH: usize = 64;

#[derive(Debug, PartialEq)]
enum Scan {
    /// The value ends at this byte offset (exclusive).
    Complete(usize),
    /// The text ends inside the value.
    Incomplete,
    TooDeep,
    /// A byte that cannot start a value (`,`, `]`, `}`).
    Unexpected(u8),
}

/// Finds the end of the JSON value starting at `start` (a non-blank byte) without
/// parsing it: strings, escapes and bracket depth only. `at_eof` says the text is the
/// whole file, so a bare number running into the end is complete.
fn scan_value(b: &[u8], start: usize, at_eof: bool) -> Scan {
    let Some(&first) = b.get(start) else {
        return Scan::Incomplete;
    };
    match first {
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut in_string = false;
            let mut escaped = false;
            for (i, &c) in b.iter().enumerate().skip(start) {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if c == b'\\' {
                        escaped = true;
                    } else if c == b'"' {
                        in_string = false;
                    }
                    continue;
                }
                match c {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Scan::TooDeep;
                        }
                    }
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Scan::Complete(i + 1);
                        }
                    }
                    _ => {}
                }
            }
            Scan::Incomplete
        }
        b'"' => {
            let mut escaped = false;
            for (i, &c) in b.iter().enumerate().skip(start + 1) {
                if escaped {
                    escaped = false;
                } else if c == b'\\' {
                    escaped = true;
                } else if c == b'"' {
                    return Scan::Complete(i + 1);
                }
            }
            Scan::Incomplete
        }
        b',' | b']' | b'}' | b':' => Scan::Unexpected(first),
        _ => {
            match b
                .iter()
                .skip(start)
                .position(|c| matches!(c, b',' | b']' | b'}') || c.is_ascii_whitespace())
            {
                Some(n) => Scan::Complete(start + n),
                None if at_eof => Scan::Complete(b.len()),
                None => Scan::Incomplete,
            }
        }
    }
}

fn skip_ws(b: &[u8], mut pos: usize) -> usize {
    while b.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    Array,
    Lines,
    Object,
}

impl Layout {
    fn as_str(self) -> &'static str {
        match self {
            Layout::Array => "array",
            Layout::Lines => "ndjson",
            Layout::Object => "object",
        }
    }
}

/// Complete top-level records of the text, and whether every record of the file was seen.
struct Records<'a> {
    layout: Layout,
    items: Vec<&'a str>,
    all_seen: bool,
}

fn cut_records<'a>(text: &'a str, announced: FileFormat, complete: bool) -> Result<Records<'a>, String> {
    let b = text.as_bytes();
    let start = skip_ws(b, 0);
    let too_deep = || format!("a record nests deeper than {MAX_DEPTH} levels");
    let unexpected = |c: u8, at: usize| format!("unexpected {:?} at byte {at}", c as char);
    match b.get(start) {
        None => Err("it holds no JSON value".into()),
        Some(b'[') => {
            let mut items = Vec::new();
            let mut pos = skip_ws(b, start + 1);
            loop {
                match b.get(pos) {
                    None => {
                        return Ok(Records {
                            layout: Layout::Array,
                            items,
                            all_seen: false,
                        });
                    }
                    Some(b']') => {
                        return Ok(Records {
                            layout: Layout::Array,
                            items,
                            all_seen: true,
                        });
                    }
                    Some(_) => {}
                }
                match scan_value(b, pos, complete) {
                    Scan::Complete(end) => {
                        items.push(&text[pos..end]);
                        pos = skip_ws(b, end);
                        match b.get(pos) {
                            Some(b',') => pos = skip_ws(b, pos + 1),
                            Some(b']') | None => {}
                            Some(&c) => {
                                return Err(format!("expected ',' or ']' at byte {pos}, found {:?}", c as char));
                            }
                        }
                    }
                    Scan::Incomplete => {
                        return Ok(Records {
                            layout: Layout::Array,
                            items,
                            all_seen: false,
                        });
                    }
                    Scan::TooDeep => return Err(too_deep()),
                    Scan::Unexpected(c) => return Err(unexpected(c, pos)),
                }
            }
        }
        Some(b'{') => {
            let mut items = Vec::new();
            let mut pos = start;
            loop {
                if pos >= b.len() {
                    break;
                }
                match scan_value(b, pos, complete) {
                    Scan::Complete(end) => {
                        items.push(&text[pos..end]);
                        pos = skip_ws(b, end);
                    }
                    Scan::Incomplete => {
                        let layout = if items.len() > 1 || announced == FileFormat::Ndjson {
                            Layout::Lines
                        } else {
                            Layout::Object
                        };
                        return Ok(Records {
                            layout,
                            items,
                            all_seen: false,
                        });
                    }
                    Scan::TooDeep => return Err(too_deep()),
                    Scan::Unexpected(c) => return Err(unexpected(c, pos)),
                }
            }
            let layout = if items.len() > 1 || (announced == FileFormat::Ndjson && !complete) {
                Layout::Lines
            } else if complete {
                Layout::Object
            } else if announced == FileFormat::Ndjson {
                Layout::Lines
            } else {
                Layout::Object
            };
            Ok(Records {
                layout,
                items,
                all_seen: complete,
            })
        }
        Some(&c) => Err(format!(
            "expected an array of records or one object per line, found {:?} at byte {start}",
            c as char
        )),
    }
}

pub(crate) fn infer(
    format: FileFormat,
    compression: Compression,
    file_size: u64,
    window: &Window<'_>,
    options: &InferOptions,
) -> Result<Outcome, FormatError> {
    let invalid = |message: String| FormatError::Invalid { format, message };
    let decoded = match text::decode(format, compression, file_size, window)? {
        Decoded::Text(t) => t,
        Decoded::NeedMore(range) => return Ok(Outcome::NeedMore(range)),
    };
    let records = match cut_records(&decoded.text, format, decoded.complete) {
        Err(message) if !decoded.complete && decoded.text.trim().is_empty() => {
            // Only blanks so far: read on.
            return grow_head(window.range().end, file_size)
                .map(Outcome::NeedMore)
                .ok_or_else(|| invalid(message));
        }
        other => other.map_err(invalid)?,
    };
    if records.items.is_empty() && !records.all_seen {
        if let Some(range) = grow_head(window.range().end, file_size) {
            return Ok(Outcome::NeedMore(range));
        }
        return Err(if window.bytes.len() as u64 >= MAX_WINDOW {
            FormatError::TooLarge(format!(
                "the first JSON record is longer than {} MiB",
                MAX_WINDOW / (1024 * 1024)
            ))
        } else {
            invalid("the file ends inside its first record".into())
        });
    }

    let mut merged: Option<JType> = None;
    let sampled = records.items.len().min(options.max_sample_rows.max(1));
    for (n, item) in records.items.iter().take(sampled).enumerate() {
        let mut de = serde_json::Deserializer::from_str(item);
        let t = TypeSeed { depth: 0 }
            .deserialize(&mut de)
            .and_then(|t| de.end().map(|()| t))
            .map_err(|e| invalid(format!("record {}: {e}", n + 1)))?;
        merged = Some(match merged {
            None => t,
            Some(m) => m.merge(t),
        });
    }
    let fields = match merged {
        None => Vec::new(),
        Some(JType::Object(obj)) => obj.into_fields(),
        Some(other) => vec![Field::new("value", other.to_data_type(), true)],
    };
    let layout = records.layout;
    Ok(Outcome::Inferred(Inferred {
        format: if layout == Layout::Lines {
            FileFormat::Ndjson
        } else {
            FileFormat::Json
        },
        schema: Schema::new(fields),
        row_count: records.all_seen.then_some(records.items.len() as u64),
        details: json!({
            "layout": layout.as_str(),
            "encoding": decoded.encoding,
            "compression": decoded.compression,
            "sampled_rows": sampled,
        }),
    }))
}

/// The inferred type of a value, or of many values joined.
#[derive(Debug, Clone, PartialEq)]
enum JType {
    /// Only `null` seen.
    Null,
    Bool,
    Int,
    Float,
    Str(Scalar),
    List(Box<JType>),
    Object(Obj),
    /// Values of kinds that do not join.
    Json,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Obj {
    fields: Vec<(String, JType, bool)>,
    index: HashMap<String, usize>,
}

impl Obj {
    fn into_fields(self) -> Vec<Field> {
        self.fields
            .into_iter()
            .map(|(name, t, nullable)| Field::new(name, t.to_data_type(), nullable))
            .collect()
    }

    fn merge(mut self, other: Obj) -> Obj {
        let mut seen = vec![false; self.fields.len()];
        for (name, t, nullable) in other.fields {
            match self.index.get(&name) {
                Some(&i) => {
                    if let Some(slot) = self.fields.get_mut(i) {
                        let old = std::mem::replace(&mut slot.1, JType::Null);
                        slot.1 = old.merge(t);
                        slot.2 |= nullable;
                    }
                    if let Some(s) = seen.get_mut(i) {
                        *s = true;
                    }
                }
                None => {
                    // Missing from the records before.
                    self.index.insert(name.clone(), self.fields.len());
                    self.fields.push((name, t, true));
                }
            }
        }
        for (field, seen) in self.fields.iter_mut().zip(seen) {
            if !seen {
                field.2 = true;
            }
        }
        self
    }
}

impl JType {
    fn merge(self, other: JType) -> JType {
        use JType::*;
        match (self, other) {
            (Null, x) | (x, Null) => x,
            (Bool, Bool) => Bool,
            (Int, Int) => Int,
            (Int | Float, Int | Float) => Float,
            (Str(a), Str(b)) => Str(a.join(b)),
            (List(a), List(b)) => List(Box::new(a.merge(*b))),
            (Object(a), Object(b)) => Object(a.merge(b)),
            _ => Json,
        }
    }

    fn to_data_type(&self) -> DataType {
        match self {
            JType::Null => DataType::Null,
            JType::Bool => DataType::Boolean,
            JType::Int => DataType::Int64,
            JType::Float => DataType::Float64,
            JType::Str(s) => s.to_data_type(),
            JType::List(item) => DataType::List(Box::new(item.to_data_type())),
            JType::Object(obj) => DataType::Struct(obj.clone().into_fields()),
            JType::Json => DataType::Json,
        }
    }
}

/// Types a record straight from the parser, without building a `Value`: keys keep
/// their order of appearance (serde_json's `Value` would sort them).
struct TypeSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for TypeSeed {
    type Value = JType;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<JType, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TypeSeed {
    type Value = JType;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<JType, E> {
        Ok(JType::Bool)
    }

    fn visit_i64<E>(self, _: i64) -> Result<JType, E> {
        Ok(JType::Int)
    }

    fn visit_u64<E>(self, v: u64) -> Result<JType, E> {
        Ok(if i64::try_from(v).is_ok() {
            JType::Int
        } else {
            JType::Float
        })
    }

    fn visit_f64<E>(self, _: f64) -> Result<JType, E> {
        Ok(JType::Float)
    }

    fn visit_str<E>(self, v: &str) -> Result<JType, E> {
        Ok(JType::Str(scalar::infer_temporal(v)))
    }

    fn visit_unit<E>(self) -> Result<JType, E> {
        Ok(JType::Null)
    }

    fn visit_none<E>(self) -> Result<JType, E> {
        Ok(JType::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JType, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(serde::de::Error::custom(format!(
                "nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut item = JType::Null;
        while let Some(t) = seq.next_element_seed(TypeSeed { depth: self.depth + 1 })? {
            item = item.merge(t);
        }
        Ok(JType::List(Box::new(item)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JType, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(serde::de::Error::custom(format!(
                "nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let mut obj = Obj::default();
        while let Some(key) = map.next_key::<String>()? {
            let t = map.next_value_seed(TypeSeed { depth: self.depth + 1 })?;
            if obj.index.contains_key(&key) {
                continue;
            }
            let nullable = t == JType::Null;
            obj.index.insert(key.clone(), obj.fields.len());
            obj.fields.push((key, t, nullable));
        }
        Ok(JType::Object(obj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{described, infer_text, inferred};

    #[test]
    fn arrays_of_records_widen_across_records() {
        let i = inferred(
            FileFormat::Json,
            r#"[{"id": 1, "x": 1, "tags": ["a"], "addr": {"city": "P"}, "at": "2024-01-05"},
                {"id": 2, "x": 2.5, "tags": [], "addr": {"city": null, "zip": "1"}, "at": "2024-01-05T10:00:00Z", "extra": true},
                {"id": 3, "x": null, "tags": null, "addr": 5, "at": null}]"#,
        );
        assert_eq!(
            described(&i),
            [
                "id:int64",
                "x:float64?",
                "tags:list<string>?",
                "addr:json",
                "at:timestamp[us]?",
                "extra:boolean?"
            ]
        );
        assert_eq!(i.format, FileFormat::Json);
        assert_eq!(i.row_count, Some(3));
        assert_eq!(i.details["layout"], "array");
    }

    #[test]
    fn nested_structs_keep_first_seen_order() {
        let i = inferred(FileFormat::Json, r#"[{"b": {"y": 1, "x": "s"}}, {"b": {"z": [1.5]}}]"#);
        assert_eq!(described(&i), ["b:struct<y: int64, x: string, z: list<float64>>"]);
    }

    #[test]
    fn ndjson_is_found_by_content_and_the_cut_line_is_dropped() {
        let text = "{\"a\": 1}\n{\"a\": 2, \"b\": \"x\"}\n{\"a\": 3, \"b\":";
        let window = Window {
            offset: 0,
            bytes: text.as_bytes(),
        };
        let Outcome::Inferred(i) = infer(
            FileFormat::Json,
            Compression::None,
            10_000,
            &window,
            &InferOptions::default(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(i.format, FileFormat::Ndjson);
        assert_eq!(described(&i), ["a:int64", "b:string?"]);
        assert_eq!(i.row_count, None);
        let whole = inferred(FileFormat::Ndjson, "{\"a\": 1}\n{\"a\": 2}\n");
        assert_eq!(whole.row_count, Some(2));
    }

    #[test]
    fn a_single_object_is_one_record() {
        let i = inferred(FileFormat::Ndjson, "  {\"a\": [1, 2]}  ");
        assert_eq!(i.format, FileFormat::Json);
        assert_eq!(described(&i), ["a:list<int64>"]);
        assert_eq!(i.row_count, Some(1));
    }

    #[test]
    fn partial_arrays_keep_complete_elements() {
        let text = r#"[{"s": "a]}\"[{"}, {"s": "b"}, {"s": "#;
        let window = Window {
            offset: 0,
            bytes: text.as_bytes(),
        };
        let Outcome::Inferred(i) = infer(
            FileFormat::Json,
            Compression::None,
            10_000,
            &window,
            &InferOptions::default(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(described(&i), ["s:string"]);
        assert_eq!(i.details["sampled_rows"], 2);
    }

    #[test]
    fn scalars_and_bad_input() {
        let i = inferred(FileFormat::Json, "[1, 2.5, null]");
        assert_eq!(described(&i), ["value:float64?"]);
        let i = inferred(FileFormat::Json, "[]");
        assert_eq!((i.schema.fields.len(), i.row_count), (0, Some(0)));
        assert!(matches!(
            infer_text(FileFormat::Json, "42"),
            Err(FormatError::Invalid { .. })
        ));
        assert!(matches!(
            infer_text(FileFormat::Json, "[1 2]"),
            Err(FormatError::Invalid { .. })
        ));
        assert!(matches!(
            infer_text(FileFormat::Ndjson, "{} ,"),
            Err(FormatError::Invalid { .. })
        ));
        assert!(matches!(
            infer_text(FileFormat::Json, "[1,,]"),
            Err(FormatError::Invalid { .. })
        ));
        let err = infer_text(FileFormat::Json, "[{\"a\": tru}]").unwrap_err();
        assert!(err.to_string().contains("record 1"), "{err}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        let err = infer_text(FileFormat::Json, &deep).unwrap_err();
        assert!(err.to_string().contains("deeper than 64"), "{err}");
        let ok = format!("[{}1{}]", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(infer_text(FileFormat::Json, &ok).is_ok());
    }

    #[test]
    fn scanner_cuts_values() {
        assert_eq!(scan_value(b"{\"a\":\"}\"}x", 0, false), Scan::Complete(9));
        assert_eq!(scan_value(b"123", 0, false), Scan::Incomplete);
        assert_eq!(scan_value(b"123", 0, true), Scan::Complete(3));
        assert_eq!(scan_value(b"\"a\\\"b\" ", 0, false), Scan::Complete(6));
        assert_eq!(scan_value(b"{\"a\": [", 0, false), Scan::Incomplete);
        assert_eq!(scan_value(b"{} ,", 3, true), Scan::Unexpected(b','));
    }
}
