//! The launcher and chat pane, driven through egui_kittest with real llama.cpp on a tiny model the
//! test writes: the scan finds it, Launch loads it, a message streams back with its statistics
//! line, Stop ends an answer, and the conversation is saved and comes back after a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::wait_until;

use std::path::Path;
use std::time::Instant;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use seekdeck::app::chat_state::{LoadStage, ModelState};
use seekdeck::app::{App, AppOptions, PersistedState};
use seekdeck::chat::Role;
use seekdeck::engine::FinishReason;
use seekdeck::local::{Root, Source};
use support::tiny::write_tiny_model_with_context;

fn harness(models: &Path, conversations: &Path) -> Harness<'static, App> {
    let options = AppOptions {
        assume: Some(support::RTX_4090.into()),
        scan_roots: vec![Root {
            source: Source::UserFolder,
            path: models.to_path_buf(),
        }],
        scan_on_start: true,
        conversations_dir: Some(conversations.to_path_buf()),
        ..AppOptions::default()
    };
    Harness::builder()
        .with_size(egui::vec2(1500.0, 1000.0))
        // A random-weight model writes arbitrary characters (U+FFFD for broken byte sequences,
        // any script): this test is about streaming, not about which glyphs a font has.
        .allow_missing_glyphs()
        .build_eframe(move |cc| App::new_with_state(cc, PersistedState::default(), options))
}

fn answers(app: &App) -> Vec<seekdeck::chat::ChatMessage> {
    app.chat
        .conversation()
        .messages
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .cloned()
        .collect()
}

use support::send_message as send;

#[test]
fn launch_chat_stream_stop_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let conversations = dir.path().join("conversations");
    std::fs::create_dir_all(&models).unwrap();
    write_tiny_model_with_context(&models.join("tiny-chat.gguf"), "llama", "chatml", 16384);
    std::fs::write(models.join("broken.gguf"), "not a model").unwrap();

    let mut h = harness(&models, &conversations);
    wait_until(&mut h, "the scan", |a| a.local.models.len() == 2);
    h.get_by_label_contains("not a GGUF file");
    support::click_in_view(&mut h, "Launch");
    h.step();
    wait_until(&mut h, "the model to load", |a| {
        matches!(a.chat.session.model, ModelState::Loaded { .. })
    });
    h.get_by_label_contains("tokens of context · loaded in");
    // The test build of llama.cpp runs on the CPU, and the model slot says so.
    h.get_by_label_contains("Placement: CPU only: this build of llama.cpp has no GPU back-end");

    // A short greedy answer streams in and gets its statistics line.
    h.state_mut().chat.conversation_mut().sampling.temperature = 0.0;
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 24;
    send(&mut h, "hello world");
    assert!(
        h.state().chat.session.generation.is_some(),
        "Send started a generation"
    );
    wait_until(&mut h, "the answer", |a| {
        a.chat.session.generation.is_none()
    });
    let first = answers(h.state()).pop().unwrap();
    assert!(!first.text.is_empty());
    assert_eq!(first.finish, Some(FinishReason::MaxTokens));
    assert_eq!(first.stats.unwrap().generated_tokens, 24);
    h.get_by_label_contains("24 generated · first token");
    let used = first.stats.unwrap().ctx_used_tokens;
    h.get_by_label(&format!("context {used} / 8192 tokens"));

    // A long answer, stopped by the user while it streams.
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 100_000;
    send(&mut h, "the deep seek");
    wait_until(&mut h, "streamed text", |a| {
        answers(a)
            .last()
            .is_some_and(|m| m.text.chars().count() > 20)
            || a.chat.session.generation.is_none()
    });
    assert!(
        h.state().chat.session.generation.is_some(),
        "the answer ended before Stop could be pressed"
    );
    // While it streams, the meter counts (it read 0 until the answer ended) and the live rate shows.
    let (live, total) = h.state().chat.context_use().unwrap();
    let live = live.expect("counted while streaming");
    assert!(live > used, "{live} > {used}");
    h.get_by_label(&format!("context {live} / {total} tokens"));
    h.get_by_label_contains("writing · ");
    h.get_by_label("Stop").click();
    h.step();
    wait_until(&mut h, "the stop", |a| a.chat.session.generation.is_none());
    let stopped = answers(h.state()).pop().unwrap();
    assert_eq!(stopped.finish, Some(FinishReason::Stopped));
    h.get_by_label_contains("· stopped");

    // Regenerate replaces the last answer.
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 8;
    h.get_by_label("Regenerate").click();
    h.step();
    wait_until(&mut h, "the regenerated answer", |a| {
        a.chat.session.generation.is_none()
    });
    let all = answers(h.state());
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].stats.unwrap().generated_tokens, 8);
    let saved = h.state().chat.conversation().clone();
    drop(h);

    // After a restart the conversation is back, messages and statistics included.
    let h = harness(&models, &conversations);
    assert_eq!(h.state().chat.conversation(), &saved);
}

