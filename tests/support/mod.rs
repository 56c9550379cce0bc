//! Shared test helpers: the one egui_kittest harness every UI test uses.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use seekdeck::app::{App, AppOptions, PersistedState};

/// The simulated machine the UI tests run on.
pub const RTX_4090: &str = "24GiB GPU, 64GiB RAM";

/// A start with model `id` selected and its card open.
pub fn card_of(id: &str) -> PersistedState {
    PersistedState {
        selected: Some(id.into()),
        card_open: true,
        ..PersistedState::default()
    }
}

/// A harness around the whole app on a simulated machine, with an empty user catalog folder and no
/// live poller, so every frame is deterministic.
pub fn app_harness(state: PersistedState, assume: &str) -> Harness<'static, App> {
    app_harness_with(state, assume, false)
}

/// [`app_harness`], drawing missing glyphs as boxes when `tofu` (for text of any script).
pub fn app_harness_with(state: PersistedState, assume: &str, tofu: bool) -> Harness<'static, App> {
    app_harness_sized(state, assume, egui::vec2(1400.0, 1100.0), tofu)
}

/// [`app_harness_with`] in a window of `size`.
pub fn app_harness_sized(
    state: PersistedState,
    assume: &str,
    size: egui::Vec2,
    tofu: bool,
) -> Harness<'static, App> {
    let options = AppOptions {
        assume: Some(assume.to_owned()),
        poll_hardware: false,
        user_catalog_dir: None,
        report_first_frame_from: None,
        ..AppOptions::default()
    };
    let mut builder = Harness::builder().with_size(size).with_max_steps(12);
    if tofu {
        builder = builder.allow_missing_glyphs();
    }
    let mut harness = builder.build_eframe(move |cc| App::new_with_state(cc, state, options));
    harness.run_ok();
    harness
}
/// Steps frames until `done` holds (the workers run on their own threads meanwhile), for at
/// most a minute.
pub fn wait_until(h: &mut Harness<'static, App>, what: &str, done: impl Fn(&App) -> bool) {
    let started = std::time::Instant::now();
    while !done(h.state()) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    h.step();
}

/// Scrolls the widget labelled `label` into view and clicks it, as a user would when the side
/// panel's sections scroll above the chat.
pub fn click_in_view(h: &mut Harness<'static, App>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    // The scroll animates: click where the widget comes to rest.
    h.run_ok();
    h.get_by_label(label).click();
}

/// Types `text` into the message box and clicks Send, as a user would.
pub fn send_message(h: &mut Harness<'static, App>, text: &str) {
    h.get_by_label("Message").click();
    h.step();
    h.get_by_label("Message").type_text(text);
    h.step();
    h.get_by_label("Send").click();
    h.step();
}

/// Greedy sampling (temperature 0) for `max_tokens`: answers that repeat.
pub fn greedy(max_tokens: u32) -> seekdeck::engine::SamplingParams {
    seekdeck::engine::SamplingParams {
        temperature: 0.0,
        max_tokens,
        ..seekdeck::engine::SamplingParams::default()
    }
}

/// Runs the `seekdeck` binary with `args` and a fresh config folder.
pub fn seekdeck(args: &[&str]) -> std::process::Output {
    let config = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_seekdeck"))
        .args(args)
        .env("SEEKDECK_CONFIG_DIR", config.path())
        .output()
        .unwrap()
}

/// Runs `seekdeck ARGS` with `input` on its standard input.
pub fn seekdeck_with_input(args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let config = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_seekdeck"))
        .args(args)
        .env("SEEKDECK_CONFIG_DIR", config.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub mod hub_server;
pub mod llama_server;
pub mod netns;
pub mod openai_server;
pub mod tiny;
pub mod workers;

/// Where catalog model `id` is in the app's catalog.
pub fn model_index(app: &App, id: &str) -> usize {
    app.catalog
        .models
        .iter()
        .position(|m| m.id == id)
        .unwrap_or_else(|| panic!("no model {id}"))
}
