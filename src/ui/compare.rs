//! The "Compare" view: every model whose sources report the picked benchmark (one benchmark, metric
//! and setting — scores measured differently are never put on one axis) as a point, its score
//! against its memory at the toolbar's quantization and context, marked by its verdict on the
//! machine shown in colour, marker shape and the legend's words, labelled with its name; the
//! models that do not report it are listed below.

use egui::{ComboBox, RichText, Ui};
use egui_plot::{
    Corner, GridInput, GridMark, Legend, MarkerShape, Plot, PlotPoint, Points, Text, VLine,
};

use super::theme;
use crate::app::command::Command;
use crate::app::App;
use crate::catalog::scores::{comparable_groups, ScoreKey};
use crate::estimate::fit::Verdict;
use crate::format::format_bytes;

const GIB: f64 = (1u64 << 30) as f64;

/// The verdicts in the legend's order, each with its marker.
const SERIES: [(Verdict, MarkerShape); 4] = [
    (Verdict::FitsGpu, MarkerShape::Circle),
    (
        Verdict::PartialOffload {
            gpu_layers: 0,
            total_layers: 0,
        },
        MarkerShape::Diamond,
    ),
    (Verdict::CpuOnly, MarkerShape::Square),
    (Verdict::TooLarge, MarkerShape::Cross),
];

/// The benchmark groups a user can pick, most reported first.
pub(crate) fn benchmark_choices(app: &App) -> Vec<(ScoreKey, usize)> {
    comparable_groups(app.catalog.models.iter().map(|m| m.scores.as_slice()))
}

/// The group shown among `choices`: the one picked, else the most reported.
fn shown_key(app: &App, choices: &[(ScoreKey, usize)]) -> Option<ScoreKey> {
    app.state
        .compare_key
        .clone()
        .filter(|k| choices.iter().any(|(c, _)| c == k))
        .or_else(|| choices.first().map(|(k, _)| k.clone()))
}

/// The switch above the central panel: the model table or the Compare plot.
pub(crate) fn view_switch_ui(ui: &mut Ui, compare: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        if ui.selectable_label(!compare, "Table").clicked() && compare {
            commands.push(Command::ShowCompare(false));
        }
        if ui
            .selectable_label(compare, "Compare")
            .on_hover_text("Benchmark scores against memory, coloured by what fits")
            .clicked()
            && !compare
        {
            commands.push(Command::ShowCompare(true));
        }
    });
    commands
}

