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
