//! The model slot between the file list and the chat: loading progress (or the connection to a
//! server) with Cancel, the loaded or served model with Unload, a load failure, or a refused
//! launch with "Launch anyway".

use egui::{RichText, Ui};

use super::theme;
use crate::app::chat_session::{ChatSession, LoadStage, ModelState};
use crate::app::command::Command;
use crate::engine::{LoadedModel, ModelSource};

/// A file loading: its name, the stage, the seconds, Cancel and the progress bar.
fn loading_ui(
    ui: &mut Ui,
    chat: &ChatSession,
    name: &str,
    progress: f32,
    started: std::time::Instant,
    stage: LoadStage,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("Loading {name}"));
        match stage {
            LoadStage::CheckingSplit => {
                ui.label("· llama.cpp is checking the GPU split (dry runs, nothing allocated)");
            }
            LoadStage::WarmingUp => {
                ui.label("· warming up: a first run reads the weights into memory");
            }
            LoadStage::Reading => {}
        }
        ui.label(RichText::new(format!("{} s", started.elapsed().as_secs())).weak());
        if ui.button("Cancel").clicked() {
            commands.push(Command::CancelLoad);
        }
    });
    ui.add(
        egui::ProgressBar::new(progress)
            .show_percentage()
            .desired_height(14.0),
    );
    // Across machines the bar covers sending each one its weights: say how much and how long.
    for (endpoint, bytes) in &chat.sending {
        ui.label(
            RichText::new(format!(
                "Sending {endpoint} {} of weights (about {} at 1 Gb/s, {} at 10 Gb/s)",
                crate::format::format_bytes(*bytes),
                crate::format::duration_words(crate::estimate::cluster::transfer_seconds(
                    *bytes, 1.0
                )),
                crate::format::duration_words(crate::estimate::cluster::transfer_seconds(
                    *bytes, 10.0
                )),
            ))
            .weak(),
        );
    }
    // Progress events wake the window themselves (and move the seconds with them); the
    // split check's dry runs and the warm-up send none, so the seconds tick on their own.
    if stage != LoadStage::Reading {
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
}

/// Draws the model slot.
pub(crate) fn model_status_ui(ui: &mut Ui, chat: &ChatSession) -> Vec<Command> {
    let mut commands = Vec::new();
    if let Some(r) = &chat.refusal {
        refusal_ui(ui, r, &mut commands);
    }
    if let Some(e) = &chat.load_error {
        ui.colored_label(theme::GAUGE_FULL, format!("Load failed: {e}"));
    }
    match &chat.model {
        ModelState::Empty => {
            ui.label(
                RichText::new("No model loaded: launch a file above, or use a server's model.")
                    .weak(),
            );
        }
        ModelState::Loading {
            source: ModelSource::Server { server, .. },
            name,
            started,
            ..
        } => {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Connecting to {server} for {name}"));
                ui.label(RichText::new(format!("{} s", started.elapsed().as_secs())).weak());
                if ui.button("Cancel").clicked() {
                    commands.push(Command::CancelLoad);
                }
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
        }
        ModelState::Loading {
            name,
            progress,
            started,
            stage,
            ..
        } => loading_ui(ui, chat, name, *progress, *started, *stage, &mut commands),
        ModelState::Loaded { info, name } if info.source.file().is_none() => {
            served_ui(ui, info, name, chat.generation.is_none(), &mut commands);
        }
        ModelState::Loaded { info, name } => {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(name).strong());
                ui.label(
                    RichText::new(format!(
                        "{} · {} · {} tokens of context · loaded in {:.1} s",
                        info.architecture,
                        crate::format::format_params(info.params),
                        info.ctx_tokens,
                        info.load_secs
                    ))
                    .weak(),
                );
                if ui
                    .add_enabled(chat.generation.is_none(), egui::Button::new("Unload"))
                    .clicked()
                {
                    commands.push(Command::Unload);
                }
            });
            let across = chat.engine_workers();
            let placement = match &info.split_check {
                _ if !across.is_empty() => {
                    format!("Placement: {}.", info.offload.across_machines(across))
                }
                Some(check) => format!("{check}."),
                None if chat.cpu_only_reason.is_some() => format!(
                    "Placement: {}: {}.",
                    info.offload,
                    chat.cpu_only_reason.as_deref().unwrap_or_default()
                ),
                None => format!("Placement: {}.", info.offload),
            };
            ui.label(RichText::new(placement).weak());
            if across.is_empty() && !chat.launched_settings.is_default() {
                ui.label(
                    RichText::new(format!("Settings: {}", chat.launched_settings.summary())).weak(),
                );
            }
        }
    }
    commands
}

/// A served model in the slot: where it runs and what the server said of it.
fn served_ui(ui: &mut Ui, info: &LoadedModel, name: &str, idle: bool, commands: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(name).strong());
        let mut facts = Vec::new();
        if info.params > 0 {
            facts.push(crate::format::format_params(info.params));
        }
        facts.push(if info.ctx_tokens > 0 {
            format!("{} tokens of context", info.ctx_tokens)
        } else {
            "context length not given by the server".to_owned()
        });
        facts.push(format!("connected in {:.1} s", info.load_secs));
        ui.label(RichText::new(facts.join(" · ")).weak());
        if ui
            .add_enabled(idle, egui::Button::new("Disconnect"))
            .clicked()
        {
            commands.push(Command::Unload);
        }
    });
    if let ModelSource::Server { base_url, .. } = &info.source {
        ui.label(
            RichText::new(format!(
                "Served by {base_url}: answers stream from the server."
            ))
            .weak(),
        );
    }
}

/// A launch the estimate advises against, with "Launch anyway" / "Don't launch".
fn refusal_ui(ui: &mut Ui, r: &crate::app::chat_session::Refusal, commands: &mut Vec<Command>) {
    ui.group(|ui| {
        ui.colored_label(theme::WARNING, RichText::new("Not launched").strong());
        ui.label(&r.reason);
        ui.horizontal_wrapped(|ui| {
            if ui.button("Launch anyway").clicked() {
                commands.push(Command::Launch {
                    path: r.plan.path.clone(),
                    force: true,
                });
            }
            if ui.button("Don't launch").clicked() {
                commands.push(Command::DismissRefusal);
            }
        });
    });
}
