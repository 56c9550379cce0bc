//! `seekdeck scan`: the models found on this PC, each with its catalog entry and its own verdict
//! (from the file's real size and metadata) at the chosen context.

use std::path::PathBuf;

use clap::Args;

use super::common::to_json;
use crate::format::{format_bytes, plural};
use crate::hardware::HardwareSnapshot;
use crate::local::folders::{folders_file, load_folders, user_folder_roots};
use crate::local::locations::user_roots;
use crate::local::{scan_roots, HeaderCache, LocalModel, Root, Source};

/// Options of `seekdeck scan`.
#[derive(Debug, Args, Clone)]
pub struct ScanArgs {
    /// Also scan this folder (repeatable); the folders added in the window are always scanned.
    #[arg(long = "dir", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Context length for the verdicts.
    #[arg(long, default_value_t = crate::estimate::placement::DEFAULT_CTX_TOKENS, value_parser = clap::value_parser!(u32).range(1..))]
    pub ctx: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// The roots a scan covers: the usual places, the window's added folders and `--dir`s.
pub(crate) fn scan_roots_for(args: &ScanArgs) -> Vec<Root> {
    let mut roots = user_roots();
    if let Some(file) = folders_file() {
        roots.extend(user_folder_roots(&load_folders(&file)));
    }
    roots.extend(args.dirs.iter().map(|d| Root {
        source: Source::UserFolder,
        path: d.clone(),
    }));
    roots
}

/// Runs the scan and formats it.
pub(crate) fn scan_output(
    args: &ScanArgs,
    models: &[crate::catalog::Model],
    hw: &HardwareSnapshot,
) -> String {
    let roots = scan_roots_for(args);
    let mut cache = HeaderCache::load(HeaderCache::user_file());
    let found = scan_roots(&roots, models, &mut cache);
    cache.save();
    if args.json {
        let rows: Vec<_> = found
            .iter()
            .map(|m| {
                let fit = m.estimate(args.ctx, hw);
                serde_json::json!({
                    "file": m.row(),
                    "verdict": fit.as_ref().map(|f| f.verdict.label()),
                    "estimate": fit,
                })
            })
            .collect();
        return to_json(&rows);
    }
    let mut out = format!(
        "{}  |  {} tokens of context\n{} in {} searched\n",
        hw.summary(),
        args.ctx,
        plural(found.len(), "model file"),
        plural(roots.len(), "place")
    );
    for m in &found {
        out.push_str(&line(m, models, args.ctx, hw));
    }
    if found.is_empty() {
        out.push_str("Searched:\n");
        for r in &roots {
            out.push_str(&format!("  {} ({})\n", r.path.display(), r.source.label()));
        }
    }
    out
}

fn line(
    m: &LocalModel,
    models: &[crate::catalog::Model],
    ctx: u32,
    hw: &HardwareSnapshot,
) -> String {
    let head = format!(
        "\n{}  [{}]\n  {}\n",
        m.found.display_name,
        m.found.source.label(),
        m.found.path.display()
    );
    let Ok(info) = &m.info else {
        return format!(
            "{head}  cannot be used: {}\n",
            m.problem().unwrap_or_default()
        );
    };
    let catalog = m.catalog_label(models);
    let verdict = m.estimate(ctx, hw).map_or_else(
        || m.problem().unwrap_or_default(),
        |f| {
            format!(
                "{} ({})",
                f.verdict.label(),
                format_bytes(f.breakdown.total_bytes())
            )
        },
    );
    let mut out = format!(
        "{head}  {catalog} · {} · {} parameters · {} on disk\n  {verdict}\n",
        info.quant_label(),
        info.params_label(),
        format_bytes(info.file_bytes),
    );
    if let Some(note) = m.legacy_note(ctx) {
        out.push_str(&format!("  {note}\n"));
    }
    out
}
