//! seekdeck: see every DeepSeek model, whether it fits this PC, get the GGUF that fits, and chat
//! with it — or with a model on an OpenAI-compatible server.
//!
//! The folders are the layers, top to bottom; each depends only on the ones above it
//! (`tests/layers.rs` checks it, ARCHITECTURE.md draws it):
//! - [`format`], [`paths`], [`log_buffer`], [`net`]: small shared helpers;
//! - [`catalog`], [`hardware`]: the model entries; live readings and simulated machines;
//! - [`estimate`]: pure memory estimates (quantization rules, tensor plans, fit, placement);
//! - [`gguf`]: GGUF files read (never trusted) and written (test and shape-only files);
//! - [`local`]: GGUF files on this PC (LM Studio, HF cache, Ollama, …);
//! - [`hub`]: the Hugging Face Hub (listings, remote headers, verified downloads);
//! - [`llama`]: the only code outside the engine that calls llama.cpp: backend, dry runs, split search;
//! - [`engine`]: the chat engine thread and its plain-data protocol — llama.cpp, or a model on an
//!   OpenAI-compatible server ([`engine::remote`]);
//! - [`chat`], [`servers`]: conversations (reasoning split, history, RON store, Markdown export);
//!   the servers connected to and their keys;
//! - `verify` (feature `verify`): the estimate checked against llama.cpp, for `make accuracy` and tests;
//! - [`cli`]: the command line, same code as the window;
//! - [`app`]: window state and the commands that change it, no drawing;
//! - [`ui`]: the eframe window; panels draw views and return commands.

pub mod app;
pub mod catalog;
pub mod chat;
pub mod cli;
pub mod engine;
pub mod estimate;
pub mod format;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod gguf;
pub mod hardware;
pub mod hub;
pub mod llama;
pub mod local;
pub mod log_buffer;
pub mod net;
pub mod paths;
pub mod servers;
pub mod ui;
#[cfg(feature = "verify")]
pub mod verify;
