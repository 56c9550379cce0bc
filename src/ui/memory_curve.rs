//! The card's memory-against-context plot: weights, KV cache and compute stacked for the chosen
//! quantization from 1K tokens to the model's trained length, with the machine's usable VRAM and
//! VRAM + RAM as lines and the toolbar's context marked; the same estimate as the card's bar
//! ([`crate::estimate::curve`]). Below it, in words, the longest context each budget holds.

use egui::{RichText, Ui};
use egui_plot::{FilledArea, HLine, Legend, Plot, VLine};

use super::theme;
use crate::estimate::curve::{CurveLimits, CurvePoint};
use crate::estimate::fit::FitReport;
use crate::format::{format_bytes, group_digits};

const GIB: f64 = (1u64 << 30) as f64;

/// Draws the plot of `curve` against the budgets of `fit` (the card's estimate at the toolbar's
/// quantization and context).
pub(crate) fn memory_curve_ui(
    ui: &mut Ui,
    curve: &[CurvePoint],
    limits: CurveLimits,
    fit: &FitReport,
) {
    if curve.is_empty() {
        return;
    }
    ui.label(RichText::new(format!("Memory against context length at {}", fit.quant)).strong());
    let xs: Vec<f64> = curve
        .iter()
        .map(|p| f64::from(p.ctx_tokens) / 1024.0)
        .collect();
    let gib = |f: fn(&CurvePoint) -> u64| -> Vec<f64> {
        curve.iter().map(|p| f(p) as f64 / GIB).collect()
    };
    let zero = vec![0.0; curve.len()];
    let weights = gib(|p| p.weights_bytes);
    let with_kv = gib(|p| p.weights_bytes + p.kv_cache_bytes);
    let total = gib(CurvePoint::total_bytes);
    let vram = fit.vram_budget_bytes;
    let both = vram + fit.ram_budget_bytes;
    let points = curve.to_vec();
    Plot::new("memory_curve")
        .height(220.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .include_y(0.0)
        .x_axis_label("context (K tokens)")
        .y_axis_label("GiB")
        .label_formatter(move |pos| {
            let x = match pos {
                egui_plot::HoverPosition::NearDataPoint { position, .. }
                | egui_plot::HoverPosition::Elsewhere { position } => position.x,
            };
            let p = points.iter().min_by(|a, b| {
                let da = (f64::from(a.ctx_tokens) / 1024.0 - x).abs();
                let db = (f64::from(b.ctx_tokens) / 1024.0 - x).abs();
                da.total_cmp(&db)
            })?;
            Some(point_words(p))
        })
        .show(ui, |plot| {
            plot.add(
                FilledArea::new("Weights", &xs, &zero, &weights)
                    .fill_color(theme::WEIGHTS.gamma_multiply(0.7)),
            );
            plot.add(
                FilledArea::new("KV cache", &xs, &weights, &with_kv)
                    .fill_color(theme::KV_CACHE.gamma_multiply(0.7)),
            );
            plot.add(
                FilledArea::new("Compute and overhead", &xs, &with_kv, &total)
                    .fill_color(theme::COMPUTE.gamma_multiply(0.7)),
            );
            if vram > 0 {
                plot.add(
                    HLine::new(
                        format!("Usable VRAM ({})", format_bytes(vram)),
                        vram as f64 / GIB,
                    )
                    .color(theme::VRAM_MARK)
                    .width(2.0),
                );
            }
            plot.add(
                HLine::new(budget_name(vram, both), both as f64 / GIB)
                    .color(theme::verdict_fill(&crate::estimate::fit::Verdict::CpuOnly))
                    .width(2.0),
            );
            plot.add(
                VLine::new(
                    format!(
                        "This context ({} tokens)",
                        group_digits(u64::from(fit.ctx_tokens))
                    ),
                    f64::from(fit.ctx_tokens) / 1024.0,
                )
                .color(egui::Color32::GRAY),
            );
        });
    ui.label(limits_words(curve, limits, vram > 0));
}

fn budget_name(vram: u64, both: u64) -> String {
    if vram > 0 {
        format!("Usable VRAM + RAM ({})", format_bytes(both))
    } else {
        format!("Usable RAM ({})", format_bytes(both))
    }
}

/// "32,768 tokens: weights …, KV cache …, compute …, total …".
fn point_words(p: &CurvePoint) -> String {
    format!(
        "{} tokens\nweights {}\nKV cache {}\ncompute and overhead {}\ntotal {}",
        group_digits(u64::from(p.ctx_tokens)),
        format_bytes(p.weights_bytes),
        format_bytes(p.kv_cache_bytes),
        format_bytes(p.compute_bytes),
        format_bytes(p.total_bytes())
    )
}

/// Where the model stops fitting, in words (the plot's lines say it in colour).
pub(crate) fn limits_words(curve: &[CurvePoint], limits: CurveLimits, has_vram: bool) -> String {
    let max = curve.last().map_or(0, |p| p.ctx_tokens);
    let say = |limit: Option<u32>, place: &str| match limit {
        Some(c) if c == max => format!(
            "fits in {place} at every context up to its {} tokens",
            group_digits(u64::from(c))
        ),
        Some(c) => format!(
            "fits in {place} up to {} tokens of context",
            group_digits(u64::from(c))
        ),
        None => format!("does not fit in {place} at any context"),
    };
    if has_vram {
        format!(
            "It {}; it {}.",
            say(limits.in_vram, "VRAM"),
            say(limits.in_vram_and_ram, "VRAM + RAM")
        )
    } else {
        format!("It {}.", say(limits.in_vram_and_ram, "RAM"))
    }
}
