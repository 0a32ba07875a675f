//! todo
use crate::*;
use torro_model::FileFormat;
pub(crate) fn infer(_: FileFormat, _: bool, _: u64, _: &Window<'_>, _: &InferOptions) -> Result<Outcome, FormatError> { Err(FormatError::Empty) }
