//! Memory against context length for one model and quantization: the same breakdown the card and
//! `fit` give ([`super::fit::breakdown`]), at every context from 1K tokens up to the model's
//! trained length, for the card's plot and `seekdeck fit --curve`.

use serde::Serialize;

use super::fit::{breakdown_with_split, weight_split, WeightSplit, CTX_PAD_TOKENS};
use super::quant::Quant;
use super::tensors::MlaLayout;
use crate::catalog::Model;

/// The memory a model takes at one context length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CurvePoint {
    /// Context length in tokens.
    pub ctx_tokens: u32,
    /// Weights.
    pub weights_bytes: u64,
    /// KV cache.
    pub kv_cache_bytes: u64,
    /// Compute buffer and the fixed overhead together (what is neither weights nor cache).
    pub compute_bytes: u64,
}

impl CurvePoint {
    /// Everything.
    pub fn total_bytes(&self) -> u64 {
        self.weights_bytes + self.kv_cache_bytes + self.compute_bytes
    }
}

/// The context lengths the curve is drawn at: 1K, 2K, 4K, … doubling, with halfway steps, up to
/// and including the model's trained context.
pub fn contexts(max_ctx: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut c: u32 = 1024;
    while c < max_ctx {
        out.push(c);
        let half = c + c / 2;
        if half < max_ctx {
            out.push(half);
        }
        c = c.saturating_mul(2);
    }
    out.push(max_ctx.max(1));
    out
}

/// The model's memory at each of [`contexts`] of its trained length, and the longest context
/// `vram_bytes` and `vram_bytes + ram_bytes` hold.
pub fn memory_curve(
    model: &Model,
    quant: Quant,
    vram_bytes: u64,
    ram_bytes: u64,
) -> (Vec<CurvePoint>, CurveLimits) {
    let split = weight_split(&model.architecture, quant, MlaLayout::Split);
    (
        curve_with_split(model, &split),
        CurveLimits::new(model, &split, vram_bytes, ram_bytes),
    )
}

/// [`memory_curve`] with the weights already split for the quantization.
pub fn curve_with_split(model: &Model, split: &WeightSplit) -> Vec<CurvePoint> {
    contexts(model.architecture.context_tokens)
        .into_iter()
        .map(|ctx| {
            let b = breakdown_with_split(model, split, ctx);
            CurvePoint {
                ctx_tokens: ctx,
                weights_bytes: b.weights_bytes,
                kv_cache_bytes: b.kv_cache_bytes,
                compute_bytes: b.compute_bytes + b.overhead_bytes,
            }
        })
        .collect()
}

/// The longest context (a multiple of llama.cpp's 256-token padding, or the trained length) whose
/// memory stays within `budget_bytes`, if any does: memory grows with the context, so a binary
/// search over the same breakdown the curve draws.
pub fn longest_context(model: &Model, split: &WeightSplit, budget_bytes: u64) -> Option<u32> {
    let total = |ctx: u32| breakdown_with_split(model, split, ctx).total_bytes();
    let max = model.architecture.context_tokens;
    if total(max) <= budget_bytes {
        return Some(max);
    }
    let step = CTX_PAD_TOKENS as u32;
    let fits = |steps: u32| total((steps * step).min(max)) <= budget_bytes;
    // In steps of 256 tokens: `lo` fits, `hi` (the trained length) does not.
    let (mut lo, mut hi) = (1u32, max.div_ceil(step));
    if !fits(lo) {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo * step)
}

/// The longest context within this machine's usable VRAM, and within VRAM and RAM together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct CurveLimits {
    /// In VRAM alone (`None`: not even the shortest context, or no usable VRAM).
    pub in_vram: Option<u32>,
    /// In VRAM and RAM together.
    pub in_vram_and_ram: Option<u32>,
}

impl CurveLimits {
    /// The limits of `model` at the weights `split` against the two budgets.
    pub fn new(model: &Model, split: &WeightSplit, vram_bytes: u64, ram_bytes: u64) -> Self {
        Self {
            in_vram: (vram_bytes > 0)
                .then(|| longest_context(model, split, vram_bytes))
                .flatten(),
            in_vram_and_ram: longest_context(model, split, vram_bytes + ram_bytes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::fit::breakdown;

    #[test]
    fn contexts_double_with_halfway_steps_up_to_the_trained_length() {
        assert_eq!(
            contexts(8192),
            vec![1024, 1536, 2048, 3072, 4096, 6144, 8192]
        );
        assert_eq!(contexts(5000), vec![1024, 1536, 2048, 3072, 4096, 5000]);
        assert_eq!(contexts(512), vec![512]);
    }

    #[test]
    fn every_point_is_the_cards_own_breakdown() {
        let model = crate::catalog::builtin_model("deepseek-r1-distill-qwen-7b").unwrap();
        let (curve, _) = memory_curve(&model, Quant::Q4_K_M, 0, 0);
        assert_eq!(
            curve.last().unwrap().ctx_tokens,
            model.architecture.context_tokens
        );
        for p in &curve {
            let (b, _) = breakdown(&model, Quant::Q4_K_M, p.ctx_tokens);
            assert_eq!(p.total_bytes(), b.total_bytes());
            assert_eq!(p.kv_cache_bytes, b.kv_cache_bytes);
        }
        assert!(curve
            .windows(2)
            .all(|w| w[0].total_bytes() <= w[1].total_bytes()));
    }

    #[test]
    fn the_longest_context_is_the_last_one_within_the_budget() {
        let model = crate::catalog::builtin_model("deepseek-r1-distill-qwen-32b").unwrap();
        let split = weight_split(&model.architecture, Quant::Q4_K_M, MlaLayout::Split);
        let total = |ctx| breakdown(&model, Quant::Q4_K_M, ctx).0.total_bytes();
        let budget = total(12_288) + (100 << 20);
        let c = longest_context(&model, &split, budget).unwrap();
        assert!(total(c) <= budget && total(c + 256) > budget, "{c}");
        assert_eq!(c % 256, 0);
        assert_eq!(longest_context(&model, &split, u64::MAX), Some(131_072));
        assert_eq!(longest_context(&model, &split, 1 << 30), None);
        let limits = CurveLimits::new(&model, &split, 0, budget);
        assert_eq!((limits.in_vram, limits.in_vram_and_ram), (None, Some(c)));
    }
}
