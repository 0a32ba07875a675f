//! todo
use crate::*;
pub(crate) fn infer(_: u64, _: &Window<'_>) -> Result<Outcome, FormatError> { Err(FormatError::Empty) }
