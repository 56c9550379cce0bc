//! `seekdeck get`: a catalog model's GGUF files on the Hub with this PC's verdict for each (read
//! from each file's header by range requests), and the download of the one asked for — or the
//! one recommended — with a terminal progress bar. Interrupted, the same command continues
//! where it stopped.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::common::{find_model, machine, to_json, usage_error, CliError};
use crate::catalog::Model;
use crate::estimate::placement::DEFAULT_CTX_TOKENS;
use crate::format::format_bytes;
use crate::hardware::HardwareSnapshot;
use crate::hub::{
    choose_file, download, recommend, survey, Control, FileChoice, Http, HubConfig, Progress,
    RemoteHeaders, TransferEnd, TransferSettings,
};

/// `seekdeck get` options.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// Model id or name, e.g. r1-distill-qwen-7b (its catalog GGUF repositories are listed).
    pub model: String,
    /// The quantization to download, e.g. Q4_K_M (default: the recommended file).
    #[arg(long, value_name = "Q", conflicts_with = "file")]
    pub quant: Option<String>,
    /// The file to download, by its name or path in the repository.
    #[arg(long, value_name = "NAME")]
    pub file: Option<String>,
    /// A repository to list instead of the catalog's (owner/name; may be repeated).
    #[arg(long = "repo", value_name = "ID")]
    pub repos: Vec<String>,
    /// List the files with their verdicts; download nothing.
    #[arg(long)]
    pub list: bool,
    /// With --list: print JSON.
    #[arg(long, requires = "list")]
    pub json: bool,
    /// Context length the verdicts are for.
    #[arg(long, default_value_t = DEFAULT_CTX_TOKENS, value_parser = clap::value_parser!(u32).range(1..))]
    pub ctx: u32,
}

/// One file of `get --list --json`.
#[derive(Debug, Serialize)]
struct RemoteRow {
    repo: String,
    file: String,
    paths: Vec<String>,
    bytes: u64,
    quantization: String,
    verdict: Option<String>,
    vram_bytes: Option<u64>,
    ram_bytes: Option<u64>,
    recommended: bool,
    problem: Option<String>,
}

/// Runs `seekdeck get`.
pub fn run_get(args: &GetArgs, models: &[Model], assume: Option<&str>) -> Result<String, CliError> {
    let model = find_model(models, &args.model);
    let repos = if args.repos.is_empty() {
        model
            .as_ref()
            .map_err(|e| usage_error(e.message.clone()))?
            .gguf_repos
            .clone()
    } else {
        args.repos.clone()
    };
    if repos.is_empty() {
        return Err(usage_error(format!(
            "the catalog knows no GGUF repository for {}; name one with --repo owner/name",
            args.model
        )));
    }
    // What the user typed is checked before anything is asked: bad input exits 2 in its own words.
    if let Some(bad) = args
        .repos
        .iter()
        .find(|r| !crate::hub::repo::valid_repo_id(r))
    {
        return Err(usage_error(format!(
            "--repo \"{bad}\" is not a Hugging Face repository id: give one like owner/name"
        )));
    }
    let hw = machine(assume)?;
    let config = HubConfig::from_env();
    if config.offline {
        return Err(CliError {
            message: "HF_HUB_OFFLINE is set: seekdeck does not ask the Hub (unset it to list or download)".to_owned(),
            code: 1,
        });
    }
    let http = Http::new(&config);
    let mut headers = RemoteHeaders::load(RemoteHeaders::user_file());
    eprintln!("Asking {} for {} …", config.endpoint, repos.join(", "));
    let found = survey(&http, &mut headers, &repos);
    headers.save();
    if found.files.is_empty() {
        let why = found.failed.first().map_or_else(
            || "no GGUF files listed".to_owned(),
            |(r, e)| format!("{r}: {e}"),
        );
        return Err(CliError {
            message: why,
            code: 1,
        });
    }
    // Said once: as a warning when other repositories answered, else as the error above.
    for (repo, e) in &found.failed {
        eprintln!("warning: {repo}: {e}");
    }
    let choices: Vec<FileChoice> = found
        .files
        .into_iter()
        .map(|(f, info)| FileChoice::new(f, info, args.ctx, &hw))
        .collect();
    if args.list {
        return Ok(list_text(args, &choices, &hw));
    }
    let index =
        choose_file(&choices, args.quant.as_deref(), args.file.as_deref()).map_err(usage_error)?;
    fetch(&config, &http, &choices[index])
}

