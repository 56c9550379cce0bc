//! `seekdeck chat FILE` or `seekdeck chat --server URL`: the engine from the terminal, local or
//! served. One turn with `--prompt`, else an interactive loop (empty line or end of input to
//! quit). Text streams to stdout; load progress, statistics and errors go to stderr.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use super::common::{failure, machine, usage_error, CliError};
use crate::catalog::builtin_catalog_models;
use crate::chat::defaults::{recommended_sampling, served_model_defaults};
use crate::chat::{ChatMessage, Conversation};
use crate::engine::remote::{normalize_base_url, Client};
use crate::engine::{
    Engine, EngineError, Event, FinishReason, Prompt, RemoteServer, Request, SamplingParams,
};
use crate::estimate::launch_settings::TensorSplit;
use crate::estimate::placement::Placement;
use crate::hardware::rpc_probe::{probe_worker, ProbeError};
use crate::local::inspect_path;
use std::time::Duration;

/// Options of `seekdeck chat`.
#[derive(Debug, Args, Clone)]
pub struct ChatArgs {
    /// The GGUF file (not with --server).
    #[arg(required_unless_present = "server", conflicts_with = "server")]
    pub file: Option<PathBuf>,
    /// Chat with a model on an OpenAI-compatible server instead, e.g. http://127.0.0.1:8080 or
    /// https://api.deepseek.com.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The server's model to use (default: the only one it serves).
    #[arg(long, requires = "server")]
    pub model: Option<String>,
    /// The environment variable holding the server's API key (the key itself never goes on the
    /// command line, where other users could read it).
    #[arg(long, value_name = "VAR", requires = "server")]
    pub api_key_env: Option<String>,
    /// Ask this and exit; without it, chat interactively.
    #[arg(long)]
    pub prompt: Option<String>,
    /// System prompt.
    #[arg(long)]
    pub system: Option<String>,
    /// Context length in tokens.
    #[arg(long, default_value_t = 4096)]
    pub ctx: u32,
    /// Sampling seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u32,
    /// Temperature (0 = greedy). DeepSeek recommends 0.6 for R1 and its distills.
    #[arg(long, default_value_t = 0.6)]
    pub temp: f32,
    /// Most tokens per answer (default: the longest answer the model's card evaluates with —
    /// 32,768 for R1 and its distills — within the context; 2,048 for a model with no such figure).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Keep every layer on the CPU (by default the layers go to the GPU as the window's Launch
    /// places them: the estimate, checked by llama.cpp's dry runs on a GPU build).
    #[arg(long)]
    pub cpu_only: bool,
    /// Use one of llama.cpp's built-in chat formats (deepseek3, deepseek2, deepseek, chatml, …)
    /// instead of the GGUF's own template, e.g. when that template fails.
    #[arg(long, value_name = "NAME", conflicts_with = "server")]
    pub chat_format: Option<String>,
    /// Split the model across other machines' `seekdeck worker`s as well as this PC (comma-separated
    /// HOST:PORT), in proportion to each one's free memory.
    #[arg(long, value_name = "HOST:PORT,…", value_delimiter = ',', conflicts_with_all = ["server", "cpu_only"])]
    pub rpc: Vec<String>,
    /// llama.cpp's launch settings (a local file).
    #[command(flatten)]
    pub launch: super::launch_args::LaunchArgs,
}

/// The sampling a conversation starts with and whether answers open with a reasoning part that
/// the template began (R1 and its distills).
type ModelDefaults = (SamplingParams, bool);

/// Loads the file, placed as the window's Launch places it (or on the CPU with `--cpu-only`);
/// its catalog model's defaults.
fn load(
    engine: &Engine,
    file: &Path,
    args: &ChatArgs,
    assume: Option<&str>,
) -> Result<ModelDefaults, CliError> {
    let models = builtin_catalog_models();
    let local = inspect_path(file, &models);
    let catalog_model = local
        .catalog_match
        .as_ref()
        .and_then(|m| models.iter().find(|c| c.id == m.model_id));
    let reasoning = catalog_model.is_some_and(|m| m.reasoning);
    // A header seekdeck cannot read is one llama.cpp cannot load: say what is wrong with it.
    if let Err(problem) = &local.info {
        return Err(failure(format!("{}: {problem}", file.display())));
    }
    let this_pc = machine(assume)?;
    let settings = match local.info.as_ref().ok().and_then(|i| i.arch.as_ref().ok()) {
        Some(arch) => args.launch.checked(arch, this_pc.gpus.len())?,
        None => args.launch.settings(),
    };
    if !settings.is_default() {
        eprintln!("settings: {}", settings.summary());
    }
    let ctx = local.context(args.ctx);
    if let Some(note) = ctx.cap_note() {
        eprintln!("context: {note}");
    }
    let mut settings = settings;
    let placement = if args.cpu_only {
        Placement::default()
    } else if !args.rpc.is_empty() {
        let asked = settings.tensor_split.clone();
        let (placement, split) =
            cluster_placement(&local, ctx.ctx_tokens, (&args.rpc, &asked), &this_pc)?;
        settings.tensor_split = split;
        placement
    } else {
        local.placement(ctx.ctx_tokens, &this_pc, &settings)
    };
    engine.send(Request::Load {
        path: file.to_path_buf(),
        ctx_tokens: ctx.ctx_tokens,
        placement,
        settings,
        cancel: Arc::default(),
    });
    let ctx_tokens = wait_loaded(engine, &args.rpc, args.cpu_only)?;
    Ok((recommended_sampling(catalog_model, ctx_tokens), reasoning))
}