#[test]
fn a_corrupt_conversation_file_is_set_aside_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let conversations = dir.path().join("conversations");
    std::fs::create_dir_all(&conversations).unwrap();
    std::fs::write(
        conversations.join("1700000000-000000001.ron"),
        "(id: \"x\", messages: [",
    )
    .unwrap();
    let h = harness(dir.path(), &conversations);
    let notices = &h.state().chat.conversations.notices;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("it was kept as"), "{notices:?}");
    assert!(conversations
        .join("1700000000-000000001.ron.corrupt")
        .exists());
    assert_eq!(h.state().chat.conversations.list.len(), 1);
}

#[test]
fn a_model_larger_than_ram_and_vram_is_refused_with_an_override() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let v2 = seekdeck::catalog::builtin_model("deepseek-v2").unwrap();
    seekdeck::gguf::shape::write_shape_only(
        &v2,
        seekdeck::estimate::quant::Quant::Q4_K_M,
        seekdeck::estimate::tensors::MlaLayout::Split,
        &models.join("DeepSeek-V2-Chat-Q4_K_M.gguf"),
    )
    .unwrap();
    let mut h = harness(&models, &dir.path().join("conversations"));
    // This PC, as the launcher sees it: an 8 GiB GPU and 16 GiB of RAM.
    h.state_mut().set_live_hardware(
        seekdeck::hardware::assume::parse_assume("8GiB GPU, 16GiB RAM").unwrap(),
    );
    wait_until(&mut h, "the scan", |a| a.local.models.len() == 1);
    h.get_by_label_contains("this PC: too large");
    support::click_in_view(&mut h, "Launch…");
    wait_until(&mut h, "the refusal", |a| a.chat.session.refusal.is_some());
    h.get_by_label("Not launched");
    h.get_by_label_contains("more than this PC's free RAM");
    assert!(matches!(h.state().chat.session.model, ModelState::Empty));
    h.get_by_label("Don't launch").click();
    h.step();
    h.step();
    assert!(h.state().chat.session.refusal.is_none());
    assert!(h.query_by_label("Launch anyway").is_none());
}

#[test]
fn a_failed_load_is_reported_and_another_launch_works() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let file = models.join("tiny-chat.gguf");
    write_tiny_model_with_context(&file, "llama", "chatml", 2048);
    let mut h = harness(&models, &dir.path().join("conversations"));
    wait_until(&mut h, "the scan", |a| a.local.models.len() == 1);
    // The file disappears between the scan and the launch.
    let kept = dir.path().join("kept.gguf");
    std::fs::rename(&file, &kept).unwrap();
    support::click_in_view(&mut h, "Launch");
    h.step();
    wait_until(&mut h, "the failure", |a| {
        a.chat.session.load_error.is_some()
    });
    h.get_by_label_contains("Load failed:");
    assert!(matches!(h.state().chat.session.model, ModelState::Empty));
    std::fs::rename(&kept, &file).unwrap();
    support::click_in_view(&mut h, "Launch");
    h.step();
    wait_until(&mut h, "the model to load", |a| {
        matches!(a.chat.session.model, ModelState::Loaded { .. })
    });
    assert!(h.state().chat.session.load_error.is_none());
}

/// A file dropped on the window, as the platform layer hands it to egui.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_dropped_gguf_is_listed_and_an_added_folder_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("downloads");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let dropped = elsewhere.join("tiny-dropped.gguf");
    write_tiny_model_with_context(&dropped, "qwen2", "chatml", 2048);
    let mut h = harness(&dir.path().join("empty"), &dir.path().join("conversations"));
    wait_until(&mut h, "the first scan", |a| !a.local.scanning);
    assert!(h.state().local.models.is_empty());
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(dropped.clone())));
    wait_until(&mut h, "the dropped file", |a| a.local.models.len() == 1);
    h.get_by_label("tiny-dropped.gguf");
    h.get_by_label("opened");

    // Folders the user adds are saved and read back by the next start.
    let folders = dir.path().join("config/folders.ron");
    let catalog = h.state().catalog.models.clone();
    let mut local =
        seekdeck::app::local_state::LocalState::new(Vec::new(), Some(folders.clone()), None, || {});
    local.add_folder(elsewhere.clone(), &catalog);
    let again = seekdeck::app::local_state::LocalState::new(Vec::new(), Some(folders), None, || {});
    assert_eq!(again.folders, vec![elsewhere]);
}

