//! "Other machines" in the window, driven through egui_kittest against a real `seekdeck worker`
//! on loopback: an added worker shows its memory, an address nothing answers says so in words, a
//! malformed one is refused as it is typed, and the list is remembered with the window's state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Command, Stdio};

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use seekdeck::app::PersistedState;
use support::workers::{free_port, Worker};
use support::{app_harness, wait_until, RTX_4090};

/// Types `text` into the worker address field.
fn type_address(h: &mut egui_kittest::Harness<'static, seekdeck::app::App>, text: &str) {
    h.get_by_role_and_label(Role::TextInput, "Worker").click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, "Worker")
        .type_text(text);
    h.run_ok();
}

#[test]
fn other_machines_are_read_live_said_in_words_and_remembered() {
    let port = free_port();
    let _worker = Worker(
        Command::new(env!("CARGO_BIN_EXE_seekdeck"))
            .args(["worker", "--port", &port.to_string(), "--threads", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let live = format!("127.0.0.1:{port}");
    let gone = format!("127.0.0.1:{}", free_port());
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_label("Other machines").click();
    h.run_ok();

    // Malformed: refused as typed, nothing added.
    type_address(&mut h, "my laptop");
    h.run_ok();
    h.get_by_label_contains("is not host:port");
    assert!(h.state().state.workers.is_empty());

    for endpoint in [&live, &gone] {
        h.state_mut().machines.typed.0.clear();
        h.run_ok();
        type_address(&mut h, endpoint);
        h.run_ok();
        h.get_by_label("Add machine").click();
        h.run_ok();
        // Its reading arrives from another thread and adds lines above the address field: wait
        // for it, so the next address is typed where the field is then.
        wait_until(&mut h, "the reading", |a| {
            a.machines.readings.contains_key(endpoint)
        });
        h.run_ok();
    }
    assert_eq!(h.state().state.workers, [live.clone(), gone.clone()]);
    wait_until(&mut h, "both readings", |a| a.machines.readings.len() == 2);
    h.run_ok();
    h.get_by_label_contains("1 device ·");
    h.get_by_label_contains(&format!("cannot reach {gone}"));

    // Added twice: said, not added.
    type_address(&mut h, &live);
    h.run_ok();
    h.get_by_label_contains("in the list already");

    // Remembered: a new window with the saved state reads them again.
    let saved = h.state().state.clone();
    let mut again = app_harness(saved, RTX_4090);
    wait_until(&mut again, "the remembered readings", |a| {
        a.machines.readings.len() == 2
    });
    again.run_ok();
    again.get_by_label_contains("1 device ·");

    // Removed: gone from the list and from what is saved.
    let removes: Vec<_> = again.get_all_by_label("Remove").collect();
    removes[1].click();
    again.run_ok();
    assert_eq!(again.state().state.workers, [live]);
}

/// A window with a six-block model in its folder and `endpoint` among its other machines.
fn harness_with_a_model_and(
    dir: &std::path::Path,
    endpoint: &str,
) -> egui_kittest::Harness<'static, seekdeck::app::App> {
    use seekdeck::app::AppOptions;
    use seekdeck::catalog::Architecture;
    use seekdeck::estimate::quant::GgmlType;
    use seekdeck::local::{Root, Source};
    use support::tiny::{tiny_architecture, write_random_model};

    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let arch = Architecture {
        layers: 6,
        context_tokens: 8192,
        ..tiny_architecture("llama")
    };
    write_random_model(&models.join("six.gguf"), &arch, "chatml", GgmlType::F32);
    let options = AppOptions {
        assume: Some(RTX_4090.into()),
        scan_roots: vec![Root {
            source: Source::UserFolder,
            path: models,
        }],
        scan_on_start: true,
        conversations_dir: Some(dir.join("conversations")),
        engine_host_exe: Some(env!("CARGO_BIN_EXE_seekdeck").into()),
        ..AppOptions::default()
    };
    let state = PersistedState {
        workers: vec![endpoint.to_owned()],
        ..PersistedState::default()
    };
    egui_kittest::Harness::builder()
        .with_size(egui::vec2(1500.0, 1000.0))
        .allow_missing_glyphs()
        .build_eframe(move |cc| seekdeck::app::App::new_with_state(cc, state, options))
}

/// Launch across machines in the window: a local file split across this PC and a worker answers
/// in the pane; the worker killed mid-answer is named on the answer, the slot empties, the
/// conversation is kept, and the same launch works again once the worker is back.
#[test]
fn a_launch_across_machines_answers_and_a_lost_machine_is_named() {
    use seekdeck::app::chat_state::ModelState;
    use seekdeck::chat::Role;
    use support::workers::{start_worker, wait_for};

    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let endpoint = format!("127.0.0.1:{port}");
    let worker = start_worker(&["--port", &port.to_string(), "--threads", "1"]);
    wait_for(&endpoint);
    let mut h = harness_with_a_model_and(dir.path(), &endpoint);
    wait_until(&mut h, "the scan and the worker", |a| {
        a.local.models.len() == 1 && !a.answering_workers().is_empty()
    });
    let launch = |h: &mut egui_kittest::Harness<'static, seekdeck::app::App>| {
        support::click_in_view(h, "Launch across 2 machines");
        h.run_ok();
        wait_until(h, "the model across machines", |a| {
            matches!(a.chat.session.model, ModelState::Loaded { .. })
        });
    };
    launch(&mut h);
    h.get_by_label_contains("across this PC and 1 other machine");
    // The load sent the worker its blocks' weights; the slot said how much while it did.
    let sending = h.state().chat.session.sending.clone();
    assert_eq!(sending.len(), 1);
    assert_eq!(sending[0].0, endpoint);
    assert!(sending[0].1 > 0);
    // While the model runs across it, the worker is shown in use (and not read: it serves one
    // client at a time), and the slot says where the blocks are.
    h.run_ok();
    h.get_by_label("in use: the model in the slot runs across it");
    h.get_by_label_contains(&format!("on 1 other machine ({endpoint})"));
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 8;
    support::send_message(&mut h, "hello");
    wait_until(&mut h, "the answer", |a| {
        a.chat.session.generation.is_none()
            && a.chat
                .conversation()
                .messages
                .last()
                .is_some_and(|m| m.role == Role::Assistant && m.stats.is_some())
    });

    // The worker goes away while the next answer is written.
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 100_000;
    support::send_message(&mut h, "and again");
    wait_until(&mut h, "the first words", |a| {
        a.chat
            .conversation()
            .messages
            .last()
            .is_some_and(|m| !m.text.is_empty())
    });
    drop(worker);
    wait_until(&mut h, "the lost machine", |a| {
        a.chat.session.generation.is_none()
    });
    // The tiny model may end its answer before the loss is noticed; the next one meets it.
    if h.state()
        .chat
        .conversation()
        .messages
        .last()
        .is_some_and(|m| m.error.is_none())
    {
        support::send_message(&mut h, "once more");
        wait_until(&mut h, "the lost machine", |a| {
            a.chat.session.generation.is_none()
        });
    }
    let last = h
        .state()
        .chat
        .conversation()
        .messages
        .last()
        .cloned()
        .unwrap();
    assert!(
        last.error
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("lost the machine {endpoint}")),
        "{last:?}"
    );
    wait_until(&mut h, "the empty slot", |a| {
        matches!(a.chat.session.model, ModelState::Empty)
    });
    let kept = h.state().chat.conversation().messages.len();
    assert!(
        kept == 4 || kept == 6,
        "the conversation is kept: {kept} messages"
    );

    // Back again: the same launch works.
    let _again = start_worker(&["--port", &port.to_string(), "--threads", "1"]);
    wait_for(&endpoint);
    wait_until(&mut h, "the worker read again", |a| {
        !a.answering_workers().is_empty()
    });
    launch(&mut h);
}

