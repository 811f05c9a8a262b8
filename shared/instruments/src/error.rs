//! Why a file was refused: the line (1-based, in the decoded text) and what was wrong there,
//! in words a technician can act on.

/// A file the parser does not understand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not text in an encoding instruments write.
    #[error("the file is not text Aliquot can read ({0})")]
    Encoding(String),
    /// Something at `line` is not what the format has there.
    #[error("line {line}: {reason}")]
    At { line: usize, reason: String },
    /// Something the format must have is not in the file at all.
    #[error("{0}")]
    Missing(String),
}

impl ParseError {
    pub fn at(line: usize, reason: impl Into<String>) -> Self {
        ParseError::At {
            line,
            reason: reason.into(),
        }
    }
}
