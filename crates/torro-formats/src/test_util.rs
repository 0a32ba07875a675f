//! Helpers for this crate's unit tests: infer a whole in-memory file, describe a schema.

use torro_model::FileFormat;

use crate::{FormatError, InferOptions, Inferred, Outcome, Window, infer};

/// `infer` on `text` as a whole file (the window covers every byte).
pub(crate) fn infer_text(format: FileFormat, text: &str) -> Result<Outcome, FormatError> {
    let window = Window {
        offset: 0,
        bytes: text.as_bytes(),
    };
    infer(
        format,
        crate::Compression::None,
        text.len() as u64,
        &window,
        &InferOptions::default(),
    )
}

/// Like [`infer_text`], for input that must yield a schema.
pub(crate) fn inferred(format: FileFormat, text: &str) -> Inferred {
    match infer_text(format, text).unwrap() {
        Outcome::Inferred(i) => i,
        other => panic!("{other:?}"),
    }
}

/// `name:type` per column, with `?` for nullable ones.
pub(crate) fn described(i: &Inferred) -> Vec<String> {
    i.schema
        .fields
        .iter()
        .map(|f| format!("{}:{}{}", f.name, f.data_type, if f.nullable { "?" } else { "" }))
        .collect()
}
