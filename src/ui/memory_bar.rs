//! The memory breakdown as a stacked bar (weights, KV cache, compute buffer, overhead) drawn against
//! this machine's usable VRAM and RAM, with a legend in words.

use egui::{Align2, FontId, Rect, Sense, Stroke, Ui};

use super::theme;
use crate::estimate::fit::FitReport;
use crate::format::format_bytes;

/// Draws the bar and its legend.
pub(crate) fn memory_bar_ui(ui: &mut Ui, fit: &FitReport) {
    let b = &fit.breakdown;
    let parts = [
        ("weights", b.weights_bytes, theme::WEIGHTS),
        ("KV cache", b.kv_cache_bytes, theme::KV_CACHE),
        ("compute buffer", b.compute_bytes, theme::COMPUTE),
        ("overhead", b.overhead_bytes, theme::OVERHEAD),
    ];
    let vram = fit.vram_budget_bytes;
    let capacity = vram + fit.ram_budget_bytes;
    let scale_max = b.total_bytes().max(capacity).max(1) as f32;
    let width = ui.available_width().min(900.0);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 30.0), Sense::hover());
    let painter = ui.painter_at(rect.expand(2.0));
    painter.rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
    let mut x = rect.left();
    for (_, bytes, color) in parts {
        let w = rect.width() * bytes as f32 / scale_max;
        let seg = Rect::from_min_size(
            egui::pos2(x, rect.top() + 4.0),
            egui::vec2(w, rect.height() - 8.0),
        );
        painter.rect_filled(seg, 0.0, color);
        x += w;
    }
    let mark = |at: u64, color: egui::Color32, label: &str| {
        let mx = rect.left() + rect.width() * at as f32 / scale_max;
        painter.line_segment(
            [egui::pos2(mx, rect.top()), egui::pos2(mx, rect.bottom())],
            Stroke::new(2.5, color),
        );
        painter.text(
            egui::pos2(mx - 3.0, rect.top() + 1.0),
            Align2::RIGHT_TOP,
            label,
            FontId::proportional(10.0),
            color,
        );
    };
    if vram > 0 {
        mark(vram, theme::VRAM_MARK, "VRAM");
    }
    if fit.ram_budget_bytes > 0 {
        mark(capacity, theme::RAM_MARK, "VRAM+RAM");
    }
    response.on_hover_text(format!(
        "total {} against {} usable VRAM and {} usable RAM",
        format_bytes(b.total_bytes()),
        format_bytes(vram),
        format_bytes(fit.ram_budget_bytes)
    ));
    ui.horizontal_wrapped(|ui| {
        for (name, bytes, color) in parts {
            swatch(ui, color);
            ui.label(format!("{name} {}", format_bytes(bytes)));
        }
        ui.label(format!("= {} total", format_bytes(b.total_bytes())));
        ui.colored_label(theme::VRAM_MARK, "|");
        ui.label(format!("usable VRAM {}", format_bytes(vram)));
        ui.colored_label(theme::RAM_MARK, "|");
        ui.label(format!(
            "+ usable RAM {}",
            format_bytes(fit.ram_budget_bytes)
        ));
    });
}

/// A small filled square in a legend colour.
fn swatch(ui: &mut Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}
