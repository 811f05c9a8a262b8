//! (being written)

use crate::{ParseError, RawResult};

pub fn parse(_bytes: &[u8]) -> Result<Vec<RawResult>, ParseError> {
    Err(ParseError::Missing("this format is not read yet".into()))
}
