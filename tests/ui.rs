//! The window, driven through egui_kittest like a user drives it: rows, clicks, cards, toolbar,
//! keyboard, on a simulated 24 GiB GPU + 64 GiB RAM machine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use seekdeck::app::PersistedState;
use seekdeck::estimate::fit::Verdict;
use seekdeck::estimate::quant::Quant;
use seekdeck::format::format_bytes;
use support::{app_harness, RTX_4090};

fn index_of(h: &egui_kittest::Harness<'_, seekdeck::app::App>, id: &str) -> usize {
    support::model_index(h.state(), id)
}

/// The words the "Fits this PC" cell of a model shows.
fn cell_text(h: &egui_kittest::Harness<'_, seekdeck::app::App>, id: &str) -> String {
    let f = &h.state().fits[index_of(h, id)];
    format!(
        "{} · {}",
        f.verdict.short_label(),
        format_bytes(f.breakdown.total_bytes())
    )
}

#[test]
fn table_shows_the_overview_and_the_family() {
    let h = app_harness(PersistedState::default(), RTX_4090);
    for m in &h.state().catalog.models {
        h.get_by_label(&m.name);
    }
    assert_eq!(h.state().rows.len(), 21);
    // The family the overview does not list is marked so, row by row.
    assert_eq!(h.get_all_by_label("family").count(), 8);
    // The seed's figures are in the table.
    h.get_by_label("For math modeling, code generation etc.");
    h.get_by_label("Runs on entry-level GPUs and mobile devices");
    assert_eq!(h.get_all_by_label("~1 TB").count(), 2);
}

#[test]
fn verdicts_on_a_24_gib_gpu() {
    let h = app_harness(PersistedState::default(), RTX_4090);
    let r14 = cell_text(&h, "deepseek-r1-distill-qwen-14b");
    assert!(r14.starts_with("fits on GPU · "), "{r14}");
    h.get_by_label(&r14);
    let v3 = cell_text(&h, "deepseek-v3");
    assert!(v3.starts_with("too large · "), "{v3}");
    assert_eq!(
        h.get_all_by_label(&v3).count(),
        5,
        "R1, V3 and their three updates (R1-0528, V3-0324, V3.1) share the figure"
    );
    h.get_by_label("What if: 24GiB GPU, 64GiB RAM");
}

#[test]
fn clicking_a_row_opens_its_card() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_label("DeepSeek-V2-Lite").click();
    h.run_ok();
    assert!(h.state().state.card_open);
    assert_eq!(
        h.state().state.selected.as_deref(),
        Some("deepseek-v2-lite")
    );
    // The heading repeats the name; the card shows seed facts, architecture and the MoE option.
    assert_eq!(h.get_all_by_label("DeepSeek-V2-Lite").count(), 2);
    h.get_by_label("From the DeepSeek model overview");
    h.get_by_label_contains("Multi-head latent attention (MLA)");
    h.get_by_label_contains("MoE option — experts in RAM");
    h.get_by_label_contains("deepseek-ai/DeepSeek-V2-Lite-Chat (original weights)");
    h.get_by_label("Every quantization on this machine");
    // What the overview lacks, from the public record: here the two context figures.
    h.get_by_label("Good to know");
    h.get_by_label_contains("163,840 positions as its config.json says");
    h.get_by_label_contains("its README says 32K");
    h.get_by_label_contains("temperature 0.3, top-p 0.95");
    h.get_by_label("Close").click();
    h.run_ok();
    assert!(!h.state().state.card_open);
}

#[test]
fn changing_the_quantization_changes_a_verdict() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    let before = h.state().fits[index_of(&h, "deepseek-r1-distill-qwen-32b")]
        .verdict
        .clone();
    assert_eq!(before, Verdict::FitsGpu);
    h.get_by_label("Quantization").click();
    h.run_ok();
    h.get_by_label_contains("F16  (16.00").click();
    h.run_ok();
    assert_eq!(h.state().state.quant, Quant::F16);
    let after = &h.state().fits[index_of(&h, "deepseek-r1-distill-qwen-32b")].verdict;
    assert!(matches!(after, Verdict::PartialOffload { .. }), "{after:?}");
    h.get_by_label(&cell_text(&h, "deepseek-r1-distill-qwen-32b"));
}

#[test]
fn sorting_by_fit_puts_gpu_fits_first() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_label("Fits (what if)").click();
    h.run_ok();
    let st = h.state();
    let first = &st.fits[st.rows[0]];
    let last = &st.fits[st.rows[12]];
    assert_eq!(first.verdict, Verdict::FitsGpu);
    assert_eq!(last.verdict, Verdict::TooLarge);
    h.get_by_label("sorted ascending");
}

#[test]
fn keyboard_moves_opens_and_searches() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.key_press(Key::ArrowDown);
    h.run_ok();
    h.key_press(Key::ArrowDown);
    h.run_ok();
    assert_eq!(h.state().state.selected.as_deref(), Some("deepseek-v3"));
    h.key_press(Key::Enter);
    h.run_ok();
    assert!(h.state().state.card_open);
    h.key_press(Key::Escape);
    h.run_ok();
    assert!(!h.state().state.card_open);
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::F]);
    h.run_ok();
    h.get_by_label("Search").type_text("qwen");
    h.run_ok();
    assert_eq!(h.state().rows.len(), 5);
    assert!(h.query_by_label("DeepSeek-V3").is_none());
}

