//! Several machines in the window, through egui_kittest: a "What if…" cluster colours a model too
//! large for one machine by its verdict across the machines and the card lists each machine's
//! part; on one machine, the card of a model too large for it names the smallest cluster of PCs
//! like it; a malformed cluster spec is refused as it is typed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use seekdeck::app::PersistedState;
use support::{app_harness, card_of, RTX_4090};

#[test]
fn a_what_if_cluster_judges_each_model_across_its_machines() {
    let mut h = app_harness(card_of("deepseek-v2"), "4x (128GiB RAM @89.6GB/s)");
    h.run_ok();
    // V2 (133.9 GiB at Q4_K_M) is too large for one 128 GiB PC, and fits across four.
    h.get_by_label_contains("Fits (what if, 4 machines)");
    // V2 and every 671B model (378 GiB) are so marked; the rows that fit one PC are not.
    assert!(
        h.query_all_by_label_contains("fits on 4 machines ·")
            .count()
            >= 3
    );
    assert!(h.query_all_by_label_contains("CPU only ·").count() > 0);
    h.get_by_label("Across the 4 What-if machines");
    for part in [
        "this PC · CPU",
        "machine 2 · CPU",
        "machine 4 · CPU",
        "over 1 Gb/s",
    ] {
        h.get_by_label_contains(part);
    }
    let v2 = h
        .state()
        .catalog
        .models
        .iter()
        .position(|m| m.id == "deepseek-v2")
        .unwrap();
    let plan = h.state().cluster_fits[v2].clone().unwrap();
    let blocks: u32 = std::iter::once(&plan.this_pc)
        .chain(&plan.devices)
        .map(|d| d.blocks)
        .sum();
    assert_eq!(blocks, 60);
    assert!(plan.devices.iter().all(|d| d.fits()));
}

#[test]
fn the_card_of_a_model_too_large_names_the_smallest_cluster_of_alike_pcs() {
    let mut h = app_harness(card_of("deepseek-v2"), RTX_4090);
    h.run_ok();
    // V2 at Q4_K_M (133.9 GiB): two such PCs hold it, each machine's GPU and RAM used.
    h.get_by_label("The smallest cluster of PCs like the What-if machine: 2 machines");
    h.get_by_label("fits on 2 machines");
    h.get_by_label_contains("this split gives each device what it holds");
    h.get_by_label_contains("(llama.cpp -ngl");
    // A model that fits one machine gets no cluster section.
    h.state_mut().state.selected = Some("deepseek-v2-lite".into());
    h.run_ok();
    assert!(h.query_by_label_contains("The smallest cluster").is_none());
}

#[test]
fn a_malformed_cluster_spec_is_refused_as_typed() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_role_and_label(Role::TextInput, "or type").click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "or type")
        .type_text("3x (24GiB GPU, 64GiB RAM");
    h.run_ok();
    h.get_by_label_contains("a \"(\" is not closed");
    assert_eq!(h.state().state.what_if.as_deref(), Some(RTX_4090));
}

/// While a model loads across machines, the slot says what each machine is sent and how long
/// that takes at 1 and 10 Gb/s, under the progress bar that covers it.
#[test]
fn a_load_across_machines_says_what_each_is_sent() {
    use seekdeck::app::chat_state::{LoadStage, ModelState};
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    {
        let session = &mut h.state_mut().chat.session;
        session.model = ModelState::Loading {
            source: seekdeck::engine::ModelSource::File("r1.gguf".into()),
            name: "DeepSeek-R1-IQ1_S across this PC and 2 other machines".into(),
            progress: 0.4,
            cancel: std::sync::Arc::default(),
            started: std::time::Instant::now(),
            stage: LoadStage::Reading,
        };
        session.sending = vec![
            ("192.168.1.21:50052".into(), 60 << 30),
            ("192.168.1.22:50052".into(), 40 << 30),
        ];
    }
    h.run_ok();
    h.get_by_label(
        "Sending 192.168.1.21:50052 60.0 GiB of weights (about 8 min 35 s at 1 Gb/s, 52 s at 10 Gb/s)",
    );
    h.get_by_label_contains("Sending 192.168.1.22:50052 40.0 GiB");
}
