//! Memory against context length for one model and quantization: the same breakdown the card and
//! `fit` give ([`super::fit::breakdown`]), at every context from 1K tokens up to the model's
//! trained length, for the card's plot and `seekdeck fit --curve`.

use serde::Serialize;

use super::fit::{breakdown_with_split, weight_split, WeightSplit};
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

/// The model's memory at each of [`contexts`] of its trained length.
pub fn memory_curve(model: &Model, quant: Quant) -> Vec<CurvePoint> {
    let split = weight_split(&model.architecture, quant, MlaLayout::Split);
    curve_with_split(model, &split)
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

/// The longest context of the curve whose total stays within `budget_bytes`, if any does.
pub fn longest_within(curve: &[CurvePoint], budget_bytes: u64) -> Option<u32> {
    curve
        .iter()
        .filter(|p| p.total_bytes() <= budget_bytes)
        .map(|p| p.ctx_tokens)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::fit::breakdown;

    #[test]
    fn contexts_double_with_halfway_steps_up_to_the_trained_length() {
        assert_eq!(contexts(8192), vec![1024, 1536, 2048, 3072, 4096, 6144, 8192]);
        assert_eq!(contexts(5000), vec![1024, 1536, 2048, 3072, 4096, 5000]);
        assert_eq!(contexts(512), vec![512]);
    }

    #[test]
    fn every_point_is_the_cards_own_breakdown() {
        let model = crate::catalog::builtin_model("deepseek-r1-distill-qwen-7b").unwrap();
        let curve = memory_curve(&model, Quant::Q4_K_M);
        assert_eq!(curve.last().unwrap().ctx_tokens, model.architecture.context_tokens);
        for p in &curve {
            let (b, _) = breakdown(&model, Quant::Q4_K_M, p.ctx_tokens);
            assert_eq!(p.total_bytes(), b.total_bytes());
            assert_eq!(p.kv_cache_bytes, b.kv_cache_bytes);
        }
        assert!(curve.windows(2).all(|w| w[0].total_bytes() <= w[1].total_bytes()));
        let at_8k = curve.iter().find(|p| p.ctx_tokens == 8192).unwrap();
        assert_eq!(longest_within(&curve, at_8k.total_bytes()), Some(8192));
        assert_eq!(longest_within(&curve, 1), None);
    }
}
