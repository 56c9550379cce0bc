//! The toolbar: quantization, context length, search box and the "What if…" hardware picker.

use egui::{ComboBox, Ui};

use crate::app::command::Command;
use crate::app::App;
use crate::estimate::placement::context_presets;
use crate::estimate::quant::Quant;
use crate::hardware::assume::PRESETS;

/// Id of the search box, for Ctrl+F.
pub(crate) fn search_id() -> egui::Id {
    egui::Id::unique("model_search")
}

/// Draws the toolbar.
pub(crate) fn toolbar_ui(ui: &mut Ui, app: &mut App) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.add_space(2.0);
    ui.horizontal_wrapped(|ui| {
        ComboBox::from_label("Quantization")
            .selected_text(app.state.quant.label())
            .show_ui(ui, |ui| {
                for q in Quant::ALL {
                    let text = format!(
                        "{}  ({:.2} bits/weight base)",
                        q.label(),
                        q.base_type().bits_per_weight()
                    );
                    if ui.selectable_label(app.state.quant == q, text).clicked() {
                        commands.push(Command::SetQuant(q));
                    }
                }
            });
        ui.separator();
        let max_ctx = app
            .catalog
            .models
            .iter()
            .map(|m| m.architecture.context_tokens)
            .max()
            .unwrap_or(4096);
        ComboBox::from_label("Context")
            .selected_text(ctx_label(app.state.ctx_tokens))
            .show_ui(ui, |ui| {
                for c in context_presets(max_ctx) {
                    if ui
                        .selectable_label(app.state.ctx_tokens == c, ctx_label(c))
                        .clicked()
                    {
                        commands.push(Command::SetCtx(c));
                    }
                }
            });
        ui.separator();
        let label = ui.label("Search");
        let mut text = app.search.clone();
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .id(search_id())
                    .hint_text("name, family, feature… (Ctrl+F)")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
        if app.focus_search {
            response.request_focus();
            app.focus_search = false;
        }
        if response.changed() {
            commands.push(Command::SetSearch(text));
        }
        ui.separator();
        let current = app.state.what_if.clone();
        let selected = match &current {
            None => "This PC (live)".to_owned(),
            Some(spec) => PRESETS
                .iter()
                .find(|p| p.spec == spec)
                .map_or_else(|| spec.clone(), |p| p.label.to_owned()),
        };
        ComboBox::from_label("What if…")
            .selected_text(selected)
            .width(260.0)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(current.is_none(), "This PC (live)")
                    .clicked()
                {
                    commands.push(Command::SetWhatIf(None));
                }
                for p in PRESETS {
                    if ui
                        .selectable_label(current.as_deref() == Some(p.spec), p.label)
                        .clicked()
                    {
                        commands.push(Command::SetWhatIf(Some(p.spec.to_owned())));
                    }
                }
            });
        if let Some(err) = &app.what_if_error {
            ui.colored_label(super::theme::WARNING, err);
        }
    });
    ui.add_space(2.0);
    commands
}

/// "8K tokens", "128K tokens", "160K tokens".
pub(crate) fn ctx_label(tokens: u32) -> String {
    if tokens >= 1024 && tokens % 1024 == 0 {
        format!("{}K tokens", tokens / 1024)
    } else {
        format!("{tokens} tokens")
    }
}
