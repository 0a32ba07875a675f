//! Reads what a format's read plan asks for, and nothing more.

use torro_connectors::{ObjectInfo, ObjectSource, SourceError};
use torro_formats::{
    ByteRange, Compression, FormatError, InferOptions, Inferred, Outcome, Window, XlsxPlan, XlsxStep, infer,
    initial_read, xlsx_ranged_applies,
};
use torro_model::{FileFormat, ScanErrorKind};

/// A format asks for more bytes at most this often before we call the file unreadable.
const MAX_ROUNDS: usize = 8;

pub(crate) enum Inspection {
    Inferred(Inferred),
    /// No reader for this format; the file is cataloged without a schema.
    NotRead,
    /// The bytes are not a valid file of its format (or it is empty).
    Invalid {
        kind: ScanErrorKind,
        message: String,
    },
    /// The object could not be read at all (it vanished, or I/O failed).
    Unreachable(String),
}

pub(crate) async fn inspect(
    source: &dyn ObjectSource,
    info: &ObjectInfo,
    format: FileFormat,
    compression: Compression,
) -> Inspection {
    match read_and_infer(source, info, format, compression).await {
        Ok(inferred) => Inspection::Inferred(inferred),
        Err(Failure::Format(FormatError::Empty)) => Inspection::Invalid {
            kind: ScanErrorKind::Empty,
            message: "the file is empty".into(),
        },
        Err(Failure::Format(e)) => Inspection::Invalid {
            kind: ScanErrorKind::Format,
            message: e.to_string(),
        },
        Err(Failure::Source(e)) => Inspection::Unreachable(e.to_string()),
        Err(Failure::Protocol(message)) => Inspection::Invalid {
            kind: ScanErrorKind::Format,
            message,
        },
    }
}

enum Failure {
    Format(FormatError),
    Source(SourceError),
    Protocol(String),
}

async fn read_and_infer(
    source: &dyn ObjectSource,
    info: &ObjectInfo,
    format: FileFormat,
    compression: Compression,
) -> Result<Inferred, Failure> {
    let size = info.size;
    if size == 0 {
        return Err(Failure::Format(FormatError::Empty));
    }
    let options = InferOptions::default();
    if format == FileFormat::Excel && xlsx_ranged_applies(&info.path, size) {
        return read_large_xlsx(source, info, &options).await;
    }
    let mut range = initial_read(format, size);
    let mut buffer = fetch(source, &info.path, range).await?.to_vec();
    for _ in 0..MAX_ROUNDS {
        let window = Window {
            offset: range.start,
            bytes: &buffer,
        };
        match infer(format, compression, size, &window, &options).map_err(Failure::Format)? {
            Outcome::Inferred(inferred) => return Ok(inferred),
            Outcome::NeedMore(wanted) => {
                if wanted.start > range.start || wanted.end < range.end || wanted.end > size || wanted == range {
                    return Err(Failure::Protocol(format!(
                        "reader asked for bytes {}..{} it cannot use (have {}..{} of {size})",
                        wanted.start, wanted.end, range.start, range.end
                    )));
                }
                // Fetch only what is missing on each side, then merge into one window.
                let before = ByteRange {
                    start: wanted.start,
                    end: range.start,
                };
                let after = ByteRange {
                    start: range.end,
                    end: wanted.end,
                };
                let mut merged = Vec::with_capacity(wanted.len() as usize);
                if !before.is_empty() {
                    merged.extend_from_slice(&fetch(source, &info.path, before).await?);
                }
                merged.extend_from_slice(&buffer);
                if !after.is_empty() {
                    merged.extend_from_slice(&fetch(source, &info.path, after).await?);
                }
                buffer = merged;
                range = wanted;
            }
        }
    }
    Err(Failure::Protocol(format!(
        "no schema after {MAX_ROUNDS} reads of {} bytes",
        range.len()
    )))
}

/// A large `.xlsx`: the zip's tail, its central directory and the few parts a schema needs,
/// each by one ranged read, as [`XlsxPlan`] asks.
async fn read_large_xlsx(
    source: &dyn ObjectSource,
    info: &ObjectInfo,
    options: &InferOptions,
) -> Result<Inferred, Failure> {
    let mut plan = XlsxPlan::new(info.size, options);
    let mut fetched: Vec<bytes::Bytes> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let slices: Vec<&[u8]> = fetched.iter().map(|b| b.as_ref()).collect();
        match plan.next(&slices) {
            XlsxStep::Done(result) => return result.map_err(Failure::Format),
            XlsxStep::Fetch(ranges) => {
                fetched.clear();
                for range in ranges {
                    fetched.push(fetch(source, &info.path, range).await?);
                }
            }
        }
    }
    Err(Failure::Protocol(format!(
        "no schema after {MAX_ROUNDS} rounds of ranged reads"
    )))
}

async fn fetch(source: &dyn ObjectSource, path: &str, range: ByteRange) -> Result<bytes::Bytes, Failure> {
    let bytes = source
        .get_range(path, range.start..range.end)
        .await
        .map_err(Failure::Source)?;
    if bytes.len() as u64 != range.len() {
        // The object changed under us (truncated since it was listed).
        return Err(Failure::Source(SourceError::Io {
            path: path.to_string(),
            message: format!(
                "asked for {} bytes at {}, got {}; the file changed while it was read",
                range.len(),
                range.start,
                bytes.len()
            ),
        }));
    }
    Ok(bytes)
}
