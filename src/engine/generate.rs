//! One generation: feed the prompt in batch-sized chunks, then sample token by token until the
//! model ends its turn, the caller stops it, the token budget runs out or the context is full.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use serde::{Deserialize, Serialize};

use super::errors::EngineError;
use super::utf8::Utf8Stream;

/// Prompt tokens decoded per batch (must not exceed the context's n_batch, or llama.cpp aborts).
pub const PROMPT_CHUNK_TOKENS: usize = 512;

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

/// Runs one generation; `emit` receives text pieces. Returns why it ended.
pub fn generate(
    model: &LlamaModel,
    ctx: &mut LlamaContext<'_>,
    prompt: &str,
    add_special: bool,
    sampling: SamplingParams,
    cancel: &AtomicBool,
    mut emit: impl FnMut(String),
) -> Result<(FinishReason, GenerationStats), EngineError> {
    let started = Instant::now();
    let vocab = model.vocab();
    let n_ctx = ctx.n_ctx();
    let tokens = vocab.tokenize(prompt.as_bytes(), add_special, true);
    let mut stats = GenerationStats {
        prompt_tokens: tokens.len() as u32,
        ctx_total_tokens: n_ctx,
        ..Default::default()
    };
    if tokens.is_empty() {
        return Err(EngineError::Decode("the prompt is empty".into()));
    }
    if tokens.len() as u32 >= n_ctx {
        return Err(EngineError::ContextFull {
            needed: tokens.len() as u32 + 1,
            total: n_ctx,
        });
    }
    ctx.clear_kv_cache();
    let mut batch = LlamaBatch::new(PROMPT_CHUNK_TOKENS, 1);
    let last = tokens.len() - 1;
    for (chunk_index, chunk) in tokens.chunks(PROMPT_CHUNK_TOKENS).enumerate() {
        if cancel.load(Ordering::Relaxed) {
            return Ok((FinishReason::Stopped, stats));
        }
        batch.clear();
        for (j, &t) in chunk.iter().enumerate() {
            let pos = chunk_index * PROMPT_CHUNK_TOKENS + j;
            batch
                .add(t, pos as i32, &[0], pos == last)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
        }
        ctx.decode(&mut batch)
            .map_err(|e| EngineError::Decode(e.to_string()))?;
    }
    let mut sampler = sampler_for(&sampling);
    let mut utf8 = Utf8Stream::default();
    let mut pos = tokens.len() as i32;
    let mut first_token_at: Option<Instant> = None;
    let reason = loop {
        if cancel.load(Ordering::Relaxed) {
            break FinishReason::Stopped;
        }
        if stats.generated_tokens >= sampling.max_tokens {
            break FinishReason::MaxTokens;
        }
        if pos as u32 >= n_ctx {
            break FinishReason::ContextFull;
        }
        let token = sampler.sample(ctx, batch.n_tokens() - 1);
        if first_token_at.is_none() {
            first_token_at = Some(Instant::now());
            stats.first_token_secs = started.elapsed().as_secs_f64();
        }
        if vocab.is_eog(token) {
            break FinishReason::EndOfTurn;
        }
        stats.generated_tokens += 1;
        let text = utf8.push(&vocab.token_to_piece(token, false, None));
        if !text.is_empty() {
            emit(text);
        }
        batch.clear();
        batch
            .add(token, pos, &[0], true)
            .map_err(|e| EngineError::Decode(e.to_string()))?;
        pos += 1;
        match ctx.decode(&mut batch) {
            Ok(()) => {}
            Err(llama_cpp_2::DecodeError::NoKvCacheSlot) => break FinishReason::ContextFull,
            Err(e) => return Err(EngineError::Decode(e.to_string())),
        }
    };
    let tail = utf8.finish();
    if !tail.is_empty() {
        emit(tail);
    }
    if let Some(first) = first_token_at {
        let secs = first.elapsed().as_secs_f64();
        if stats.generated_tokens > 1 && secs > 0.0 {
            stats.tokens_per_sec = f64::from(stats.generated_tokens - 1) / secs;
        }
    }
    stats.ctx_used_tokens = pos as u32;
    Ok((reason, stats))
}

fn sampler_for(s: &SamplingParams) -> LlamaSampler {
    if s.temperature <= 0.0 {
        return LlamaSampler::greedy();
    }
    LlamaSampler::chain_simple([
        LlamaSampler::top_p(s.top_p, 1),
        LlamaSampler::min_p(s.min_p, 1),
        LlamaSampler::temp(s.temperature),
        LlamaSampler::dist(s.seed),
    ])
}

/// A context length as llama.cpp takes it.
pub fn ctx_param(ctx_tokens: u32) -> Option<NonZeroU32> {
    NonZeroU32::new(ctx_tokens.max(64))
}