/// The split across `--rpc` workers and this PC as the window's Launch makes it: GPUs first, then
/// this PC's RAM, the workers' RAM for the rest; each worker is read first (a worker that does
/// not answer is said here, in words, before llama.cpp is involved).
fn cluster_placement(
    local: &crate::local::LocalModel,
    ctx_tokens: u32,
    (endpoints, asked): (&[String], &TensorSplit),
    this_pc: &crate::hardware::HardwareSnapshot,
) -> Result<(Placement, TensorSplit), CliError> {
    let mut workers = Vec::new();
    for endpoint in endpoints {
        let reading = probe_worker(endpoint, Duration::from_secs(5)).map_err(|e| match e {
            ProbeError::BadEndpoint(_) => usage_error(e.to_string()),
            _ => failure(e.to_string()),
        })?;
        eprintln!(
            "{endpoint}: {} free",
            crate::format::format_bytes(reading.free_bytes())
        );
        workers.push(reading);
    }
    let Some(plan) = local.cluster_plan(ctx_tokens, this_pc, &workers, asked) else {
        return Ok(Default::default());
    };
    eprintln!(
        "split: {} of {} blocks on the devices ({}), the rest on this PC — {}",
        plan.gpu_layers.min(local.blocks()),
        local.blocks(),
        plan.flags(),
        crate::cli::cluster::verdict_text(&plan.verdict)
    );
    if let Some(note) = &plan.split_note {
        eprintln!("split: {note}");
    }
    Ok(plan.placement())
}

/// Connects to `--model` (or the only model) on `--server`, the key from `--api-key-env`; the
/// served model's defaults (its catalog entry's, by its id).
fn connect(engine: &Engine, url: &str, args: &ChatArgs) -> Result<ModelDefaults, CliError> {
    let base_url = normalize_base_url(url).map_err(|e| CliError {
        message: e.to_string(),
        code: 2,
    })?;
    let api_key = match &args.api_key_env {
        Some(var) => Some(std::env::var(var).map_err(|_| CliError {
            message: format!("the environment variable {var} (--api-key-env) is not set"),
            code: 2,
        })?),
        None => None,
    };
    let server = RemoteServer {
        name: crate::net::host_of(&base_url),
        base_url,
        api_key,
        stall_secs: 0,
    };
    let model = match &args.model {
        Some(m) => m.clone(),
        None => {
            let models = Client::new(&server)
                .models()
                .map_err(|e| failure(e.to_string()))?;
            match models.as_slice() {
                [only] => only.id.clone(),
                [] => return Err(failure(format!("{} serves no models", server.name))),
                many => {
                    let ids: Vec<&str> = many.iter().map(|m| m.id.as_str()).collect();
                    return Err(CliError {
                        message: format!(
                            "{} serves {} models; choose one with --model: {}",
                            server.name,
                            many.len(),
                            ids.join(", ")
                        ),
                        code: 2,
                    });
                }
            }
        }
    };
    engine.send(Request::Connect {
        server,
        model: model.clone(),
        cancel: Arc::default(),
    });
    let ctx_tokens = wait_loaded(engine, &[], false)?;
    Ok(served_model_defaults(
        &model,
        &builtin_catalog_models(),
        ctx_tokens,
    ))
}

/// Waits for the model in the slot, saying what it is on stderr (`across`: the other machines it
/// runs across; `cpu_only`: the CPU was asked for, so no reason is given for it); its context in
/// tokens (0 when a server does not say).
fn wait_loaded(engine: &Engine, across: &[String], cpu_only: bool) -> Result<u32, CliError> {
    loop {
        match engine.events.recv() {
            Ok(Event::Progress(_)) => {}
            Ok(Event::Loaded(info)) if info.source.file().is_none() => {
                eprintln!(
                    "connected to {} in {:.1} s{}",
                    info.source.label(),
                    info.load_secs,
                    if info.ctx_tokens > 0 {
                        format!(", {} tokens of context", info.ctx_tokens)
                    } else {
                        String::new()
                    }
                );
                return Ok(info.ctx_tokens);
            }
            Ok(Event::Loaded(info)) => {
                eprintln!(
                    "loaded {} ({}, {} parameters) in {:.2} s, {} tokens of context, {}",
                    info.source.label(),
                    info.architecture,
                    info.params,
                    info.load_secs,
                    info.ctx_tokens,
                    match &info.split_check {
                        _ if !across.is_empty() => info.offload.across_machines(across),
                        Some(check) => check.to_string(),
                        None => info.offload.to_string(),
                    }
                );
                if info.offload.gpu_layers == 0 && across.is_empty() && !cpu_only {
                    if let Some(why) = crate::llama::backend::backend_report().why_cpu_only() {
                        eprintln!("llama.cpp runs on the CPU: {why}");
                    }
                }
                return Ok(info.ctx_tokens);
            }
            Ok(Event::Failed { error, .. }) => return Err(failure(error.to_string())),
            Ok(_) => {}
            Err(_) => return Err(failure("the engine stopped".into())),
        }
    }
}