#[test]
fn what_if_picker_switches_machines() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_label("What if…").click();
    h.run_ok();
    h.get_by_label("Mac (M4 Max), 128 GiB unified").click();
    h.run_ok();
    assert_eq!(
        h.state().state.what_if.as_deref(),
        Some("128GiB unified @546GB/s")
    );
    h.get_by_label_contains("(unified memory)");
    let seventy = &h.state().fits[index_of(&h, "deepseek-r1-distill-llama-70b")];
    assert_eq!(seventy.verdict, Verdict::FitsGpu);
}

#[test]
fn restored_state_reopens_the_last_card() {
    let state = PersistedState {
        selected: Some("deepseek-r1".into()),
        card_open: true,
        quant: Quant::Q8_0,
        ..PersistedState::default()
    };
    // What eframe persists round-trips through RON.
    let text = ron::to_string(&state).unwrap();
    let back: PersistedState = ron::from_str(&text).unwrap();
    assert_eq!(back, state);
    let h = app_harness(back, RTX_4090);
    assert_eq!(h.get_all_by_label("DeepSeek-R1").count(), 2);
    h.get_by_label("Memory at Q8_0 and 8192 tokens of context");
}

#[test]
fn an_moe_card_shows_both_gpu_options() {
    let state = PersistedState {
        selected: Some("deepseek-v3".into()),
        card_open: true,
        ..PersistedState::default()
    };
    let h = app_harness(state, "24GiB GPU, 512GiB RAM");
    let fit = &h.state().fits[index_of(&h, "deepseek-v3")];
    let Verdict::PartialOffload {
        gpu_layers,
        total_layers,
    } = fit.verdict
    else {
        panic!("{:?}", fit.verdict)
    };
    assert_eq!(total_layers, 62);
    let split = format!(
        "Suggested split: {gpu_layers} of 62 layers on the GPU (the output layer and the last {} blocks, {}), the rest in RAM ({}). llama.cpp: -ngl {gpu_layers}.",
        gpu_layers - 1,
        format_bytes(fit.gpu_bytes),
        format_bytes(fit.cpu_bytes)
    );
    h.get_by_label(&split);
    let e = fit.experts_in_ram.unwrap();
    let moe = format!(
        "MoE option — experts in RAM (llama.cpp --cpu-moe): {} of VRAM for attention, shared experts, cache and the expert copies llama.cpp makes for prompts, {} of RAM for the routed experts: fits this machine; Launch keeps only the experts of blocks 0–59 in RAM (--n-cpu-moe 60), those of the last 1 on the GPU.",
        format_bytes(e.vram_bytes),
        format_bytes(e.ram_bytes)
    );
    h.get_by_label(&moe);
}

#[test]
fn a_card_shows_llama_cpps_check_of_its_placement_on_a_gpu_build() {
    use seekdeck::app::card_checker::CheckState;
    use seekdeck::estimate::placement::Offload;
    use seekdeck::llama::split_search::SplitCheck;

    let state = PersistedState {
        selected: Some("deepseek-v3".into()),
        card_open: true,
        ..PersistedState::default()
    };
    let mut h = app_harness(state, "24GiB GPU, 512GiB RAM");
    let v3 = index_of(&h, "deepseek-v3");
    // The placement asked about is Launch's: every layer, the routed experts of all blocks but
    // the last in RAM.
    let key = h.state().card_check_key(v3).expect("a machine with a GPU");
    let experts_in_ram = Offload {
        gpu_layers: 62,
        cpu_moe: false,
        n_cpu_moe: 60,
        no_gpu: false,
    };
    assert_eq!(key.estimated, experts_in_ram);
    // Without a GPU back-end (this test build) the card says nothing more.
    assert!(h.query_by_label_contains("Checked on").is_none());

    let device = "NVIDIA GeForce RTX 4090";
    h.state_mut()
        .card_checks
        .record(device, key.clone(), CheckState::Pending);
    // A spinner keeps repainting: step instead of running until idle.
    h.run_steps(2);
    h.get_by_label_contains("llama.cpp is checking this placement on NVIDIA GeForce RTX 4090");
    let check = SplitCheck {
        estimated: experts_in_ram,
        chosen: experts_in_ram,
        gpu_bytes: 15_800 << 20,
        usable_bytes: key.limits.vram_budget_bytes,
        dry_runs: 1,
        secs: 0.1,
    };
    h.state_mut()
        .card_checks
        .record(device, key, CheckState::Done(Ok(check)));
    h.run();
    h.get_by_label(
        "Checked on NVIDIA GeForce RTX 4090: llama.cpp's dry run: 62 GPU layers with the routed \
         experts of the first 60 blocks in RAM (-ngl 62 --n-cpu-moe 60) uses 15.7 GiB of the \
         22.8 GiB of usable VRAM with the runtime overhead, 7.1 GiB to spare (as estimated).",
    );
}
