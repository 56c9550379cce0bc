//! What the chat pane, the conversation store and the command line exchange with an engine:
//! plain-data requests and events, sampling settings, statistics and the reasons a generation
//! ends. No llama.cpp types, so every kind of engine speaks it and `chat` depends on nothing else.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use super::errors::EngineError;
use crate::estimate::placement::{Offload, Placement};
use crate::llama::split_search::SplitCheck;

/// One turn of a conversation as templates see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// What was said, without the model's reasoning.
    pub content: String,
}

impl TemplateMessage {
    /// A message with `role` and `content`.
    pub fn new(role: &str, content: &str) -> Self {
        Self {
            role: role.to_owned(),
            content: content.to_owned(),
        }
    }
}

/// Sampling settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SamplingParams {
    /// Temperature; 0 means greedy.
    pub temperature: f32,
    /// Nucleus threshold.
    pub top_p: f32,
    /// Minimum probability relative to the best token.
    pub min_p: f32,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// Random seed.
    pub seed: u32,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.6,
            top_p: 0.95,
            min_p: 0.05,
            max_tokens: 2048,
            seed: 42,
        }
    }
}

/// Why a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FinishReason {
    /// The model ended its turn.
    EndOfTurn,
    /// The caller stopped it.
    Stopped,
    /// `max_tokens` reached.
    MaxTokens,
    /// The context window is full.
    ContextFull,
}

/// Counts and speeds of one generation.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct GenerationStats {
    /// Tokens in the prompt.
    pub prompt_tokens: u32,
    /// Prompt tokens already in the KV cache from the previous turn (not decoded again).
    #[serde(default)]
    pub reused_prompt_tokens: u32,
    /// Tokens generated.
    pub generated_tokens: u32,
    /// From the request to the first generated token.
    pub first_token_secs: f64,
    /// Generated tokens per second after the first.
    pub tokens_per_sec: f64,
    /// Context used at the end.
    pub ctx_used_tokens: u32,
    /// Context size.
    pub ctx_total_tokens: u32,
}

/// What the caller asks of the engine.
#[derive(Debug)]
pub enum Request {
    /// Load a GGUF (replacing any loaded model).
    Load {
        /// The GGUF (part 1 of a split model).
        path: PathBuf,
        /// Context length in tokens.
        ctx_tokens: u32,
        /// GPU layers and experts-in-RAM (ignored without a GPU back-end); with a GPU back-end
        /// and split limits, llama.cpp's dry runs check it first and move its layer count to the
        /// most that fit ([`crate::llama::split_search`]).
        placement: Placement,
        /// Cache types, flash attention, batch sizes, tensors kept in RAM, threads, mmap/mlock.
        settings: crate::estimate::launch_settings::LaunchSettings,
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
    /// Use a model served by an OpenAI-compatible server (replacing any loaded model): the
    /// server is asked for its models, and `model` must be one of them.
    Connect {
        /// The server and its key.
        server: RemoteServer,
        /// The model's id on the server.
        model: String,
        /// Set to abort the connection.
        cancel: Arc<AtomicBool>,
    },
    /// Free the model.
    Unload,
    /// End the worker.
    Shutdown,
}

/// What to generate from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prompt {
    /// Raw text, tokenized as is (special tokens parsed); BOS added when the model wants one.
    Text(String),
    /// A conversation, rendered with the GGUF's chat template (Jinja through minijinja, or one of
    /// llama.cpp's built-in formats when the template is just a name or absent), with the
    /// assistant's turn opened.
    Chat(Vec<TemplateMessage>),
    /// A conversation rendered with one of llama.cpp's built-in formats (`deepseek3`, `chatml`,
    /// …) instead of the GGUF's own template: the way on after that template failed.
    ChatBuiltIn {
        /// The conversation.
        messages: Vec<TemplateMessage>,
        /// llama.cpp's name for the format.
        format: String,
    },
}

/// An OpenAI-compatible server (vLLM, SGLang, llama-server, DeepSeek's API, a gateway).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct RemoteServer {
    /// The name the user gave it.
    pub name: String,
    /// Its base URL, ending in `/v1` (see [`crate::engine::remote::normalize_base_url`]).
    pub base_url: String,
    /// The API key sent as `Authorization: Bearer`; never written to conversations, logs or
    /// exports (`Debug` prints whether there is one, not the key).
    pub api_key: Option<String>,
    /// Seconds without a byte after which an answer counts as stalled; 0 for the default
    /// ([`crate::engine::remote::DEFAULT_STALL_SECS`]: a large model's prompt on a slow server
    /// can take minutes before its first token).
    pub stall_secs: u64,
}

impl std::fmt::Debug for RemoteServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteServer")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<hidden>"))
            .field("stall_secs", &self.stall_secs)
            .finish()
    }
}

/// Where the model in the slot runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// A GGUF loaded by llama.cpp in this process (part 1 of a split model).
    File(PathBuf),
    /// A model served by an OpenAI-compatible server.
    Server {
        /// The server's name.
        server: String,
        /// The server's base URL.
        base_url: String,
        /// The model's id on the server.
        model: String,
    },
}

impl ModelSource {
    /// The file, for a local model.
    pub fn file(&self) -> Option<&Path> {
        match self {
            Self::File(p) => Some(p),
            Self::Server { .. } => None,
        }
    }

    /// "model on server" or the file's path, for messages and the log.
    pub fn label(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Server { server, model, .. } => format!("{model} on {server}"),
        }
    }
}

/// Facts about a loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedModel {
    /// The file that was loaded, or the server and model.
    pub source: ModelSource,
    /// `general.architecture` (for a served model, what the server says it is, if anything).
    pub architecture: String,
    /// Parameters (0 when a server does not say).
    pub params: u64,
    /// Bytes of weights (0 when a server does not say).
    pub size_bytes: u64,
    /// Context length of the created context (0 when a server does not say).
    pub ctx_tokens: u32,
    /// The model's trained context length (0 when a server does not say).
    pub ctx_train_tokens: u32,
    /// The GGUF's chat template, if it has one.
    pub chat_template: Option<String>,
    /// Seconds the load (or the connection) took.
    pub load_secs: f64,
    /// How it was placed.
    pub offload: Offload,
    /// llama.cpp's check of the placement, when one ran.
    pub split_check: Option<SplitCheck>,
}

/// What the engine reports.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// llama.cpp's dry runs are checking the GPU split before the load.
    CheckingSplit,
    /// Load progress, 0 to 1.
    Progress(f32),
    /// The weights are read; a first run reads them into memory (llama.cpp's warm-up).
    WarmingUp,
    /// A model is ready.
    Loaded(LoadedModel),
    /// The model was freed.
    Unloaded,
    /// Text of generation `id`: whole UTF-8 characters only.
    Piece {
        /// Generation id.
        id: u64,
        /// Whole UTF-8 characters (a token split inside a character waits for the rest).
        text: String,
        /// Tokens generated so far in this generation.
        generated_tokens: u32,
        /// Tokens in the context after this piece (prompt included).
        ctx_used_tokens: u32,
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
