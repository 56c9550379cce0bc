//! Keys and dropped files turned into the same [`Command`]s the panels return.

use egui::{Key, Modifiers};

use crate::app::command::Command;

/// Files dropped on the window: GGUFs are opened, anything else is reported.
pub fn dropped_files(ctx: &egui::Context) -> Vec<Command> {
    ctx.input(|i| {
        i.raw
            .dropped_files
            .iter()
            .map(|f| Command::OpenFile(f.path().to_path_buf()))
            .collect()
    })
}

/// Keyboard shortcuts: arrows move the selection, Enter opens the card, Escape closes it,
/// Ctrl+F focuses search. Arrows and Enter are left alone while a text field has focus.
pub(crate) fn keyboard_commands(ctx: &egui::Context, card_open: bool) -> Vec<Command> {
    let typing = ctx.egui_wants_keyboard_input();
    ctx.input_mut(|i| {
        let mut out = Vec::new();
        if i.consume_key(Modifiers::COMMAND, Key::F) {
            out.push(Command::FocusSearch);
        }
        if typing {
            return out;
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowDown) {
            out.push(Command::MoveSelection(1));
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowUp) {
            out.push(Command::MoveSelection(-1));
        }
        if i.consume_key(Modifiers::NONE, Key::Enter) {
            out.push(Command::OpenSelected);
        }
        if i.consume_key(Modifiers::NONE, Key::Escape) && card_open {
            out.push(Command::CloseCard);
        }
        out
    })
}
