//! The GPU split checked against llama.cpp: for a simulated GPU, the suggested `-ngl n`, placed by
//! llama.cpp itself in a `no_alloc` dry run, must fit the app's VRAM budget together with the
//! runtime overhead the app reserves, and `-ngl n+1` must not; for MoE models the experts-in-RAM
//! option's VRAM figure must match llama.cpp's with `--cpu-moe` within 3% / 64 MiB. Needs a build
//! with a GPU back-end (`--features vulkan` or `cuda`); used by `make accuracy-gpu`.

use crate::estimate::launch_settings::LaunchSettings;
use std::path::Path;

use crate::catalog::Model;
use crate::estimate::fit::{estimate, estimate_with_settings, weight_split, Verdict};
use crate::estimate::launch_settings::MoeOffload;
use crate::estimate::placement::{Offload, OVERHEAD_BYTES};
use crate::estimate::quant::Quant;
use crate::estimate::tensor_override::TensorOverride;
use crate::format::format_bytes;
use crate::gguf::shape::with_shape_only;
use crate::gguf::shape::ShapeFileError;
use crate::hardware::assume::parse_assume;
use crate::hardware::assume::AssumeError;
use crate::llama::dry_run_placement::{dry_run_offload, OffloadSizes};
use crate::llama::LlamaError;
use crate::verify::accuracy::{error_pct, within_tolerance};

