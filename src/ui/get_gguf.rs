//! The card's "Get a GGUF" section: the model's GGUF files on the Hub with this PC's verdict for
//! each (from each file's own header), the recommended one starred, Download per file, and a
//! field to add a repository. Asks for the list the first time the section is opened.

use egui::{Grid, RichText, Ui};

use super::table::verdict_cell;
use super::theme;
use crate::app::command::Command;
use crate::app::hub_state::{DownloadAction, RemoteList};
use crate::app::App;
use crate::catalog::Model;
use crate::format::format_bytes;
use crate::hub::{FileChoice, JobState};

/// Draws the section for `m`.
pub(crate) fn get_gguf_ui(ui: &mut Ui, app: &App, m: &Model, commands: &mut Vec<Command>) {
    egui::CollapsingHeader::new(RichText::new("Get a GGUF from Hugging Face").strong())
        .id_salt(("get_gguf", &m.id))
        .default_open(false)
        .show(ui, |ui| {
            let Some(endpoint) = app.hub.endpoint() else {
                ui.label(
                    RichText::new(if app.hub.offline() {
                        "HF_HUB_OFFLINE is set: the Hub is not asked. Unset it to list and download files."
                    } else {
                        "Downloads are off in this window."
                    })
                    .weak(),
                );
                return;
            };
            match app.hub.list(&m.id) {
                None => {
                    commands.push(Command::ListRemote(m.id.clone()));
                    ui.label(RichText::new(format!("Asking {endpoint}…")).weak());
                }
                Some(RemoteList::Loading) => {
                    ui.label(
                        RichText::new(format!(
                            "Asking {endpoint} and reading each file's header (a few MB each)…"
                        ))
                        .weak(),
                    );
                }
                Some(RemoteList::Ready {
                    choices,
                    best,
                    failed,
                }) => {
                    for f in failed {
                        ui.colored_label(theme::WARNING, f);
                    }
                    if choices.is_empty() {
                        ui.label(RichText::new("No GGUF files listed.").weak());
                    } else {
                        ui.label(
                            RichText::new(format!(
                                "Verdicts from each file's own header, at {} tokens on this machine; recommended: the best quality that fits",
                                app.state.ctx_tokens
                            ))
                            .weak(),
                        );
                        files_grid(ui, app, choices, *best, commands);
                    }
                    if ui
                        .small_button("Ask again")
                        .on_hover_text("List the repositories again")
                        .clicked()
                    {
                        commands.push(Command::ListRemote(m.id.clone()));
                    }
                }
            }
            add_repo_ui(ui, app, m, commands);
        });
}

fn files_grid(
    ui: &mut Ui,
    app: &App,
    choices: &[FileChoice],
    best: Option<usize>,
    commands: &mut Vec<Command>,
) {
    Grid::new("remote_files")
        .num_columns(5)
        .striped(true)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for h in ["File", "Quantization", "Size", "Fits this PC", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            let mut repo = "";
            for (i, c) in choices.iter().enumerate() {
                if c.file.repo != repo {
                    repo = &c.file.repo;
                    ui.label(RichText::new(repo).weak());
                    ui.end_row();
                }
                let name = if best == Some(i) {
                    RichText::new(&c.file.name).strong()
                } else {
                    RichText::new(&c.file.name)
                };
                ui.add(egui::Label::new(name).truncate()).on_hover_text(
                    c.file
                        .parts
                        .iter()
                        .map(|p| p.path.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                );
                ui.label(c.quant_label());
                ui.label(format_bytes(c.file.bytes()));
                match (&c.report, c.problem()) {
                    (Some(r), _) => {
                        ui.scope(|ui| {
                            ui.set_min_width(220.0);
                            verdict_cell(ui, r, false);
                        });
                    }
                    (None, p) => {
                        ui.label(RichText::new(p.unwrap_or_else(|| "unknown".to_owned())).weak());
                    }
                }
                ui.horizontal(|ui| {
                    action_ui(ui, app, c, commands);
                    if best == Some(i) {
                        ui.label(RichText::new("recommended").color(theme::VRAM_MARK).strong())
                            .on_hover_text("The best quality (most bits per weight) that fits on the GPU; else the best that fits with part of it in RAM");
                    }
                });
                ui.end_row();
            }
        });
}

/// Download, or where the file's download is.
fn action_ui(ui: &mut Ui, app: &App, c: &FileChoice, commands: &mut Vec<Command>) {
    if app.hub.in_cache(&c.file) {
        ui.label(RichText::new("on this PC").color(theme::VRAM_MARK));
        return;
    }
    match app.hub.job_for(&c.file).map(|r| (&r.view.job.state, r)) {
        Some((JobState::Queued, _)) => {
            ui.label("queued");
        }
        Some((JobState::Running, r)) => {
            ui.label(format!(
                "{:.0}%",
                r.view.done as f64 * 100.0 / r.view.total.max(1) as f64
            ));
        }
        Some((JobState::Paused(_), r)) => {
            if ui.small_button("Resume").clicked() {
                commands.push(Command::ControlDownload(
                    r.view.job.id,
                    DownloadAction::Resume,
                ));
            }
        }
        Some((JobState::Done(_), _)) => {
            ui.label(RichText::new("on this PC").color(theme::VRAM_MARK));
        }
        Some((JobState::Failed(_), _)) | None => {
            if ui
                .button("Download")
                .on_hover_text(format!(
                    "{} into the Hugging Face cache; resumable, checked against the Hub's SHA-256",
                    format_bytes(c.file.bytes())
                ))
                .clicked()
            {
                commands.push(Command::Download(c.file.clone()));
            }
        }
    }
}

fn add_repo_ui(ui: &mut Ui, app: &App, m: &Model, commands: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        let label = ui.label("Another repository");
        let mut text = app.hub.repo_typed.0.clone();
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("owner/name")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        if field.changed() {
            commands.push(Command::TypeRepo(text));
        }
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Add").clicked() || enter {
            commands.push(Command::AddRepo(m.id.clone()));
        }
    });
    if let Some(e) = &app.hub.repo_typed.1 {
        ui.colored_label(theme::WARNING, e);
    }
}
