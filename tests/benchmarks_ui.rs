//! Benchmarks and plots in the window, through egui_kittest: the card's "Benchmarks" section with
//! each score's setting, its memory-against-context plot with the VRAM line and, in words, the
//! context where the model stops fitting; the Compare view plotting only the models whose sources
//! report the picked benchmark, and changing with the pick.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui_kittest::kittest::{NodeT, Queryable};
use seekdeck::app::PersistedState;
use support::{app_harness, card_of, RTX_4090};

#[test]
fn the_card_shows_benchmarks_and_memory_against_context() {
    let mut h = app_harness(card_of("deepseek-r1-distill-qwen-7b"), RTX_4090);
    h.run_ok();
    h.get_by_label("Benchmarks");
    h.get_by_label_contains("Setting: DeepSeek-R1 card");
    // AIME 2024 twice: pass@1 and cons@64, both from the R1 card's table.
    assert_eq!(h.query_all_by_label("AIME 2024").count(), 2);
    h.get_by_label("55.5%");
    h.get_by_label("Memory against context length at Q4_K_M");
    h.get_by_label_contains("Usable VRAM (");
    // The 7B at Q4_K_M (4.4 GiB + 28 KiB of KV per token) holds its whole 128K context in 24 GiB.
    h.get_by_label_contains("It fits in VRAM at every context up to its 131,072 tokens");
    // A model whose sources publish no scores says so.
    h.state_mut().state.selected = Some("deepseek-v3.2".into());
    h.run_ok();
    h.get_by_label_contains("Not reported: the sources seekdeck holds");
}

#[test]
fn the_card_says_where_a_long_context_stops_fitting() {
    let mut h = app_harness(card_of("deepseek-r1-distill-qwen-32b"), RTX_4090);
    h.run_ok();
    // 32B at Q4_K_M is 18.5 GiB of weights: the VRAM holds some context, not all 128K.
    let words = h
        .get_by_label_contains("It fits in VRAM up to ")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(words.contains("VRAM + RAM at every context"), "{words}");
}

#[test]
fn compare_plots_only_the_models_that_report_the_benchmark() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_label("Compare").click();
    h.run_ok();
    assert!(h.state().state.compare);
    // The benchmark most models report: AIME 2024 pass@1 in the R1 card's setting (R1 + 6 distills).
    h.get_by_label_contains("Setting: DeepSeek-R1 card");
    let plotted = h
        .get_by_label_contains("Plotted: ")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    for name in [
        "DeepSeek-R1 79.8%",
        "DeepSeek-R1-Distill-Qwen-7B 55.5%",
        "DeepSeek-R1-Distill-Llama-70B 70.0%",
    ] {
        assert!(plotted.contains(name), "{name} in {plotted}");
    }
    assert!(!plotted.contains("DeepSeek-V3"), "{plotted}");
    // The verdict in words beside each point's figures.
    assert!(
        plotted.contains("(fits on GPU)") && plotted.contains("(too large)"),
        "{plotted}"
    );
    let missing = h
        .get_by_label_contains("Not reported by their sources for AIME 2024 · pass@1:")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(
        missing.contains("DeepSeek-V3") && missing.contains("DeepSeek 7B"),
        "{missing}"
    );
    assert!(!missing.contains("Distill"), "{missing}");

    // Another benchmark: DeepSeek LLM's chat table plots the two LLMs only.
    let key = h
        .state()
        .catalog
        .models
        .iter()
        .find(|m| m.id == "deepseek-llm-7b")
        .unwrap()
        .scores
        .iter()
        .find(|s| s.benchmark == "MMLU")
        .unwrap()
        .key();
    h.state_mut().state.compare_key = Some(key);
    h.run_ok();
    let plotted = h
        .get_by_label_contains("Plotted: ")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(
        plotted.contains("DeepSeek 7B 49.4%") && plotted.contains("DeepSeek 67B 71.1%"),
        "{plotted}"
    );
    assert!(
        !plotted.contains("Distill") && !plotted.contains("DeepSeek-R1 "),
        "{plotted}"
    );
    h.get_by_label("Table").click();
    h.run_ok();
    assert!(!h.state().state.compare);
}
