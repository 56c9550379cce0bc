//! The right-hand panel: "On this PC" at the top, the model slot, then the chat.

use egui::Ui;

use super::{chat_pane::chat_pane_ui, local_list::local_list_ui, model_status::model_status_ui};
use crate::app::command::Command;
use crate::app::App;

/// Draws the side panel.
pub(crate) fn side_panel_ui(ui: &mut Ui, app: &mut App) -> Vec<Command> {
    let mut commands = Vec::new();
    if let Some(prompt) = &app.path_prompt {
        commands.extend(super::path_prompt::path_prompt_ui(ui, prompt));
    }
    commands.extend(local_list_ui(ui, app));
    ui.separator();
    commands.extend(model_status_ui(ui, &app.chat.session));
    ui.separator();
    commands.extend(chat_pane_ui(ui, &mut app.chat));
    commands
}
