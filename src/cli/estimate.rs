//! `list`, `fit` and `hw`: the catalog's estimates and this machine's readings as text or JSON,
//! computed by the same code as the window, at the context the one rule gives each model.

use clap::Args;
use serde::Serialize;

use super::common::{to_json, usage_error, CliError};
use crate::catalog::{Architecture, LoadedCatalog, Model};
use crate::estimate::fit::{estimate, FitReport, Verdict, WeightSplit};
use crate::estimate::gpus::moe_rows;
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::moe_layers::{best_n, rows_around};
use crate::estimate::placement::{effective_context, EffectiveContext, DEFAULT_CTX_TOKENS};
use crate::estimate::quant::Quant;
use crate::estimate::speed::speed_line;
use crate::estimate::tensors::MlaLayout;
use crate::format::format_bytes;
use crate::hardware::HardwareSnapshot;
use crate::local::inspect_path;

/// Options shared by `list` and `fit`.
#[derive(Debug, Args, Clone)]
pub struct EstimateArgs {
    /// Quantization: F16, Q8_0, Q6_K, Q5_K_M, Q4_K_M, Q4_K_S, IQ4_XS, Q3_K_M, Q2_K, IQ2_XXS, IQ1_S.
    #[arg(long, default_value = "Q4_K_M", value_parser = parse_quant)]
    pub quant: Quant,
    /// Context length in tokens.
    #[arg(long, default_value_t = DEFAULT_CTX_TOKENS, value_parser = clap::value_parser!(u32).range(1..))]
    pub ctx: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `fit` adds for a launch's settings: the settings, the placement they ask for, overrides
/// that match nothing, and for an MoE model on a GPU machine `--n-cpu-moe` around the N that fits
/// best.
pub(crate) fn settings_text(
    r: &FitReport,
    arch: &Architecture,
    settings: &LaunchSettings,
    split: &WeightSplit,
    hw: &HardwareSnapshot,
) -> String {
    let mut out = String::new();
    if !settings.is_default() {
        out.push_str(&format!("Settings: {}\n", settings.summary()));
    }
    if !settings.overrides.is_empty() {
        // Said whether or not the overrides move anything (none matching leaves no kept placement).
        let tensors =
            crate::estimate::kept_in_ram::catalog_tensors(arch, r.quant, MlaLayout::Split);
        let kept = crate::estimate::kept_in_ram::kept_in_ram(&tensors, arch.layers, settings);
        for (o, n) in settings.overrides.iter().zip(&kept.matched) {
            if *n == 0 {
                out.push_str(&format!(
                    "--override-tensor {o} matches no tensor of this model: it changes nothing\n"
                ));
            }
        }
    }
    if split.total_expert_bytes() > 0 && !hw.gpus.is_empty() {
        let rows = moe_rows(arch, split, &r.breakdown, r.ctx_tokens, settings, hw);
        match best_n(&rows) {
            Some(n) => {
                out.push_str(&format!(
                    "--n-cpu-moe {n} fits best (the experts of blocks 0–{} in RAM):\n",
                    n.saturating_sub(1)
                ));
                for row in rows_around(&rows, n, 2) {
                    out.push_str(&format!(
                        "  --n-cpu-moe {:<3} {:>10} VRAM {:>10} RAM  {}\n",
                        row.n,
                        format_bytes(row.vram_bytes),
                        format_bytes(row.ram_bytes),
                        if row.fits { "fits" } else { "does not fit" }
                    ));
                }
            }
            None => out.push_str("--n-cpu-moe: no N fits (not even every expert in RAM)\n"),
        }
    }
    out
}

fn parse_quant(s: &str) -> Result<Quant, String> {
    Quant::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Quant::ALL.iter().map(|q| q.label()).collect();
        format!("unknown quantization \"{s}\" (one of {})", all.join(", "))
    })
}

/// One row of `list --json`.
#[derive(Debug, Serialize)]
pub struct ListRow<'a> {
    /// Catalog id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Release as shown.
    pub release: String,
    /// Whether the DeepSeek model overview lists the model (the FP16 figures are its).
    pub in_overview: bool,
    /// Parameter size (the overview's, else from the exact count).
    pub parameter_size: String,
    /// Activation parameters.
    pub activation_parameters: String,
    /// The overview's FP16 VRAM figure.
    pub fp16_vram_required: Option<&'a str>,
    /// The overview's system RAM figure.
    pub fp16_system_ram_required: Option<&'a str>,
    /// Verdict in words.
    pub verdict: String,
    /// The requested context, when it was capped at this model's native maximum.
    pub ctx_capped_from: Option<u32>,
    /// The estimate behind the verdict, at the context used.
    pub fit: FitReport,
    /// With --scores: the published benchmark scores, each with its setting and source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<&'a [crate::catalog::scores::Score]>,
}