/// Why a GPU-split check could not run.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// llama.cpp could not size the file.
    #[error(transparent)]
    Llama(#[from] LlamaError),
    /// A simulated machine's spec did not parse.
    #[error("simulated machine: {0}")]
    Spec(#[from] AssumeError),
}

impl From<ShapeFileError> for VerifyError {
    fn from(e: ShapeFileError) -> Self {
        Self::Llama(e.into())
    }
}
use crate::estimate::placement::SplitLimits;
use crate::estimate::tensors::MlaLayout;
use crate::llama::split_search::{check_split, SplitCheck};

/// The simulated machines: one GPU each, with RAM large enough for any remainder.
pub const SIMULATED_GPUS: [&str; 2] = ["24GiB GPU, 2TiB RAM", "8GiB GPU, 2TiB RAM"];

/// One suggested split, placed by llama.cpp.
#[derive(Debug, Clone)]
pub struct SplitRow {
    /// Model name.
    pub model: String,
    /// Quantization.
    pub quant: Quant,
    /// Context length.
    pub ctx_tokens: u32,
    /// The simulated machine.
    pub machine: &'static str,
    /// seekdeck's verdict in words.
    pub verdict: String,
    /// The suggested `-ngl`.
    pub gpu_layers: u32,
    /// Layers llama.cpp can offload (blocks + output).
    pub max_layers: u32,
    /// The app's VRAM budget (total minus its safety margin).
    pub budget: u64,
    /// seekdeck's GPU figure for the suggestion.
    pub ours: u64,
    /// seekdeck's GPU compute buffer, with the staged expert copies when experts stay in RAM
    /// (part of `ours`).
    pub ours_compute: u64,
    /// llama.cpp's placement of the suggestion.
    pub at_n: OffloadSizes,
    /// llama.cpp's placement of one more layer (none when everything is already offloaded).
    pub at_n_plus_1: Option<OffloadSizes>,
    /// What Launch loads: the estimate's placement (experts in RAM for an MoE model that fits
    /// that way) after llama.cpp's dry runs checked it.
    pub launch: SplitCheck,
}

impl SplitRow {
    /// llama.cpp's VRAM use plus the overhead the app reserves.
    pub(crate) fn with_overhead(sizes: &OffloadSizes) -> u64 {
        sizes.gpu.total() + OVERHEAD_BYTES
    }

    /// The suggestion fits the budget.
    pub fn fits(&self) -> bool {
        Self::with_overhead(&self.at_n) <= self.budget
    }

    /// One more layer would not (trivially true when every layer is offloaded).
    pub(crate) fn next_does_not_fit(&self) -> bool {
        self.at_n_plus_1
            .as_ref()
            .is_none_or(|s| Self::with_overhead(s) > self.budget)
    }

    /// Both hold.
    pub fn holds(&self) -> bool {
        self.fits() && self.next_does_not_fit()
    }
}

/// Weights kept in RAM with every layer offloaded — the experts-in-RAM option of an MoE model
/// (`--cpu-moe`), those of the first N blocks (`--n-cpu-moe N`), or a tensor override
/// (`-ot PATTERN=CPU`) — placed by llama.cpp.
#[derive(Debug, Clone)]
pub struct ExpertsRow {
    /// Model name.
    pub model: String,
    /// llama.cpp's flags for what stays in RAM.
    pub placement: String,
    /// Quantization.
    pub quant: Quant,
    /// Context length.
    pub ctx_tokens: u32,
    /// seekdeck's VRAM figure for the option.
    pub ours_vram: u64,
    /// seekdeck's RAM figure for the option.
    pub ours_ram: u64,
    /// llama.cpp's placement with every layer offloaded and `--cpu-moe`.
    pub reference: OffloadSizes,
}

impl ExpertsRow {
    /// llama.cpp's VRAM plus the app's reserved overhead, as the app's figure counts it.
    pub fn reference_vram(&self) -> u64 {
        self.reference.gpu.total() + OVERHEAD_BYTES
    }

    /// Within 3% / 64 MiB.
    pub fn holds(&self) -> bool {
        within_tolerance(self.ours_vram, self.reference_vram())
    }
}

/// Checks `model` at `quant` and each of `contexts` on every simulated GPU; `scratch_dir` holds
/// the shape-only file while it runs.
pub fn check_model(
    model: &Model,
    quant: Quant,
    contexts: &[u32],
    scratch_dir: &Path,
) -> Result<(Vec<SplitRow>, Vec<ExpertsRow>), VerifyError> {
    with_shape_only(model, quant, scratch_dir, |path| {
        check_file(model, quant, contexts, path)
    })
}

fn check_file(
    model: &Model,
    quant: Quant,
    contexts: &[u32],
    path: &Path,
) -> Result<(Vec<SplitRow>, Vec<ExpertsRow>), VerifyError> {
    let max_layers = model.architecture.layers + 1;
    let split = weight_split(&model.architecture, quant, MlaLayout::Split);
    let mut splits = Vec::new();
    let mut experts = Vec::new();
    for &ctx in contexts {
        let run = |gpu_layers, cpu_moe| {
            dry_run_offload(
                path,
                ctx,
                Offload {
                    gpu_layers,
                    cpu_moe,
                    ..Offload::default()
                },
                &LaunchSettings::default(),
            )
        };
        for machine in SIMULATED_GPUS {
            let hw = parse_assume(machine)?;
            let fit = estimate(model, quant, ctx, &hw);
            let staging = crate::estimate::weight_copies::copies_growth(
                &model.architecture,
                fit.breakdown.compute_bytes,
                512,
                ctx,
                split.expert_copies_of_first(split.layer_bytes.len()),
                crate::estimate::weight_copies::gpu_buffer_chunk(),
            );
            let n = match fit.verdict {
                Verdict::FitsGpu => max_layers,
                Verdict::PartialOffload { gpu_layers, .. } => gpu_layers,
                _ => continue,
            };
            let at_n = run(n, false)?;
            let at_n_plus_1 = if n < max_layers {
                Some(run(n + 1, false)?)
            } else {
                None
            };
            let launch = check_split(
                path,
                ctx,
                fit.offload(model.architecture.layers),
                SplitLimits {
                    vram_budget_bytes: fit.vram_budget_bytes,
                    max_layers,
                },
                &LaunchSettings::default(),
            )?;
            splits.push(SplitRow {
                model: model.name.clone(),
                quant,
                ctx_tokens: ctx,
                machine,
                verdict: fit.verdict.label(),
                gpu_layers: n,
                max_layers,
                budget: fit.vram_budget_bytes,
                ours: fit.gpu_bytes,
                ours_compute: fit.breakdown.compute_bytes
                    + if n < max_layers { staging } else { 0 },
                at_n,
                at_n_plus_1,
                launch,
            });
        }
        let hw = parse_assume(SIMULATED_GPUS[0])?;
        let fit = estimate(model, quant, ctx, &hw);
        if let Some(e) = fit.experts_in_ram {
            experts.push(ExpertsRow {
                model: model.name.clone(),
                placement: "--cpu-moe".to_owned(),
                quant,
                ctx_tokens: ctx,
                ours_vram: e.vram_bytes,
                ours_ram: e.ram_bytes,
                reference: run(max_layers, true)?,
            });
            experts.extend(kept_rows(model, quant, ctx, path, fit.best_n_cpu_moe)?);
        }
    }
    Ok((splits, experts))
}

/// `--n-cpu-moe N` (the N that fits a 24 GiB card best, and half the blocks) and two tensor
/// overrides (the experts of blocks 0–9; every block's attention output), each with every
/// layer offloaded: seekdeck's VRAM and RAM against llama.cpp's placement.
fn kept_rows(
    model: &Model,
    quant: Quant,
    ctx: u32,
    path: &Path,
    best_n: Option<u32>,
) -> Result<Vec<ExpertsRow>, VerifyError> {
    let layers = model.architecture.layers;
    let hw = parse_assume(SIMULATED_GPUS[0])?;
    let mut settings: Vec<LaunchSettings> = best_n
        .into_iter()
        .chain(std::iter::once(layers / 2))
        .map(|n| LaunchSettings {
            moe: MoeOffload::FirstLayers(n),
            ..LaunchSettings::default()
        })
        .collect();
    settings.dedup();
    for pattern in [
        r"blk\.[0-9]\.ffn_(up|down|gate)_exps=CPU",
        r"attn_output=CPU",
    ] {
        let o = TensorOverride::parse(pattern).map_err(|e| {
            VerifyError::Llama(LlamaError::Devices(format!("override {pattern}: {e}")))
        })?;
        settings.push(LaunchSettings {
            overrides: vec![o],
            ..LaunchSettings::default()
        });
    }
    let mut rows = Vec::new();
    for s in settings {
        let Some(kept) = estimate_with_settings(model, quant, ctx, &hw, &s).kept else {
            continue;
        };
        let reference = dry_run_offload(path, ctx, kept.offload, &s)?;
        rows.push(ExpertsRow {
            model: model.name.clone(),
            placement: s.summary(),
            quant,
            ctx_tokens: ctx,
            ours_vram: kept.vram_bytes,
            ours_ram: kept.ram_bytes,
            reference,
        });
    }
    Ok(rows)
}

fn mib(bytes: u64) -> String {
    crate::verify::accuracy::mib(bytes, 0)
}

/// The markdown table of suggested splits.
pub fn splits_table(rows: &[SplitRow]) -> String {
    let mut out = String::from(
        "| model | quant | ctx | machine | seekdeck suggests | budget MiB | seekdeck GPU MiB (its compute buffer + expert copies) | llama.cpp at -ngl n (+300 MiB) | llama.cpp weights / KV / compute | llama.cpp at -ngl n+1 (+300 MiB) | holds | Launch: estimate → llama.cpp's check (dry runs) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let next = r.at_n_plus_1.as_ref().map_or_else(
            || "all layers already".to_owned(),
            |s| mib(SplitRow::with_overhead(s)),
        );
        out.push_str(&format!(
            "| {} | {} | {} | {} | -ngl {} of {} ({}) | {} | {} ({}) | {} ({:+.2}%) | {} / {} / {} | {} | {} | {} |\n",
            r.model,
            r.quant,
            r.ctx_tokens,
            r.machine.split(',').next().unwrap_or(r.machine),
            r.gpu_layers,
            r.max_layers,
            r.verdict,
            mib(r.budget),
            mib(r.ours),
            mib(r.ours_compute),
            mib(SplitRow::with_overhead(&r.at_n)),
            error_pct(r.ours, SplitRow::with_overhead(&r.at_n)),
            mib(r.at_n.gpu.weights),
            mib(r.at_n.gpu.kv),
            mib(r.at_n.gpu.compute),
            next,
            if r.holds() { "yes" } else { "**no**" },
            launch_cell(&r.launch),
        ));
    }
    out
}

