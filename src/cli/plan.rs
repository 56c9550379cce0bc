//! `seekdeck plan MODEL --cluster SPEC`: a GPU-server deployment for vLLM or SGLang, every
//! layout with its per-GPU memory and verdict, the best ones ranked with the commands that
//! start them.

use super::common::{find_model, to_json, usage_error, CliError};
use crate::catalog::Model;
use crate::estimate::server::commands::commands;
use crate::estimate::server::engine_memory::KvDtype;
use crate::estimate::server::layout::Engine;
use crate::estimate::server::weights::WeightForm;
use crate::estimate::server::{plan, LayoutPlan, PlanRequest, ServerPlan};
use crate::hardware::server_spec::{parse_server_spec, SERVER_PRESETS};
use std::fmt::Write;

/// Working layouts whose commands the text output prints.
const SHOWN: usize = 3;

/// `plan`'s options.
#[derive(Debug, clap::Args, Clone)]
pub struct PlanArgs {
    /// Model id or name, e.g. deepseek-r1.
    pub model: String,
    /// The server, e.g. "8x H200", "4x A100 40GB", "2 nodes x 8x H100 80GB, InfiniBand".
    #[arg(long, value_name = "SPEC")]
    pub cluster: String,
    /// vllm or sglang (default: both).
    #[arg(long)]
    pub engine: Option<String>,
    /// Weights: original, bf16, fp8 (quantized on load), int8, awq, w4a8, nvfp4.
    #[arg(long, default_value = "original")]
    pub dtype: String,
    /// Context one sequence must reach, in tokens (default: the model's trained context).
    #[arg(long)]
    pub ctx: Option<u32>,
    /// The key/value cache's type: auto (BF16) or fp8.
    #[arg(long, default_value = "auto")]
    pub kv_cache_dtype: String,
    /// Node 0's address as the other nodes reach it (default: $HEAD_IP in the commands).
    #[arg(long)]
    pub head: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `plan`.
pub fn run_plan(args: &PlanArgs, models: &[Model]) -> Result<String, CliError> {
    let model = find_model(models, &args.model)?;
    let spec = parse_server_spec(&args.cluster).map_err(|e| {
        let presets: Vec<&str> = SERVER_PRESETS.iter().map(|p| p.spec).collect();
        usage_error(format!("{e}; presets: {}", presets.join("; ")))
    })?;
    let engine = match &args.engine {
        None => None,
        Some(e) => Some(
            Engine::parse(e).ok_or_else(|| usage_error(format!("--engine {e}: vllm or sglang")))?,
        ),
    };
    let form = WeightForm::parse(&args.dtype).ok_or_else(|| {
        let words: Vec<&str> = WeightForm::ALL.iter().map(|f| f.flag()).collect();
        usage_error(format!(
            "--dtype {}: one of {}",
            args.dtype,
            words.join(", ")
        ))
    })?;
    // "fp8" for a checkpoint that is FP8 already (V3, R1 and their kin) is its original weights:
    // the engines must not quantize it again.
    let form = if form == WeightForm::Fp8OnLoad
        && model.original_dtype == crate::catalog::OriginalDtype::Fp8Block
    {
        eprintln!(
            "--dtype fp8: {} is FP8 already; planning its original FP8 weights (--dtype original)",
            model.name
        );
        WeightForm::Original
    } else {
        form
    };
    let kv = KvDtype::parse(&args.kv_cache_dtype).ok_or_else(|| {
        usage_error(format!(
            "--kv-cache-dtype {}: auto or fp8",
            args.kv_cache_dtype
        ))
    })?;
    if args.ctx == Some(0) {
        return Err(usage_error("--ctx must be at least 1 token".into()));
    }
    let request = PlanRequest {
        engine,
        form,
        ctx: args.ctx.unwrap_or(0),
        kv,
    };
    let p = plan(model, &spec, request);
    let head = args.head.as_deref();
    if args.json {
        return Ok(to_json(&plan_json(model, &p, head)));
    }
    Ok(plan_text(model, &p, head))
}

/// A plan with each working layout's commands, for `--json`.
#[derive(serde::Serialize)]
struct PlanJson<'a> {
    plan: &'a ServerPlan,
    commands: Vec<Option<crate::estimate::server::commands::Commands>>,
}

fn plan_json<'a>(model: &Model, p: &'a ServerPlan, head: Option<&str>) -> PlanJson<'a> {
    PlanJson {
        plan: p,
        commands: p
            .layouts
            .iter()
            .map(|l| commands(model, p, l, head))
            .collect(),
    }
}

/// The plan as text: the server and weights, the best layouts with their memory and commands,
/// then every other layout with its verdict.
pub fn plan_text(model: &Model, p: &ServerPlan, head: Option<&str>) -> String {
    let mut out = format!(
        "{} on {}: {} weights, context {} tokens, cache {}\n",
        model.name,
        p.spec.label(),
        p.form.label(model),
        crate::format::group_digits(p.ctx),
        match p.kv {
            KvDtype::Auto => "BF16",
            KvDtype::Fp8 => "FP8",
        }
    );
    match &p.checkpoint {
        Ok(c) => {
            let _ = writeln!(out, "Weights: {} ({})", c.path, c.source);
        }
        Err(why) => {
            let _ = writeln!(out, "Weights: {why}");
        }
    }
    let working: Vec<&LayoutPlan> = p.working().collect();
    if working.is_empty() {
        out.push_str("\nNo layout starts on this server.\n");
    } else {
        out.push_str("\nBest layouts\n");
    }
    for (i, l) in working.iter().take(SHOWN).enumerate() {
        let _ = writeln!(
            out,
            "{}. {} {}: {}",
            i + 1,
            l.layout.engine.name(),
            l.layout.label(),
            l.verdict.words(p.ctx)
        );
        if let Some(g) = &l.gpu {
            let _ = writeln!(out, "   per GPU: {}", g.words());
        }
        if let Some(default) = l.raised_from {
            let _ = writeln!(
                out,
                "   note: the engine's share is raised from its default {default} to {} (as the engine's own DeepSeek examples do); less is left for activations and CUDA graphs",
                l.budget.fraction
            );
        }
        if let Some(c) = commands(model, p, l, head) {
            for (name, why) in &c.env {
                let _ = writeln!(out, "   export {name}   # {why}");
            }
            for step in &c.prepare {
                let _ = writeln!(out, "   before: {step}");
            }
            for (k, cmd) in c.nodes.iter().enumerate() {
                let who = if c.nodes.len() > 1 {
                    format!("node {k}")
                } else {
                    "run".into()
                };
                let _ = writeln!(out, "   {who}: {cmd}");
            }
            for (k, d) in c.docker.iter().enumerate() {
                let who = if c.docker.len() > 1 {
                    format!("docker, node {k}")
                } else {
                    "docker".into()
                };
                let _ = writeln!(out, "   {who}: {d}");
            }
            let _ = writeln!(out, "   base URL: {}", c.base_url);
        }
    }
    let rest: Vec<&LayoutPlan> = p.layouts.iter().skip(working.len().min(SHOWN)).collect();
    if !rest.is_empty() {
        out.push_str("\nOther layouts\n");
        for l in rest {
            let _ = writeln!(
                out,
                "- {} {}: {}",
                l.layout.engine.name(),
                l.layout.label(),
                l.verdict.words(p.ctx)
            );
        }
    }
    out
}
