//! What can go wrong when seekdeck asks llama.cpp to size or place a file, in words a user can act
//! on; the engine maps these into its own errors at load time.

use std::path::PathBuf;

use crate::gguf::read::HeaderError;

/// A failure of the llama.cpp layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlamaError {
    /// llama.cpp's backend did not initialise.
    #[error("llama.cpp did not start: {0}")]
    Backend(String),
    /// The file is not there.
    #[error("{0} does not exist")]
    NotFound(PathBuf),
    /// llama.cpp refused the file.
    #[error("llama.cpp could not load {path}: {detail}")]
    Load {
        /// The file llama.cpp was given.
        path: PathBuf,
        /// llama.cpp's words.
        detail: String,
    },
    /// llama.cpp could not create a context for the file.
    #[error("llama.cpp could not create a context: {0}")]
    Context(String),
    /// llama.cpp's RPC back-end (other machines' workers) failed.
    #[error("RPC: {0}")]
    Rpc(String),
    /// llama.cpp would not take the device list (`--device none`).
    #[error("llama.cpp could not leave the GPU out: {0}")]
    Devices(String),
    /// A part's header could not be read.
    #[error("{path}: {error}")]
    Header {
        /// The part of a split model whose header failed.
        path: PathBuf,
        /// What the header reader found wrong.
        error: HeaderError,
    },
    /// A scratch file could not be written.
    #[error("cannot write {path}: {detail}")]
    Scratch {
        /// The file or folder.
        path: PathBuf,
        /// The OS's words.
        detail: String,
    },
    /// The dry run's log could not be read back (a panic while it was written).
    #[error("llama.cpp's log could not be read back")]
    Log,
}

impl From<crate::gguf::shape::ShapeFileError> for LlamaError {
    fn from(e: crate::gguf::shape::ShapeFileError) -> Self {
        Self::Scratch {
            path: e.path,
            detail: e.source.to_string(),
        }
    }
}
