//! seekdeck: see every DeepSeek model, whether it fits this PC, and chat with a local GGUF.
//!
//! Map of the crate (data flows top to bottom):
//! - [`catalog`]: the models, loaded from embedded and user RON files, validated;
//! - [`hardware`]: live RAM/GPU readings and simulated machines, one snapshot type;
//! - [`quant`] and [`tensors`]: llama.cpp's quantization types and each model's tensor list;
//! - [`fit`]: the pure memory estimate and verdict; [`weight_table`] caches weights per quantization;
//! - [`gguf_write`] and [`shape_gguf`]: GGUF files written by seekdeck (shape-only reference models);
//! - [`reference`]: llama.cpp's own dry run (`no_alloc`), the authority the estimator is checked against;
//! - [`accuracy`]: the estimator compared with the dry run, part by part;
//! - [`local`]: GGUF files on this PC (LM Studio, HF cache, Ollama, …), read from their headers;
//! - [`engine`]: the llama.cpp worker thread (load, generate, stop) behind request/event channels;
//! - [`chat`]: conversations (reasoning split, history, RON store, Markdown export);
//! - [`cli`]: the command line (`list`, `fit`, `hw`), same code as the window;
//! - [`app`] and [`ui`]: the egui window, which draws state and turns clicks into commands.
//!
//! Failures surface once, where the user sees them: catalog problems in the catalog panel, a missing
//! GPU driver as a badge in the hardware bar, bad command-line input as one line and exit code 2.

pub mod accuracy;
pub mod app;
pub mod catalog;
pub mod chat;
pub mod chat_template;
pub mod cli;
pub mod cli_chat;
pub mod cli_scan;
pub mod engine;
pub mod fit;
pub mod gguf_write;
pub mod hardware;
pub mod llama_backend;
pub mod local;
pub mod log_buffer;
pub mod offload_check;
pub mod paths;
pub mod quant;
pub mod reference;
pub mod reference_offload;
pub mod shape_gguf;
pub mod split_check;
pub mod tensors;
pub mod ui;
pub mod weight_table;
