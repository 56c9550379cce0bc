//! llama.cpp's compute buffer — the activations of one micro-batch, the largest memory part after
//! weights and cache — as its graph allocator sizes it, for the two settings that change it: the
//! micro-batch (`--ubatch-size`) and flash attention (`--flash-attn`). Fitted to llama.cpp's own
//! dry runs of every catalog model (`tests/shape_only.rs`, `tests/launch_settings.rs`,
//! docs/accuracy.md).

use crate::catalog::{Architecture, Attention};

/// llama.cpp rounds the context up to a multiple of this (`llama_context`, n_ctx padding).
pub(crate) const CTX_PAD_TOKENS: u64 = 256;
/// llama.cpp's default micro-batch (`n_ubatch`), which sizes the compute buffer.
pub(crate) const UBATCH_TOKENS: u64 = 512;

/// What sizes the compute buffer besides the model and the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComputeSettings {
    /// The micro-batch, llama.cpp's `n_ubatch` (default 512).
    pub ubatch: u32,
    /// Whether attention runs as one fused flash-attention op (llama.cpp's `auto` on every
    /// back-end seekdeck estimates for).
    pub flash_attn: bool,
}

impl Default for ComputeSettings {
    fn default() -> Self {
        Self {
            ubatch: UBATCH_TOKENS as u32,
            flash_attn: true,
        }
    }
}

/// The context as llama.cpp pads it.
pub(crate) fn padded_ctx(ctx_tokens: u32) -> u64 {
    u64::from(ctx_tokens).div_ceil(CTX_PAD_TOKENS) * CTX_PAD_TOKENS
}

/// llama.cpp's compute buffer for `ctx_tokens` at `s`, on one device holding the whole model.
///
/// With flash attention, a dense model's buffer is ggml-alloc's replay over its graph
/// ([`crate::estimate::dense_graph`]); an MLA model's is `u = min(n_ctx, n_ubatch)` tokens of f32
/// activations, `4·u·(widest per-token stage + 5·n_embd + 10)`, plus the f16 attention mask
/// `2·u·n_ctx`. The widest stage
/// is the logits (`n_vocab`) — or, for MLA models with many heads, the absorbed attention
/// (`n_head × (2·(kv_lora + rope) + nope + rope)`); sparse attention (V3.2) adds its indexer's
/// zero-filled top-k rows (one per block) and its own mask.
///
/// Without flash attention the scores of every head over the whole context are materialised in
/// f32, `4·u·n_ctx` per head, with the f32 mask beside them: `4·u·(n_head + 1)·n_ctx` more. What
/// else is alive at that moment differs by attention kind (read from the dry runs):
/// MHA/GQA the queries, keys and values of the micro-batch, `4·u·(6·n_embd + 2·n_kv_embd)`;
/// MLA with compressed queries the flash-attention activations without the f16 mask; MLA without
/// (V2-Lite) a second score-sized tensor, `4·u·(n_head + 2)·n_ctx + 4·u·7·n_embd`. The buffer is
/// the larger of that and the logits stage.
pub fn compute_bytes(arch: &Architecture, ctx_tokens: u32, s: ComputeSettings) -> u64 {
    let ctx = padded_ctx(ctx_tokens);
    let u = u64::from(s.ubatch.max(1)).min(ctx);
    let e = arch.hidden_size;
    let heads = u64::from(arch.heads);
    let activations = 4 * u * (arch.vocab_size.max(attention_stage(arch)) + 5 * e + 10);
    let sparse = sparse_attention_bytes(arch, ctx, u, s.flash_attn, (arch.layers, 1));
    // A dense model: ggml-alloc replayed over its graph, which keeps one more residual-sized
    // block in a band of contexts that no formula follows (`dense_graph`).
    let flash = crate::estimate::dense_graph::dense_compute(arch, ctx, u)
        .unwrap_or(activations + 2 * u * ctx + sparse);
    if s.flash_attn {
        return flash;
    }
    match arch.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => {
            let kv_embd = u64::from(arch.kv_heads()) * head_dim;
            flash.max(4 * u * (heads + 1) * ctx + 4 * u * (6 * e + 2 * kv_embd))
        }
        Attention::Mla {
            q_lora_rank: Some(_),
            ..
        } => 4 * u * (heads + 1) * ctx + activations + sparse,
        Attention::Mla {
            q_lora_rank: None, ..
        } => flash.max(4 * u * (heads + 2) * ctx + 4 * u * 7 * e),
    }
}

