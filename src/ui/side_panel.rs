//! The right-hand panel: "On this PC" at the top (the downloads, the servers and the other
//! machines under it), the model slot, then the chat. The sections above the model slot scroll
//! within what the chat leaves them: the conversation always keeps [`CHAT_MIN_HEIGHT`] (or most
//! of a short window), however many sections are open; nothing folds by itself (a panel that
//! shrinks — the log opening below — only scrolls the sections).

use egui::Ui;

use super::{chat_pane::chat_pane_ui, local_list::local_list_ui, model_status::model_status_ui};
use crate::app::command::Command;
use crate::app::App;

/// The height (points) kept for the model slot and the chat — the conversation bar, a
/// transcript that shows an answer, the context meter and the message box — before the sections
/// above get any.
pub(crate) const CHAT_MIN_HEIGHT: f32 = 420.0;

/// The sections above never take less than this share of a panel too short for both.
const SECTIONS_MIN_SHARE: f32 = 0.2;

/// Draws the side panel.
pub(crate) fn side_panel_ui(ui: &mut Ui, app: &mut App) -> Vec<Command> {
    let mut commands = Vec::new();
    if let Some(prompt) = &app.path_prompt {
        commands.extend(super::path_prompt::path_prompt_ui(ui, prompt));
    }
    let total = ui.available_height();
    let sections_max = (total - CHAT_MIN_HEIGHT).max(total * SECTIONS_MIN_SHARE);
    egui::ScrollArea::vertical()
        .id_salt("side_sections")
        .max_height(sections_max)
        .auto_shrink([false, true])
        .show(ui, |ui| sections_ui(ui, app, total, &mut commands));
    ui.separator();
    commands.extend(model_status_ui(ui, &app.chat.session));
    ui.separator();
    commands.extend(chat_pane_ui(ui, &mut app.chat));
    commands
}

/// "On this PC", the downloads, the servers and the other machines.
fn sections_ui(ui: &mut Ui, app: &mut App, panel_height: f32, commands: &mut Vec<Command>) {
    commands.extend(local_list_ui(ui, app, panel_height));
    commands.extend(super::downloads::downloads_ui(ui, app));
    let busy = app.chat.busy();
    commands.extend(super::servers::servers_ui(ui, &mut app.servers, busy));
    commands.extend(super::machines::machines_ui(
        ui,
        &mut app.machines,
        &app.state.workers,
    ));
}