/// `-ngl 62 --cpu-moe → same (1)`, `-ngl 17 → 18 (3)`.
fn launch_cell(c: &SplitCheck) -> String {
    let flags = |o: Offload| {
        format!(
            "-ngl {}{}",
            o.gpu_layers,
            match (o.cpu_moe, o.n_cpu_moe) {
                (true, _) => " --cpu-moe".to_owned(),
                (false, 0) => String::new(),
                (false, n) => format!(" --n-cpu-moe {n}"),
            }
        )
    };
    let after = if c.chosen == c.estimated {
        "same".to_owned()
    } else {
        c.chosen.gpu_layers.to_string()
    };
    format!("{} → {after} ({})", flags(c.estimated), c.dry_runs)
}

/// The markdown table of experts-in-RAM options.
pub fn experts_table(rows: &[ExpertsRow]) -> String {
    let mut out = String::from(
        "| model | in RAM | quant | ctx | seekdeck VRAM | llama.cpp VRAM (+300 MiB) | error | seekdeck RAM | llama.cpp RAM (weights) | within 3% / 64 MiB |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} | {:+.2}% | {} | {} | {} |\n",
            r.model,
            r.placement.replace('|', "\\|"),
            r.quant,
            r.ctx_tokens,
            format_bytes(r.ours_vram),
            format_bytes(r.reference_vram()),
            error_pct(r.ours_vram, r.reference_vram()),
            format_bytes(r.ours_ram),
            format_bytes(r.reference.host.weights),
            if r.holds() { "yes" } else { "**no**" }
        ));
    }
    out
}