/// V3.2's sparse-attention stages on a device holding `blocks` of its blocks and `mask_copies`
/// copies of the graph's inputs (4 when llama.cpp pipelines the micro-batches over several
/// devices, else 1). Read from ggml-alloc's allocation log of llama.cpp's dry runs: each block
/// makes a zero-filled `[1, min(ctx, top_k), u]` f32 tensor (`build_attn` for DSA: the values
/// `set_rows` writes where the indexer's top-k unmask the attention mask); being graph leaves,
/// a device's are all allocated when its part of the graph starts and each is freed after its
/// block, `4·u·min(ctx, top_k)` per block. The indexer's own f16 mask over the whole context
/// comes with the inputs, `2·u·ctx` a copy; with flash attention past 24K tokens the allocator
/// keeps one more block, `max(8·u·min(ctx, 32768), 4·u·ctx)`. On one device (61 blocks, one
/// copy) this is exact to 0.1 MiB below 24K tokens at micro-batches of 128 to 2048 and within
/// 64 MiB or 3% up to 160K (`tests/launch_settings.rs`).
pub(crate) fn sparse_attention_bytes(
    arch: &Architecture,
    ctx: u64,
    u: u64,
    flash: bool,
    (blocks, mask_copies): (u32, u64),
) -> u64 {
    arch.indexer.map_or(0, |ix| {
        let zeros = 4 * u * ctx.min(u64::from(ix.top_k)) * u64::from(blocks);
        let long = if flash && ctx > 24_576 && blocks > 0 {
            (8 * u * ctx.min(32_768)).max(4 * u * ctx)
        } else {
            0
        };
        zeros + mask_copies * 2 * u * ctx + long
    })
}

/// The absorbed MLA attention's per-token stage in f32 values, `n_head × (2·(kv_lora + rope) +
/// nope + rope)` (0 for MHA/GQA, which flash attention keeps small).
pub(crate) fn attention_stage(arch: &Architecture) -> u64 {
    match arch.attention {
        Attention::Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            qk_nope_head_dim,
            ..
        } => {
            u64::from(arch.heads)
                * (2 * (kv_lora_rank + qk_rope_head_dim) + qk_nope_head_dim + qk_rope_head_dim)
        }
        Attention::Mha { .. } | Attention::Gqa { .. } => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;

    fn arch(id: &str) -> Architecture {
        builtin_model(id).unwrap().architecture
    }

    #[test]
    fn flash_attention_by_hand() {
        // DeepSeek-V2-Lite (MLA, 2048 wide, 16 heads × (2·(512 + 64) + 128 + 64) = 21504 under
        // its 102400 vocabulary) at 4096: 4·512·(102400 + 5·2048 + 10) + 2·512·4096.
        let a = arch("deepseek-v2-lite");
        assert_eq!(
            compute_bytes(&a, 4096, ComputeSettings::default()),
            4 * 512 * (102_400 + 5 * 2048 + 10) + 2 * 512 * 4096
        );
        // A dense model is the replay: DeepSeek 7B at 4096 is llama.cpp's 244.02 MiB (the
        // formula with a residual block always counted said 252).
        let dense = compute_bytes(&arch("deepseek-llm-7b"), 4096, ComputeSettings::default());
        assert_eq!(
            format!("{:.2}", dense as f64 / f64::from(1 << 20)),
            "244.02"
        );
        // A micro-batch of 128 scales every activation and the mask with it.
        let small = ComputeSettings {
            ubatch: 128,
            flash_attn: true,
        };
        assert!(compute_bytes(&arch("deepseek-llm-7b"), 4096, small) < dense / 3);
    }

    #[test]
    fn without_flash_attention_the_scores_of_every_head_are_kept() {
        // R1-Distill-Qwen-7B (28 heads, 4 KV heads × 128, n_embd 3584) at 32768 tokens:
        // 4·512·29·32768 + 4·512·(6·3584 + 2·512) = 1900 MiB, llama.cpp's dry run's figure.
        let a = arch("deepseek-r1-distill-qwen-7b");
        let off = ComputeSettings {
            ubatch: 512,
            flash_attn: false,
        };
        assert_eq!(
            compute_bytes(&a, 32768, off),
            4 * 512 * 29 * 32768 + 4 * 512 * (6 * 3584 + 2 * 512)
        );
        assert_eq!(compute_bytes(&a, 32768, off) >> 20, 1900);
        // R1 (128 heads) at 32768: 8662 MiB in llama.cpp's dry run.
        assert_eq!(compute_bytes(&arch("deepseek-r1"), 32768, off) >> 20, 8662);
    }
}
