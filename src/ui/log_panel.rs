//! The collapsible log at the bottom: the last lines of seekdeck's and llama.cpp's log, selectable
//! for copying into a bug report.

use egui::{RichText, Ui};

/// Draws the log panel (collapsed by default).
pub(crate) fn log_panel_ui(ui: &mut Ui) {
    egui::CollapsingHeader::new(format!("Log ({} lines)", crate::log_buffer::len()))
        .id_salt("log_panel")
        .default_open(false)
        .show(ui, |ui| {
            // Copied only while the panel is open.
            let lines = crate::log_buffer::recent();
            ui.horizontal(|ui| {
                if ui
                    .button("Copy all")
                    .on_hover_text("Copy the log for a bug report")
                    .clicked()
                {
                    ui.ctx().copy_text(lines.join("\n"));
                }
                ui.label(RichText::new("seekdeck and llama.cpp, newest last").weak());
            });
            egui::ScrollArea::vertical()
                .id_salt("log_scroll")
                .max_height(160.0)
                .stick_to_bottom(true)
                .auto_shrink([false, true])
                .show(ui, |ui| {
                    for line in &lines {
                        ui.label(RichText::new(line).monospace().size(11.0));
                    }
                });
        });
}