/// Draws the view.
pub(crate) fn compare_ui(ui: &mut Ui, app: &App) -> Vec<Command> {
    let mut commands = Vec::new();
    let choices = benchmark_choices(app);
    let Some(key) = shown_key(app, &choices) else {
        ui.label("No model in the catalog has published scores.");
        return commands;
    };
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Benchmark:");
        ComboBox::from_id_salt("compare_benchmark")
            .selected_text(key.short_label())
            .width(260.0)
            .show_ui(ui, |ui| {
                for (k, n) in &choices {
                    let text = format!("{} — {n} models", k.short_label());
                    if ui
                        .selectable_label(*k == key, text)
                        .on_hover_text(&k.setting)
                        .clicked()
                    {
                        commands.push(Command::PickBenchmark(k.clone()));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        ui.label(
            RichText::new(format!(
                "memory at {} and {} tokens · {}",
                app.state.quant,
                app.state.ctx_tokens,
                machine_words(app)
            ))
            .weak(),
        );
    });
    ui.label(RichText::new(format!("Setting: {}", key.setting)).weak());
    let (reported, missing): (Vec<usize>, Vec<usize>) = (0..app.catalog.models.len())
        .partition(|&i| key.value_in(&app.catalog.models[i].scores).is_some());
    plot_ui(ui, app, &key, &reported);
    // The points in words too: a plot is not read aloud, and colour is never the only signal.
    let plotted: Vec<String> = reported
        .iter()
        .filter_map(|&i| {
            let m = &app.catalog.models[i];
            let score = key.value_in(&m.scores)?.value_label();
            let fit = app.fits.get(i)?;
            Some(format!(
                "{} {score} at {} ({})",
                m.name,
                format_bytes(fit.breakdown.total_bytes()),
                fit.verdict.short_label()
            ))
        })
        .collect();
    ui.label(format!("Plotted: {}.", plotted.join(" · ")));
    if !missing.is_empty() {
        let names: Vec<&str> = missing
            .iter()
            .map(|&i| app.catalog.models[i].name.as_str())
            .collect();
        ui.label(format!(
            "Not reported by their sources for {}: {}.",
            key.short_label(),
            names.join(", ")
        ));
    }
    commands
}

fn machine_words(app: &App) -> String {
    match &app.hw.simulated {
        Some(name) => format!("verdicts on the What-if machine ({name})"),
        None => "verdicts on this PC".into(),
    }
}

/// One point: model index, log10 of its memory in GiB (memory spans 1 GiB to 1 TB: on a linear
/// axis every small model sat in one corner), score.
type Point = (usize, f64, f64);

/// log10 of `bytes` in GiB, the x axis' coordinate.
fn log_gib(bytes: u64) -> f64 {
    (bytes as f64 / GIB).max(0.01).log10()
}

/// Grid lines at 1, 2 and 5 × each power of ten GiB, in the log coordinate.
fn log_marks(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let mut marks = Vec::new();
    for exp in (lo.floor() as i32 - 1)..=(hi.ceil() as i32) {
        for (m, step) in [(1.0, 1.0), (2.0, 0.3), (5.0, 0.3)] {
            let value = (m * 10f64.powi(exp)).log10();
            if (lo..=hi).contains(&value) {
                marks.push(GridMark {
                    value,
                    step_size: step,
                });
            }
        }
    }
    marks
}

/// "512 MiB", "8.0 GiB", "1.0 TiB" for a grid line.
fn gib_words(log: f64) -> String {
    format_bytes((10f64.powf(log) * GIB).round() as u64)
}

/// One verdict's points: its words, marker, colour and points.
type Series = (String, MarkerShape, egui::Color32, Vec<Point>);

/// The reported models' points, one series per verdict that has any.
fn series_of(app: &App, key: &ScoreKey, reported: &[usize]) -> Vec<Series> {
    let point = |i: usize| -> Option<Point> {
        let score = key.value_in(&app.catalog.models[i].scores)?;
        let x = log_gib(app.fits.get(i)?.breakdown.total_bytes());
        Some((i, x, score.value))
    };
    SERIES
        .iter()
        .map(|(v, shape)| {
            let pts: Vec<Point> = reported
                .iter()
                .filter(|&&i| {
                    app.fits
                        .get(i)
                        .is_some_and(|f| f.verdict.rank() == v.rank())
                })
                .filter_map(|&i| point(i))
                .collect();
            (
                v.short_label().to_string(),
                *shape,
                theme::verdict_fill(v),
                pts,
            )
        })
        .filter(|(_, _, _, pts)| !pts.is_empty())
        .collect()
}

fn plot_ui(ui: &mut Ui, app: &App, key: &ScoreKey, reported: &[usize]) {
    let models = &app.catalog.models;
    let series = series_of(app, key, reported);
    let budgets = app
        .fits
        .first()
        .map(|f| (f.vram_budget_bytes, f.ram_budget_bytes));
    let hover: Vec<(String, Vec<String>)> = series
        .iter()
        .map(|(name, _, _, pts)| {
            let lines = pts
                .iter()
                .map(|&(i, _, _)| hover_words(app, key, i))
                .collect();
            (name.clone(), lines)
        })
        .collect();
    Plot::new("compare_plot")
        .height((ui.available_height() - 40.0).clamp(220.0, 520.0))
        .legend(Legend::default().position(Corner::RightBottom))
        .include_y(0.0)
        .set_margin_fraction(egui::vec2(0.12, 0.08))
        .x_grid_spacer(log_marks)
        .x_axis_formatter(|mark, _| gib_words(mark.value))
        .y_grid_spacer(super::memory_curve::nice_marks)
        .y_axis_min_width(36.0)
        .x_axis_label(format!("memory at {} (log scale)", app.state.quant))
        .y_axis_label(key.short_label())
        .label_formatter(move |pos| match pos {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name, index, ..
            } => hover
                .iter()
                .find(|(n, _)| n == plot_name)
                .and_then(|(_, lines)| lines.get(*index).cloned()),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            if let Some((vram, ram)) = budgets {
                if vram > 0 {
                    plot.add(
                        VLine::new(
                            format!("Usable VRAM ({})", format_bytes(vram)),
                            log_gib(vram),
                        )
                        .color(theme::VRAM_MARK),
                    );
                }
                plot.add(
                    VLine::new(
                        format!("Usable VRAM + RAM ({})", format_bytes(vram + ram)),
                        log_gib(vram + ram),
                    )
                    .color(egui::Color32::GRAY),
                );
            }
            for (name, shape, color, pts) in &series {
                let xy: Vec<[f64; 2]> = pts.iter().map(|&(_, x, y)| [x, y]).collect();
                plot.add(
                    Points::new(name.clone(), xy)
                        .shape(*shape)
                        .color(*color)
                        .filled(true)
                        .radius(6.0),
                );
                for &(i, x, y) in pts {
                    plot.add(
                        Text::new(
                            name.clone(),
                            PlotPoint::new(x, y),
                            format!("  {}", short_name(&models[i].name)),
                        )
                        .color(*color)
                        .anchor(egui::Align2::LEFT_BOTTOM),
                    );
                }
            }
        });
}

fn hover_words(app: &App, key: &ScoreKey, i: usize) -> String {
    let m = &app.catalog.models[i];
    let score = key
        .value_in(&m.scores)
        .map(|s| s.value_label())
        .unwrap_or_default();
    let verdict = app
        .fits
        .get(i)
        .map(|f| f.verdict.label())
        .unwrap_or_default();
    format!(
        "{}\n{} {}: {score}\nmemory {} — {verdict}",
        m.name,
        key.benchmark,
        key.metric,
        app.fits
            .get(i)
            .map(|f| format_bytes(f.breakdown.total_bytes()))
            .unwrap_or_default(),
    )
}

/// A point's label: the name without the "DeepSeek" every model shares.
fn short_name(name: &str) -> &str {
    name.strip_prefix("DeepSeek-")
        .or_else(|| name.strip_prefix("DeepSeek "))
        .unwrap_or(name)
}