/// Why an answer ended, in words (an answer cut at the length limit says so and how to raise it).
fn finish_words(reason: FinishReason, max_tokens: u32) -> String {
    match reason {
        FinishReason::EndOfTurn => "end of answer".into(),
        FinishReason::Stopped => "stopped".into(),
        FinishReason::MaxTokens => {
            format!("stopped at the answer-length limit of {max_tokens} tokens (--max-tokens)")
        }
        FinishReason::ContextFull => "the context is full".into(),
    }
}

/// Runs the chat; returns when done. The layers are placed for the `--assume` machine when
/// given (e.g. "8GiB GPU" to leave the rest of a bigger card free), else for this PC.
pub(crate) fn run_chat(args: &ChatArgs, assume: Option<&str>) -> Result<(), CliError> {
    let engine = if args.rpc.is_empty() {
        Engine::spawn(|| {})
    } else {
        std::env::current_exe().and_then(|exe| Engine::spawn_host(&exe, &args.rpc, || {}))
    }
    .map_err(|e| failure(format!("cannot start the engine: {e}")))?;
    let (defaults, reasoning) = match (&args.file, &args.server) {
        (Some(file), _) => load(&engine, file, args, assume)?,
        (None, Some(url)) => connect(&engine, url, args)?,
        (None, None) => return Err(failure("give a GGUF file or --server URL".into())),
    };
    let sampling = SamplingParams {
        temperature: args.temp,
        seed: args.seed,
        max_tokens: args.max_tokens.unwrap_or(defaults.max_tokens),
        ..SamplingParams::default()
    };
    // The window's conversation and its one history rule: earlier reasoning is never sent back,
    // and a failed turn is left out with its question, so the roles alternate.
    let mut conversation = Conversation::new(args.file.clone(), sampling, reasoning);
    conversation.system_prompt = args.system.clone().unwrap_or_default();
    let mut id = 0u64;
    let mut ask = |question: &str, conversation: &mut Conversation| -> Result<(), CliError> {
        conversation.push_user(question);
        let history = conversation.history();
        id += 1;
        engine.send(Request::Generate {
            id,
            prompt: match &args.chat_format {
                Some(format) => Prompt::ChatBuiltIn {
                    messages: history,
                    format: format.clone(),
                },
                None => Prompt::Chat(history),
            },
            sampling,
            cancel: Arc::default(),
        });
        let mut answer = String::new();
        let mut stdout = std::io::stdout();
        loop {
            match engine.events.recv() {
                Ok(Event::Piece { text, .. }) => {
                    answer.push_str(&text);
                    // A model may emit NUL characters; a terminal or a pipe gets none.
                    let _ = stdout.write_all(text.replace('\0', "").as_bytes());
                    let _ = stdout.flush();
                }
                Ok(Event::Finished { reason, stats, .. }) => {
                    println!();
                    eprintln!(
                        "[{} prompt + {} generated tokens, first token {:.2} s, {:.2} tokens/s, context {}/{}, {:?}]",
                        stats.prompt_tokens,
                        stats.generated_tokens,
                        stats.first_token_secs,
                        stats.tokens_per_sec,
                        stats.ctx_used_tokens,
                        stats.ctx_total_tokens,
                        finish_words(reason, sampling.max_tokens)
                    );
                    conversation.push_answer(&answer, reason, stats);
                    return Ok(());
                }
                Ok(Event::Failed { error, .. }) => {
                    conversation.messages.push(ChatMessage {
                        text: answer,
                        error: Some(error.to_string()),
                        ..ChatMessage::pending_answer()
                    });
                    let hint = if matches!(error, EngineError::Template(_)) {
                        " (--chat-format deepseek3, deepseek2, deepseek or chatml answers with one of llama.cpp's built-in formats instead)"
                    } else {
                        ""
                    };
                    return Err(failure(format!("{error}{hint}")));
                }
                Ok(_) => {}
                Err(_) => return Err(failure("the engine stopped".into())),
            }
        }
    };
    if let Some(prompt) = &args.prompt {
        return ask(prompt, &mut conversation);
    }
    let stdin = std::io::stdin();
    loop {
        eprint!("> ");
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            return Ok(());
        }
        if let Err(e) = ask(line.trim(), &mut conversation) {
            eprintln!("seekdeck: {}", e.message);
        }
    }
}
