//! Why a file found on this PC cannot be used, kept typed (the header reader's own error inside)
//! so callers can tell a truncated download from a foreign file; shown in words by its `Display`.

use std::fmt;

use crate::gguf::read::HeaderError;

/// Why a found file has no usable header.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileProblem {
    /// Parts of a split model are not beside the others (their file names).
    MissingParts(Vec<String>),
    /// A header could not be read; `part` names the part of a split model.
    Header {
        /// The part's file name, for split models.
        part: Option<String>,
        /// The reader's error.
        error: HeaderError,
    },
    /// The header has no `general.architecture`.
    NoArchitecture,
    /// An Ollama manifest names its weights in a way that cannot be trusted (the reason).
    DamagedManifest(String),
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingParts(parts) => {
                write!(f, "split model with part(s) {} missing", parts.join(", "))
            }
            Self::Header {
                part: Some(part),
                error,
            } => write!(f, "{part}: {error}"),
            Self::Header { part: None, error } => error.fmt(f),
            Self::NoArchitecture => f.write_str("the GGUF header has no general.architecture"),
            Self::DamagedManifest(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for FileProblem {}
