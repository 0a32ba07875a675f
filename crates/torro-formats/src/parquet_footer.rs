//! Parquet: the schema, row count and facts from the footer alone.
//!
//! A Parquet file ends with `<metadata><metadata length: u32 LE>PAR1`. The first read is
//! a 64 KiB suffix; when the metadata is longer, the footer's length field says exactly
//! which suffix holds it, so a second read fetches just that.

use std::collections::{BTreeMap, BTreeSet};

use parquet::basic::{ConvertedType, LogicalType, Repetition, TimeUnit as PqUnit, Type as Physical};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::schema::types::Type;
use serde_json::json;
use torro_model::{DataType, Field, FileFormat, Schema, TimeUnit};

use crate::{ByteRange, FormatError, Inferred, MAX_WINDOW, Outcome, Window};

const MAGIC: &[u8; 4] = b"PAR1";
/// Length field and magic.
const FOOTER_TAIL: u64 = 8;
/// Deepest schema nesting mapped.
const MAX_DEPTH: usize = 64;
/// Key-value metadata values longer than this are cut in the details.
const MAX_KV_VALUE_CHARS: usize = 1024;

fn invalid(message: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        format: FileFormat::Parquet,
        message: message.into(),
    }
}

pub(crate) fn infer(file_size: u64, window: &Window<'_>) -> Result<Outcome, FormatError> {
    let min_size = MAGIC.len() as u64 + FOOTER_TAIL;
    if file_size < min_size {
        return Err(invalid(format!(
            "the file is {file_size} bytes, too small for a Parquet file ({min_size} at least)"
        )));
    }
    if window.range().end != file_size {
        // The footer is at the end: ask for the suffix from the window's start.
        return if file_size - window.offset.min(file_size) <= MAX_WINDOW {
            Ok(Outcome::NeedMore(ByteRange {
                start: window.offset.min(file_size),
                end: file_size,
            }))
        } else {
            Err(invalid("the window must end at the end of the file"))
        };
    }
    let bytes = window.bytes;
    let Some(tail) = bytes
        .len()
        .checked_sub(FOOTER_TAIL as usize)
        .and_then(|at| bytes.get(at..))
    else {
        return Ok(Outcome::NeedMore(ByteRange {
            start: file_size - min_size.min(file_size),
            end: file_size,
        }));
    };
    let (len_bytes, magic) = tail.split_at(4);
    if magic == b"PARE" {
        return Err(invalid(
            "the footer is encrypted; encrypted Parquet files are not supported",
        ));
    }
    if magic != MAGIC {
        return Err(invalid(format!(
            "the file does not end with the Parquet magic PAR1 (found {:?})",
            String::from_utf8_lossy(magic)
        )));
    }
    let metadata_len = u64::from(u32::from_le_bytes([
        len_bytes[0],
        len_bytes[1],
        len_bytes[2],
        len_bytes[3],
    ]));
    let footer_len = metadata_len + FOOTER_TAIL;
    if footer_len + MAGIC.len() as u64 > file_size {
        return Err(invalid(format!(
            "the footer says its metadata is {metadata_len} bytes, more than the file's {file_size} bytes hold"
        )));
    }
    if footer_len > bytes.len() as u64 {
        if footer_len > MAX_WINDOW {
            return Err(FormatError::TooLarge(format!(
                "the Parquet footer is {footer_len} bytes, more than the {} MiB read limit",
                MAX_WINDOW / (1024 * 1024)
            )));
        }
        return Ok(Outcome::NeedMore(ByteRange {
            start: file_size - footer_len,
            end: file_size,
        }));
    }
    let start = bytes.len() - footer_len as usize;
    let metadata_bytes = bytes.get(start..bytes.len() - FOOTER_TAIL as usize).unwrap_or_default();
    // The decoder is third-party code fed with untrusted bytes: a panic in it must
    // become an error, not take the caller down.
    let metadata = std::panic::catch_unwind(|| ParquetMetaDataReader::decode_metadata(metadata_bytes))
        .map_err(|_| invalid("the footer metadata is corrupt (the decoder failed)"))?
        .map_err(|e| invalid(format!("the footer metadata is corrupt: {e}")))?;
    inferred(&metadata).map(Outcome::Inferred)
}

