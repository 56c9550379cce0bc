//! The engine: the only code that runs llama.cpp. A named worker thread owns the loaded model and
//! its context; the UI (or the CLI) sends [`Request`]s and receives [`Event`]s over channels, so the
//! caller never waits on llama.cpp. Every event is followed by the caller's `notify` (a repaint).

mod errors;
mod generate;
mod utf8;
mod worker;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

pub use errors::EngineError;
pub use generate::{FinishReason, GenerationStats, SamplingParams};

pub use crate::chat_template::TemplateMessage;
pub use utf8::Utf8Stream;
pub use worker::lower_current_thread_priority;

/// Threads llama.cpp computes with: `SEEKDECK_THREADS` if set, else the CPUs this process may use
/// (which respects affinity and container limits). llama.cpp's own default of 4 oversubscribes a
/// 2-core machine.
pub fn thread_count() -> i32 {
    std::env::var("SEEKDECK_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(4, |n| n.get().min(64) as i32)
        })
}

/// What the caller asks of the engine.
#[derive(Debug)]
pub enum Request {
    /// Load a GGUF (replacing any loaded model).
    Load {
        /// The file.
        path: PathBuf,
        /// Context length in tokens.
        ctx_tokens: u32,
        /// GPU layers and experts-in-RAM (ignored without a GPU back-end).
        offload: crate::fit::Offload,
        /// With a GPU back-end and these limits, llama.cpp's dry runs check `offload` first and
        /// move its layer count to the most that fit (`split_check`).
        split_limits: Option<crate::split_check::SplitLimits>,
        /// Set to abort the load.
        cancel: Arc<AtomicBool>,
    },
    /// Generate a reply.
    Generate {
        /// Caller's id for this generation; events carry it back.
        id: u64,
        /// A conversation (rendered with the model's template) or raw text.
        prompt: Prompt,
        /// Sampling settings.
        sampling: SamplingParams,
        /// Set to stop; checked once per token.
        cancel: Arc<AtomicBool>,
    },
    /// Free the model.
    Unload,
    /// End the worker.
    Shutdown,
}

/// What to generate from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// Raw text, tokenized as is (special tokens parsed); BOS added when the model wants one.
    Text(String),
    /// A conversation, rendered with the GGUF's chat template (Jinja through minijinja, or one of
    /// llama.cpp's built-in formats when the template is just a name or absent), with the
    /// assistant's turn opened.
    Chat(Vec<crate::chat_template::TemplateMessage>),
}

/// Facts about a loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedModel {
    /// The file.
    pub path: PathBuf,
    /// `general.architecture`.
    pub architecture: String,
    /// Parameters.
    pub params: u64,
    /// Bytes of weights.
    pub size_bytes: u64,
    /// Context length of the created context.
    pub ctx_tokens: u32,
    /// The model's trained context length.
    pub ctx_train_tokens: u32,
    /// The GGUF's chat template, if it has one.
    pub chat_template: Option<String>,
    /// Seconds the load took.
    pub load_secs: f64,
    /// How it was placed.
    pub offload: crate::fit::Offload,
    /// llama.cpp's check of the placement, when one ran.
    pub split_check: Option<crate::split_check::SplitCheck>,
}

/// What the engine reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// llama.cpp's dry runs are checking the GPU split before the load.
    CheckingSplit,
    /// Load progress, 0 to 1.
    Progress(f32),
    /// A model is ready.
    Loaded(LoadedModel),
    /// The model was freed.
    Unloaded,
    /// Text of generation `id`: whole UTF-8 characters only.
    Piece {
        /// Generation id.
        id: u64,
        /// The text.
        text: String,
    },
    /// Generation `id` ended.
    Finished {
        /// Generation id.
        id: u64,
        /// Why it ended.
        reason: FinishReason,
        /// Token counts and speeds.
        stats: GenerationStats,
    },
    /// A request failed; `id` is the generation's, `None` for loads.
    Failed {
        /// Generation id, if a generation failed.
        id: Option<u64>,
        /// What went wrong, for the user.
        error: EngineError,
    },
}

/// Handle to the worker; dropping it shuts the worker down.
pub struct Engine {
    requests: Sender<Request>,
    /// Events from the worker.
    pub events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
}

impl Engine {
    /// Starts the worker thread. `notify` runs after every event (e.g. `ctx.request_repaint()`).
    pub fn spawn(notify: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (req_tx, req_rx) = mpsc::channel();
        let (ev_tx, ev_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("llama-engine".into())
            .spawn(move || worker::run(&req_rx, &worker::Outbox::new(ev_tx, Box::new(notify))))?;
        Ok(Self {
            requests: req_tx,
            events: ev_rx,
            thread: Some(thread),
        })
    }

    /// Sends a request; `false` if the worker has ended.
    pub fn send(&self, request: Request) -> bool {
        self.requests.send(request).is_ok()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.requests.send(Request::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
