//! `list --scores` and `fit --curve`: the catalog's published benchmark scores, each setting named
//! once below them, and a model's memory against context length with where it stops fitting.

use serde::Serialize;

use super::common::to_json;
use crate::catalog::scores::Score;
use crate::catalog::Model;
use crate::estimate::curve::{memory_curve, CurvePoint};
use crate::estimate::fit::FitReport;
use crate::estimate::quant::Quant;
use crate::format::{format_bytes, group_digits};

/// The scores section printed under `list`: one line per model with each score and the number of
/// its setting, then the settings. Sources are in `--json` and on the window's card.
pub(crate) fn scores_text(models: &[Model]) -> String {
    let mut settings: Vec<&str> = Vec::new();
    let mut out = String::from(
        "\nPublished benchmark scores (figures compare only within one setting [n]):\n",
    );
    for m in models {
        if m.scores.is_empty() {
            out.push_str(&format!("{:<31} not reported in its sources\n", m.name));
            continue;
        }
        let parts: Vec<String> = m
            .scores
            .iter()
            .map(|s| {
                let n = match settings.iter().position(|x| *x == s.setting) {
                    Some(i) => i + 1,
                    None => {
                        settings.push(&s.setting);
                        settings.len()
                    }
                };
                format!("{} {} {} [{n}]", s.benchmark, s.metric, s.value_label())
            })
            .collect();
        out.push_str(&format!("{:<31} {}\n", m.name, parts.join(" · ")));
    }
    out.push_str("\nSettings:\n");
    for (i, s) in settings.iter().enumerate() {
        out.push_str(&format!("[{}] {s}\n", i + 1));
    }
    out.push_str("Each score's source (document, table, row): seekdeck list --scores --json, or the model's card.\n");
    out
}

/// `fit --curve --json`.
#[derive(Debug, Serialize)]
struct CurveJson<'a> {
    model: &'a str,
    quant: Quant,
    /// VRAM usable on this machine (after the safety margin).
    vram_budget_bytes: u64,
    /// VRAM and RAM usable together.
    vram_and_ram_budget_bytes: u64,
    /// The longest context of the points that fits in VRAM alone, and in VRAM and RAM.
    longest_ctx_in_vram: Option<u32>,
    longest_ctx_in_vram_and_ram: Option<u32>,
    points: Vec<CurvePoint>,
    /// The scores the model's sources publish.
    scores: &'a [Score],
}

/// `fit MODEL --curve`: the model's memory at each context length from 1K tokens to its trained
/// length, against this machine's usable VRAM and VRAM + RAM (taken from `report`).
pub(crate) fn curve_output(m: &Model, quant: Quant, report: &FitReport, json: bool) -> String {
    let vram = report.vram_budget_bytes;
    let both = vram + report.ram_budget_bytes;
    let (points, limits) = memory_curve(m, quant, vram, report.ram_budget_bytes);
    let (in_vram, in_both) = (limits.in_vram, limits.in_vram_and_ram);
    if json {
        return to_json(&CurveJson {
            model: &m.id,
            quant,
            vram_budget_bytes: vram,
            vram_and_ram_budget_bytes: both,
            longest_ctx_in_vram: in_vram,
            longest_ctx_in_vram_and_ram: in_both,
            points,
            scores: &m.scores,
        });
    }
    let mut out = format!(
        "{} at {quant}: memory against context length\n{:>9} {:>10} {:>10} {:>10} {:>10}\n",
        m.name, "context", "weights", "KV cache", "compute", "total"
    );
    for p in &points {
        let mark = if p.total_bytes() <= vram {
            "fits in VRAM"
        } else if p.total_bytes() <= both {
            "fits in VRAM + RAM"
        } else {
            "does not fit"
        };
        out.push_str(&format!(
            "{:>9} {:>10} {:>10} {:>10} {:>10}  {mark}\n",
            group_digits(u64::from(p.ctx_tokens)),
            format_bytes(p.weights_bytes),
            format_bytes(p.kv_cache_bytes),
            format_bytes(p.compute_bytes),
            format_bytes(p.total_bytes()),
        ));
    }
    let longest = |limit: Option<u32>| {
        limit.map_or("no context".to_string(), |c| {
            format!("up to {} tokens", group_digits(u64::from(c)))
        })
    };
    out.push_str(&format!(
        "Usable VRAM {}: {}; VRAM + RAM {}: {}\n",
        format_bytes(vram),
        longest(in_vram),
        format_bytes(both),
        longest(in_both)
    ));
    out
}
