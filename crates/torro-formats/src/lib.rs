//! Schema inference from bytes. Pure functions: no I/O, no async, no panics on any input.
//!
//! The caller (the discovery engine) drives a small protocol so that it reads only
//! what a format needs:
//! 1. [`initial_read`] says which byte range to fetch first (64 KiB of the head for
//!    text formats, one 64 KiB suffix read for Parquet, the head for Avro).
//! 2. [`infer`] gets the bytes fetched so far as one contiguous window and answers
//!    either [`Outcome::Inferred`] or [`Outcome::NeedMore`] with a larger window that
//!    contains the current one (to finish a record, or to get a Parquet footer longer
//!    than the first read). The caller fetches only the missing part, merges, and calls
//!    again. [`MAX_WINDOW`] bounds the total.

mod plan;

pub use plan::{ByteRange, InferOptions, Inferred, Outcome, Window, MAX_WINDOW, initial_read};

use torro_model::FileFormat;

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
pub fn infer(
    format: FileFormat,
    gzip: bool,
    file_size: u64,
    window: &Window<'_>,
    options: &InferOptions,
) -> Result<Outcome, FormatError> {
    let _ = (format, gzip, file_size, window, options);
    todo!("dispatch to csv / json / parquet / avro")
}
