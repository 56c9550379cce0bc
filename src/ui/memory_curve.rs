//! The card's memory-against-context plot: weights, KV cache and compute stacked for the chosen
//! quantization from 1K tokens to the model's trained length, with the machine's usable VRAM and
//! VRAM + RAM as lines and the toolbar's context marked; the same estimate as the card's bar
//! ([`crate::estimate::curve`]). Below it, in words, the longest context each budget holds.

use egui::{RichText, Ui};
use egui_plot::{FilledArea, GridInput, GridMark, HLine, Plot, VLine};

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
    ui.label(limits_words(curve, limits, fit.vram_budget_bytes > 0));
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
    let this_context = format!(
        "This context ({} tokens)",
        group_digits(u64::from(fit.ctx_tokens))
    );
    let vram_line = format!("Usable VRAM ({})", format_bytes(vram));
    let both_line = budget_name(vram, both);
    let both_color = theme::verdict_fill(&crate::estimate::fit::Verdict::CpuOnly);
    // The legend above the plot, not inside it, where it covered the curve.
    let lines = [
        (vram > 0).then_some((vram_line.as_str(), theme::VRAM_MARK)),
        Some((both_line.as_str(), both_color)),
        Some((this_context.as_str(), egui::Color32::GRAY)),
    ];
    legend_ui(ui, &lines);
    Plot::new("memory_curve")
        .height(220.0)
        .y_grid_spacer(nice_marks)
        .y_axis_min_width(36.0)
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
                    HLine::new(vram_line, vram as f64 / GIB)
                        .color(theme::VRAM_MARK)
                        .width(2.0),
                );
            }
            plot.add(
                HLine::new(both_line, both as f64 / GIB)
                    .color(both_color)
                    .width(2.0),
            );
            plot.add(
                VLine::new(this_context, f64::from(fit.ctx_tokens) / 1024.0)
                    .color(egui::Color32::GRAY),
            );
        });
}

/// The plot's legend as a row above it: the three stacked parts, then `lines` (name, colour).
fn legend_ui(ui: &mut Ui, lines: &[Option<(&str, egui::Color32)>]) {
    use super::memory_bar::{legend_entry, Marker};
    ui.horizontal_wrapped(|ui| {
        for (name, color) in [
            ("Weights", theme::WEIGHTS),
            ("KV cache", theme::KV_CACHE),
            ("Compute and overhead", theme::COMPUTE),
        ] {
            legend_entry(ui, Marker::Square(color), name.to_owned());
        }
        for &(name, color) in lines.iter().flatten() {
            legend_entry(ui, Marker::Line(color), name.to_owned());
        }
    });
}

/// Grid lines at a round step (1, 2 or 5 × a power of ten) giving about five labelled lines: with
/// egui_plot's default steps of ten a 90 GiB axis 200 points tall showed no figure but 0.
pub(crate) fn nice_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let raw = ((hi - lo) / 5.0).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut marks = Vec::new();
    let mut v = (lo / step).ceil() * step;
    while v <= hi && marks.len() < 100 {
        marks.push(GridMark {
            // Never "-0": a bound just below zero rounds up to a negative zero.
            value: if v.abs() < step * 1e-9 { 0.0 } else { v },
            step_size: step,
        });
        v += step;
    }
    marks
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
