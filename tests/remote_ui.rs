//! A served model in the window, driven through egui_kittest against the scripted
//! OpenAI-compatible server: "Connect to a server…" with a wrong key (the 401 in words), the
//! right key (the models listed), Use, a question streamed with its Thinking block, Stop (the
//! server sees the connection closed), and the key kept out of every file but the key store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use seekdeck::app::chat_state::ModelState;
use seekdeck::app::server_state::ModelList;
use seekdeck::app::{App, AppOptions, PersistedState};
use seekdeck::engine::FinishReason;
use support::openai_server::{dialect_stream, OpenAiServer, Reply};
use support::wait_until;

const MODEL: &str = "deepseek-ai/DeepSeek-R1";

fn harness(dir: &Path) -> Harness<'static, App> {
    let options = AppOptions {
        assume: Some(support::RTX_4090.into()),
        conversations_dir: Some(dir.join("conversations")),
        servers_file: Some(dir.join("servers.json")),
        server_keys_file: Some(dir.join("server-keys.json")),
        system_keyring: false,
        ..AppOptions::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1500.0, 1100.0))
        .build_eframe(move |cc| App::new_with_state(cc, PersistedState::default(), options));
    h.run_ok();
    h
}

fn fill_form(h: &mut Harness<'static, App>, url: &str, key: &str) {
    h.get_by_label("Connect to a server…").click();
    h.run_ok();
    for (role, field, text) in [
        (Role::TextInput, "Server name", "GPU box"),
        (Role::TextInput, "Address", url),
        (Role::PasswordInput, "API key", key),
    ] {
        h.get_by_role_and_label(role, field).click();
        h.run_ok();
        h.get_by_role_and_label(role, field).type_text(text);
        h.run_ok();
    }
    h.get_by_label("Connect").click();
    h.run_ok();
}

use support::send_message as ask;

fn answered(app: &App) -> bool {
    !matches!(
        app.servers.models.get("GPU box"),
        Some(ModelList::Asking) | None
    )
}

#[test]
fn connect_pick_stream_stop_and_a_bad_key_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let fake = OpenAiServer::start(&[MODEL], Some("sk-right-key"));
    let mut h = harness(dir.path());

    // A wrong key: the server's 401 in words on the server's row.
    fill_form(&mut h, &fake.url, "sk-wrong");
    wait_until(&mut h, "the model list", answered);
    h.get_by_label_contains("refused the API key (HTTP 401)");

    // The 401 names the way out: Edit… opens the saved server with its address, its name kept,
    // and a new key replaces the wrong one.
    h.get_by_label_contains("change the key with the server's Edit…");
    h.get_by_label("Edit…").click();
    h.run_ok();
    assert!(h.state().servers.form.address.starts_with(&fake.url));
    assert!(h
        .get_by_role_and_label(Role::TextInput, "Server name")
        .accesskit_node()
        .is_disabled());
    h.get_by_role_and_label(Role::PasswordInput, "API key")
        .click();
    h.run_ok();
    h.get_by_role_and_label(Role::PasswordInput, "API key")
        .type_text("sk-right-key");
    h.run_ok();
    h.get_by_label("Connect").click();
    h.run_ok();
    // The right key: the model is listed; Use puts it in the slot.
    wait_until(&mut h, "the model list", |app| {
        matches!(
            app.servers.models.get("GPU box"),
            Some(ModelList::Listed(_))
        )
    });
    h.get_by_label(MODEL);
    // The toolbar has a "Use" of its own (What if…); the side panel's comes last.
    h.get_all_by_label("Use").last().unwrap().click();
    h.run_ok();
    wait_until(&mut h, "the connection", |app| {
        matches!(app.chat.session.model, ModelState::Loaded { .. })
    });
    h.get_by_label_contains("Served by");
    // R1 by name: the conversation reads reasoning.
    assert!(h.state().chat.conversation().reasoning);

    stream_and_stop(&mut h, &fake);

    // A whole answer: the reasoning folds into the Thinking block.
    fake.reply(Reply::Stream {
        events: dialect_stream(Some("reasoning"), &["Two", " and two."], &["It is", " 4."]),
        pause: Duration::ZERO,
        done: true,
    });
    ask(&mut h, "And again?");
    wait_until(&mut h, "the answer", |app| {
        app.chat.session.generation.is_none()
    });
    assert_eq!(
        h.get_all_by_label("Thinking").count(),
        2,
        "one Thinking block per answer"
    );
    h.get_by_label("It is 4.");

    // Regenerate asks again without the answer it replaces; Edit is the local engine's (same code).
    fake.reply(Reply::Stream {
        events: dialect_stream(None, &["Again."], &["Four."]),
        pause: Duration::ZERO,
        done: true,
    });
    h.get_all_by_label("Regenerate").last().unwrap().click();
    h.run_ok();
    wait_until(&mut h, "the new answer", |app| {
        app.chat.session.generation.is_none()
            && app
                .chat
                .conversation()
                .messages
                .last()
                .is_some_and(|m| m.text.contains("Four."))
    });
    let sent = fake.seen().last().unwrap().body.clone();
    let roles: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user"], "{sent}");
    h.get_by_label("Four.");

    keys_stay_in_the_key_store(h, dir.path());
}

/// A slow answer streams; Stop ends it at once and the server sees the request closed.
fn stream_and_stop(h: &mut Harness<'static, App>, fake: &OpenAiServer) {
    // A slow answer: it streams, Stop ends it at once and closes the request.
    let mut events = dialect_stream(Some("reasoning_content"), &["Let me", " think."], &[]);
    events.extend(
        (0..400).map(|i| format!(r#"{{"choices":[{{"index":0,"delta":{{"content":" w{i}"}}}}]}}"#)),
    );
    fake.reply(Reply::Stream {
        events,
        pause: Duration::from_millis(20),
        done: true,
    });
    ask(h, "What is 2 + 2?");
    wait_until(h, "streamed words", |app| {
        app.chat
            .conversation()
            .messages
            .last()
            .is_some_and(|m| m.text.contains(" w3"))
    });
    h.get_by_label("Stop").click();
    h.run_ok();
    wait_until(h, "the stop", |app| app.chat.session.generation.is_none());
    let last = h
        .state()
        .chat
        .conversation()
        .messages
        .last()
        .cloned()
        .unwrap();
    assert_eq!(last.finish, Some(FinishReason::Stopped));
    assert!(
        last.text.starts_with("<think>\nLet me think.\n</think>"),
        "{}",
        last.text
    );
    assert!(!last.text.contains(" w399"));
    let started = std::time::Instant::now();
    while !fake.client_left() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server never saw the stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The key is in the key store only: not in the server list, not in conversations; the server
/// is remembered for the next start.
fn keys_stay_in_the_key_store(h: Harness<'static, App>, dir: &Path) {
    let key_file = std::fs::read_to_string(dir.join("server-keys.json")).unwrap();
    assert!(key_file.contains("sk-right-key"));
    let servers = std::fs::read_to_string(dir.join("servers.json")).unwrap();
    assert!(servers.contains("GPU box") && !servers.contains("sk-right"));
    drop(h);
    for entry in std::fs::read_dir(dir.join("conversations")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("sk-right"), "a key in a conversation file");
    }
    // Remembered: the next start lists the server again.
    let h = harness(dir);
    assert!(h
        .state()
        .servers
        .list
        .get("GPU box")
        .is_some_and(|s| s.has_key));
}
