//! Where no file dialog can open: a path field for "Open GGUF…", "Add folder…" or "Export…",
//! with the reason, so those buttons never do nothing.

use egui::{RichText, Ui};

use super::theme;
use crate::app::command::Command;
use crate::app::pickers::{PathPrompt, PickPurpose};

/// Draws the path field.
pub(crate) fn path_prompt_ui(ui: &mut Ui, prompt: &PathPrompt) -> Vec<Command> {
    let mut commands = Vec::new();
    let (what, action) = match prompt.purpose {
        PickPurpose::OpenGguf => ("the GGUF file to open", "Open"),
        PickPurpose::AddFolder => ("the folder to search", "Add"),
        PickPurpose::ExportConversation(_) => ("the Markdown file to write", "Export"),
    };
    ui.group(|ui| {
        ui.colored_label(
            theme::WARNING,
            "No file dialog could open here (no desktop portal or GTK).",
        );
        let label = ui.label(RichText::new(format!("Type the path of {what}:")).strong());
        let mut text = prompt.text.clone();
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .id_salt("typed_path")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if response.changed() {
            commands.push(Command::TypePath(text.clone()));
        }
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!text.trim().is_empty(), egui::Button::new(action))
                .clicked()
                || (entered && !text.trim().is_empty())
            {
                commands.push(Command::SubmitPath);
            }
            if ui.button("Cancel").clicked() {
                commands.push(Command::CancelPath);
            }
        });
    });
    commands
}
