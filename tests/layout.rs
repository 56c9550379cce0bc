//! The window's layout rules, checked on the whole app through egui_kittest: the side panel keeps
//! its width range and its buttons their places, Clear and Delete can be undone, cards open at the
//! top, a narrow window shows tabs with Send in view (the file list folding while a model is in
//! the slot), and a typed "What if…" spec is checked as
//! it is typed and applied.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use seekdeck::app::{App, AppOptions, PersistedState, Tab};
use support::{app_harness, RTX_4090};

const WIDTH: f32 = 1400.0;

fn with_messages(h: &mut Harness<'static, App>, title: &str) {
    let c = h.state_mut().chat.conversation_mut();
    c.push_user("What fits a 24 GiB card?");
    c.title = title.to_owned();
    h.run_ok();
}

/// A model being read into the slot (the slot's busiest look).
fn loading_model() -> seekdeck::app::chat_state::ModelState {
    seekdeck::app::chat_state::ModelState::Loading {
        source: seekdeck::engine::ModelSource::File("m.gguf".into()),
        name: "M".into(),
        progress: 0.4,
        cancel: std::sync::Arc::default(),
        started: std::time::Instant::now(),
        stage: seekdeck::app::chat_state::LoadStage::Reading,
    }
}

#[test]
fn the_side_panel_keeps_its_width_and_its_buttons_their_places() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    with_messages(&mut h, "Short");
    let before: Vec<egui::Rect> = ["New", "Clear", "Export…", "Delete"]
        .iter()
        .map(|b| h.get_by_label(b).rect())
        .collect();
    let long = "A very long conversation title that goes on and on about quantization, \
                context lengths, KV caches and which DeepSeek model fits which machine";
    with_messages(&mut h, long);
    let after: Vec<egui::Rect> = ["New", "Clear", "Export…", "Delete"]
        .iter()
        .map(|b| h.get_by_label(b).rect())
        .collect();
    for (b, a) in before.iter().zip(&after) {
        assert!(
            (b.min - a.min).length() < 0.5 && (b.max - a.max).length() < 0.5,
            "the buttons moved with the title: {before:?} → {after:?}"
        );
    }
    // The panel stays within its width range: its left edge is no further left than 560 points
    // (plus margins) from the window's right edge, and nothing runs past the window.
    let panel_left = h.get_by_label("Conversation").rect().left();
    assert!(
        panel_left > WIDTH - 560.0 - 24.0,
        "panel starts at {panel_left}"
    );
    assert!(
        after[3].right() <= WIDTH,
        "Delete ends at {}",
        after[3].right()
    );
}

#[test]
fn clear_and_delete_can_be_undone() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    with_messages(&mut h, "Keep me");
    h.get_by_label("Clear").click();
    h.run_ok();
    assert!(h.state().chat.conversation().messages.is_empty());
    h.get_by_label_contains("cleared");
    h.get_by_label("Undo").click();
    h.run_ok();
    assert_eq!(h.state().chat.conversation().messages.len(), 1);
    assert_eq!(h.state().chat.conversation().title, "Keep me");
    h.get_by_label("Delete").click();
    h.run_ok();
    assert!(h.state().chat.conversation().messages.is_empty());
    h.get_by_label("Undo").click();
    h.run_ok();
    assert_eq!(h.state().chat.conversation().title, "Keep me");
    assert_eq!(h.state().chat.conversations.list.len(), 1);
}

#[test]
fn cards_open_at_the_top() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_label("DeepSeek-V3").click();
    h.run_ok();
    // Scroll the card to its end.
    h.get_by_label("Every quantization on this machine")
        .scroll_to_me();
    h.run_ok();
    // Another row, as a click on it sends (the table and the card both name the model).
    let seven_b = h
        .state()
        .catalog
        .models
        .iter()
        .position(|m| m.id == "deepseek-llm-7b")
        .unwrap();
    h.state_mut()
        .apply_all(vec![seekdeck::app::command::Command::OpenCard(seven_b)]);
    h.run_ok();
    let heading = h.get_by_label("Close").rect();
    let first = h.get_by_label_contains("Memory at").rect();
    let close = h.get_by_label("Close").rect();
    assert!(
        first.top() > close.bottom() && first.top() - close.bottom() < 40.0,
        "the card opened scrolled: its first line is at {first:?}, under the heading {heading:?}"
    );
}

