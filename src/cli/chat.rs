//! `seekdeck chat FILE`: the engine from the terminal. One turn with `--prompt`, else an
//! interactive loop (empty line or end of input to quit). Text streams to stdout; load progress,
//! statistics and errors go to stderr.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use super::common::{machine, CliError};
use crate::catalog::builtin_catalog_models;
use crate::engine::{Engine, Event, Prompt, Request, SamplingParams, TemplateMessage};
use crate::estimate::placement::Placement;
use crate::local::inspect_path;

/// Options of `seekdeck chat`.
#[derive(Debug, Args, Clone)]
pub struct ChatArgs {
    /// The GGUF file.
    pub file: PathBuf,
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
    /// Most tokens per answer.
    #[arg(long, default_value_t = 2048)]
    pub max_tokens: u32,
    /// Keep every layer on the CPU (by default the layers go to the GPU as the window's Launch
    /// places them: the estimate, checked by llama.cpp's dry runs on a GPU build).
    #[arg(long)]
    pub cpu_only: bool,
}

fn fail(message: String) -> CliError {
    CliError { message, code: 1 }
}

/// Loads the file, placed as the window's Launch places it (or on the CPU with `--cpu-only`).
fn load(engine: &Engine, args: &ChatArgs, assume: Option<&str>) -> Result<(), CliError> {
    let local = inspect_path(&args.file, &builtin_catalog_models());
    // A header seekdeck cannot read is one llama.cpp cannot load: say what is wrong with it.
    if let Err(problem) = &local.info {
        return Err(fail(format!("{}: {problem}", args.file.display())));
    }
    let ctx = local.context(args.ctx);
    if let Some(note) = ctx.cap_note() {
        eprintln!("context: {note}");
    }
    let placement = if args.cpu_only {
        Placement::default()
    } else {
        local.placement(ctx.ctx_tokens, &machine(assume)?)
    };
    engine.send(Request::Load {
        path: args.file.clone(),
        ctx_tokens: ctx.ctx_tokens,
        placement,
        cancel: Arc::default(),
    });
    loop {
        match engine.events.recv() {
            Ok(Event::Progress(_)) => {}
            Ok(Event::Loaded(info)) => {
                eprintln!(
                    "loaded {} ({}, {} parameters) in {:.1} s, {} tokens of context, {}",
                    info.path.display(),
                    info.architecture,
                    info.params,
                    info.load_secs,
                    info.ctx_tokens,
                    info.split_check
                        .as_ref()
                        .map_or_else(|| info.offload.to_string(), ToString::to_string)
                );
                return Ok(());
            }
            Ok(Event::Failed { error, .. }) => return Err(fail(error.to_string())),
            Ok(_) => {}
            Err(_) => return Err(fail("the engine stopped".into())),
        }
    }
}

/// Runs the chat; returns when done. The layers are placed for the `--assume` machine when
/// given (e.g. "8GiB GPU" to leave the rest of a bigger card free), else for this PC.
pub(crate) fn run_chat(args: &ChatArgs, assume: Option<&str>) -> Result<(), CliError> {
    let engine = Engine::spawn(|| {}).map_err(|e| fail(format!("cannot start the engine: {e}")))?;
    load(&engine, args, assume)?;
    let sampling = SamplingParams {
        temperature: args.temp,
        seed: args.seed,
        max_tokens: args.max_tokens,
        ..SamplingParams::default()
    };
    let mut history: Vec<TemplateMessage> = args
        .system
        .iter()
        .map(|s| TemplateMessage::new("system", s))
        .collect();
    let mut id = 0u64;
    let mut ask = |question: &str, history: &mut Vec<TemplateMessage>| -> Result<(), CliError> {
        history.push(TemplateMessage::new("user", question));
        id += 1;
        engine.send(Request::Generate {
            id,
            prompt: Prompt::Chat(history.clone()),
            sampling,
            cancel: Arc::default(),
        });
        let mut answer = String::new();
        let mut stdout = std::io::stdout();
        loop {
            match engine.events.recv() {
                Ok(Event::Piece { text, .. }) => {
                    answer.push_str(&text);
                    let _ = stdout.write_all(text.as_bytes());
                    let _ = stdout.flush();
                }
                Ok(Event::Finished { reason, stats, .. }) => {
                    println!();
                    eprintln!(
                        "[{} prompt + {} generated tokens, first token {:.2} s, {:.1} tokens/s, context {}/{}, {:?}]",
                        stats.prompt_tokens,
                        stats.generated_tokens,
                        stats.first_token_secs,
                        stats.tokens_per_sec,
                        stats.ctx_used_tokens,
                        stats.ctx_total_tokens,
                        reason
                    );
                    history.push(TemplateMessage::new("assistant", &answer));
                    return Ok(());
                }
                Ok(Event::Failed { error, .. }) => {
                    history.pop();
                    return Err(fail(error.to_string()));
                }
                Ok(_) => {}
                Err(_) => return Err(fail("the engine stopped".into())),
            }
        }
    };
    if let Some(prompt) = &args.prompt {
        return ask(prompt, &mut history);
    }
    let stdin = std::io::stdin();
    loop {
        eprint!("> ");
        let mut line = String::new();
        if stdin.lock().read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            return Ok(());
        }
        if let Err(e) = ask(line.trim(), &mut history) {
            eprintln!("seekdeck: {}", e.message);
        }
    }
}
