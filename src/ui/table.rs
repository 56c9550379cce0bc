//! The model table: the seed document's columns plus a coloured "Fits this PC" column; sortable by
//! clicking a header, filtered by the search box; clicking a row opens the model's card.

use egui::{Label, RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};

use super::theme;
use crate::app::command::Command;
use crate::app::{App, SortColumn};
use crate::catalog::{Model, SeedFacts};
use crate::estimate::fit::{FitReport, Verdict};
use crate::estimate::speed::speed_line;
use crate::format::format_bytes;

/// Where the Model column's cells are drawn this frame, so that a table scrolled sideways keeps
/// the names in view (egui_extras has no frozen column: they are drawn again at the left edge).
#[derive(Default)]
struct NameColumn {
    header: Option<egui::Rect>,
    /// Each row's name cell, its model and its place in the rows.
    rows: Vec<(egui::Rect, usize, usize)>,
}

/// Draws the table.
pub(crate) fn table_ui(ui: &mut Ui, app: &App) -> Vec<Command> {
    let mut commands = Vec::new();
    if app.rows.is_empty() {
        ui.add_space(12.0);
        ui.label(format!("No model matches \"{}\".", app.search.trim()));
        return commands;
    }
    let selected = app.selected_index();
    // Beside the chat panel the window is narrower: the Input/Output columns ("Text" for every
    // DeepSeek model) move to the card only.
    let compact = ui.available_width() < 1150.0;
    // When the selection changes the card opens below and takes most of the height: the
    // selected row is scrolled into the middle of what is left, once.
    let scroll_to = selected
        .filter(|&i| newly_selected(ui, i))
        .and_then(|i| app.rows.iter().position(|&r| r == i));
    let mut names = NameColumn::default();
    // The table scrolls sideways when the window is narrower than its columns: no column is cut.
    let (visible, shifted) = egui::ScrollArea::horizontal()
        .id_salt("models_sideways")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let visible = ui.clip_rect();
            let shifted = visible.left() - ui.max_rect().left() > 0.5;
            let mut table = TableBuilder::new(ui)
                .id_salt("models")
                .striped(true)
                .resizable(true)
                .sense(Sense::click())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::auto().at_least(200.0))
                .column(Column::auto().at_least(230.0))
                .column(Column::auto().at_least(58.0))
                .column(Column::auto().at_least(72.0))
                .column(Column::auto().at_least(60.0))
                .column(Column::remainder().at_least(120.0).clip(true));
            if let Some(row) = scroll_to {
                table = table.scroll_to_row(row, Some(egui::Align::Center));
            }
            if !compact {
                table = table
                    .column(Column::auto().at_least(44.0))
                    .column(Column::auto().at_least(52.0));
            }
            table
                .column(Column::auto().at_least(76.0))
                .column(Column::auto().at_least(76.0))
                .header(26.0, |h| {
                    header_row(h, app, compact, &mut names, &mut commands)
                })
                .body(|body| {
                    body.rows(28.0, app.rows.len(), |mut row| {
                        let i = app.rows[row.index()];
                        let m = &app.catalog.models[i];
                        row.set_selected(selected == Some(i));
                        let text = |ui: &mut Ui, s: &str| {
                            ui.add(Label::new(s).selectable(false).truncate());
                        };
                        let (name, _) = row.col(|ui| name_cell(ui, m));
                        names.rows.push((name, i, row.index()));
                        row.col(|ui| fit_cell(ui, app, i));
                        row.col(|ui| text(ui, &m.release_display()));
                        row.col(|ui| text(ui, &m.size_display()));
                        row.col(|ui| text(ui, &m.active_display()));
                        row.col(|ui| text(ui, m.features_display()));
                        if !compact {
                            row.col(|ui| text(ui, modality(m, |s| &s.input_modalities)));
                            row.col(|ui| text(ui, modality(m, |s| &s.output_modalities)));
                        }
                        row.col(|ui| overview_figure(ui, m, |s| &s.vram_required));
                        row.col(|ui| overview_figure(ui, m, |s| &s.system_ram_required));
                        if row.response().clicked() {
                            commands.push(Command::OpenCard(i));
                        }
                    });
                });
            (visible, shifted)
        })
        .inner;
    if shifted {
        frozen_names_ui(ui, app, &names, visible, &mut commands);
    }
    commands
}