/// The estimate of `m` at the context the rule gives it for `asked` tokens.
pub(crate) fn model_estimate(
    m: &Model,
    quant: Quant,
    asked: u32,
    hw: &HardwareSnapshot,
) -> (FitReport, EffectiveContext) {
    let ctx = effective_context(asked, Some(m.architecture.context_tokens));
    (estimate(m, quant, ctx.ctx_tokens, hw), ctx)
}

/// `list` output.
pub(crate) fn list_output(
    catalog: &LoadedCatalog,
    args: &EstimateArgs,
    with_scores: bool,
    hw: &HardwareSnapshot,
) -> String {
    let rows: Vec<ListRow> = catalog
        .models
        .iter()
        .map(|m| {
            let (fit, ctx) = model_estimate(m, args.quant, args.ctx, hw);
            ListRow {
                id: &m.id,
                name: &m.name,
                release: m.release_display(),
                in_overview: m.in_overview(),
                parameter_size: m.size_display(),
                activation_parameters: m.active_display(),
                fp16_vram_required: m.seed.as_ref().map(|s| s.vram_required.as_str()),
                fp16_system_ram_required: m.seed.as_ref().map(|s| s.system_ram_required.as_str()),
                verdict: fit.verdict.label(),
                ctx_capped_from: ctx.capped_from,
                fit,
                scores: with_scores.then_some(m.scores.as_slice()),
            }
        })
        .collect();
    if args.json {
        return to_json(&rows);
    }
    let mut out = format!(
        "{}  |  {} at {} tokens\n{:<31} {:>7} {:>7} {:>7} {:>10} {:>10}  {}\n",
        hw.summary(),
        args.quant,
        args.ctx,
        "Model",
        "Release",
        "Params",
        "Active",
        "FP16 VRAM",
        "Estimate",
        "Fits this PC"
    );
    for r in &rows {
        out.push_str(&format!(
            "{:<31} {:>7} {:>7} {:>7} {:>10} {:>10}  {}\n",
            if r.in_overview {
                r.name.to_owned()
            } else {
                format!("{} *", r.name)
            },
            r.release,
            r.parameter_size,
            r.activation_parameters,
            r.fp16_vram_required.unwrap_or("—"),
            format_bytes(r.fit.breakdown.total_bytes()),
            match r.ctx_capped_from {
                Some(_) => format!(
                    "{} (at {} tokens, its maximum)",
                    r.verdict, r.fit.ctx_tokens
                ),
                None => r.verdict.clone(),
            }
        ));
    }
    if rows.iter().any(|r| !r.in_overview) {
        out.push_str("* not in the DeepSeek model overview (added from the public record)\n");
    }
    out
}

/// What `fit` describes: a catalog model at a preset quantization, or a GGUF file as it is.
pub(crate) struct FitSubject<'a> {
    /// The first line's name: the model's, or the file's with its quantization.
    pub title: String,
    /// The model's shape (attention kind, layers).
    pub architecture: &'a Architecture,
}

impl<'a> FitSubject<'a> {
    /// A catalog model at the report's quantization.
    pub(crate) fn model(m: &'a Model, r: &FitReport) -> Self {
        Self {
            title: format!("{} at {}", m.name, r.quant),
            architecture: &m.architecture,
        }
    }
}

/// `fit` for a GGUF file: its own weights and metadata, at the context its header allows.
pub(crate) fn file_fit(
    path: &std::path::Path,
    models: &[Model],
    args: &EstimateArgs,
    launch: &super::launch_args::LaunchArgs,
    hw: &HardwareSnapshot,
) -> Result<String, CliError> {
    let local = inspect_path(path, models);
    let described = local
        .info
        .as_ref()
        .ok()
        .and_then(|info| Some((info, info.arch.as_ref().ok()?)));
    let Some((info, architecture)) = described else {
        let why = local
            .problem()
            .unwrap_or_else(|| "it cannot be estimated".into());
        return Err(usage_error(format!("{}: {why}", path.display())));
    };
    let settings = launch.checked(architecture, hw.gpus.len())?;
    let Some(report) = info.estimate_with(args.ctx, hw, &settings) else {
        return Err(usage_error(format!(
            "{}: it cannot be estimated",
            path.display()
        )));
    };
    if args.json {
        return Ok(to_json(&report));
    }
    let subject = FitSubject {
        title: format!(
            "{} ({}, {})",
            local.found.display_name,
            local.catalog_label(models),
            info.quant_label()
        ),
        architecture,
    };
    let mut out = fit_text(&subject, &report, &local.context(args.ctx), hw);
    out.push_str(&settings_text(
        &report,
        architecture,
        &settings,
        &info.split,
        hw,
    ));
    Ok(out)
}