fn list_text(args: &GetArgs, choices: &[FileChoice], hw: &HardwareSnapshot) -> String {
    let best = recommend(choices);
    if args.json {
        let rows: Vec<RemoteRow> = choices
            .iter()
            .enumerate()
            .map(|(i, c)| RemoteRow {
                repo: c.file.repo.clone(),
                file: c.file.name.clone(),
                paths: c.file.parts.iter().map(|p| p.path.clone()).collect(),
                bytes: c.file.bytes(),
                quantization: c.quant_label(),
                verdict: c.verdict().map(|v| v.label()),
                vram_bytes: c.report.as_ref().map(|r| r.gpu_bytes),
                ram_bytes: c.report.as_ref().map(|r| r.cpu_bytes),
                recommended: best == Some(i),
                problem: c.problem(),
            })
            .collect();
        return to_json(&rows);
    }
    let mut out = format!(
        "GGUF files for this PC ({}) at {} tokens; ★ recommended:\n",
        hw.summary(),
        args.ctx
    );
    let mut repo = "";
    for (i, c) in choices.iter().enumerate() {
        if c.file.repo != repo {
            repo = &c.file.repo;
            out.push_str(&format!("\n{repo}\n"));
        }
        let verdict = match (&c.report, c.problem()) {
            (Some(r), _) => format!(
                "{} — {} VRAM + {} RAM",
                r.verdict.label(),
                format_bytes(r.gpu_bytes),
                format_bytes(r.cpu_bytes)
            ),
            (None, Some(p)) => p,
            (None, None) => "unknown".to_owned(),
        };
        out.push_str(&format!(
            "  {} {:<48} {:<8} {:>9}  {verdict}\n",
            if best == Some(i) { "★" } else { " " },
            c.file.name,
            c.quant_label(),
            format_bytes(c.file.bytes()),
        ));
    }
    out
}

/// Downloads `choice` with a progress bar on stderr.
fn fetch(config: &HubConfig, http: &Http, choice: &FileChoice) -> Result<String, CliError> {
    let file = &choice.file;
    if let Some(r) = &choice.report {
        eprintln!(
            "{} ({}, {}): {} on this PC",
            file.name,
            choice.quant_label(),
            format_bytes(file.bytes()),
            r.verdict.label()
        );
    }
    eprintln!(
        "Downloading into {} — interrupt at any time: the same command continues where it stopped.",
        config.cache.display()
    );
    let progress = Arc::new(Progress::default());
    let control = Arc::new(Control::default());
    let worker = {
        let (http, cache, file, progress, control) = (
            http.clone(),
            config.cache.clone(),
            file.clone(),
            progress.clone(),
            control.clone(),
        );
        std::thread::Builder::new()
            .name("hub-download".to_owned())
            .spawn(move || {
                download(
                    &http,
                    &cache,
                    &file,
                    &progress,
                    &control,
                    TransferSettings::default(),
                )
            })
            .map_err(|e| CliError {
                message: format!("cannot start the download: {e}"),
                code: 1,
            })?
    };
    let bar = indicatif::ProgressBar::new(file.bytes());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    while !worker.is_finished() {
        bar.set_position(progress.done.load(Ordering::Relaxed));
        bar.set_message(if progress.checking.load(Ordering::Relaxed) {
            "checking"
        } else {
            "get"
        });
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.set_position(progress.done.load(Ordering::Relaxed));
    bar.finish_and_clear();
    let end = worker.join().map_err(|_| CliError {
        message: "the download thread failed".to_owned(),
        code: 1,
    })?;
    match end {
        Ok(TransferEnd::Done(path)) => Ok(format!(
            "{}\nVerified (SHA-256) and in the Hugging Face cache. Chat with it:\n  seekdeck chat \"{}\"\n",
            path.display(),
            path.display()
        )),
        Ok(other) => Err(CliError {
            message: format!("download stopped: {other:?}"),
            code: 1,
        }),
        Err(e) => Err(CliError {
            message: e.to_string(),
            code: 1,
        }),
    }
}