/// The column titles; the Model column's extent goes into `names`.
fn header_row(
    mut h: egui_extras::TableRow<'_, '_>,
    app: &App,
    compact: bool,
    names: &mut NameColumn,
    commands: &mut Vec<Command>,
) {
    let (rect, _) = h.col(|ui| header(ui, app, "Model", Some(SortColumn::Name), commands));
    // While a "What if…" machine is shown, the column says whose verdicts they are.
    let fits = &*fits_header(app);
    let (next, _) = h.col(|ui| header(ui, app, fits, Some(SortColumn::Fit), commands));
    // The Model column reaches to where the next begins.
    names.header = Some(rect.with_max_x(next.left()));
    h.col(|ui| header(ui, app, "Release", Some(SortColumn::Release), commands));
    h.col(|ui| header(ui, app, "Parameters", Some(SortColumn::Params), commands));
    h.col(|ui| header(ui, app, "Active", Some(SortColumn::Active), commands));
    h.col(|ui| header(ui, app, "Key features / notes", None, commands));
    if !compact {
        h.col(|ui| header(ui, app, "Input", None, commands));
        h.col(|ui| header(ui, app, "Output", None, commands));
    }
    h.col(|ui| header(ui, app, "FP16 VRAM (overview)", None, commands));
    h.col(|ui| header(ui, app, "FP16 RAM (overview)", None, commands));
}

/// Whether `index` became the selection since the table last drew (remembered in egui's memory).
fn newly_selected(ui: &Ui, index: usize) -> bool {
    let id = egui::Id::unique("models_table_scrolled_to");
    ui.ctx().memory_mut(|m| {
        let before = m.data.get_temp::<usize>(id);
        m.data.insert_temp(id, index);
        before != Some(index)
    })
}

/// The Model column drawn again at the left edge of a table scrolled sideways, over the cells
/// that pass under it: the header's sort button and each visible row's name, which opens its card.
fn frozen_names_ui(
    ui: &mut Ui,
    app: &App,
    names: &NameColumn,
    visible: egui::Rect,
    commands: &mut Vec<Command>,
) {
    let Some(head) = names.header else {
        return;
    };
    let at_left = |r: egui::Rect| {
        egui::Rect::from_min_size(
            egui::pos2(visible.left(), r.top()),
            egui::vec2(head.width(), r.height()),
        )
    };
    let body = egui::Rect::from_min_max(egui::pos2(visible.left(), head.bottom()), visible.max);
    let visuals = ui.visuals().clone();
    let panel = visuals.panel_fill;
    let selected = app.selected_index();
    let cell = |ui: &mut Ui, rect: egui::Rect, clip: egui::Rect, fill: egui::Color32| {
        let mut child = ui.new_child(
            egui::UiBuilder::new()
                .max_rect(rect.shrink2(egui::vec2(4.0, 0.0)))
                .layout(egui::Layout::left_to_right(egui::Align::Center)),
        );
        child.set_clip_rect(rect.intersect(clip));
        // Opaque first: the stripe colour is a faint tint over the panel, not a colour of its own.
        child.painter().rect_filled(rect, 0.0, panel);
        child.painter().rect_filled(rect, 0.0, fill);
        child
    };
    let mut head_ui = cell(ui, at_left(head), visible, visuals.panel_fill);
    header(&mut head_ui, app, "Model", Some(SortColumn::Name), commands);
    for &(rect, i, place) in &names.rows {
        let rect = at_left(rect);
        let fill = if selected == Some(i) {
            visuals.selection.bg_fill
        } else if place % 2 == 1 {
            visuals.faint_bg_color
        } else {
            visuals.panel_fill
        };
        let mut name_ui = cell(ui, rect, body, fill);
        let click = name_ui.interact(
            rect,
            ui.make_persistent_id(("frozen_name", i)),
            Sense::click(),
        );
        name_cell(&mut name_ui, &app.catalog.models[i]);
        if click.clicked() {
            commands.push(Command::OpenCard(i));
        }
    }
}

/// A column title: a sort button with its direction for sortable columns, a label otherwise.
fn header(
    ui: &mut Ui,
    app: &App,
    title: &str,
    col: Option<SortColumn>,
    commands: &mut Vec<Command>,
) {
    match col {
        Some(col) => {
            let r = ui
                .add(egui::Button::new(RichText::new(title).strong()).frame(false))
                .on_hover_text(format!("Sort by {title}"));
            if app.state.sort == col {
                sort_arrow(ui, app.state.ascending);
            }
            if r.clicked() {
                commands.push(Command::SortBy(col));
            }
        }
        None if title.starts_with("FP16") => {
            ui.add(Label::new(RichText::new(title).strong()).selectable(false))
                .on_hover_text(
                    "The DeepSeek overview's figure for the FP16 weights, in decimal GB. \
                     seekdeck's estimate (the Fits column) is in GiB, at the quantization and \
                     context chosen above.",
                );
        }
        None => {
            ui.add(Label::new(RichText::new(title).strong()).selectable(false));
        }
    }
}

