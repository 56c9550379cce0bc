//! The estimator checked against llama.cpp's own dry run: for a (model, quantization, context),
//! write a shape-only GGUF, let llama.cpp size it, and compare part by part. Used by the test suite
//! (a subset) and by `make accuracy` (the whole grid, written to docs/accuracy.md).

use std::path::Path;

use crate::catalog::Model;
use crate::estimate::compute_buffer::compute_bytes;
use crate::estimate::fit::{breakdown, MemoryBreakdown};
use crate::estimate::kv_cache::{cache_bytes, CacheType, FlashAttn};
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::quant::Quant;
use crate::estimate::tensors::MlaLayout;
use crate::gguf::shape::with_shape_only;
use crate::llama::dry_run::{dry_run, dry_run_with, ReferenceSizes};
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

/// The launch settings checked for every catalog model: the cache at f16, q8_0 and q4_0 (K and V
/// alike) with flash attention auto and off, and the micro-batch at 128 (batch 512) and 2048
/// (batch 2048) — 8 settings, some of which llama.cpp refuses (a quantized V without flash
/// attention).
pub fn settings_grid() -> Vec<LaunchSettings> {
    let mut out = Vec::new();
    for t in [CacheType::F16, CacheType::Q8_0, CacheType::Q4_0] {
        for fa in [FlashAttn::Auto, FlashAttn::Off] {
            out.push(LaunchSettings {
                cache_type_k: t,
                cache_type_v: t,
                flash_attn: fa,
                ..LaunchSettings::default()
            });
        }
    }
    out.push(LaunchSettings {
        flash_attn: FlashAttn::Off,
        batch: 512,
        ubatch: 128,
        ..LaunchSettings::default()
    });
    out.push(LaunchSettings {
        cache_type_k: CacheType::Q8_0,
        cache_type_v: CacheType::Q8_0,
        batch: 2048,
        ubatch: 2048,
        ..LaunchSettings::default()
    });
    out
}

/// One model at one context and launch settings: seekdeck's cache and compute buffer against
/// llama.cpp's, or both refusals.
#[derive(Debug, Clone)]
pub struct SettingsRow {
    /// Model name.
    pub model: String,
    /// Context length.
    pub ctx_tokens: u32,
    /// The settings.
    pub settings: LaunchSettings,
    /// seekdeck's (KV cache, compute buffer), or its reason for refusing.
    pub ours: Result<(u64, u64), String>,
    /// llama.cpp's (KV cache, compute buffer), or its error.
    pub reference: Result<(u64, u64), String>,
}

impl SettingsRow {
    /// Both figures within tolerance, or both refuse for the same reason (seekdeck's words
    /// include llama.cpp's).
    pub fn passes(&self) -> bool {
        match (&self.ours, &self.reference) {
            (Ok((kv, compute)), Ok((rkv, rcompute))) => {
                within_tolerance(*kv, *rkv) && within_tolerance(*compute, *rcompute)
            }
            (Err(ours), Err(theirs)) => ours.contains(theirs.trim()),
            _ => false,
        }
    }
}

/// Every setting of [`settings_grid`] at `contexts` for `model`: one shape-only file (Q4_K_M; the
/// cache and compute buffer do not depend on the weights' type), a dry run per setting and context.
pub fn check_settings(
    model: &Model,
    contexts: &[u32],
    scratch_dir: &Path,
) -> Result<Vec<SettingsRow>, LlamaError> {
    with_shape_only(model, Quant::Q4_K_M, scratch_dir, |path| {
        let arch = &model.architecture;
        let mut rows = Vec::new();
        for settings in settings_grid() {
            for &ctx in contexts {
                let ours = settings.check(arch).map(|()| {
                    (
                        cache_bytes(arch, ctx, MlaLayout::Split, &settings.kv()),
                        compute_bytes(arch, ctx, settings.compute()),
                    )
                });
                // A refused context keeps llama.cpp's own words, to compare with seekdeck's.
                let reference = dry_run_with(path, ctx, &settings)
                    .map(|r| (r.kv_bytes, r.compute_bytes))
                    .map_err(|e| match e {
                        LlamaError::Context(reason) => reason,
                        e => e.to_string(),
                    });
                rows.push(SettingsRow {
                    model: model.name.clone(),
                    ctx_tokens: ctx,
                    settings: settings.clone(),
                    ours,
                    reference,
                });
            }
        }
        Ok(rows)
    })
}

/// The markdown table of settings rows.
pub fn settings_table(rows: &[SettingsRow]) -> String {
    let mut out = String::from(
        "| model | ctx | settings | KV cache MiB (seekdeck / llama.cpp) | compute MiB (seekdeck / llama.cpp) | within 3% / 64 MiB |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let (kv, compute) = match (&r.ours, &r.reference) {
            (Ok((kv, c)), Ok((rkv, rc))) => (
                format!("{} / {}", mib(*kv, 1), mib(*rkv, 1)),
                format!(
                    "{} / {} ({:+.2}%)",
                    mib(*c, 1),
                    mib(*rc, 1),
                    error_pct(*c, *rc)
                ),
            ),
            (Err(_), Err(e)) => (
                "both refuse".to_owned(),
                format!("llama.cpp: {}", e.trim()).replace('|', "/"),
            ),
            (ours, theirs) => (
                format!("seekdeck {ours:?}"),
                format!("llama.cpp {theirs:?}"),
            ),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.model,
            r.ctx_tokens,
            r.settings.summary(),
            kv,
            compute,
            if r.passes() { "yes" } else { "**no**" }
        ));
    }
    out
}
