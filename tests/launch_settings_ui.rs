//! llama.cpp's launch settings in the window, through egui_kittest: the card's "Advanced" part
//! changes the cache type and the card's figure and verdict follow (and are remembered for the
//! model); the "2× RTX 3090" preset shows two GPU bars with each card's part of the split.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui_kittest::kittest::Queryable;
use seekdeck::estimate::fit::Verdict;
use seekdeck::estimate::kv_cache::CacheType;
use support::{app_harness, card_of};

const ID: &str = "deepseek-r1-distill-llama-8b";

fn fit_of(
    h: &egui_kittest::Harness<'static, seekdeck::app::App>,
) -> seekdeck::estimate::fit::FitReport {
    let app = h.state();
    let i = app.catalog.models.iter().position(|m| m.id == ID).unwrap();
    app.fits[i].clone()
}

#[test]
fn changing_the_kv_type_changes_the_cards_figure_and_verdict() {
    let mut state = card_of(ID);
    state.ctx_tokens = 131_072;
    let mut h = app_harness(state, "16GiB GPU, 64GiB RAM");
    h.run_ok();
    // At f16 the 128K cache (16 GiB) does not let the model fit the 16 GiB card.
    let before = fit_of(&h);
    assert!(
        matches!(before.verdict, Verdict::PartialOffload { .. }),
        "{:?}",
        before.verdict
    );
    h.get_by_label("Memory at Q4_K_M and 131072 tokens of context");
    h.get_by_label("Advanced: llama.cpp's settings (defaults)")
        .click();
    h.run_ok();
    h.get_by_label_contains("A quantized V cache needs flash attention");
    // K and V to q4_0 through the two combo boxes.
    for combo in ["K cache:", "V cache:"] {
        h.get_by_label(combo).scroll_to_me();
        h.run_ok();
        h.get_by_label(combo).click();
        h.run_ok();
        h.get_by_label("q4_0").click();
        h.run_ok();
    }
    let s = h.state().state.settings_for(ID);
    assert_eq!(
        (s.cache_type_k, s.cache_type_v),
        (CacheType::Q4_0, CacheType::Q4_0)
    );
    let after = fit_of(&h);
    assert_eq!(after.verdict, Verdict::FitsGpu);
    assert!(after.breakdown.kv_cache_bytes * 3 < before.breakdown.kv_cache_bytes);
    // The card's figures and header say it.
    h.get_by_label("Advanced: llama.cpp's settings (2 changes)");
    h.get_by_label_contains("llama.cpp flags: --cache-type-k q4_0 --cache-type-v q4_0");
    h.get_by_label_contains("cache 4.5 GiB (f16: 16.0 GiB)");
    h.get_by_label_contains("Everything fits in VRAM");
    // Reset goes back to llama.cpp's defaults and the verdict with them.
    h.get_by_label("Reset to llama.cpp's defaults")
        .scroll_to_me();
    h.run_ok();
    h.get_by_label("Reset to llama.cpp's defaults").click();
    h.run_ok();
    assert!(h.state().state.settings_for(ID).is_default());
    assert_eq!(fit_of(&h).verdict, before.verdict);
}

#[test]
fn two_rtx_3090s_show_two_bars_and_each_cards_part() {
    let preset = seekdeck::hardware::assume::PRESETS
        .iter()
        .find(|p| p.label.starts_with("2× RTX 3090"))
        .unwrap();
    let mut h = app_harness(card_of("deepseek-r1-distill-qwen-32b"), preset.spec);
    h.run_ok();
    // The hardware bar: one gauge per card.
    assert!(h.query_all_by_label_contains("Simulated GPU").count() >= 2);
    // The card: one bar per GPU with its blocks.
    h.get_by_label("Per GPU (llama.cpp's layer split)");
    h.get_by_label_contains("GPU 0 · Simulated GPU 1: blocks 0–32");
    h.get_by_label_contains("GPU 1 · Simulated GPU 2: blocks 33–63 + output");
    let fit = {
        let app = h.state();
        let i = app
            .catalog
            .models
            .iter()
            .position(|m| m.id == "deepseek-r1-distill-qwen-32b")
            .unwrap();
        app.fits[i].clone()
    };
    assert_eq!(fit.gpus.len(), 2);
    assert!(fit.gpus.iter().all(|d| d.fits()));
    // The Advanced part offers the split settings for the two cards.
    h.get_by_label("Advanced: llama.cpp's settings (defaults)")
        .click();
    h.run_ok();
    h.get_by_label("whole layers per GPU (layer)");
    // Row split is not offered, and says why (llama.cpp's reason) to whoever looks for it.
    h.get_by_label("row: not offered");
    h.get_by_label("all on the main GPU (none)").scroll_to_me();
    h.run_ok();
    h.get_by_label("all on the main GPU (none)").click();
    h.run_ok();
    let s = h.state().state.settings_for("deepseek-r1-distill-qwen-32b");
    assert_eq!(
        s.split_mode,
        seekdeck::estimate::launch_settings::SplitMode::None
    );
    h.get_by_label_contains("GPU 0 · Simulated GPU 1: blocks 0–63 + output");
}
