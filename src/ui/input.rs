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

/// Where the keyboard focus was at the end of the last frame (egui drops it on Escape before
/// the next frame's input is read, so this tells an Escape meant for a text field).
fn focus_last_frame_id() -> egui::Id {
    egui::Id::unique("seekdeck_focus_last_frame")
}

/// Remembers whether a widget has the keyboard focus; call at the end of each frame.
pub(crate) fn remember_focus(ctx: &egui::Context) {
    let focused = ctx.memory(|m| m.focused().is_some());
    ctx.data_mut(|d| d.insert_temp(focus_last_frame_id(), focused));
}

/// Keyboard shortcuts: arrows move the selection, Enter opens the card, Escape closes it,
/// Ctrl+F focuses search. Arrows and Enter are left alone while a text field has focus, and an
/// Escape that leaves a text field (clearing the search) does not close the card.
pub(crate) fn keyboard_commands(ctx: &egui::Context, card_open: bool) -> Vec<Command> {
    let typing = ctx.egui_wants_keyboard_input()
        || ctx.data(|d| d.get_temp::<bool>(focus_last_frame_id()).unwrap_or(false));
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
