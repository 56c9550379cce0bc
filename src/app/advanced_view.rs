//! The card's "Advanced" part, computed when its inputs change: the model's remembered launch
//! settings, llama.cpp's refusal of them if any, and what each one changes — the cache and compute
//! buffer against llama.cpp's defaults, the placement the settings ask for, and for an MoE model
//! `--n-cpu-moe` around the N that fits best.

use crate::catalog::{Architecture, Attention};
use crate::estimate::compute_buffer::{compute_bytes, ComputeSettings};
use crate::estimate::fit::{FitReport, WeightSplit};
use crate::estimate::gpus::moe_rows;
use crate::estimate::kv_cache::cache_bytes;
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::moe_layers::{best_n, rows_around, MoeRow};
use crate::estimate::tensors::MlaLayout;
use crate::hardware::HardwareSnapshot;

/// The "Advanced" part's computed figures.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvancedView {
    /// The key the settings are remembered by (the catalog id).
    pub key: String,
    /// The settings.
    pub settings: LaunchSettings,
    /// llama.cpp's reason for refusing them, if it would.
    pub problem: Option<String>,
    /// The settings llama.cpp takes that change nothing here, each in a sentence.
    pub no_effect: Vec<String>,
    /// The model's cache is DeepSeek's MLA latent (K only, one type for K and V).
    pub mla: bool,
    /// Blocks (the most `--n-cpu-moe` can name).
    pub blocks: u32,
    /// The model has routed experts.
    pub moe: bool,
    /// KV cache at the settings' types, and at llama.cpp's default f16.
    pub kv_bytes: (u64, u64),
    /// Compute buffer at the settings, and at llama.cpp's defaults.
    pub compute_bytes: (u64, u64),
    /// Compute buffer with flash attention the other way (off when on, on when off).
    pub compute_other_flash_bytes: u64,
    /// `--n-cpu-moe` rows around the best N (MoE models on a GPU machine).
    pub moe_rows: Vec<MoeRow>,
    /// The N that fits best.
    pub best_n: Option<u32>,
    /// The machine's GPUs (names), when it has several: the split settings apply.
    pub gpus: Vec<String>,
}

impl AdvancedView {
    /// Whether the model has routed experts to keep in RAM.
    pub fn is_moe(&self) -> bool {
        self.moe
    }
}

/// The figures for a model of `arch` whose settings are remembered by `key`, from its report
/// (computed with `settings`) and its weights.
pub(crate) fn advanced_view(
    key: &str,
    arch: &Architecture,
    split: Option<&WeightSplit>,
    fit: &FitReport,
    settings: &LaunchSettings,
    hw: &HardwareSnapshot,
) -> AdvancedView {
    let ctx = fit.ctx_tokens;
    let compute = settings.compute();
    let other = ComputeSettings {
        flash_attn: !compute.flash_attn,
        ..compute
    };
    let (moe_rows, best) = match split {
        Some(split) if split.total_expert_bytes() > 0 && !hw.gpus.is_empty() => {
            let rows = moe_rows(arch, split, &fit.breakdown, ctx, settings, hw);
            let best = best_n(&rows);
            let around = rows_around(&rows, best.unwrap_or(arch.layers), 2).to_vec();
            (around, best)
        }
        _ => (Vec::new(), None),
    };
    AdvancedView {
        key: key.to_owned(),
        settings: settings.clone(),
        problem: settings
            .check(arch)
            .and_then(|()| settings.check_devices(hw.gpus.len()))
            .err(),
        no_effect: settings.no_effect(arch, hw.gpus.len()),
        mla: matches!(arch.attention, Attention::Mla { .. }),
        blocks: arch.layers,
        moe: arch.moe.is_some(),
        kv_bytes: (
            cache_bytes(arch, ctx, MlaLayout::Split, &settings.kv()),
            cache_bytes(arch, ctx, MlaLayout::Split, &Default::default()),
        ),
        compute_bytes: (
            compute_bytes(arch, ctx, compute),
            compute_bytes(arch, ctx, ComputeSettings::default()),
        ),
        compute_other_flash_bytes: compute_bytes(arch, ctx, other),
        moe_rows,
        best_n: best,
        gpus: if hw.gpus.len() > 1 && !hw.is_unified() {
            hw.gpus.iter().map(|g| g.name.clone()).collect()
        } else {
            Vec::new()
        },
    }
}
