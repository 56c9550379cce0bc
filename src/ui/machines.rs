//! "Other machines" in the side panel: the `seekdeck worker`s added by address, each with its
//! devices' free memory as the worker reports it, or why it cannot be read, in words; a field to
//! add one (checked as typed) and a button to remove each.

use egui::{RichText, Ui};

use super::theme;
use crate::app::command::Command;
use crate::app::machines_state::OtherMachines;
use crate::format::format_bytes;
use crate::hardware::rpc_probe::WorkerReading;

/// Draws the section for `endpoints` (the remembered list).
pub(crate) fn machines_ui(
    ui: &mut Ui,
    machines: &mut OtherMachines,
    endpoints: &[String],
) -> Vec<Command> {
    let mut commands = Vec::new();
    let title = match endpoints.len() {
        0 => "Other machines".to_owned(),
        n => format!("Other machines · {n}"),
    };
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("other_machines")
        .default_open(!endpoints.is_empty())
        .show(ui, |ui| {
            for (i, endpoint) in endpoints.iter().enumerate() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(endpoint).monospace());
                    match machines.readings.get(endpoint) {
                        _ if machines.in_use.contains(endpoint) => {
                            ui.label(
                                RichText::new("in use: the model in the slot runs across it")
                                    .color(theme::ACCENT),
                            );
                        }
                        None => {
                            ui.label(RichText::new("checking…").weak());
                        }
                        Some(Ok(r)) => {
                            ui.label(reading_text(r));
                        }
                        Some(Err(e)) => {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(e.to_string()).color(theme::WARNING),
                                )
                                .wrap(),
                            );
                        }
                    }
                    if ui
                        .small_button("Remove")
                        .on_hover_text(format!("Stop reading {endpoint}"))
                        .clicked()
                    {
                        commands.push(Command::RemoveWorker(i));
                    }
                });
            }
            add_ui(ui, machines, endpoints, &mut commands);
            ui.label(
                RichText::new(
                    "Start \"seekdeck worker --host ADDRESS\" on the other machine (llama.cpp's RPC protocol: no authentication, no encryption — a private network only).",
                )
                .weak()
                .size(11.0),
            );
        });
    commands
}

/// "1 device · 23.5 GiB free of 23.5 GiB".
fn reading_text(r: &WorkerReading) -> String {
    let total: u64 = r.devices.iter().map(|d| d.total_bytes).sum();
    format!(
        "{} · {} free of {}",
        crate::format::plural(r.devices.len(), "device"),
        format_bytes(r.free_bytes()),
        format_bytes(total)
    )
}

/// The address field: checked as typed, added with the button or Enter.
fn add_ui(
    ui: &mut Ui,
    machines: &mut OtherMachines,
    endpoints: &[String],
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        let label = ui.label("Worker");
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut machines.typed.0)
                    .hint_text("host:port, e.g. 192.168.1.20:50052")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
        if field.changed() {
            machines.check_typed(endpoints);
        }
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let can_add = !machines.typed.0.trim().is_empty() && machines.typed.1.is_none();
        if ui
            .add_enabled(can_add, egui::Button::new("Add machine"))
            .clicked()
            || (entered && can_add)
        {
            commands.push(Command::AddWorker);
        }
    });
    if let Some(e) = &machines.typed.1 {
        ui.colored_label(theme::WARNING, e);
    }
}
