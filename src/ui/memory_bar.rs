//! The memory breakdown as a stacked bar (weights, KV cache, compute buffer, overhead) drawn against
//! this machine's usable VRAM and RAM, with a legend in words.

use egui::{FontId, Rect, RichText, Sense, Stroke, Ui};

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
    // A row for the marks' labels above the bar, so no label sits on the fill.
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 44.0), Sense::hover());
    let labels = Rect::from_min_max(rect.min, egui::pos2(rect.right(), rect.top() + 14.0));
    let bar = Rect::from_min_max(egui::pos2(rect.left(), labels.bottom()), rect.max);
    let painter = ui.painter_at(rect.expand(2.0));
    painter.rect_filled(bar, 3.0, ui.visuals().extreme_bg_color);
    let mut x = bar.left();
    for (_, bytes, color) in parts {
        let w = bar.width() * bytes as f32 / scale_max;
        let seg = Rect::from_min_size(
            egui::pos2(x, bar.top() + 4.0),
            egui::vec2(w, bar.height() - 8.0),
        );
        painter.rect_filled(seg, 0.0, color);
        x += w;
    }
    let text_color = ui.visuals().strong_text_color();
    let font = FontId::proportional(11.0);
    let at_x = |bytes: u64| bar.left() + bar.width() * bytes as f32 / scale_max;
    let mut marks = Vec::new();
    if vram > 0 {
        marks.push((at_x(vram), theme::VRAM_MARK, "VRAM"));
    }
    if fit.ram_budget_bytes > 0 {
        let label = if vram > 0 { "VRAM+RAM" } else { "RAM" };
        marks.push((at_x(capacity), theme::RAM_MARK, label));
    }
    // Each label ends at its mark; a label that would run into the previous one, or off the
    // left edge, starts at its mark instead.
    let mut taken_until = labels.left();
    for (mx, color, label) in marks {
        painter.line_segment(
            [
                egui::pos2(mx, labels.bottom() - 2.0),
                egui::pos2(mx, bar.bottom()),
            ],
            Stroke::new(2.5, color),
        );
        let galley = painter.layout_no_wrap(label.to_owned(), font.clone(), text_color);
        let w = galley.size().x;
        let left = if mx - 3.0 - w >= taken_until {
            mx - 3.0 - w
        } else {
            (mx + 3.0).max(taken_until + 6.0)
        };
        let left = left.min(labels.right() - w);
        painter.galley(egui::pos2(left, labels.top()), galley, text_color);
        taken_until = left + w;
    }
    response.on_hover_text(format!(
        "total {} against {} usable VRAM and {} usable RAM",
        format_bytes(b.total_bytes()),
        format_bytes(vram),
        format_bytes(fit.ram_budget_bytes)
    ));
    // Each entry is one widget: the line wraps between entries, never inside one.
    ui.horizontal_wrapped(|ui| {
        for (name, bytes, color) in parts {
            legend_entry(
                ui,
                Marker::Square(color),
                format!("{name} {}", format_bytes(bytes)),
            );
        }
        legend_entry(
            ui,
            Marker::None,
            format!("= {} total", format_bytes(b.total_bytes())),
        );
        legend_entry(
            ui,
            Marker::Bar(theme::VRAM_MARK),
            format!("usable VRAM {}", format_bytes(vram)),
        );
        legend_entry(
            ui,
            Marker::Bar(theme::RAM_MARK),
            format!("+ usable RAM {}", format_bytes(fit.ram_budget_bytes)),
        );
    });
}

/// What stands before a legend entry's words.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Marker {
    /// Nothing.
    None,
    /// A filled square: an area's colour.
    Square(egui::Color32),
    /// A short horizontal line: a line's colour.
    Line(egui::Color32),
    /// A vertical bar: a mark's colour.
    Bar(egui::Color32),
}

/// One legend entry — its marker and its words — as a single widget of known size, so a wrapping
/// row moves it to the next line whole (a nested row would overflow instead).
pub(crate) fn legend_entry(ui: &mut Ui, marker: Marker, words: String) -> egui::Response {
    let galley = ui.painter().layout_no_wrap(
        words.clone(),
        egui::TextStyle::Body.resolve(ui.style()),
        ui.visuals().text_color(),
    );
    let mark_w = match marker {
        Marker::None => 0.0,
        Marker::Square(_) | Marker::Bar(_) => 16.0,
        Marker::Line(_) => 20.0,
    };
    let size = egui::vec2(mark_w + galley.size().x, galley.size().y.max(12.0));
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let mid = rect.left_center();
    let painter = ui.painter();
    match marker {
        Marker::None => {}
        Marker::Square(color) => {
            let square = Rect::from_center_size(mid + egui::vec2(6.0, 0.0), egui::vec2(12.0, 12.0));
            painter.rect_filled(square, 2.0, color);
        }
        Marker::Line(color) => {
            painter.line_segment([mid, mid + egui::vec2(16.0, 0.0)], Stroke::new(2.5, color));
        }
        Marker::Bar(color) => {
            painter.line_segment(
                [mid + egui::vec2(5.0, -7.0), mid + egui::vec2(5.0, 7.0)],
                Stroke::new(2.0, color),
            );
        }
    }
    let text_at = egui::pos2(
        rect.left() + mark_w,
        rect.center().y - galley.size().y / 2.0,
    );
    painter.galley(text_at, galley, ui.visuals().text_color());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, words.clone()));
    response
}

/// A small filled square in a legend colour.
pub(crate) fn swatch(ui: &mut Ui, color: egui::Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, color);
}

/// On a PC with several GPUs: one bar per card — its blocks' weights, their cache and its compute
/// buffer against its usable memory — as llama.cpp's layer split places the report's placement.
pub(crate) fn gpu_bars_ui(ui: &mut Ui, fit: &FitReport) {
    if fit.gpus.is_empty() {
        return;
    }
    ui.label(RichText::new("Per GPU (llama.cpp's layer split)").strong());
    let width = ui.available_width().min(900.0);
    for (i, d) in fit.gpus.iter().enumerate() {
        ui.label(format!(
            "GPU {i} · {}: blocks {} — {} of {} usable{}",
            d.name,
            d.blocks_label(),
            format_bytes(d.total_bytes()),
            format_bytes(d.budget_bytes),
            if d.fits() { "" } else { " — over" }
        ));
        let parts = [
            (d.weights_bytes, theme::WEIGHTS),
            (d.kv_bytes, theme::KV_CACHE),
            (d.compute_bytes, theme::COMPUTE),
        ];
        let scale = d.total_bytes().max(d.budget_bytes).max(1) as f32;
        let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 16.0), Sense::hover());
        let painter = ui.painter_at(rect.expand(2.0));
        painter.rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
        let mut x = rect.left();
        for (bytes, color) in parts {
            let w = rect.width() * bytes as f32 / scale;
            painter.rect_filled(
                Rect::from_min_size(egui::pos2(x, rect.top() + 2.0), egui::vec2(w, 12.0)),
                0.0,
                color,
            );
            x += w;
        }
        let mark = rect.left() + rect.width() * d.budget_bytes as f32 / scale;
        painter.line_segment(
            [
                egui::pos2(mark, rect.top()),
                egui::pos2(mark, rect.bottom()),
            ],
            Stroke::new(2.5, theme::VRAM_MARK),
        );
        response.on_hover_text(format!(
            "weights {}, KV cache {}, compute {}",
            format_bytes(d.weights_bytes),
            format_bytes(d.kv_bytes),
            format_bytes(d.compute_bytes)
        ));
    }
}
