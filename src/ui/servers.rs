//! "Servers" in the side panel: the OpenAI-compatible servers connected to (vLLM, SGLang,
//! llama-server, DeepSeek's API, a gateway), each with the models it serves and "Use" to put one
//! in the model slot; "Connect to a server…" opens the form (name, address, API key).

use egui::{RichText, Ui};

use super::theme;
use crate::app::command::Command;
use crate::app::server_state::{ModelList, ServerState};
use crate::servers::SavedServer;

/// Draws the servers section.
pub(crate) fn servers_ui(ui: &mut Ui, servers: &mut ServerState, busy: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    if servers.list.servers.is_empty() && !servers.form.open {
        // Nothing to fold yet: one line, so the way in is always in sight.
        ui.horizontal(|ui| {
            ui.label(RichText::new("Servers").strong());
            form_ui(ui, servers, &mut commands);
        });
        return commands;
    }
    let title = match servers.list.servers.len() {
        0 => "Servers".to_owned(),
        n => format!("Servers · {n}"),
    };
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("servers_section")
        .default_open(true)
        .show(ui, |ui| {
            for server in &servers.list.servers {
                server_ui(
                    ui,
                    server,
                    servers.models.get(&server.name),
                    busy,
                    &mut commands,
                );
            }
            if let Some(note) = &servers.note {
                ui.label(RichText::new(note).weak().small());
            }
            form_ui(ui, servers, &mut commands);
        });
    commands
}

fn server_ui(
    ui: &mut Ui,
    server: &SavedServer,
    models: Option<&ModelList>,
    busy: bool,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(&server.name).strong());
        ui.add(egui::Label::new(RichText::new(&server.base_url).weak()).truncate());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .small_button("Forget")
                .on_hover_text("Remove this server and its key")
                .clicked()
            {
                commands.push(Command::ForgetServer(server.name.clone()));
            }
            if ui
                .small_button("Edit…")
                .on_hover_text("Change its address or API key")
                .clicked()
            {
                commands.push(Command::EditServer(server.name.clone()));
            }
            if ui
                .small_button("Refresh")
                .on_hover_text("Ask the server for its models again")
                .clicked()
            {
                commands.push(Command::ListServerModels(server.name.clone()));
            }
        });
    });
    match models {
        None => {
            if ui.small_button("List its models").clicked() {
                commands.push(Command::ListServerModels(server.name.clone()));
            }
        }
        Some(ModelList::Asking) => {
            ui.label(RichText::new("Asking for its models…").weak());
        }
        Some(ModelList::Failed(reason)) => {
            ui.colored_label(theme::GAUGE_FULL, reason);
        }
        Some(ModelList::Listed(list)) if list.is_empty() => {
            ui.label(RichText::new("It serves no models.").weak());
        }
        Some(ModelList::Listed(list)) => {
            for m in list {
                ui.horizontal(|ui| {
                    let use_it = ui
                        .add_enabled(!busy, egui::Button::new("Use").small())
                        .on_hover_text("Chat with this model (replaces the model in the slot)");
                    if use_it.clicked() {
                        commands.push(Command::UseServerModel {
                            server: server.name.clone(),
                            model: m.id.clone(),
                        });
                    }
                    let last = server.last_model.as_deref() == Some(m.id.as_str());
                    let id = if last {
                        RichText::new(&m.id).strong()
                    } else {
                        RichText::new(&m.id)
                    };
                    ui.add(egui::Label::new(id).truncate());
                    if let Some(ctx) = m.ctx_tokens {
                        ui.label(RichText::new(format!("{ctx} tokens")).weak().small());
                    }
                });
            }
        }
    }
}

fn form_ui(ui: &mut Ui, servers: &mut ServerState, commands: &mut Vec<Command>) {
    if !servers.form.open {
        if ui
            .button("Connect to a server…")
            .on_hover_text(
                "vLLM, SGLang, llama-server, DeepSeek's API or any OpenAI-compatible server",
            )
            .clicked()
        {
            commands.push(Command::ToggleServerForm);
        }
        return;
    }
    let form = &mut servers.form;
    egui::Grid::new("server_form")
        .num_columns(2)
        .show(ui, |ui| {
            let label = ui.label("Server name");
            // An edited server keeps its name: its key is kept under it.
            ui.add_enabled(
                form.editing.is_none(),
                egui::TextEdit::singleline(&mut form.name)
                    .hint_text("GPU box")
                    .char_limit(60),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Address");
            ui.add(
                egui::TextEdit::singleline(&mut form.address)
                    .hint_text("http://192.168.1.20:8000")
                    .char_limit(2048),
            )
            .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("API key");
            let keeps = form.editing.is_some();
            let key = ui
                .add(
                    egui::TextEdit::singleline(&mut form.key)
                        .password(true)
                        .hint_text(if keeps {
                            "empty: keep the saved key"
                        } else {
                            "optional"
                        })
                        .char_limit(crate::servers::keys::MAX_KEY_CHARS),
                )
                .labelled_by(label.id);
            if key.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                commands.push(Command::SubmitServerForm);
            }
            ui.end_row();
        });
    if let Some(e) = &form.error {
        ui.colored_label(theme::GAUGE_FULL, e);
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !form.address.trim().is_empty(),
                egui::Button::new("Connect"),
            )
            .clicked()
        {
            commands.push(Command::SubmitServerForm);
        }
        if ui.button("Cancel").clicked() {
            commands.push(Command::ToggleServerForm);
        }
    });
    ui.label(
        RichText::new("The key goes to the system keyring (or a file only you can read), never into conversations or exports.")
            .weak()
            .small(),
    );
}