#[test]
fn thinking_is_a_block_of_its_own_and_a_full_context_is_offered_a_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    // 256 tokens of context: a long answer fills it.
    write_tiny_model_with_context(&models.join("tiny-chat.gguf"), "llama", "chatml", 256);
    let mut h = harness(&models, &dir.path().join("conversations"));
    wait_until(&mut h, "the scan", |a| a.local.models.len() == 1);
    support::click_in_view(&mut h, "Launch");
    wait_until(&mut h, "the model to load", |a| {
        matches!(a.chat.session.model, ModelState::Loaded { .. })
    });

    // An R1-style answer from an earlier session: its reasoning is a "Thinking" block.
    {
        let c = h.state_mut().chat.conversation_mut();
        c.reasoning = true;
        c.push_user("2+2?");
        c.messages.push(seekdeck::chat::ChatMessage {
            text: "The user adds two and two.\n</think>\n\nIt is 4.".into(),
            finish: Some(FinishReason::EndOfTurn),
            ..seekdeck::chat::ChatMessage::pending_answer()
        });
    }
    h.step();
    h.get_by_label("Thinking");
    h.get_by_label("It is 4.");
    let history = h.state().chat.conversation().history();
    assert_eq!(history.last().unwrap().content, "It is 4.");

    // Edit the question and send it again: what followed it is replaced.
    h.get_by_label("Edit").click();
    h.step();
    h.step();
    h.get_by_label("Edit your question");
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 100_000;
    h.get_by_label("Send edited").click();
    h.step();
    wait_until(&mut h, "the answer", |a| {
        a.chat.session.generation.is_none()
    });
    let last = answers(h.state()).pop().unwrap();
    assert_eq!(h.state().chat.conversation().messages.len(), 2);
    assert_ne!(
        last.text,
        "The user adds two and two.\n</think>\n\nIt is 4."
    );
    assert!(
        last.finish == Some(FinishReason::ContextFull) || last.error.is_some(),
        "{last:?}"
    );
    h.get_by_label_contains("The context window is full");
    h.get_by_label("New conversation").click();
    h.step();
    h.step();
    assert!(h.state().chat.conversation().messages.is_empty());
    assert_eq!(h.state().chat.conversations.list.len(), 2);
}

#[test]
fn the_model_slot_shows_llama_cpps_check_of_the_gpu_split() {
    use seekdeck::engine::LoadedModel;
    use seekdeck::estimate::placement::Offload;
    use seekdeck::llama::split_search::SplitCheck;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(
        &dir.path().join("models"),
        &dir.path().join("conversations"),
    );
    h.state_mut().chat.session.model = ModelState::Loading {
        source: seekdeck::engine::ModelSource::File("big.gguf".into()),
        name: "DeepSeek 67B".into(),
        progress: 0.0,
        cancel: Arc::new(AtomicBool::new(false)),
        started: Instant::now(),
        stage: LoadStage::CheckingSplit,
    };
    h.step();
    h.get_by_label_contains("llama.cpp is checking the GPU split");
    if let ModelState::Loading { stage, .. } = &mut h.state_mut().chat.session.model {
        *stage = LoadStage::WarmingUp;
    }
    h.step();
    h.get_by_label_contains("warming up: a first run reads the weights into memory");

    let layers = |gpu_layers| Offload {
        gpu_layers,
        cpu_moe: false,
        n_cpu_moe: 0,
        no_gpu: false,
    };
    h.state_mut().chat.session.model = ModelState::Loaded {
        name: "DeepSeek 67B".into(),
        info: LoadedModel {
            source: seekdeck::engine::ModelSource::File("big.gguf".into()),
            architecture: "llama".into(),
            params: 67_000_000_000,
            size_bytes: 40 << 30,
            ctx_tokens: 4096,
            ctx_train_tokens: 4096,
            chat_template: None,
            load_secs: 12.0,
            offload: layers(55),
            split_check: Some(SplitCheck {
                estimated: layers(54),
                chosen: layers(55),
                gpu_bytes: 22_000 << 20,
                usable_bytes: 23_347 << 20,
                dry_runs: 4,
                secs: 0.4,
            }),
        },
    };
    h.step();
    h.get_by_label_contains(
        "llama.cpp's dry run: 55 GPU layers (-ngl 55) uses 21.8 GiB of the 22.8 GiB of usable VRAM \
         with the runtime overhead, 1.0 GiB to spare (the estimate said 54).",
    );
}

