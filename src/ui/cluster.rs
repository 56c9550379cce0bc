//! A model across several machines, drawn: the table's verdict cell for a What-if cluster, and
//! the card's "Across machines" section — each machine's blocks, weights, KV cache, compute and
//! what it may use, the verdict, and the time to send the weights over 1 and 10 Gb/s.

use egui::{Grid, Label, RichText, Ui};

use super::theme;
use crate::app::cluster_views::CardCluster;
use crate::estimate::cluster::{ClusterFit, ClusterVerdict, DeviceShare};
use crate::format::format_bytes;

/// The verdict in words: "fits on 3 machines", or how much is missing.
pub(crate) fn verdict_words(fit: &ClusterFit) -> String {
    match fit.verdict {
        ClusterVerdict::Fits { machines } => format!("fits on {machines} machines"),
        ClusterVerdict::Short { missing_bytes } => {
            format!("{} short across the machines", format_bytes(missing_bytes))
        }
    }
}

/// The table cell of a model too large for the main machine that fits across `machines` (the
/// What-if machines, or this PC and the other machines that answer). Not a link: the row opens
/// the card, as every row does.
pub(crate) fn across_cell(ui: &mut Ui, fit: &ClusterFit, machines: &str) {
    let rect = ui.max_rect().shrink2(egui::vec2(0.0, 2.0));
    ui.painter().rect_filled(rect, 4.0, theme::ACROSS_MACHINES);
    ui.add_space(6.0);
    let total: u64 = std::iter::once(&fit.this_pc)
        .chain(&fit.devices)
        .map(DeviceShare::total_bytes)
        .sum();
    ui.add(
        Label::new(
            RichText::new(format!("{} · {}", verdict_words(fit), format_bytes(total)))
                .color(egui::Color32::WHITE),
        )
        .selectable(false),
    )
    .on_hover_text(format!(
        "Too large for this machine alone; across {machines} with llama.cpp's RPC back-end \
         ({}): the card below the table lists each machine's part",
        fit.flags()
    ));
}

/// The card's section for one plan across machines.
pub(crate) fn card_cluster_ui(ui: &mut Ui, plan: &CardCluster) {
    let fit = &plan.fit;
    ui.label(RichText::new(&plan.title).strong());
    Grid::new(("cluster_grid", &plan.title))
        .striped(true)
        .num_columns(7)
        .show(ui, |ui| {
            for head in [
                "machine · device",
                "blocks",
                "weights",
                "KV cache",
                "compute",
                "needs",
                "may use",
            ] {
                ui.label(RichText::new(head).weak());
            }
            ui.end_row();
            for d in std::iter::once(&fit.this_pc).chain(&fit.devices) {
                device_row(ui, d);
            }
        });
    // The verdict as words with a coloured mark, not coloured words (which read as a link).
    let mark = match fit.verdict {
        ClusterVerdict::Fits { .. } => theme::ACROSS_MACHINES,
        ClusterVerdict::Short { .. } => {
            theme::verdict_fill(&crate::estimate::fit::Verdict::TooLarge)
        }
    };
    ui.horizontal_wrapped(|ui| {
        let (square, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
        ui.painter().rect_filled(square, 2.0, mark);
        ui.label(RichText::new(verdict_words(fit)).strong());
        ui.label(format!(
            "(llama.cpp {}){}",
            fit.flags(),
            if fit.cpu_moe {
                " — the routed experts stay in this PC's RAM, the other machines hold attention, shared experts and cache"
            } else {
                ""
            }
        ));
    });
    if let Some(note) = &fit.split_note {
        ui.label(RichText::new(format!("Split: {note}")).weak());
    }
    let sent = fit.sent_bytes();
    if sent > 0 {
        let (one, ten) = plan.seconds_at_1_and_10_gbit;
        ui.label(format!(
            "At launch {} of weights go to the other machines: {} over 1 Gb/s, {} over 10 Gb/s \
             (a worker started with --cache keeps them for the next launch).",
            format_bytes(sent),
            crate::format::duration_words(one),
            crate::format::duration_words(ten)
        ));
    }
}

/// One machine's row: its blocks and parts, and whether it holds them.
fn device_row(ui: &mut Ui, d: &DeviceShare) {
    ui.label(format!("{} · {}", d.machine, d.name));
    ui.label(d.blocks_label());
    ui.label(format_bytes(d.weights_bytes));
    ui.label(format_bytes(d.kv_bytes));
    ui.label(format_bytes(d.compute_bytes + d.overhead_bytes));
    let needs = format_bytes(d.total_bytes());
    if d.fits() {
        ui.label(needs);
    } else {
        ui.label(
            RichText::new(format!("{needs} — over"))
                .color(theme::verdict_fill(
                    &crate::estimate::fit::Verdict::TooLarge,
                ))
                .strong(),
        );
    }
    ui.label(format_bytes(d.budget_bytes));
    ui.end_row();
}
