//! The engine: the only code that runs a chat model. A named worker thread owns the loaded
//! llama.cpp model and its context; the UI (or the CLI) holds a [`Engine`] handle, sends
//! [`Request`]s and receives [`Event`]s ([`protocol`]), so the caller never waits on llama.cpp.
//! Every event is followed by the caller's `notify` (a repaint).

mod errors;
mod generate;
mod handle;
pub(crate) mod protocol;
pub mod template;
mod utf8;
mod worker;

pub use handle::{thread_count, Engine};
pub use protocol::{
    EngineError, Event, FinishReason, GenerationStats, LoadedModel, Prompt, Request,
    SamplingParams, TemplateMessage,
};
pub use utf8::Utf8Stream;
pub use worker::lower_current_thread_priority;
