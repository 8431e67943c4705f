//! Why a transfer file could not be read, naming the line.

/// Why a file could not be read; nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("line {line}: {message}")]
    Bad { line: usize, message: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub(super) fn bad(line: usize, message: impl Into<String>) -> ReadError {
    ReadError::Bad {
        line,
        message: message.into(),
    }
}
