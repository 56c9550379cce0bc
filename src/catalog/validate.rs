//! Checks that a parsed catalog entry describes a possible model, so that the estimator never divides
//! by zero or reasons about nonsense. Each rule returns a sentence that names the offending field.

use super::{Architecture, Attention, Model};

/// Returns `Err(reason)` for an impossible entry.
pub(crate) fn validate_model(m: &Model) -> Result<(), String> {
    let a = &m.architecture;
    let fail = |msg: String| Err(msg);
    if m.id.trim().is_empty() {
        return fail("`id` is empty".into());
    }
    if m.name.trim().is_empty() {
        return fail("`name` is empty".into());
    }
    if m.seed.is_none() && m.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return fail(
            "a model without `seed` (not in the DeepSeek model overview) needs a `summary`".into(),
        );
    }
    if let Some(p) = m.scores.iter().find_map(super::scores::problem) {
        return fail(p);
    }
    if a.layers == 0 {
        return fail("`layers` is zero".into());
    }
    if a.hidden_size == 0 || a.vocab_size == 0 || a.ffn_size == 0 {
        return fail("`hidden_size`, `ffn_size` and `vocab_size` must be positive".into());
    }
    if a.heads == 0 {
        return fail("`heads` is zero".into());
    }
    if a.context_tokens == 0 {
        return fail("`context_tokens` is zero".into());
    }
    if m.params_total == 0 {
        return fail("`params_total` is zero".into());
    }
    if m.params_active > m.params_total {
        return fail(format!(
            "`params_active` ({}) exceeds `params_total` ({})",
            m.params_active, m.params_total
        ));
    }
    match a.attention {
        Attention::Mha { head_dim: 0 } => return fail("`head_dim` is zero".into()),
        Attention::Gqa { kv_heads, head_dim } => {
            if head_dim == 0 {
                return fail("`head_dim` is zero".into());
            }
            if kv_heads == 0 || a.heads % kv_heads != 0 {
                return fail(format!(
                    "`kv_heads` ({kv_heads}) does not divide `heads` ({})",
                    a.heads
                ));
            }
        }
        Attention::Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            qk_nope_head_dim,
            v_head_dim,
            q_lora_rank,
        } => {
            if kv_lora_rank == 0
                || qk_rope_head_dim == 0
                || qk_nope_head_dim == 0
                || v_head_dim == 0
            {
                return fail("MLA ranks and head dims must be positive".into());
            }
            if q_lora_rank == Some(0) {
                return fail("`q_lora_rank` is zero (use None for no query compression)".into());
            }
        }
        Attention::Mha { .. } => {}
    }
    if let Some(moe) = a.moe {
        if moe.routed_experts == 0 || moe.expert_ffn_size == 0 {
            return fail("MoE `routed_experts` and `expert_ffn_size` must be positive".into());
        }
        if moe.experts_per_token == 0 || moe.experts_per_token > moe.routed_experts {
            return fail(format!(
                "`experts_per_token` ({}) must be between 1 and `routed_experts` ({})",
                moe.experts_per_token, moe.routed_experts
            ));
        }
        if moe.leading_dense_layers >= a.layers {
            return fail("`leading_dense_layers` leaves no MoE layer".into());
        }
    }
    validate_sampling(&m.sampling)?;
    validate_kind(a)
}

/// Temperature and top-p in range; an answer length with its source.
fn validate_sampling(s: &crate::catalog::Sampling) -> Result<(), String> {
    if !(0.0..=2.0).contains(&s.temperature) || !(0.0..=1.0).contains(&s.top_p) {
        return Err("`sampling` must have temperature in 0..=2 and top_p in 0..=1".into());
    }
    if let Some(n) = s.max_tokens {
        if n == 0 || n > 1 << 20 {
            return Err(format!(
                "`sampling.max_tokens` {n}: give 1 to 1,048,576 tokens"
            ));
        }
        if s.max_tokens_source
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err("`sampling.max_tokens` needs its `max_tokens_source`".into());
        }
    }
    Ok(())
}

/// The architecture is one seekdeck estimates, and the sparse-attention indexer goes with
/// `deepseek32` (and MLA with compressed queries) and nowhere else.
fn validate_kind(a: &Architecture) -> Result<(), String> {
    let fail = |msg: String| Err(msg);
    if !matches!(
        a.gguf_architecture.as_str(),
        "llama" | "qwen2" | "qwen3" | "deepseek2" | "deepseek32"
    ) {
        return fail(format!(
            "`gguf_architecture` \"{}\" is not one seekdeck can estimate (llama, qwen2, qwen3, deepseek2, deepseek32)",
            a.gguf_architecture
        ));
    }
    let sparse = a.gguf_architecture == "deepseek32";
    let compressed_queries = matches!(
        a.attention,
        Attention::Mla {
            q_lora_rank: Some(_),
            ..
        }
    );
    match a.indexer {
        Some(_) if !sparse || !compressed_queries => {
            return fail(
                "an `indexer` needs `gguf_architecture: \"deepseek32\"` and MLA with a `q_lora_rank`"
                    .into(),
            );
        }
        Some(ix) if ix.heads == 0 || ix.head_dim == 0 || ix.top_k == 0 => {
            return fail("`indexer` heads, head_dim and top_k must be positive".into());
        }
        None if sparse => return fail("`deepseek32` needs an `indexer`".into()),
        _ => {}
    }
    Ok(())
}
