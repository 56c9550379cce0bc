//! The toolbar: quantization, context length, search box and the "What if…" hardware picker.

use egui::{ComboBox, Ui};

use crate::app::command::Command;
use crate::app::App;
use crate::estimate::placement::context_presets;
use crate::estimate::quant::Quant;
use crate::hardware::assume::PRESETS;
use crate::hardware::cluster_spec::{machine_name, CLUSTER_PRESETS};

/// Id of the search box, for Ctrl+F.
pub(crate) fn search_id() -> egui::Id {
    egui::Id::unique("model_search")
}

/// Draws the toolbar.
pub(crate) fn toolbar_ui(ui: &mut Ui, app: &App) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.add_space(2.0);
    // Below 1400 points the text fields narrow so the bar stays one line at 1280.
    let narrow = ui.available_width() < 1400.0;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Quantization");
        ComboBox::from_id_salt("quantization")
            .selected_text(app.state.quant.label())
            .width(90.0)
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
            })
            .response
            .labelled_by(label.id);
        ui.separator();
        let max_ctx = app
            .catalog
            .models
            .iter()
            .map(|m| m.architecture.context_tokens)
            .max()
            .unwrap_or(4096);
        let label = ui.label("Context");
        ComboBox::from_id_salt("context")
            .selected_text(ctx_label(app.state.ctx_tokens))
            // Wide enough for "160K tokens", so the toolbar does not shift with the choice.
            .width(100.0)
            .show_ui(ui, |ui| {
                for c in context_presets(max_ctx) {
                    if ui
                        .selectable_label(app.state.ctx_tokens == c, ctx_label(c))
                        .clicked()
                    {
                        commands.push(Command::SetCtx(c));
                    }
                }
            })
            .response
            .labelled_by(label.id);
        ui.separator();
        let label = ui.label("Search");
        let mut text = app.search.clone();
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .id(search_id())
                    .hint_text("name, family, feature… (Ctrl+F)")
                    .desired_width(if narrow { 170.0 } else { 220.0 }),
            )
            .labelled_by(label.id);
        if app.focus_search {
            response.request_focus();
            commands.push(Command::SearchFocused);
        }
        if response.changed() {
            commands.push(Command::SetSearch(text));
        }
        // Esc in the search box clears it (egui takes the focus away at the same time); the
        // card stays open.
        if response.lost_focus()
            && ui.input(|i| i.key_pressed(egui::Key::Escape))
            && !app.search.is_empty()
        {
            commands.push(Command::SetSearch(String::new()));
        }
        ui.separator();
        what_if_picker_ui(ui, app, narrow, &mut commands);
        // The field and its "Use" wrap together, never "Use" alone.
        ui.horizontal(|ui| what_if_field_ui(ui, app, narrow, &mut commands));
        if let Some(err) = &app.what_if_error {
            ui.colored_label(super::theme::WARNING, err);
        }
    });
    ui.add_space(2.0);
    commands
}

/// The "What if…" presets and "This PC (live)".
fn what_if_picker_ui(ui: &mut Ui, app: &App, narrow: bool, commands: &mut Vec<Command>) {
    let current = app.state.what_if.clone();
    let selected = match &current {
        None => "This PC (live)".to_owned(),
        Some(spec) => machine_name(spec),
    };
    let label = ui.label("What if…");
    ComboBox::from_id_salt("what_if")
        .selected_text(selected)
        .width(if narrow { 220.0 } else { 260.0 })
        // Every preset in view: egui's default list height cut the last one in half.
        .height(640.0)
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
            ui.separator();
            ui.label(egui::RichText::new("Several machines (llama.cpp RPC)").weak());
            for p in CLUSTER_PRESETS {
                if ui
                    .selectable_label(current.as_deref() == Some(p.spec), p.label)
                    .clicked()
                {
                    commands.push(Command::SetWhatIf(Some(p.spec.to_owned())));
                }
            }
        })
        .response
        .labelled_by(label.id);
}

/// Any machine typed as on the command line (`--assume`), checked as it is typed; Enter or
/// "Use" applies it.
fn what_if_field_ui(ui: &mut Ui, app: &App, narrow: bool, commands: &mut Vec<Command>) {
    let (typed, error) = &app.what_if_typed;
    let mut text = typed.clone();
    let label = ui.label("or type");
    let response = ui
        .add(
            egui::TextEdit::singleline(&mut text)
                .id_salt("what_if_spec")
                .hint_text("2x24GiB GPU, 128GiB RAM")
                .desired_width(if narrow { 160.0 } else { 200.0 }),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "Any machine, as `seekdeck --assume` takes it: GPUs by memory (\"24GiB GPU\", \"2x24GiB GPU\"), \
             unified memory (\"128GiB unified\") and RAM (\"64GiB RAM\"); several machines in parentheses \
             (\"3x (24GiB GPU, 64GiB RAM)\", \"this PC + 2x (24GiB GPU, 64GiB RAM)\"); Enter or Use applies it",
        );
    if response.changed() {
        commands.push(Command::TypeWhatIf(text.clone()));
    }
    let valid = !text.trim().is_empty() && error.is_none();
    let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if (ui.add_enabled(valid, egui::Button::new("Use")).clicked() || entered) && valid {
        commands.push(Command::SetWhatIf(Some(text.trim().to_owned())));
    }
    if let Some(e) = error {
        ui.colored_label(super::theme::WARNING, e);
    }
}

/// "8K tokens", "128K tokens", "160K tokens".
pub(crate) fn ctx_label(tokens: u32) -> String {
    if tokens >= 1024 && tokens % 1024 == 0 {
        format!("{}K tokens", tokens / 1024)
    } else {
        format!("{tokens} tokens")
    }
}
