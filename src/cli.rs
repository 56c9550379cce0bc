//! The command line: `list`, `fit` and `hw` print what the window shows, computed by the same code.
//! Bad input (an unknown model, a spec that does not parse) is one line on stderr and exit code 2.

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use crate::catalog::{load_catalog, LoadedCatalog, Model};
use crate::fit::{estimate, format_bytes, FitReport, Verdict};
use crate::hardware::assume::parse_assume;
use crate::hardware::probe::Prober;
use crate::hardware::HardwareSnapshot;
use crate::quant::Quant;

/// Default context length.
pub const DEFAULT_CTX_TOKENS: u32 = 8192;

/// seekdeck: every DeepSeek model, whether it fits this PC, and a chat with local GGUFs.
#[derive(Debug, Parser)]
#[command(name = "seekdeck", version, about)]
pub struct Cli {
    /// Simulate a machine instead of reading this one, e.g. "24GiB GPU, 64GiB RAM".
    #[arg(long, global = true, value_name = "SPEC")]
    pub assume: Option<String>,
    /// What to do; without a command the window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every model with its verdict on this machine.
    List(EstimateArgs),
    /// Print the memory breakdown of one model.
    Fit {
        /// Model id or name, e.g. deepseek-r1, "DeepSeek 7B", r1-distill-qwen-14b.
        model: String,
        /// Estimate options.
        #[command(flatten)]
        args: EstimateArgs,
    },
    /// Chat with a local GGUF through llama.cpp.
    Chat(crate::cli_chat::ChatArgs),
    /// List the GGUF models found on this PC (LM Studio, Hugging Face cache, llama.cpp cache,
    /// Ollama, ~/models and the folders added in the window).
    Scan(crate::cli_scan::ScanArgs),
    /// Print this machine's hardware readings.
    Hw {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

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

fn parse_quant(s: &str) -> Result<Quant, String> {
    Quant::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Quant::ALL.iter().map(|q| q.label()).collect();
        format!("unknown quantization \"{s}\" (one of {})", all.join(", "))
    })
}

/// A command-line failure: the message and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// One line for stderr.
    pub message: String,
    /// Process exit code.
    pub code: i32,
}

fn usage_error(message: String) -> CliError {
    CliError { message, code: 2 }
}

/// The machine to estimate against: `--assume` or a live reading.
pub fn machine(assume: Option<&str>) -> Result<HardwareSnapshot, CliError> {
    match assume {
        Some(spec) => parse_assume(spec).map_err(|e| usage_error(e.to_string())),
        None => Ok(Prober::new().read()),
    }
}

/// Finds a model by id, name, or a unique part of either (case-insensitive).
pub fn find_model<'a>(models: &'a [Model], query: &str) -> Result<&'a Model, CliError> {
    let q = query.trim().to_lowercase();
    let norm = |s: &str| s.to_lowercase().replace([' ', '_'], "-");
    if let Some(m) = models
        .iter()
        .find(|m| m.id == q || m.name.to_lowercase() == q || norm(&m.name) == norm(&q))
    {
        return Ok(m);
    }
    let hits: Vec<&Model> = models
        .iter()
        .filter(|m| m.id.contains(&norm(&q)) || norm(&m.name).contains(&norm(&q)))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(usage_error(format!(
            "unknown model \"{query}\" (see `seekdeck list` for the ids)"
        ))),
        many => Err(usage_error(format!(
            "\"{query}\" matches {} models: {}",
            many.len(),
            many.iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
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
    /// Parameter size (seed).
    pub parameter_size: &'a str,
    /// Activation parameters.
    pub activation_parameters: String,
    /// Seed's FP16 VRAM figure.
    pub fp16_vram_required: &'a str,
    /// Seed's system RAM figure.
    pub fp16_system_ram_required: &'a str,
    /// Verdict in words.
    pub verdict: String,
    /// The estimate.
    pub fit: FitReport,
}

/// Runs a subcommand and returns what to print.
pub fn run(cli: &Cli, command: &Command) -> Result<String, CliError> {
    let catalog = load_catalog(crate::paths::user_catalog_dir().as_deref());
    for issue in &catalog.issues {
        eprintln!("warning: {issue}");
    }
    match command {
        Command::Chat(args) => {
            crate::cli_chat::run_chat(args, cli.assume.as_deref()).map(|()| String::new())
        }
        Command::Scan(args) => {
            let hw = machine(cli.assume.as_deref())?;
            Ok(crate::cli_scan::scan_output(args, &catalog.models, &hw))
        }
        Command::Hw { json } => {
            let hw = machine(cli.assume.as_deref())?;
            Ok(if *json { to_json(&hw) } else { hw_text(&hw) })
        }
        Command::List(args) => {
            let hw = machine(cli.assume.as_deref())?;
            Ok(list_output(&catalog, args, &hw))
        }
        Command::Fit { model, args } => {
            let m = find_model(&catalog.models, model)?;
            let hw = machine(cli.assume.as_deref())?;
            let report = estimate(m, args.quant, args.ctx, &hw);
            Ok(if args.json {
                to_json(&report)
            } else {
                fit_text(m, &report, &hw)
            })
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// `list` output.
pub fn list_output(catalog: &LoadedCatalog, args: &EstimateArgs, hw: &HardwareSnapshot) -> String {
    let rows: Vec<ListRow> = catalog
        .models
        .iter()
        .map(|m| {
            let fit = estimate(m, args.quant, args.ctx, hw);
            ListRow {
                id: &m.id,
                name: &m.name,
                release: m.release_display(),
                parameter_size: &m.seed.parameter_size,
                activation_parameters: m.active_display(),
                fp16_vram_required: &m.seed.vram_required,
                fp16_system_ram_required: &m.seed.system_ram_required,
                verdict: fit.verdict.label(),
                fit,
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
            r.name,
            r.release,
            r.parameter_size,
            r.activation_parameters,
            r.fp16_vram_required,
            format_bytes(r.fit.breakdown.total_bytes()),
            r.verdict
        ));
    }
    out
}

/// `fit` output.
pub fn fit_text(m: &Model, r: &FitReport, hw: &HardwareSnapshot) -> String {
    let b = &r.breakdown;
    let mut out = format!(
        "{} at {}, {} tokens of context\nMachine: {}\n\n  weights        {:>10}\n  KV cache       {:>10}  ({} attention)\n  compute buffer {:>10}\n  overhead       {:>10}\n  total          {:>10}\n\nVerdict: {}\n",
        m.name,
        r.quant,
        r.ctx_tokens,
        hw.summary(),
        format_bytes(b.weights_bytes),
        format_bytes(b.kv_cache_bytes),
        m.architecture.attention.kind_name(),
        format_bytes(b.compute_bytes),
        format_bytes(b.overhead_bytes),
        format_bytes(b.total_bytes()),
        r.verdict.label(),
    );
    out.push_str(&format!(
        "Usable here: {} VRAM, {} RAM\n",
        format_bytes(r.vram_budget_bytes),
        format_bytes(r.ram_budget_bytes)
    ));
    if matches!(
        r.verdict,
        Verdict::FitsGpu | Verdict::PartialOffload { .. } | Verdict::CpuOnly
    ) {
        out.push_str(&format!(
            "Suggested split: {} on GPU, {} in RAM\n",
            format_bytes(r.gpu_bytes),
            format_bytes(r.cpu_bytes)
        ));
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
            r.offload(m.architecture.layers)
        ));
    }
    out
}

/// `hw` output.
pub fn hw_text(hw: &HardwareSnapshot) -> String {
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
