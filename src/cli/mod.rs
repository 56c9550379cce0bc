//! The command line: one file per subcommand family ([`estimate`]: `list`, `fit`, `hw`;
//! [`benchmarks`]: `list --scores`, `fit --curve`; [`scan`];
//! [`chat`]; [`get`], the Hub; [`plan`], a GPU server for vLLM or SGLang; [`worker`], serving this machine to others), what they share in [`common`]; the same library code as the window.
//! Bad input (an unknown model, a spec that does not parse) is one line on stderr and exit code 2.

use clap::{Parser, Subcommand};

mod backends;
pub mod benchmarks;
pub mod chat;
pub mod cluster;
pub mod common;
pub mod estimate;
pub mod get;
pub mod launch_args;
pub mod plan;
pub mod scan;
pub mod worker;

use crate::estimate::placement::effective_context;
pub use backends::version_text;
pub use common::CliError;
use common::{cluster_assumed, find_model, machine, to_json};
use estimate::{file_fit, fit_text, hw_text, list_output, EstimateArgs, FitSubject};

use crate::catalog::load_catalog;

/// seekdeck: every DeepSeek model, whether it fits this PC, and a chat with local GGUFs.
#[derive(Debug, Parser)]
#[command(name = "seekdeck", about, disable_version_flag = true)]
pub struct Cli {
    /// Print seekdeck's version, llama.cpp's build and the back-ends found (the CPU level, the
    /// GPU modules, and why there is no GPU when there is none).
    #[arg(short = 'V', long)]
    pub version: bool,
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
    List(ListArgs),
    /// Print the memory breakdown of one model, or of a GGUF file as it is.
    Fit {
        /// Model id or name, e.g. deepseek-r1, "DeepSeek 7B", r1-distill-qwen-14b; or the path
        /// of a GGUF file (its own weights and metadata; --quant does not apply).
        model: String,
        /// Estimate options.
        #[command(flatten)]
        args: EstimateArgs,
        /// Print the memory at every context length from 1K tokens to the model's trained
        /// length, with this machine's usable VRAM and VRAM + RAM (catalog models).
        #[arg(long)]
        curve: bool,
        /// llama.cpp's launch settings (a model or file on one machine).
        #[command(flatten)]
        launch: launch_args::LaunchArgs,
    },
    /// Chat with a local GGUF through llama.cpp, or with a model on an OpenAI-compatible server
    /// (--server URL).
    Chat(chat::ChatArgs),
    /// List the GGUF models found on this PC (LM Studio, Hugging Face cache, llama.cpp cache,
    /// Ollama, ~/models and the folders added in the window).
    Scan(scan::ScanArgs),
    /// List a model's GGUF files on the Hugging Face Hub with this PC's verdict for each, and
    /// download one (resumable, verified) into the Hugging Face cache.
    Get(get::GetArgs),
    /// Plan a GPU server for vLLM or SGLang: per-GPU memory of every layout, the best ones
    /// ranked, and the commands that start them (e.g. --cluster "8x H200").
    Plan(plan::PlanArgs),
    /// Serve this machine's devices to other machines' seekdeck (llama.cpp's RPC server), so a
    /// model can be split across several PCs. Listens on 127.0.0.1 unless --host says otherwise.
    Worker(worker::WorkerArgs),
    /// Internal: the process that holds a model split across other machines' workers, driven by
    /// the window or `chat --rpc` over its stdin and stdout.
    #[command(hide = true)]
    EngineHost {
        /// The workers, HOST:PORT,…
        #[arg(long, value_delimiter = ',', required = true)]
        rpc: Vec<String>,
    },
    /// Internal: renders one chat template read from stdin, in a process whose memory the
    /// kernel caps (see `engine::template_sandbox`).
    #[command(hide = true)]
    RenderTemplate,
    /// Print this machine's hardware readings.
    Hw {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `list`'s options.
#[derive(Debug, clap::Args, Clone)]
pub struct ListArgs {
    /// Estimate options.
    #[command(flatten)]
    pub estimate: EstimateArgs,
    /// Add each model's published benchmark scores, with their settings (and, with --json,
    /// their sources).
    #[arg(long)]
    pub scores: bool,
}

/// Runs a subcommand and returns what to print.
pub fn run(cli: &Cli, command: &Command) -> Result<String, CliError> {
    let catalog = load_catalog(crate::paths::user_catalog_dir().as_deref());
    for issue in &catalog.issues {
        eprintln!("warning: {issue}");
    }
    match command {
        Command::RenderTemplate => crate::engine::template_sandbox::serve_one()
            .map(|()| String::new())
            .map_err(common::failure),
        Command::Chat(args) => chat::run_chat(args, cli.assume.as_deref()).map(|()| String::new()),
        Command::Get(args) => get::run_get(args, &catalog.models, cli.assume.as_deref()),
        Command::Plan(args) => plan::run_plan(args, &catalog.models),
        Command::Worker(args) => worker::run_worker(args),
        Command::EngineHost { rpc } => crate::engine::host::child::run_host(rpc)
            .map(|()| String::new())
            .map_err(common::failure),
        Command::Scan(args) => {
            let hw = machine(cli.assume.as_deref())?;
            Ok(scan::scan_output(args, &catalog.models, &hw))
        }
        Command::Hw { json } => {
            let hw = machine(cli.assume.as_deref())?;
            if *json {
                return Ok(to_json(&hw));
            }
            let mut out = hw_text(&hw);
            if hw.simulated.is_none() {
                out.push_str(&backends::backends_text());
            }
            Ok(out)
        }
        Command::List(ListArgs { estimate, scores }) => {
            let mut out = match cluster_assumed(cli.assume.as_deref()) {
                Some(_) if *scores && estimate.json => {
                    return Err(common::usage_error(
                        "--scores --json lists one machine: leave out the cluster in --assume"
                            .into(),
                    ))
                }
                Some(spec) => cluster::list_cluster(&catalog, estimate, spec)?,
                None => {
                    let hw = machine(cli.assume.as_deref())?;
                    list_output(&catalog, estimate, *scores, &hw)
                }
            };
            if *scores && !estimate.json {
                out.push_str(&benchmarks::scores_text(&catalog.models));
            }
            Ok(out)
        }
        Command::Fit {
            model,
            args,
            curve,
            launch,
        } => fit_command(&catalog, cli.assume.as_deref(), model, args, *curve, launch),
    }
}

/// `fit`: a catalog model or a file, on one machine (with llama.cpp's launch settings, the curve)
/// or across a cluster.
fn fit_command(
    catalog: &crate::catalog::LoadedCatalog,
    assume: Option<&str>,
    model: &str,
    args: &EstimateArgs,
    curve: bool,
    launch: &launch_args::LaunchArgs,
) -> Result<String, CliError> {
    let path = std::path::Path::new(model);
    let cluster = cluster_assumed(assume);
    // A cluster takes a `--tensor-split` over its devices; the other settings are one machine's.
    let mut beyond_split = launch.settings();
    beyond_split.tensor_split = Default::default();
    if (!beyond_split.is_default() && cluster.is_some())
        || (!launch.settings().is_default() && curve)
    {
        return Err(common::usage_error(
            "llama.cpp's launch settings (--cache-type-k, --n-cpu-moe, …) apply to a \
             model on one machine (a cluster takes --tensor-split; --curve none)"
                .into(),
        ));
    }
    if curve && (path.is_file() || cluster.is_some()) {
        return Err(common::usage_error(
            "--curve draws a catalog model on one machine (not a file, not a cluster)".into(),
        ));
    }
    if path.is_file() {
        let hw = machine(assume)?;
        return file_fit(path, &catalog.models, args, launch, &hw);
    }
    let m = find_model(&catalog.models, model)?;
    if let Some(spec) = cluster {
        return cluster::fit_cluster(m, args, spec, &launch.settings().tensor_split);
    }
    let hw = machine(assume)?;
    let settings = launch.checked(&m.architecture, hw.gpus.len())?;
    let ctx = effective_context(args.ctx, Some(m.architecture.context_tokens));
    let report =
        crate::estimate::fit::estimate_with_settings(m, args.quant, ctx.ctx_tokens, &hw, &settings);
    if curve {
        return Ok(benchmarks::curve_output(m, args.quant, &report, args.json));
    }
    if args.json {
        return Ok(to_json(&report));
    }
    let split = crate::estimate::fit::weight_split(
        &m.architecture,
        args.quant,
        crate::estimate::tensors::MlaLayout::Split,
    );
    let mut out = fit_text(&FitSubject::model(m, &report), &report, &ctx, &hw);
    out.push_str(&estimate::settings_text(
        &report,
        &m.architecture,
        &settings,
        &split,
        &hw,
    ));
    Ok(out)
}