/// With another machine added, the table judges a model too large for this PC across this PC
/// and that machine (as a What-if cluster is judged), and the card lists each one's part; a
/// model that fits here alone stays judged on this PC.
#[test]
fn the_table_judges_with_the_machines_the_user_added() {
    use support::workers::{start_worker, wait_for};
    let port = free_port();
    let endpoint = format!("127.0.0.1:{port}");
    let _worker = start_worker(&["--port", &port.to_string(), "--threads", "1"]);
    wait_for(&endpoint);
    let options = seekdeck::app::AppOptions {
        poll_hardware: false,
        user_catalog_dir: None,
        ..seekdeck::app::AppOptions::default()
    };
    let state = PersistedState {
        workers: vec![endpoint.clone()],
        selected: Some("deepseek-r1-distill-qwen-32b".into()),
        card_open: true,
        ..PersistedState::default()
    };
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 1100.0))
        .build_eframe(move |cc| seekdeck::app::App::new_with_state(cc, state, options));
    // This PC as a 16 GiB machine without a GPU, read live (not a What-if machine).
    let mut live = seekdeck::hardware::assume::parse_assume("16GiB RAM").unwrap();
    live.simulated = None;
    h.state_mut().set_live_hardware(live);
    wait_until(&mut h, "the worker's reading", |a| {
        !a.answering_workers().is_empty()
    });
    h.state_mut().refresh();
    h.run_ok();
    let index = |id: &str| support::model_index(h.state(), id);
    // R1-Distill-Qwen-32B (19.9 GiB at Q4_K_M) is too large for 14 GiB; across the two it fits.
    let (big, small) = (
        index("deepseek-r1-distill-qwen-32b"),
        index("deepseek-r1-distill-qwen-7b"),
    );
    assert_eq!(
        h.state().fits[big].verdict,
        seekdeck::estimate::fit::Verdict::TooLarge
    );
    let across = h.state().cluster_fits[big].clone().unwrap();
    assert_eq!(
        across.verdict,
        seekdeck::estimate::cluster::ClusterVerdict::Fits { machines: 2 },
        "{}",
        across.flags()
    );
    assert!(h.state().fits[small].verdict != seekdeck::estimate::fit::Verdict::TooLarge);
    h.get_by_label_contains("fits on 2 machines ·");
    h.get_by_label("With this PC and the 1 other machine(s) that answer");
    h.get_by_label_contains(&format!("{endpoint} · device"));
}
