//! The header: the logo, the title, and the live hardware bar (a labelled gauge per GPU and for RAM,
//! or a badge saying why there is no GPU data).

use egui::{ProgressBar, RichText, Ui};

use super::theme;
use crate::app::command::Command;
use crate::app::App;
use crate::format::format_bytes;
use crate::hardware::cluster_spec::machine_name;
use crate::hardware::HardwareSnapshot;

/// The project's logo (original artwork, assets/logo.svg).
pub(crate) const LOGO: egui::ImageSource<'static> = egui::include_image!("../../assets/logo.svg");

/// The window icon, rendered from the logo's PNG export.
pub(crate) fn app_icon() -> egui::IconData {
    eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon.png")).unwrap_or_default()
}

/// Draws the header.
pub(crate) fn top_bar_ui(ui: &mut Ui, app: &App) -> Vec<Command> {
    let mut commands = Vec::new();
    ui.add_space(4.0);
    // Wrapped: in a narrow window the gauges and "Back to this PC" move to a second line instead
    // of running past the edge.
    ui.horizontal_wrapped(|ui| {
        ui.add(
            egui::Image::new(LOGO)
                .fit_to_exact_size(egui::vec2(44.0, 44.0))
                .alt_text("seekdeck logo"),
        );
        ui.vertical(|ui| {
            ui.label(
                RichText::new("seekdeck")
                    .size(22.0)
                    .strong()
                    .color(theme::ACCENT),
            );
            ui.label(
                RichText::new("DeepSeek models on your own computer")
                    .small()
                    .weak(),
            );
        });
        ui.separator();
        hardware_ui(ui, &app.hw);
        if app.hw.simulated.is_none() {
            // A served model takes nothing of this PC's memory: nothing is counted as free.
            if let Some((gpu, ram)) = app
                .chat
                .session
                .loaded_footprint()
                .filter(|(gpu, ram)| gpu + ram > 0)
            {
                ui.label(RichText::new("· loaded model counted as free").weak())
                    .on_hover_text(format!(
                        "Verdicts count the loaded model's {} of VRAM and {} of RAM as free: \
                         launching another model unloads it first.",
                        format_bytes(gpu),
                        format_bytes(ram)
                    ));
            }
        }
        if app.hw.simulated.is_some()
            && ui
                .button("Back to this PC")
                .on_hover_text("Stop simulating and use this machine's live readings")
                .clicked()
        {
            commands.push(Command::SetWhatIf(None));
        }
    });
    if !app.catalog.issues.is_empty() {
        ui.collapsing(
            RichText::new(format!(
                "{}: the rest of the catalog loaded",
                crate::format::plural(app.catalog.issues.len(), "catalog problem")
            ))
            .color(theme::WARNING),
            |ui| {
                for issue in &app.catalog.issues {
                    ui.label(issue.to_string());
                }
            },
        );
    }
    ui.add_space(2.0);
    commands
}

/// The gauges of one machine.
pub(crate) fn hardware_ui(ui: &mut Ui, hw: &HardwareSnapshot) {
    if let Some(name) = &hw.simulated {
        ui.label(
            RichText::new(format!("What if: {}", machine_name(name)))
                .strong()
                .color(theme::WARNING),
        )
        .on_hover_text("A simulated machine: verdicts are for it, not for this PC");
    }
    if hw.gpus.is_empty() {
        ui.label(RichText::new(format!("GPU: {}", hw.gpu_status_text())).weak());
    }
    for g in &hw.gpus {
        let label = if g.unified {
            format!("{} (unified memory)", g.name)
        } else {
            g.name.clone()
        };
        let text = format!(
            "{label}: {} / {} used",
            format_bytes(g.used_bytes),
            format_bytes(g.total_bytes)
        );
        let text = match g.utilization_pct {
            Some(u) => format!("{text}, {u}% busy"),
            None => text,
        };
        gauge(ui, &text, g.used_bytes, g.total_bytes);
    }
    match &hw.ram {
        Some(r) if !hw.is_unified() => {
            let used = r.total_bytes.saturating_sub(r.available_bytes);
            let suffix = if r.cgroup_limited {
                " (container limit)"
            } else {
                ""
            };
            gauge(
                ui,
                &format!(
                    "RAM: {} / {} used{suffix}",
                    format_bytes(used),
                    format_bytes(r.total_bytes)
                ),
                used,
                r.total_bytes,
            );
        }
        Some(_) => {}
        None => {
            ui.label(RichText::new("RAM unknown").weak());
        }
    }
}

fn gauge(ui: &mut Ui, text: &str, used: u64, total: u64) {
    let frac = if total == 0 {
        0.0
    } else {
        (used as f64 / total as f64) as f32
    };
    let fill = if frac > 0.9 {
        theme::GAUGE_FULL
    } else {
        theme::GAUGE_OK
    };
    ui.add(
        ProgressBar::new(frac.clamp(0.0, 1.0))
            .desired_width(250.0)
            .fill(fill)
            .text(RichText::new(text).small().color(egui::Color32::WHITE)),
    )
    .on_hover_text(text);
}