#[test]
fn a_narrow_window_shows_tabs_and_send_stays_in_view() {
    let options = AppOptions {
        assume: Some(RTX_4090.to_owned()),
        ..AppOptions::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(900.0, 600.0))
        .with_max_steps(12)
        .build_eframe(move |cc| App::new_with_state(cc, PersistedState::default(), options));
    h.run_ok();
    assert!(
        h.query_by_label("Send").is_none(),
        "the models tab is first"
    );
    // The header wraps rather than running past the edge: the way back from a simulated machine
    // stays on screen.
    let back = h.get_by_label("Back to this PC").rect();
    assert!(
        back.right() <= 900.0,
        "Back to this PC ends at {}",
        back.right()
    );
    h.get_by_label("Chat").click();
    h.run_ok();
    assert_eq!(h.state().tab, Tab::Chat);
    let send = h.get_by_label("Send").rect();
    assert!(send.bottom() <= 600.0, "Send ends at {}", send.bottom());
    // A full context's banner does not push Send out either.
    h.state_mut().chat.session.context_full = true;
    h.run_ok();
    let send = h.get_by_label("Send").rect();
    assert!(send.bottom() <= 600.0, "Send ends at {}", send.bottom());
    h.state_mut().chat.session.context_full = false;
    // With a model in the slot the chat keeps its place and the file list stays as it was (it
    // scrolls with the other sections; it used to fold, and opening the log folded it too).
    h.get_by_label("Open GGUF…");
    let send_empty = h.get_by_label("Send").rect();
    h.state_mut().chat.session.model = loading_model();
    h.run_ok();
    h.get_by_label("Open GGUF…");
    let send_loading = h.get_by_label("Send").rect();
    assert!(
        send_loading.bottom() <= 600.0,
        "Send ends at {}",
        send_loading.bottom()
    );
    assert!(
        (send_empty.bottom() - send_loading.bottom()).abs() < 0.5,
        "Send moved"
    );
    h.get_by_label_contains("Log (").click();
    h.run_ok();
    h.get_by_label("Open GGUF…");
    assert!(
        h.query_by_label_contains("On this PC ·").is_none(),
        "opening the log folded the file list"
    );
    h.get_by_label("Models").click();
    h.run_ok();
    h.get_by_label("DeepSeek-R1");
}

/// Deletes `old` from the "or type" field and types `new`, as a user would.
fn retype_what_if(h: &mut Harness<'static, App>, old: &str, new: &str) {
    h.get_by_label("or type").focus();
    for _ in 0..old.len() {
        h.key_press(egui::Key::Backspace);
    }
    h.run_ok();
    h.get_by_label("or type").type_text(new);
    h.run_ok();
}

#[test]
fn a_typed_what_if_spec_is_checked_as_typed_and_applied() {
    let mut h = app_harness(PersistedState::default(), RTX_4090);
    h.get_by_label("or type").click();
    h.run_ok();
    h.get_by_label("or type").type_text("lots of GPUs");
    h.run_ok();
    let error = h.state().what_if_typed.1.clone().expect("not a spec");
    h.get_by_label(&error);
    assert_eq!(h.state().state.what_if.as_deref(), Some(RTX_4090));
    retype_what_if(&mut h, "lots of GPUs", "8GiB GPU, 32GiB RAM");
    assert!(h.state().what_if_typed.1.is_none());
    h.get_by_label("Use").click();
    h.run_ok();
    assert_eq!(
        h.state().state.what_if.as_deref(),
        Some("8GiB GPU, 32GiB RAM")
    );
    h.get_by_label("Fits (what if)");
    // Enter in the field applies it too, as its hover text says.
    retype_what_if(&mut h, "8GiB GPU, 32GiB RAM", "16GiB GPU, 64GiB RAM");
    h.key_press(egui::Key::Enter);
    h.run_ok();
    assert_eq!(
        h.state().state.what_if.as_deref(),
        Some("16GiB GPU, 64GiB RAM"),
        "Enter did not apply the typed machine"
    );
}

