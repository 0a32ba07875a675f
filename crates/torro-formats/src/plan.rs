//! The read plan: which bytes a format needs.

use torro_model::{FileFormat, Schema};

/// Head read for text formats and Avro, and the first suffix read for Parquet and ORC.
pub const HEAD_BYTES: u64 = 64 * 1024;
/// No inference ever asks for more than this many bytes in total.
pub const MAX_WINDOW: u64 = 4 * 1024 * 1024;

/// A half-open byte range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Contiguous bytes of the file starting at `offset`.
#[derive(Clone, Copy, Debug)]
pub struct Window<'a> {
    pub offset: u64,
    pub bytes: &'a [u8],
}

impl Window<'_> {
    pub fn range(&self) -> ByteRange {
        ByteRange {
            start: self.offset,
            end: self.offset.saturating_add(self.bytes.len() as u64),
        }
    }
}

#[derive(Clone, Debug)]
pub struct InferOptions {
    /// Rows (records) sampled for type inference at most.
    pub max_sample_rows: usize,
}

impl Default for InferOptions {
    fn default() -> Self {
        InferOptions { max_sample_rows: 1000 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inferred {
    /// May refine the announced format (a `.json` file that is really NDJSON).
    pub format: FileFormat,
    pub schema: Schema,
    /// Exact when known (Parquet footer, or a text file read whole); else `None`.
    pub row_count: Option<u64>,
    /// Format facts for people: delimiter, quote, header, encoding, compression,
    /// sampled rows, row groups, created_by, key-value metadata...
    pub details: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Inferred(Inferred),
    /// Fetch this window (a superset of the current one) and call again.
    NeedMore(ByteRange),
}

impl Window<'_> {
    /// True when the window holds every byte of a `file_size`-byte file.
    pub fn is_whole_file(&self, file_size: u64) -> bool {
        self.offset == 0 && self.bytes.len() as u64 >= file_size
    }
}

/// The next head window when the current one `[0, current_end)` holds too little:
/// twice as long, at least [`HEAD_BYTES`], never past the file or [`MAX_WINDOW`].
/// `None` when it cannot grow any more.
pub(crate) fn grow_head(current_end: u64, file_size: u64) -> Option<ByteRange> {
    let end = current_end
        .saturating_mul(2)
        .clamp(HEAD_BYTES, MAX_WINDOW)
        .min(file_size);
    (end > current_end).then_some(ByteRange { start: 0, end })
}

/// The first range to fetch for a file of `file_size` bytes.
pub fn initial_read(format: FileFormat, file_size: u64) -> ByteRange {
    match format {
        FileFormat::Parquet | FileFormat::Orc => ByteRange {
            start: file_size.saturating_sub(HEAD_BYTES),
            end: file_size,
        },
        FileFormat::Excel => crate::excel::initial_read(file_size),
        _ => ByteRange {
            start: 0,
            end: file_size.min(HEAD_BYTES),
        },
    }
}
