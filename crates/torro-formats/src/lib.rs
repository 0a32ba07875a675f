//! Schema inference from bytes. Pure functions: no I/O, no async, no panics on any input.
//!
//! The caller (the discovery engine) drives a small protocol so that it reads only
//! what a format needs:
//! 1. [`initial_read`] says which byte range to fetch first (64 KiB of the head for
//!    text formats, compressed or not, one 64 KiB suffix read for Parquet and ORC, the
//!    head for Avro, the whole file for Excel workbooks up to [`MAX_WINDOW`]).
//! 2. [`infer`] gets the bytes fetched so far as one contiguous window and answers
//!    either [`Outcome::Inferred`] or [`Outcome::NeedMore`] with a larger window that
//!    contains the current one (to finish a record, or to get a Parquet footer longer
//!    than the first read). The caller fetches only the missing part, merges, and calls
//!    again. [`MAX_WINDOW`] bounds the total.
//!
//! Tables are not files: [`table_from_log`] (Delta Lake) and [`table_from_metadata`]
//! (Iceberg) read the metadata the engine fetched from a table's folder.

mod avro_header;
mod delimited;
pub mod delta;
mod excel;
pub mod iceberg;
mod json_records;
mod orc_footer;
mod parquet_footer;
mod plan;
mod scalar;
#[cfg(test)]
mod test_util;
mod text;
pub mod xlsx_ranged;

pub use delta::{DeltaTable, table_from_log};
pub use iceberg::{IcebergPartitionField, IcebergTable, table_from_metadata};
pub use plan::{ByteRange, HEAD_BYTES, InferOptions, Inferred, MAX_WINDOW, Outcome, Window, initial_read};
pub use xlsx_ranged::{Step as XlsxStep, XlsxPlan, xlsx_ranged_applies};

use torro_model::FileFormat;
pub use torro_model::format::Compression;

/// Why a file's schema could not be read. The message says what is wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the file is empty")]
    Empty,
    #[error("not a valid {format} file: {message}")]
    Invalid { format: FileFormat, message: String },
    #[error("{0}")]
    TooLarge(String),
}

/// Infers the schema of a `format` file of `file_size` bytes from `window`.
///
/// `compression` says how the file is compressed (`.csv.gz`, `.json.bz2`, `.ndjson.zst`,
/// as [`FileFormat::from_file_name`] reports); it applies to the text formats, whose
/// window is then the compressed head. Other formats refuse a compression.
/// Never panics, whatever the bytes.
pub fn infer(
    format: FileFormat,
    compression: Compression,
    file_size: u64,
    window: &Window<'_>,
    options: &InferOptions,
) -> Result<Outcome, FormatError> {
    if file_size == 0 {
        return Err(FormatError::Empty);
    }
    if !compression.is_none() && !format.is_text() {
        return Err(FormatError::Invalid {
            format,
            message: format!("{format} files are not read through {compression} compression"),
        });
    }
    match format {
        FileFormat::Csv | FileFormat::Tsv => delimited::infer(format, compression, file_size, window, options),
        FileFormat::Json | FileFormat::Ndjson => json_records::infer(format, compression, file_size, window, options),
        FileFormat::Parquet => parquet_footer::infer(file_size, window),
        FileFormat::Avro => avro_header::infer(file_size, window),
        FileFormat::Excel => excel::infer(file_size, window, options),
        FileFormat::Orc => orc_footer::infer(file_size, window),
        FileFormat::Delta | FileFormat::Iceberg => Err(FormatError::Invalid {
            format,
            message: "a table is read from its metadata folder (delta::table_from_log, \
                      iceberg::table_from_metadata), not from one file's bytes"
                .into(),
        }),
    }
}