/// `fit` output.
pub(crate) fn fit_text(
    subject: &FitSubject,
    r: &FitReport,
    ctx: &EffectiveContext,
    hw: &HardwareSnapshot,
) -> String {
    let b = &r.breakdown;
    let cap = ctx
        .cap_note()
        .map(|n| format!(" ({n})"))
        .unwrap_or_default();
    let mut out = format!(
        "{}, {} tokens of context{cap}\nMachine: {}\n\n  weights        {:>10}\n  KV cache       {:>10}  ({} attention)\n  compute buffer {:>10}\n  overhead       {:>10}\n  total          {:>10}\n\nVerdict: {}\n",
        subject.title,
        r.ctx_tokens,
        hw.summary(),
        format_bytes(b.weights_bytes),
        format_bytes(b.kv_cache_bytes),
        subject.architecture.attention.kind_name(),
        format_bytes(b.compute_bytes),
        format_bytes(b.overhead_bytes),
        format_bytes(b.total_bytes()),
        verdict_line(r),
    );
    out.push_str(&format!(
        "Usable here: {} VRAM, {} RAM\n",
        format_bytes(r.vram_budget_bytes),
        format_bytes(r.ram_budget_bytes)
    ));
    if let Some(k) = &r.kept {
        out.push_str(&format!(
            "Split with these settings: {} on GPU, {} in RAM ({} kept there by the settings)\n",
            format_bytes(k.vram_bytes),
            format_bytes(k.ram_bytes),
            format_bytes(k.kept_bytes)
        ));
    } else if matches!(
        r.verdict,
        Verdict::FitsGpu | Verdict::PartialOffload { .. } | Verdict::CpuOnly
    ) {
        out.push_str(&format!(
            "Suggested split: {} on GPU, {} in RAM\n",
            format_bytes(r.gpu_bytes),
            format_bytes(r.cpu_bytes)
        ));
    }
    if let Some(line) = speed_line(&r.speed) {
        out.push_str(&line);
        out.push('\n');
    }
    if !r.gpus.is_empty() {
        out.push_str("Per GPU (llama.cpp's layer split):\n");
        for d in &r.gpus {
            out.push_str(&format!(
                "  {:<24} blocks {:<14} weights {:>10}  KV {:>9}  compute {:>9}  total {:>10} of {:>10}{}\n",
                d.name,
                d.blocks_label(),
                format_bytes(d.weights_bytes),
                format_bytes(d.kv_bytes),
                format_bytes(d.compute_bytes),
                format_bytes(d.total_bytes()),
                format_bytes(d.budget_bytes),
                if d.fits() { "" } else { "  over" }
            ));
        }
    }
    if let Some(e) = &r.experts_in_ram {
        out.push_str(&format!(
            "Experts in RAM (--cpu-moe): {} VRAM + {} RAM — {}\n",
            format_bytes(e.vram_bytes),
            format_bytes(e.ram_bytes),
            if e.fits { "fits" } else { "does not fit" }
        ));
    }
    if !matches!(r.verdict, Verdict::TooLarge | Verdict::Unknown) {
        out.push_str(&format!(
            "Launch with: {}\n",
            r.offload(subject.architecture.layers)
        ));
    }
    out
}

/// The verdict line's words: with launch settings that keep tensors in RAM, the verdict of that
/// placement (what "Launch with" will do), and the settings-free one beside it.
fn verdict_line(r: &FitReport) -> String {
    match &r.kept {
        Some(k) => format!(
            "{} with these settings ({}){}",
            if k.fits { "fits" } else { "does not fit" },
            k.offload,
            if k.fits {
                String::new()
            } else {
                format!("; without them: {}", r.verdict.label())
            }
        ),
        None => r.verdict.label(),
    }
}

/// `hw` output.
pub(crate) fn hw_text(hw: &HardwareSnapshot) -> String {
    let mut out = String::new();
    if let Some(name) = &hw.simulated {
        out.push_str(&format!("Simulated machine: {name}\n"));
    }
    match &hw.ram {
        Some(r) => out.push_str(&format!(
            "RAM: {} total, {} available{}\n",
            format_bytes(r.total_bytes),
            format_bytes(r.available_bytes),
            if r.cgroup_limited {
                " (container limit)"
            } else {
                ""
            }
        )),
        None => out.push_str("RAM: unknown\n"),
    }
    if hw.gpus.is_empty() {
        out.push_str(&format!("GPU: {}\n", hw.gpu_status_text()));
    }
    for (i, g) in hw.gpus.iter().enumerate() {
        out.push_str(&format!(
            "GPU {i}: {} — {} total, {} used, {} free{}{}\n",
            g.name,
            format_bytes(g.total_bytes),
            format_bytes(g.used_bytes),
            format_bytes(g.free_bytes()),
            g.utilization_pct
                .map(|u| format!(", {u}% busy"))
                .unwrap_or_default(),
            if g.unified { " (unified memory)" } else { "" }
        ));
    }
    if let crate::hardware::GpuStatus::Failed(why) = &hw.gpu_status {
        out.push_str(&format!("GPU probe: {why}\n"));
    }
    out
}
