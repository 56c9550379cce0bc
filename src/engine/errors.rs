//! Everything that can go wrong in the engine, worded for the person using the app.

use std::path::PathBuf;

/// An engine failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The file is not there.
    #[error("{0} does not exist")]
    NotFound(PathBuf),
    /// The file does not start with the GGUF magic.
    #[error("{0} is not a GGUF file")]
    NotGguf(PathBuf),
    /// llama.cpp refused the file (truncated, corrupt, unknown architecture, out of memory).
    #[error("llama.cpp could not load {path}: the file may be truncated or corrupt, of an architecture this llama.cpp does not know, or too large for memory ({detail})")]
    LoadFailed {
        /// The file llama.cpp refused.
        path: PathBuf,
        /// llama.cpp's own words, where it gave any.
        detail: String,
    },
    /// The load was cancelled.
    #[error("loading was cancelled")]
    Cancelled,
    /// The context could not be created (usually memory).
    #[error("llama.cpp could not create a {ctx_tokens}-token context: {detail}")]
    ContextFailed {
        /// Requested length.
        ctx_tokens: u32,
        /// llama.cpp's words for the failure.
        detail: String,
    },
    /// No model is loaded.
    #[error("no model is loaded")]
    NoModel,
    /// The prompt alone does not fit the context.
    #[error("the conversation needs {needed} tokens but the context holds {total}: start a new conversation or drop the oldest turns")]
    ContextFull {
        /// Tokens needed.
        needed: u32,
        /// Context size.
        total: u32,
    },
    /// The chat template could not be applied.
    #[error("{0}")]
    Template(String),
    /// llama.cpp failed while decoding.
    #[error("llama.cpp failed while generating: {0}")]
    Decode(String),
    /// A model split across machines failed: a machine went away, or llama.cpp's words for
    /// what went wrong in the process holding the model across them.
    #[error("{0}")]
    Cluster(String),
    /// The server of a served model failed or refused.
    #[error("{0}")]
    Remote(#[from] super::remote::RemoteError),
}
