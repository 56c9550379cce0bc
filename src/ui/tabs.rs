//! The tab bar of a narrow window: the model table or the chat, one at a time, so neither is
//! squeezed below use (at 900 px the table showed one row and Send was off screen).

use egui::{RichText, Ui};

use crate::app::command::Command;
use crate::app::Tab;

/// Draws the two tabs; says when an answer is being written while the models tab is shown.
pub(crate) fn tabs_ui(ui: &mut Ui, tab: Tab, busy: bool) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.horizontal(|ui| {
        for (this, name) in [(Tab::Models, "Models"), (Tab::Chat, "Chat")] {
            let text = RichText::new(name).strong();
            if ui.selectable_label(tab == this, text).clicked() && tab != this {
                commands.push(Command::ShowTab(this));
            }
        }
        if busy && tab == Tab::Models {
            ui.label(RichText::new("· an answer is being written").weak());
        }
    });
    commands
}
