//! The engine: the only code that runs a chat model. A named worker thread owns the model in the
//! slot — a llama.cpp model and its context, or a model on an OpenAI-compatible server
//! ([`remote`]); the UI (or the CLI) holds a [`Engine`] handle, sends
//! [`Request`]s and receives [`Event`]s ([`protocol`]), so the caller never waits on llama.cpp.
//! Every event is followed by the caller's `notify` (a repaint). A model split across machines
//! runs in a child process instead ([`host`]), behind the same handle; a GGUF's chat template is
//! rendered in a child whose memory the kernel caps ([`template_sandbox`]).

mod errors;
mod generate;
mod handle;
pub mod host;
pub(crate) mod protocol;
pub mod remote;
pub mod template;
pub mod template_sandbox;
mod utf8;
mod worker;

pub use handle::{thread_count, Engine};
pub use protocol::{
    EngineError, Event, FinishReason, GenerationStats, LoadedModel, ModelSource, Prompt,
    RemoteServer, Request, SamplingParams, TemplateMessage,
};
pub use utf8::Utf8Stream;
pub use worker::lower_current_thread_priority;
