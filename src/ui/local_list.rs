//! "On this PC": the GGUF files found, each with its catalog model, quantization, size and its own
//! verdict, a Launch button, and the reason a file cannot be used. Also the folder list and the
//! Rescan / Add folder / Open GGUF buttons.

use egui::{RichText, Ui};

use super::theme;
use crate::app::command::Command;
use crate::app::App;
use crate::estimate::speed::speed_line;
use crate::format::format_bytes;
use crate::local::LocalModel;

/// Draws the list of local models under its heading.
pub(crate) fn local_list_ui(ui: &mut Ui, app: &App, panel_height: f32) -> Vec<Command> {
    let mut commands = Vec::new();
    let count = app.local.models.len();
    ui.horizontal(|ui| {
        ui.heading("On this PC");
        if app.local.scanning {
            ui.label(RichText::new("searching…").weak());
        } else {
            ui.label(RichText::new(crate::format::plural(count, "file")).weak());
        }
    });
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Open GGUF…")
            .on_hover_text("Add one .gguf file (you can also drop files on the window)")
            .clicked()
        {
            commands.push(Command::OpenGgufDialog);
        }
        if ui
            .button("Add folder…")
            .on_hover_text("Search another folder, now and at every start")
            .clicked()
        {
            commands.push(Command::AddFolderDialog);
        }
        if ui
            .add_enabled(!app.local.scanning, egui::Button::new("Rescan"))
            .on_hover_text("Search LM Studio, the Hugging Face cache, llama.cpp's cache, Ollama, ~/models and your folders again")
            .clicked()
        {
            commands.push(Command::Rescan);
        }
    });
    if let Some(n) = &app.local.notice {
        ui.colored_label(theme::WARNING, n);
    }
    // About a quarter of a short side panel, a third of a tall one (`panel_height`: the sections
    // above the chat scroll within their own share, so the list is sized by the whole panel).
    let list_height = if panel_height < 600.0 {
        (panel_height * 0.25).max(70.0)
    } else {
        (panel_height * 0.36).max(150.0)
    };
    egui::ScrollArea::vertical()
        .id_salt("local_list")
        .max_height(list_height)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            if count == 0 && !app.local.scanning {
                ui.label(
                    RichText::new(
                        "No GGUF files found in the usual places. Open one, drop one here, or add the folder you keep them in.",
                    )
                    .weak(),
                );
            }
            for m in &app.local.models {
                commands.extend(local_row_ui(ui, app, m));
            }
            folders_ui(ui, app, &mut commands);
        });
    commands
}

/// One file: name and facts, its verdict, Launch.
pub(crate) fn local_row_ui(ui: &mut Ui, app: &App, m: &LocalModel) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.group(|ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(m.found.source.label()).weak());
            // A file name is one long word: cut it rather than widen the panel.
            ui.add(egui::Label::new(RichText::new(&m.found.display_name).strong()).truncate())
                .on_hover_text(m.found.path.display().to_string());
        });
        let Ok(info) = &m.info else {
            ui.colored_label(
                theme::WARNING,
                format!("Cannot be used: {}", m.problem().unwrap_or_default()),
            );
            return;
        };
        let Some(view) = app.local_row(&m.found.path) else {
            return;
        };
        ui.label(format!(
            "{} · {} · {} parameters · {} on disk",
            view.catalog_label,
            info.quant_label(),
            info.params_label(),
            format_bytes(info.file_bytes)
        ));
        ui.horizontal_wrapped(|ui| {
            match &view.fit {
                Some(fit) => {
                    ui.label(
                        RichText::new(format!(
                            " this PC: {} · {} ",
                            fit.verdict.label(),
                            format_bytes(fit.breakdown.total_bytes())
                        ))
                        .color(theme::verdict_text(&fit.verdict))
                        .background_color(theme::verdict_fill(&fit.verdict)),
                    )
                    .on_hover_text(format!(
                        "On this PC at {} tokens: {} (weights from the file's own tensors){}",
                        view.ctx_tokens,
                        fit.breakdown.parts_label(),
                        speed_line(&fit.speed)
                            .map(|l| format!("\n{l}"))
                            .unwrap_or_default()
                    ));
                }
                None => {
                    ui.colored_label(theme::WARNING, m.problem().unwrap_or_default());
                }
            }
            let launch = ui
                .add_enabled(
                    m.problem().is_none(),
                    egui::Button::new(if view.needs_confirmation {
                        "Launch…"
                    } else {
                        "Launch"
                    }),
                )
                .on_hover_text(format!(
                    "Load with llama.cpp: {} tokens of context, {}{}",
                    view.ctx_tokens,
                    view.offload,
                    view.settings_summary
                        .as_ref()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default()
                ));
            if launch.clicked() {
                commands.push(Command::Launch {
                    path: m.found.path.clone(),
                    force: false,
                });
            }
            if let Some(across) = &view.across {
                across_button(ui, app, m, across, &mut commands);
            }
        });
        if let Some(note) = &view.legacy_note {
            ui.colored_label(theme::WARNING, note);
        }
        if let (Some(advanced), Some(fit)) = (&view.advanced, &view.fit) {
            commands.extend(super::advanced::advanced_ui(ui, advanced, fit));
        }
    });
    commands
}

/// "Launch across N machines": the plan across this PC and the other machines that answer; not
/// offered (greyed, with why) when this PC holds the model alone.
fn across_button(
    ui: &mut Ui,
    app: &App,
    m: &LocalModel,
    across: &crate::estimate::cluster::ClusterFit,
    commands: &mut Vec<Command>,
) {
    let others = app.answering_workers().len();
    let sent = across.sent_bytes();
    let button = ui
        .add_enabled(
            sent > 0 && m.problem().is_none(),
            egui::Button::new(format!(
                "Launch across {}",
                crate::format::plural(others + 1, "machine")
            )),
        )
        .on_hover_text(format!(
            "Split the model across this PC and the other machines that answer \
             (llama.cpp's RPC back-end, {}): {}, {} sent over the network",
            across.flags(),
            super::cluster::verdict_words(across),
            crate::format::format_bytes(sent)
        ))
        .on_disabled_hover_text(
            "This PC holds it alone: the plan across machines sends the others nothing",
        );
    if button.clicked() {
        commands.push(Command::LaunchAcross(m.found.path.clone()));
    }
}

fn folders_ui(ui: &mut Ui, app: &App, commands: &mut Vec<Command>) {
    egui::CollapsingHeader::new(format!(
        "Folders searched ({})",
        app.local.default_roots.len() + app.local.folders.len()
    ))
    .id_salt("folders_searched")
    .show(ui, |ui| {
        for r in &app.local.default_roots {
            ui.label(
                RichText::new(format!("{}  ({})", r.path.display(), r.source.label()))
                    .weak()
                    .size(11.0),
            );
        }
        for f in &app.local.folders {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(f.display().to_string()).size(11.0));
                if ui.small_button("Remove").clicked() {
                    commands.push(Command::RemoveFolder(f.clone()));
                }
            });
        }
    });
}