#[test]
fn an_unwritable_data_folder_and_a_replaced_file_are_said_and_nothing_else_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let file = models.join("tiny-chat.gguf");
    write_tiny_model_with_context(&file, "llama", "chatml", 2048);
    // Where conversations should go is a file: no folder can be made there (works as root too,
    // where a read-only folder would not stop a write).
    let blocked = dir.path().join("conversations");
    std::fs::write(&blocked, "in the way").unwrap();
    let mut h = harness(&models, &blocked);
    wait_until(&mut h, "the scan", |a| a.local.models.len() == 1);
    support::click_in_view(&mut h, "Launch");
    h.step();
    wait_until(&mut h, "the model to load", |a| {
        matches!(a.chat.session.model, ModelState::Loaded { .. })
    });
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 8;
    send(&mut h, "hello");
    wait_until(&mut h, "the answer", |a| {
        a.chat.session.generation.is_none()
    });
    h.run_ok();
    h.get_by_label_contains("The conversation could not be saved in");
    assert_eq!(answers(h.state()).len(), 1, "the answer is still shown");
    // The listed file is replaced by something that is not GGUF: the next launch says so.
    h.get_by_label("Unload").click();
    h.step();
    wait_until(&mut h, "the unload", |a| {
        matches!(a.chat.session.model, ModelState::Empty)
    });
    std::fs::write(&file, "this is no longer a model").unwrap();
    support::click_in_view(&mut h, "Launch");
    h.step();
    wait_until(&mut h, "the failure", |a| {
        a.chat.session.load_error.is_some()
    });
    let error = h.state().chat.session.load_error.clone().unwrap();
    assert!(error.contains("not a GGUF file"), "{error}");
    h.get_by_label_contains("Load failed:");
}

/// A GGUF whose chat template never finishes: the answer fails with the reason, the model stays
/// loaded, and the pane offers llama.cpp's built-in formats; choosing one answers.
#[test]
fn a_failing_chat_template_is_said_and_a_built_in_format_answers() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let endless = "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}x{% endfor %}{% endfor %}{% endfor %}";
    write_tiny_model_with_context(
        &models.join("endless-template.gguf"),
        "llama",
        endless,
        2048,
    );
    let mut h = harness(&models, &dir.path().join("conversations"));
    wait_until(&mut h, "the scan", |a| a.local.models.len() == 1);
    support::click_in_view(&mut h, "Launch");
    wait_until(&mut h, "the model to load", |a| {
        matches!(a.chat.session.model, ModelState::Loaded { .. })
    });
    h.state_mut().chat.conversation_mut().sampling.max_tokens = 8;
    send(&mut h, "hi");
    wait_until(&mut h, "the failure", |a| {
        a.chat.session.generation.is_none()
    });
    let failed = answers(h.state()).pop().unwrap();
    assert!(
        failed
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("chat template"),
        "{failed:?}"
    );
    assert!(matches!(
        h.state().chat.session.model,
        ModelState::Loaded { .. }
    ));
    h.get_by_label("Use deepseek3").click();
    h.step();
    wait_until(&mut h, "the answer in the built-in format", |a| {
        a.chat.session.generation.is_none()
            && answers(a)
                .last()
                .is_some_and(|m| m.stats.is_some() && m.error.is_none())
    });
    assert_eq!(
        h.state().chat.session.chat_format.as_deref(),
        Some("deepseek3")
    );
    h.get_by_label_contains("Answering in llama.cpp's built-in \"deepseek3\" format");
    assert!(h.query_by_label("Use deepseek3").is_none());
}

/// A conversation held with one model does not run on into the next: launching a local model
/// while a served model's conversation is open starts a new one and says so; the old one stays
/// in the list (picking it there continues it with the new model).
#[test]
fn a_new_model_starts_a_new_conversation_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    let conversations = dir.path().join("conversations");
    std::fs::create_dir_all(&models).unwrap();
    let path = models.join("tiny-chat.gguf");
    write_tiny_model_with_context(&path, "llama", "chatml", 16384);
    let mut h = harness(&models, &conversations);
    wait_until(&mut h, "the scan", |a| a.local.models.len() == 1);
    {
        let c = h.state_mut().chat.conversation_mut();
        c.model_server = Some("deepseek-chat on api".into());
        c.push_user("hello");
        let mut answer = seekdeck::chat::ChatMessage::pending_answer();
        answer.text = "Hi!".into();
        c.messages.push(answer);
    }
    h.state_mut()
        .apply(seekdeck::app::command::Command::Launch {
            path: path.clone(),
            force: false,
        });
    h.step();
    assert!(
        h.state().chat.conversation().messages.is_empty(),
        "the served model's history went to the local model"
    );
    assert_eq!(h.state().chat.conversations.list.len(), 2);
    assert!(h.state().chat.conversations.notices.iter().any(
        |n| n.contains("starts a new conversation; the one with deepseek-chat on api is kept")
    ));
    wait_until(&mut h, "the model to load", |a| {
        matches!(a.chat.session.model, ModelState::Loaded { .. })
    });
}
