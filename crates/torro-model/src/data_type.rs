//! Column data types, shared by every format and database.
//!
//! A type is written as a short, stable string (`int64`, `decimal(10,2)`,
//! `timestamp[us, UTC]`, `list<string>`, `struct<id: int64, tags: list<string>>`).
//! That string is what the API shows, what the schema hash covers, and what
//! serde reads and writes, so a type round-trips through JSON unchanged.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::schema::Field;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimeUnit {
    Second,
    Millisecond,
    Microsecond,
    Nanosecond,
}

impl TimeUnit {
    fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "s" => TimeUnit::Second,
            "ms" => TimeUnit::Millisecond,
            "us" => TimeUnit::Microsecond,
            "ns" => TimeUnit::Nanosecond,
            _ => return None,
        })
    }
}

/// A column's logical type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// Only nulls were seen, so nothing more is known.
    Null,
    Boolean,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float16,
    Float32,
    Float64,
    Decimal {
        precision: u8,
        scale: i8,
    },
    String,
    Binary,
    FixedBinary(u32),
    Uuid,
    Json,
    Date,
    Time(TimeUnit),
    Timestamp {
        unit: TimeUnit,
        timezone: Option<String>,
    },
    Interval,
    List(Box<DataType>),
    Map(Box<DataType>, Box<DataType>),
    Struct(Vec<Field>),
    /// A type the source names that Torro has no better word for (kept verbatim, lower-cased).
    Other(String),
}

impl DataType {
    pub fn is_integer(&self) -> bool {
        use DataType::*;
        matches!(self, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64)
    }

    pub fn is_numeric(&self) -> bool {
        use DataType::*;
        self.is_integer() || matches!(self, Float16 | Float32 | Float64 | Decimal { .. })
    }

    pub fn is_nested(&self) -> bool {
        matches!(self, DataType::List(_) | DataType::Map(..) | DataType::Struct(_))
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DataType::*;
        match self {
            Null => f.write_str("null"),
            Boolean => f.write_str("boolean"),
            Int8 => f.write_str("int8"),
            Int16 => f.write_str("int16"),
            Int32 => f.write_str("int32"),
            Int64 => f.write_str("int64"),
            UInt8 => f.write_str("uint8"),
            UInt16 => f.write_str("uint16"),
            UInt32 => f.write_str("uint32"),
            UInt64 => f.write_str("uint64"),
            Float16 => f.write_str("float16"),
            Float32 => f.write_str("float32"),
            Float64 => f.write_str("float64"),
            Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            String => f.write_str("string"),
            Binary => f.write_str("binary"),
            FixedBinary(n) => write!(f, "fixed_binary({n})"),
            Uuid => f.write_str("uuid"),
            Json => f.write_str("json"),
            Date => f.write_str("date"),
            Time(unit) => write!(f, "time[{}]", unit.as_str()),
            Timestamp { unit, timezone: None } => write!(f, "timestamp[{}]", unit.as_str()),
            Timestamp {
                unit,
                timezone: Some(tz),
            } => write!(f, "timestamp[{}, {tz}]", unit.as_str()),
            Interval => f.write_str("interval"),
            List(item) => write!(f, "list<{item}>"),
            Map(k, v) => write!(f, "map<{k}, {v}>"),
            Struct(fields) => {
                f.write_str("struct<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_name(f, &field.name)?;
                    f.write_str(": ")?;
                    write!(f, "{}", field.data_type)?;
                    if !field.nullable {
                        f.write_str(" not null")?;
                    }
                }
                f.write_str(">")
            }
            Other(name) => write!(f, "other({name})"),
        }
    }
}