/// What a family model not in the overview is said to be, on hover in the table and on its card.
const NOT_IN_OVERVIEW: &str =
    "Not in the DeepSeek model overview: added from the public record (sources on its card).";

/// The model's name; a model the overview does not list carries a small "family" mark.
fn name_cell(ui: &mut Ui, m: &Model) {
    ui.add(Label::new(RichText::new(&m.name).strong()).selectable(false));
    if !m.in_overview() {
        ui.add(Label::new(RichText::new("family").small().weak()).selectable(false))
            .on_hover_text(NOT_IN_OVERVIEW);
    }
}

/// An input or output modality as the overview gives it ("Text" for every DeepSeek model).
fn modality(m: &Model, pick: impl Fn(&SeedFacts) -> &Option<String>) -> &str {
    m.seed
        .as_ref()
        .and_then(|s| pick(s).as_deref())
        .unwrap_or("Text")
}

/// One of the overview's FP16 figures, or a dash (with the reason on hover) for a family model.
fn overview_figure(ui: &mut Ui, m: &Model, pick: impl Fn(&SeedFacts) -> &String) {
    match &m.seed {
        Some(s) => {
            ui.add(Label::new(pick(s).as_str()).selectable(false).truncate());
        }
        None => {
            ui.add(Label::new(RichText::new("—").weak()).selectable(false))
                .on_hover_text(NOT_IN_OVERVIEW);
        }
    }
}

/// The Fit column's title: whose verdicts they are.
fn fits_header(app: &App) -> String {
    match app.cluster.as_ref().map(|c| c.machine_count()) {
        Some(n) => format!("Fits (what if, {n} machines)"),
        None if app.hw.simulated.is_some() => "Fits (what if)".into(),
        None => "Fits this PC".into(),
    }
}

/// Model `i`'s Fit cell: its verdict on the machine shown, or — too large for it, fitting
/// across the What-if machines or the other machines that answer — its verdict across them.
fn fit_cell(ui: &mut Ui, app: &App, i: usize) {
    let fit = &app.fits[i];
    let across = app
        .cluster_fits
        .get(i)
        .and_then(Option::as_ref)
        .filter(|c| {
            fit.verdict == Verdict::TooLarge
                && matches!(
                    c.verdict,
                    crate::estimate::cluster::ClusterVerdict::Fits { .. }
                )
        });
    match across {
        Some(c) => {
            let machines = if app.cluster.is_some() {
                "the What-if machines"
            } else {
                "this PC and the other machines that answer"
            };
            super::cluster::across_cell(ui, c, machines);
        }
        None => {
            let m = &app.catalog.models[i];
            verdict_cell(ui, fit, app.model_context(m).capped_from.is_some());
        }
    }
}

/// A coloured cell that also says its verdict and size in words.
pub(crate) fn verdict_cell(ui: &mut Ui, fit: &FitReport, ctx_capped: bool) {
    let rect = ui.max_rect().shrink2(egui::vec2(0.0, 2.0));
    ui.painter()
        .rect_filled(rect, 4.0, theme::verdict_fill(&fit.verdict));
    let mut words = format!(
        "{} · {}",
        fit.verdict.short_label(),
        format_bytes(fit.breakdown.total_bytes())
    );
    if ctx_capped {
        words.push_str(&format!(" at {}K max", fit.ctx_tokens / 1024));
    }
    ui.add_space(6.0);
    ui.add(
        Label::new(
            RichText::new(words)
                .color(theme::verdict_text(&fit.verdict))
                .strong(),
        )
        .selectable(false),
    )
    .on_hover_text(format!(
        "{}\n{}{}{}",
        fit.verdict.label(),
        fit.breakdown.parts_label(),
        if ctx_capped {
            "\ncontext capped at the model's native maximum"
        } else {
            ""
        },
        speed_line(&fit.speed)
            .map(|l| format!("\n{l}"))
            .unwrap_or_default()
    ));
}

/// A small triangle after a sorted column's title (the default fonts have no arrow glyphs), with
/// the direction in words for screen readers and tooltips.
fn sort_arrow(ui: &mut Ui, ascending: bool) {
    let words = if ascending {
        "sorted ascending"
    } else {
        "sorted descending"
    };
    let (rect, response) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), Sense::hover());
    let color = ui.visuals().strong_text_color();
    let (top, bottom) = (rect.top() + 1.0, rect.bottom() - 1.0);
    let points = if ascending {
        vec![
            egui::pos2(rect.center().x, top),
            egui::pos2(rect.right(), bottom),
            egui::pos2(rect.left(), bottom),
        ]
    } else {
        vec![
            egui::pos2(rect.left(), top),
            egui::pos2(rect.right(), top),
            egui::pos2(rect.center().x, bottom),
        ]
    };
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, words));
    response.on_hover_text(words);
}
