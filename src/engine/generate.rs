//! One generation: feed the prompt in batch-sized chunks, then sample token by token until the
//! model ends its turn, the caller stops it, the token budget runs out or the context is full.
//! The KV cache is kept between generations: a prompt that starts like the previous conversation
//! (the next turn of a chat) decodes only what is new, as llama.cpp's server does.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;

use super::errors::EngineError;
use super::protocol::{FinishReason, GenerationStats, SamplingParams};
use super::utf8::Utf8Stream;

/// Runs one generation; `emit` receives text pieces with the tokens generated so far and the
/// context in use after them. Returns why it ended. `cache` holds the
/// tokens whose keys and values are in `ctx`'s cache (sequence 0), and is kept up to date.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    model: &LlamaModel,
    ctx: &mut LlamaContext<'_>,
    cache: &mut Vec<LlamaToken>,
    prompt: &str,
    add_special: bool,
    sampling: SamplingParams,
    cancel: &AtomicBool,
    mut emit: impl FnMut(String, u32, u32),
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
    let reuse = reuse_prefix(ctx, cache, &tokens);
    stats.reused_prompt_tokens = reuse as u32;
    let result = decode_prompt(ctx, cache, &tokens, reuse, cancel);
    if let Err(e) = result {
        forget(ctx, cache);
        return Err(e);
    }
    if cancel.load(Ordering::Relaxed) {
        stats.ctx_used_tokens = cache.len() as u32;
        return Ok((FinishReason::Stopped, stats));
    }
    // One token per decode from here; sampling reads the logits of the last one decoded.
    let mut batch = LlamaBatch::new(1, 1);
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
        let token = sampler.sample(ctx, -1);
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
            emit(text, stats.generated_tokens, pos as u32 + 1);
        }
        batch.clear();
        batch
            .add(token, pos, &[0], true)
            .map_err(|e| EngineError::Decode(e.to_string()))?;
        pos += 1;
        match ctx.decode(&mut batch) {
            Ok(()) => cache.push(token),
            Err(llama_cpp_2::DecodeError::NoKvCacheSlot) => break FinishReason::ContextFull,
            Err(e) => {
                forget(ctx, cache);
                return Err(EngineError::Decode(e.to_string()));
            }
        }
    };
    let tail = utf8.finish();
    if !tail.is_empty() {
        emit(tail, stats.generated_tokens, pos as u32);
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

/// How many leading prompt tokens are already in the cache; drops the rest of the cache. At least
/// the prompt's last token is always decoded again, for its logits.
fn reuse_prefix(
    ctx: &mut LlamaContext<'_>,
    cache: &mut Vec<LlamaToken>,
    tokens: &[LlamaToken],
) -> usize {
    let common = cache
        .iter()
        .zip(tokens)
        .take_while(|(a, b)| a == b)
        .count()
        .min(tokens.len() - 1);
    let kept = common > 0
        && matches!(
            ctx.clear_kv_cache_seq(Some(0), Some(common as u32), None),
            Ok(true)
        );
    if kept {
        cache.truncate(common);
        common
    } else {
        forget(ctx, cache);
        0
    }
}

/// Decodes `tokens[from..]` in chunks, recording each decoded chunk in `cache`.
fn decode_prompt(
    ctx: &mut LlamaContext<'_>,
    cache: &mut Vec<LlamaToken>,
    tokens: &[LlamaToken],
    from: usize,
    cancel: &AtomicBool,
) -> Result<(), EngineError> {
    // The context's logical batch (`--batch-size`) at once: a larger one aborts llama.cpp.
    let chunk = (ctx.n_batch() as usize).max(1);
    let mut batch = LlamaBatch::new(chunk, 1);
    let last = tokens.len() - 1;
    for chunk_start in (from..tokens.len()).step_by(chunk) {
        if cancel.load(Ordering::Relaxed) {
            return Ok(());
        }
        let chunk_end = (chunk_start + chunk).min(tokens.len());
        batch.clear();
        for (pos, &t) in tokens.iter().enumerate().take(chunk_end).skip(chunk_start) {
            batch
                .add(t, pos as i32, &[0], pos == last)
                .map_err(|e| EngineError::Decode(e.to_string()))?;
        }
        ctx.decode(&mut batch)
            .map_err(|e| EngineError::Decode(e.to_string()))?;
        cache.extend_from_slice(&tokens[chunk_start..chunk_end]);
    }
    Ok(())
}

/// llama.cpp's warm-up (`common_init_from_params`, which llama-server and llama-cli run at start):
/// one decode of BOS and EOS, then an empty cache. It reads the weights a first prompt would
/// touch into memory (an mmap'd file is otherwise paged in by the first question) and sets up the
/// CPU back-end's buffers, so the first answer starts as fast as the next ones. A failure only
/// means the first prompt pays that cost: it is logged, not reported.
pub(crate) fn warm_up(model: &LlamaModel, ctx: &mut LlamaContext<'_>) {
    let vocab = model.vocab();
    let mut tokens: Vec<LlamaToken> = [vocab.bos(), vocab.eos()]
        .into_iter()
        .filter(|t| t.0 >= 0)
        .collect();
    if tokens.is_empty() {
        tokens.push(LlamaToken(0));
    }
    // `llama_batch_get_one`, as llama.cpp's own warm-up builds its batch.
    let run = LlamaBatch::get_one(&tokens)
        .map_err(|e| e.to_string())
        .and_then(|mut batch| ctx.decode(&mut batch).map_err(|e| e.to_string()));
    if let Err(e) = run {
        tracing::warn!("warm-up run failed (the first prompt reads the weights instead): {e}");
    }
    ctx.clear_kv_cache();
}

/// Empties the cache (after an error its contents are unknown).
fn forget(ctx: &mut LlamaContext<'_>, cache: &mut Vec<LlamaToken>) {
    ctx.clear_kv_cache();
    cache.clear();
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

/// A context length as llama.cpp takes it, never below the one floor
/// ([`crate::estimate::placement::MIN_CTX_TOKENS`]).
pub(crate) fn ctx_param(ctx_tokens: u32) -> Option<NonZeroU32> {
    NonZeroU32::new(ctx_tokens.max(crate::estimate::placement::MIN_CTX_TOKENS))
}