/// Struct member names are quoted with backticks when they hold characters
/// the type grammar uses, so every name survives a round trip.
fn write_name(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '@' | '#'));
    if plain {
        f.write_str(name)
    } else {
        write!(f, "`{}`", name.replace('`', "``"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid data type {input:?}: {reason}")]
pub struct ParseTypeError {
    pub input: String,
    pub reason: String,
}

impl FromStr for DataType {
    type Err = ParseTypeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut p = Parser { s, pos: 0 };
        let t = p.data_type().map_err(|reason| ParseTypeError {
            input: s.to_string(),
            reason,
        })?;
        p.skip_ws();
        if p.pos != s.len() {
            return Err(ParseTypeError {
                input: s.to_string(),
                reason: format!("unexpected text at byte {}", p.pos),
            });
        }
        Ok(t)
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.s.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!("expected {token:?} at byte {}", self.pos))
        }
    }

    fn word(&mut self) -> String {
        self.skip_ws();
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        let w = self.rest()[..len].to_string();
        self.pos += len;
        w
    }

    /// Reads up to (not including) the first of `stops`, for free-form arguments.
    fn until(&mut self, stops: &[char]) -> String {
        let len = self.rest().find(|c| stops.contains(&c)).unwrap_or(self.rest().len());
        let w = self.rest()[..len].trim().to_string();
        self.pos += len;
        w
    }

    fn number<T: FromStr>(&mut self) -> Result<T, String> {
        self.skip_ws();
        let text = self.until(&[',', ')']);
        text.parse().map_err(|_| format!("expected a number, got {text:?}"))
    }

    fn name(&mut self) -> Result<String, String> {
        self.skip_ws();
        if self.eat("`") {
            let mut out = String::new();
            loop {
                let Some(c) = self.rest().chars().next() else {
                    return Err("unterminated `name`".into());
                };
                self.pos += c.len_utf8();
                if c == '`' {
                    if self.rest().starts_with('`') {
                        self.pos += 1;
                        out.push('`');
                    } else {
                        return Ok(out);
                    }
                } else {
                    out.push(c);
                }
            }
        }
        let len = self
            .rest()
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '@' | '#')))
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err(format!("expected a field name at byte {}", self.pos));
        }
        let n = self.rest()[..len].to_string();
        self.pos += len;
        Ok(n)
    }

    fn unit(&mut self) -> Result<TimeUnit, String> {
        let w = self.word();
        TimeUnit::parse(&w).ok_or_else(|| format!("unknown time unit {w:?}"))
    }

    fn data_type(&mut self) -> Result<DataType, String> {
        use DataType::*;
        let w = self.word();
        Ok(match w.as_str() {
            "null" => Null,
            "boolean" => Boolean,
            "int8" => Int8,
            "int16" => Int16,
            "int32" => Int32,
            "int64" => Int64,
            "uint8" => UInt8,
            "uint16" => UInt16,
            "uint32" => UInt32,
            "uint64" => UInt64,
            "float16" => Float16,
            "float32" => Float32,
            "float64" => Float64,
            "string" => String,
            "binary" => Binary,
            "uuid" => Uuid,
            "json" => Json,
            "date" => Date,
            "interval" => Interval,
            "decimal" => {
                self.expect("(")?;
                let precision = self.number()?;
                self.expect(",")?;
                let scale = self.number()?;
                self.expect(")")?;
                Decimal { precision, scale }
            }
            "fixed_binary" => {
                self.expect("(")?;
                let n = self.number()?;
                self.expect(")")?;
                FixedBinary(n)
            }
            "time" => {
                self.expect("[")?;
                let unit = self.unit()?;
                self.expect("]")?;
                Time(unit)
            }
            "timestamp" => {
                self.expect("[")?;
                let unit = self.unit()?;
                let timezone = if self.eat(",") { Some(self.until(&[']'])) } else { None };
                self.expect("]")?;
                Timestamp { unit, timezone }
            }
            "list" => {
                self.expect("<")?;
                let item = self.data_type()?;
                self.expect(">")?;
                List(Box::new(item))
            }
            "map" => {
                self.expect("<")?;
                let k = self.data_type()?;
                self.expect(",")?;
                let v = self.data_type()?;
                self.expect(">")?;
                Map(Box::new(k), Box::new(v))
            }
            "struct" => {
                self.expect("<")?;
                let mut fields = Vec::new();
                if !self.eat(">") {
                    loop {
                        let name = self.name()?;
                        self.expect(":")?;
                        let data_type = self.data_type()?;
                        let nullable = !self.eat("not null");
                        fields.push(Field::new(name, data_type, nullable));
                        if self.eat(">") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Struct(fields)
            }
            "other" => {
                self.expect("(")?;
                // Other names may hold parentheses themselves ("varchar(20)"): balance them.
                let start = self.pos;
                let mut depth = 1;
                for (i, c) in self.rest().char_indices() {
                    match c {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                let name = self.s[start..start + i].to_string();
                                self.pos = start + i + 1;
                                return Ok(Other(name));
                            }
                        }
                        _ => {}
                    }
                }
                return Err("unterminated other(...)".into());
            }
            "" => return Err(format!("expected a type at byte {}", self.pos)),
            other => return Err(format!("unknown type {other:?}")),
        })
    }
}

impl Serialize for DataType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DataType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::string::String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(t: DataType) {
        let text = t.to_string();
        let back: DataType = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, t, "{text}");
    }

    #[test]
    fn every_type_round_trips_through_its_text() {
        use DataType::*;
        for t in [
            Null,
            Boolean,
            Int8,
            Int64,
            UInt32,
            Float64,
            Decimal {
                precision: 38,
                scale: -2,
            },
            String,
            FixedBinary(16),
            Date,
            Time(TimeUnit::Millisecond),
            Timestamp {
                unit: TimeUnit::Microsecond,
                timezone: None,
            },
            Timestamp {
                unit: TimeUnit::Nanosecond,
                timezone: Some("Europe/Paris".into()),
            },
            List(Box::new(List(Box::new(Int32)))),
            Map(Box::new(String), Box::new(Float32)),
            Struct(vec![
                Field::new("id", Int64, false),
                Field::new("odd, name`x", List(Box::new(String)), true),
                Field::new("inner", Struct(vec![Field::new("a", Boolean, true)]), true),
            ]),
            Struct(vec![]),
            Other("varchar(20)".into()),
        ] {
            round_trip(t);
        }
    }

    #[test]
    fn bad_type_text_is_an_error_not_a_panic() {
        for bad in [
            "",
            "int",
            "decimal(1",
            "list<",
            "struct<a int64>",
            "timestamp[xs]",
            "other(a",
        ] {
            assert!(bad.parse::<DataType>().is_err(), "{bad:?} parsed");
        }
    }
}