#[test]
fn long_file_names_and_a_loaded_model_do_not_widen_the_side_panel() {
    let dir = tempfile::tempdir().unwrap();
    let name = "DeepSeek-R1-Distill-Qwen-7B-abliterated-uncensored-imatrix-calibrated-Q4_K_M.gguf";
    support::tiny::write_tiny_model_with_context(&dir.path().join(name), "llama", "chatml", 4096);
    // A catalog model's shape-only file beside it: its row carries the longest verdict line.
    let model = seekdeck::catalog::builtin_model("deepseek-llm-67b").unwrap();
    seekdeck::gguf::shape::write_shape_only(
        &model,
        seekdeck::estimate::quant::Quant::Q4_K_M,
        seekdeck::estimate::tensors::MlaLayout::Split,
        &dir.path().join("deepseek-llm-67b-chat.Q4_K_M.gguf"),
    )
    .unwrap();
    let options = AppOptions {
        assume: Some(RTX_4090.to_owned()),
        scan_roots: vec![seekdeck::local::Root {
            source: seekdeck::local::Source::UserFolder,
            path: dir.path().to_path_buf(),
        }],
        scan_on_start: true,
        ..AppOptions::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(WIDTH, 900.0))
        .allow_missing_glyphs()
        .build_eframe(move |cc| App::new_with_state(cc, PersistedState::default(), options));
    let started = std::time::Instant::now();
    while h.state().local.models.len() < 2 {
        assert!(started.elapsed().as_secs() < 60, "scan");
        h.step();
    }
    h.run_ok();
    let before = h.get_by_label("Send").rect();
    // The model slot while a long-named file loads (a real load of the tiny model is over
    // before a frame could show it).
    h.state_mut().chat.session.model = seekdeck::app::chat_state::ModelState::Loading {
        source: seekdeck::engine::ModelSource::File(dir.path().join(name)),
        name: name.to_owned(),
        progress: 0.4,
        cancel: std::sync::Arc::default(),
        started: std::time::Instant::now(),
        stage: seekdeck::app::chat_state::LoadStage::CheckingSplit,
    };
    h.run_ok();
    let loading = h.get_by_label("Send").rect();
    assert!(
        (before.left() - loading.left()).abs() < 0.5,
        "the panel widened while loading: Send moved from {before:?} to {loading:?}"
    );
    h.state_mut().chat.session.model = seekdeck::app::chat_state::ModelState::Empty;
    // The tiny model's Launch (the 67B file is shape-only).
    let tiny = dir.path().join(name);
    h.state_mut()
        .apply_all(vec![seekdeck::app::command::Command::Launch {
            path: tiny,
            force: false,
        }]);
    while !matches!(
        h.state().chat.session.model,
        seekdeck::app::chat_state::ModelState::Loaded { .. }
    ) {
        assert!(started.elapsed().as_secs() < 60, "load");
        h.step();
    }
    h.run_ok();
    let after = h.get_by_label("Send").rect();
    assert!(
        (before.left() - after.left()).abs() < 0.5,
        "the panel widened: Send moved from {before:?} to {after:?}"
    );
    // And it kept its default width (420 points) all along.
    assert!(
        before.left() > WIDTH - 440.0,
        "the panel opened wide: {before:?}"
    );
}

/// Every side section open (a long file list folded or not, Servers, Other machines), a model in
/// the slot and an answer in the conversation: at 900×600, 1280×720 and 1440×900 the answer is
/// on screen between the conversation's buttons and the message box, the transcript keeps a
/// usable height, and no two of the pane's widgets overlap (the transcript was 0 px tall and
/// "Regenerate" was drawn over the context line).
#[test]
fn the_chat_keeps_its_room_with_every_section_open() {
    for (w, h_px) in [(900.0, 600.0), (1280.0, 720.0), (1440.0, 900.0)] {
        let options = AppOptions {
            assume: Some(RTX_4090.to_owned()),
            poll_hardware: false,
            user_catalog_dir: None,
            report_first_frame_from: None,
            ..AppOptions::default()
        };
        let state = PersistedState {
            // An address nothing answers: the section opens and says so.
            workers: vec!["127.0.0.1:1".into(), "127.0.0.1:2".into()],
            ..PersistedState::default()
        };
        let mut h = Harness::builder()
            .with_size(egui::vec2(w, h_px))
            .with_max_steps(12)
            .build_eframe(move |cc| App::new_with_state(cc, state, options));
        h.run_ok();
        if h.query_by_label("Send").is_none() {
            h.get_by_label("Chat").click();
            h.run_ok();
        }
        {
            let c = h.state_mut().chat.conversation_mut();
            c.push_user("What is 2 + 2?");
            let mut answer = seekdeck::chat::ChatMessage::pending_answer();
            answer.text = "The answer is four.".into();
            answer.finish = Some(seekdeck::engine::FinishReason::EndOfTurn);
            c.messages.push(answer);
        }
        h.state_mut().chat.session.model = loading_model();
        h.run_steps(4);
        if let Some(folded) = h.query_by_label_contains("On this PC ·") {
            folded.click();
            h.run_steps(4);
        }
        let size = format!("{w}×{h_px}");
        let rect = |h: &Harness<'static, App>, label: &str| h.get_by_label(label).rect();
        let delete = rect(&h, "Delete");
        let message = rect(&h, "Message");
        let answer = h.get_by_label_contains("The answer is four").rect();
        assert!(
            answer.height() > 0.0 && answer.top() >= delete.bottom() && answer.bottom() <= message.top(),
            "{size}: the answer at {answer:?} is not between the buttons ({delete:?}) and the message box ({message:?})"
        );
        let transcript = message.top() - delete.bottom();
        assert!(
            transcript >= 120.0,
            "{size}: the transcript has {transcript} points"
        );
        let widgets = ["New", "Clear", "Export…", "Delete", "Message", "Send"];
        let mut rects: Vec<(String, egui::Rect)> = widgets
            .iter()
            .map(|l| (l.to_string(), rect(&h, l)))
            .collect();
        rects.push(("the answer".into(), answer));
        for (i, (a, ra)) in rects.iter().enumerate() {
            assert!(
                ra.bottom() <= h_px && ra.right() <= w,
                "{size}: {a} runs off the window: {ra:?}"
            );
            for (b, rb) in &rects[i + 1..] {
                assert!(
                    ra.intersect(*rb).area() < 1.0,
                    "{size}: {a} {ra:?} overlaps {b} {rb:?}"
                );
            }
        }
    }
}
