//! The table and the card at 1280×720, through egui_kittest: the toolbar stays one line, the
//! model names stay in view when the table scrolls sideways to its last columns, a row selected
//! low in the table stays in view when the card opens below it, the memory bar's legend wraps
//! between entries (never inside one), the memory plot's legend sits above the plot (not over its
//! curve), and no text is smaller than 11 points.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use seekdeck::app::{App, PersistedState};
use support::{card_of, RTX_4090};

/// The whole window at `w`×`h` on the simulated RTX 4090 PC.
fn window(state: PersistedState, w: f32, h: f32) -> Harness<'static, App> {
    support::app_harness_sized(state, RTX_4090, egui::vec2(w, h), false)
}

#[test]
fn the_toolbar_is_one_line_at_1280_by_720() {
    let h = window(PersistedState::default(), 1280.0, 720.0);
    let first = h.get_by_label("Quantization").rect();
    // The toolbar's "Use" (the side panel has none without a server).
    let used = h.get_by_label("Use").rect();
    assert!(
        (used.center().y - first.center().y).abs() < 6.0,
        "\"Use\" at {used:?} is not on the toolbar's line ({first:?})"
    );
}

#[test]
fn model_names_stay_in_view_when_the_table_scrolls_sideways() {
    let mut h = window(PersistedState::default(), 1280.0, 720.0);
    h.get_by_label("FP16 RAM (overview)").scroll_to_me();
    h.run_ok();
    let last = h.get_by_label("FP16 RAM (overview)").rect();
    assert!(
        last.right() <= 870.0,
        "the last column is still cut: {last:?}"
    );
    let shown = |h: &Harness<'static, App>, label: &str| {
        h.query_all_by_label(label)
            .any(|n| n.rect().left() >= 0.0 && n.rect().right() <= 870.0)
    };
    assert!(
        shown(&h, "DeepSeek-R1"),
        "no model name in view once the table is scrolled sideways"
    );
    assert!(shown(&h, "Model"), "the Model header scrolled away");
}

#[test]
fn a_row_selected_low_in_the_table_stays_in_view_when_the_card_opens() {
    let mut h = window(PersistedState::default(), 1280.0, 720.0);
    let low = "DeepSeek-R1-0528-Qwen3-8B";
    support::click_in_view(&mut h, low);
    h.run_ok();
    assert!(h.state().state.card_open);
    let close = h.get_by_label("Close").rect();
    let in_table = h
        .query_all_by_label(low)
        .any(|n| n.rect().top() >= 150.0 && n.rect().bottom() <= close.top());
    assert!(in_table, "the selected row is out of view above the card");
}

#[test]
fn legends_wrap_between_entries_and_sit_outside_the_plot() {
    let h = window(card_of("deepseek-r1-distill-qwen-7b"), 1280.0, 720.0);
    // One line: at 1280 the entry broke between "+" and "usable RAM".
    let ram = h.get_by_label_contains("+ usable RAM").rect();
    assert!(ram.height() < 20.0, "the entry wrapped inside: {ram:?}");
    // The plot's legend is a row above it: its entries side by side, not stacked over the curve.
    let tops = |label: &str| -> Vec<f32> {
        h.query_all_by_label(label)
            .map(|n| n.rect().top())
            .collect()
    };
    let row = tops("Compute and overhead").into_iter().any(|top| {
        ["Weights", "KV cache"]
            .iter()
            .all(|l| tops(l).iter().any(|t| (t - top).abs() < 2.0))
    });
    assert!(
        row,
        "the plot's legend entries are not one row above the plot"
    );
}

#[test]
fn no_text_is_smaller_than_eleven_points() {
    let h = window(card_of("deepseek-r1-distill-qwen-7b"), 1280.0, 720.0);
    let small = h.ctx.global_style().text_styles[&egui::TextStyle::Small].size;
    assert!(small >= 11.0, "small text is {small} points");
}
