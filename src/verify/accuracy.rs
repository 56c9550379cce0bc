//! The estimator checked against llama.cpp's own dry run: for a (model, quantization, context),
//! write a shape-only GGUF, let llama.cpp size it, and compare part by part. Used by the test suite
//! (a subset) and by `make accuracy` (the whole grid, written to docs/accuracy.md).

use std::path::Path;

use crate::catalog::Model;
use crate::estimate::fit::{breakdown, MemoryBreakdown};
use crate::estimate::quant::Quant;
use crate::gguf::shape::with_shape_only;
use crate::llama::dry_run::{dry_run, ReferenceSizes};
use crate::llama::LlamaError;

/// The promise: each part within 3% or 64 MiB of llama.cpp's figure, whichever is larger.
pub(crate) fn within_tolerance(ours: u64, reference: u64) -> bool {
    ours.abs_diff(reference) <= (reference / 100 * 3).max(64 << 20)
}

/// Signed error of `ours` relative to `reference`, in percent.
pub fn error_pct(ours: u64, reference: u64) -> f64 {
    if reference == 0 {
        return if ours == 0 { 0.0 } else { 100.0 };
    }
    (ours as f64 - reference as f64) / reference as f64 * 100.0
}

/// One comparison.
#[derive(Debug, Clone)]
pub struct AccuracyRow {
    /// Model name.
    pub model: String,
    /// Quantization.
    pub quant: Quant,
    /// Context length.
    pub ctx_tokens: u32,
    /// seekdeck's estimate.
    pub ours: MemoryBreakdown,
    /// llama.cpp's figures.
    pub reference: ReferenceSizes,
}

impl AccuracyRow {
    /// Whether weights, KV cache and compute buffer are all within tolerance.
    pub fn passes(&self) -> bool {
        within_tolerance(self.ours.weights_bytes, self.reference.model_bytes)
            && within_tolerance(self.ours.kv_cache_bytes, self.reference.kv_bytes)
            && within_tolerance(self.ours.compute_bytes, self.reference.compute_bytes)
    }

    /// The largest absolute error of the three parts, in percent.
    pub fn worst_error_pct(&self) -> f64 {
        [
            error_pct(self.ours.weights_bytes, self.reference.model_bytes),
            error_pct(self.ours.kv_cache_bytes, self.reference.kv_bytes),
            error_pct(self.ours.compute_bytes, self.reference.compute_bytes),
        ]
        .into_iter()
        .map(f64::abs)
        .fold(0.0, f64::max)
    }
}

/// Checks one (model, quantization, context) in `scratch_dir` (the shape-only file is removed after).
pub fn check(
    model: &Model,
    quant: Quant,
    ctx_tokens: u32,
    scratch_dir: &Path,
) -> Result<AccuracyRow, LlamaError> {
    let reference = with_shape_only(model, quant, scratch_dir, |path| dry_run(path, ctx_tokens))?;
    let (ours, _) = breakdown(model, quant, ctx_tokens);
    Ok(AccuracyRow {
        model: model.name.clone(),
        quant,
        ctx_tokens,
        ours,
        reference,
    })
}

/// The quantizations of the grid: Q8_0, Q4_K_M, and Q2_K (IQ1_S for the 671B models, whose
/// published very-low-bit builds are IQ1_S).
pub fn grid_quants(model: &Model) -> [Quant; 3] {
    let low = if model.params_total > 500_000_000_000 {
        Quant::IQ1_S
    } else {
        Quant::Q2_K
    };
    [Quant::Q8_0, Quant::Q4_K_M, low]
}

/// The contexts of the grid: 4096, 32768 (when the model has it) and the native maximum.
pub fn grid_contexts(model: &Model) -> Vec<u32> {
    let max = model.architecture.context_tokens;
    let mut out: Vec<u32> = [4096, 32768].into_iter().filter(|&c| c < max).collect();
    out.push(max);
    out
}

/// `bytes` in MiB with `decimals` decimals, for the accuracy tables.
pub(crate) fn mib(bytes: u64, decimals: usize) -> String {
    format!("{:.*}", decimals, bytes as f64 / (1u64 << 20) as f64)
}

/// The markdown table of `rows`.
pub fn markdown_table(rows: &[AccuracyRow]) -> String {
    let mut out = String::from(
        "| model | quant | ctx | weights MiB (seekdeck / llama.cpp) | KV cache MiB | compute MiB | worst error | within 3% / 64 MiB |\n|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let part = |ours: u64, theirs: u64| {
            format!(
                "{} / {} ({:+.2}%)",
                mib(ours, 1),
                mib(theirs, 1),
                error_pct(ours, theirs)
            )
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.2}% | {} |\n",
            r.model,
            r.quant,
            r.ctx_tokens,
            part(r.ours.weights_bytes, r.reference.model_bytes),
            part(r.ours.kv_cache_bytes, r.reference.kv_bytes),
            part(r.ours.compute_bytes, r.reference.compute_bytes),
            r.worst_error_pct(),
            if r.passes() { "yes" } else { "**no**" }
        ));
    }
    out
}