fn inferred(metadata: &ParquetMetaData) -> Result<Inferred, FormatError> {
    let file = metadata.file_metadata();
    let root = file.schema_descr().root_schema();
    let fields = match root {
        Type::GroupType { fields, .. } => fields
            .iter()
            .map(|f| field_of(f, 1))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?,
        Type::PrimitiveType { .. } => return Err(invalid("the schema root is not a group")),
    };
    let codecs: BTreeSet<String> = metadata
        .row_groups()
        .iter()
        .flat_map(|rg| rg.columns().iter().map(|c| codec_name(&c.compression().to_string())))
        .collect();
    let key_values: BTreeMap<String, Option<String>> = file
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .map(|kv| {
                    let value = kv.value.as_ref().map(|v| {
                        if v.chars().count() > MAX_KV_VALUE_CHARS {
                            let cut: String = v.chars().take(MAX_KV_VALUE_CHARS).collect();
                            format!("{cut}… ({} bytes in all)", v.len())
                        } else {
                            v.clone()
                        }
                    });
                    (kv.key.clone(), value)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Inferred {
        format: FileFormat::Parquet,
        schema: Schema::new(fields),
        row_count: u64::try_from(file.num_rows()).ok(),
        details: json!({
            "num_row_groups": metadata.num_row_groups(),
            "num_leaf_columns": file.schema_descr().num_columns(),
            "created_by": file.created_by(),
            "version": file.version(),
            "compression_codecs": codecs,
            "key_value_metadata": key_values,
        }),
    })
}

/// `ZSTD(ZstdLevel(3))` → `zstd`.
fn codec_name(debug: &str) -> String {
    debug.split('(').next().unwrap_or(debug).to_ascii_lowercase()
}

fn field_of(t: &Type, depth: usize) -> Result<Field, String> {
    let info = t.get_basic_info();
    let data_type = type_of(t, depth)?;
    let repetition = if info.has_repetition() {
        info.repetition()
    } else {
        Repetition::REQUIRED
    };
    Ok(match repetition {
        Repetition::REQUIRED => Field::new(info.name(), data_type, false),
        Repetition::OPTIONAL => Field::new(info.name(), data_type, true),
        // A bare repeated field (no LIST annotation) is a list that is never null.
        Repetition::REPEATED => Field::new(info.name(), DataType::List(Box::new(data_type)), false),
    })
}

fn is_repeated(t: &Type) -> bool {
    let info = t.get_basic_info();
    info.has_repetition() && info.repetition() == Repetition::REPEATED
}

/// The type of `t` itself, its own repetition aside.
fn type_of(t: &Type, depth: usize) -> Result<DataType, String> {
    if depth > MAX_DEPTH {
        return Err(format!("the schema nests deeper than {MAX_DEPTH} levels"));
    }
    match t {
        Type::PrimitiveType {
            basic_info,
            physical_type,
            type_length,
            scale,
            precision,
        } => Ok(primitive(
            basic_info.logical_type_ref(),
            basic_info.converted_type(),
            *physical_type,
            *type_length,
            *precision,
            *scale,
        )),
        Type::GroupType { basic_info, fields } => {
            let logical = basic_info.logical_type_ref();
            let converted = basic_info.converted_type();
            let is_list = matches!(logical, Some(LogicalType::List)) || converted == ConvertedType::LIST;
            let is_map = matches!(logical, Some(LogicalType::Map))
                || matches!(converted, ConvertedType::MAP | ConvertedType::MAP_KEY_VALUE);
            match fields.as_slice() {
                [repeated] if is_list && is_repeated(repeated) => Ok(DataType::List(Box::new(list_element(
                    repeated,
                    basic_info.name(),
                    depth + 1,
                )?))),
                [repeated] if is_map && is_repeated(repeated) => match repeated.as_ref() {
                    Type::GroupType { fields: kv, .. } => {
                        let key = kv
                            .first()
                            .map(|k| type_of(k, depth + 2))
                            .transpose()?
                            .unwrap_or(DataType::Null);
                        let value = kv
                            .get(1)
                            .map(|v| type_of(v, depth + 2))
                            .transpose()?
                            .unwrap_or(DataType::Null);
                        Ok(DataType::Map(Box::new(key), Box::new(value)))
                    }
                    Type::PrimitiveType { .. } => struct_of(fields, depth),
                },
                _ => struct_of(fields, depth),
            }
        }
    }
}

fn struct_of(fields: &[parquet::schema::types::TypePtr], depth: usize) -> Result<DataType, String> {
    Ok(DataType::Struct(
        fields
            .iter()
            .map(|f| field_of(f, depth + 1))
            .collect::<Result<_, _>>()?,
    ))
}

/// The element of a LIST group, with the format's backward-compatibility rules: a
/// repeated primitive or a repeated group of several fields (or named `array` /
/// `<list>_tuple`) is itself the element; otherwise its one child is.
fn list_element(repeated: &Type, list_name: &str, depth: usize) -> Result<DataType, String> {
    match repeated {
        Type::PrimitiveType { .. } => type_of(repeated, depth),
        Type::GroupType { basic_info, fields } => {
            let legacy_name = basic_info.name() == "array" || basic_info.name() == format!("{list_name}_tuple");
            match fields.as_slice() {
                [element] if !legacy_name => type_of(element, depth + 1),
                _ => struct_of(fields, depth),
            }
        }
    }
}

fn unit(u: &PqUnit) -> TimeUnit {
    match u {
        PqUnit::MILLIS => TimeUnit::Millisecond,
        PqUnit::MICROS => TimeUnit::Microsecond,
        PqUnit::NANOS => TimeUnit::Nanosecond,
    }
}

fn decimal(precision: i32, scale: i32) -> DataType {
    match (u8::try_from(precision), i8::try_from(scale)) {
        (Ok(precision), Ok(scale)) => DataType::Decimal { precision, scale },
        _ => DataType::Other(format!("decimal({precision},{scale})")),
    }
}

fn primitive(
    logical: Option<&LogicalType>,
    converted: ConvertedType,
    physical: Physical,
    type_length: i32,
    precision: i32,
    scale: i32,
) -> DataType {
    if let Some(logical) = logical {
        let t = match logical {
            LogicalType::String | LogicalType::Enum => Some(DataType::String),
            LogicalType::Decimal(d) => Some(decimal(d.precision, d.scale)),
            LogicalType::Date => Some(DataType::Date),
            LogicalType::Time(t) => Some(DataType::Time(unit(&t.unit))),
            LogicalType::Timestamp(t) => Some(DataType::Timestamp {
                unit: unit(&t.unit),
                timezone: t.is_adjusted_to_u_t_c.then(|| "UTC".to_string()),
            }),
            LogicalType::Integer(i) => match (i.bit_width, i.is_signed) {
                (8, true) => Some(DataType::Int8),
                (16, true) => Some(DataType::Int16),
                (32, true) => Some(DataType::Int32),
                (64, true) => Some(DataType::Int64),
                (8, false) => Some(DataType::UInt8),
                (16, false) => Some(DataType::UInt16),
                (32, false) => Some(DataType::UInt32),
                (64, false) => Some(DataType::UInt64),
                _ => None,
            },
            LogicalType::Unknown => Some(DataType::Null),
            LogicalType::Json => Some(DataType::Json),
            LogicalType::Bson => Some(DataType::Binary),
            LogicalType::Uuid => Some(DataType::Uuid),
            LogicalType::Float16 => Some(DataType::Float16),
            LogicalType::Variant(_) => Some(DataType::Other("variant".into())),
            LogicalType::Geometry(_) => Some(DataType::Other("geometry".into())),
            LogicalType::Geography(_) => Some(DataType::Other("geography".into())),
            _ => None,
        };
        if let Some(t) = t {
            return t;
        }
    }
    let legacy = match converted {
        ConvertedType::UTF8 | ConvertedType::ENUM => Some(DataType::String),
        ConvertedType::JSON => Some(DataType::Json),
        ConvertedType::BSON => Some(DataType::Binary),
        ConvertedType::DECIMAL => Some(decimal(precision, scale)),
        ConvertedType::DATE => Some(DataType::Date),
        ConvertedType::TIME_MILLIS => Some(DataType::Time(TimeUnit::Millisecond)),
        ConvertedType::TIME_MICROS => Some(DataType::Time(TimeUnit::Microsecond)),
        ConvertedType::TIMESTAMP_MILLIS => Some(DataType::Timestamp {
            unit: TimeUnit::Millisecond,
            timezone: Some("UTC".into()),
        }),
        ConvertedType::TIMESTAMP_MICROS => Some(DataType::Timestamp {
            unit: TimeUnit::Microsecond,
            timezone: Some("UTC".into()),
        }),
        ConvertedType::UINT_8 => Some(DataType::UInt8),
        ConvertedType::UINT_16 => Some(DataType::UInt16),
        ConvertedType::UINT_32 => Some(DataType::UInt32),
        ConvertedType::UINT_64 => Some(DataType::UInt64),
        ConvertedType::INT_8 => Some(DataType::Int8),
        ConvertedType::INT_16 => Some(DataType::Int16),
        ConvertedType::INT_32 => Some(DataType::Int32),
        ConvertedType::INT_64 => Some(DataType::Int64),
        ConvertedType::INTERVAL => Some(DataType::Interval),
        _ => None,
    };
    if let Some(t) = legacy {
        return t;
    }
    match physical {
        Physical::BOOLEAN => DataType::Boolean,
        Physical::INT32 => DataType::Int32,
        Physical::INT64 => DataType::Int64,
        // Legacy Impala/Hive timestamps.
        Physical::INT96 => DataType::Timestamp {
            unit: TimeUnit::Nanosecond,
            timezone: None,
        },
        Physical::FLOAT => DataType::Float32,
        Physical::DOUBLE => DataType::Float64,
        Physical::BYTE_ARRAY => DataType::Binary,
        Physical::FIXED_LEN_BYTE_ARRAY => DataType::FixedBinary(u32::try_from(type_length).unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> Result<Outcome, FormatError> {
        infer(bytes.len() as u64, &Window { offset: 0, bytes })
    }

    #[test]
    fn bad_footers_are_clear_errors() {
        let err = run(b"PAR1").unwrap_err();
        assert!(err.to_string().contains("too small"), "{err}");
        let err = run(b"PAR1 some bytes \x05\x00\x00\x00PAR2").unwrap_err();
        assert!(err.to_string().contains("magic"), "{err}");
        let err = run(b"PAR1 some bytes \xff\x00\x00\x00PAR1").unwrap_err();
        assert!(err.to_string().contains("more than the file"), "{err}");
        let err = run(b"PAR1 garbage garbage \x08\x00\x00\x00PAR1").unwrap_err();
        assert!(err.to_string().contains("corrupt"), "{err}");
        let err = run(b"PAR1 some bytes \x05\x00\x00\x00PARE").unwrap_err();
        assert!(err.to_string().contains("encrypted"), "{err}");
    }

    #[test]
    fn a_long_footer_asks_for_exactly_its_suffix() {
        let mut tail = b"xxxxxxxx".to_vec();
        tail.extend_from_slice(&1000u32.to_le_bytes());
        tail.extend_from_slice(MAGIC);
        let file_size = 5000;
        let window = Window {
            offset: file_size - tail.len() as u64,
            bytes: &tail,
        };
        assert_eq!(
            infer(file_size, &window).unwrap(),
            Outcome::NeedMore(ByteRange { start: 3992, end: 5000 })
        );
    }

    #[test]
    fn legacy_and_physical_types_map() {
        assert_eq!(
            primitive(None, ConvertedType::NONE, Physical::INT96, 0, 0, 0).to_string(),
            "timestamp[ns]"
        );
        assert_eq!(
            primitive(None, ConvertedType::DECIMAL, Physical::INT64, 0, 18, 4).to_string(),
            "decimal(18,4)"
        );
        assert_eq!(
            primitive(None, ConvertedType::UTF8, Physical::BYTE_ARRAY, 0, 0, 0).to_string(),
            "string"
        );
        assert_eq!(
            primitive(None, ConvertedType::NONE, Physical::FIXED_LEN_BYTE_ARRAY, 16, 0, 0).to_string(),
            "fixed_binary(16)"
        );
        assert_eq!(codec_name("ZSTD(ZstdLevel(3))"), "zstd");
    }
}
