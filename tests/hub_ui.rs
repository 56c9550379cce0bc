//! "Get a GGUF" in the window, driven through egui_kittest against the loopback Hub: the card's
//! section lists the repository's files with this PC's verdicts, Download shows progress in the
//! queue, and the verified file appears in "On this PC" with Launch. A gated repository says what
//! to do.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::wait_until;

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use seekdeck::app::hub_state::RemoteList;
use seekdeck::app::{App, AppOptions, PersistedState};
use seekdeck::estimate::quant::GgmlType;
use seekdeck::format::format_bytes;
use seekdeck::hub::{HubConfig, JobState};
use seekdeck::local::{Root, Source};
use support::hub_server::{Faults, HubServer};
use support::tiny::{tiny_architecture, write_random_model};

const MODEL: &str = "deepseek-r1-distill-qwen-1.5b";
const REPO: &str = "unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF";

fn harness(server: &HubServer, dir: &std::path::Path) -> Harness<'static, App> {
    let cache = dir.join("hub");
    let options = AppOptions {
        assume: Some(support::RTX_4090.into()),
        scan_roots: vec![Root {
            source: Source::HuggingFace,
            path: cache.clone(),
        }],
        scan_on_start: true,
        hub: Some(HubConfig::at(server.url.clone(), cache)),
        downloads_file: Some(dir.join("downloads.json")),
        ..AppOptions::default()
    };
    let state = PersistedState {
        selected: Some(MODEL.to_owned()),
        card_open: true,
        ..PersistedState::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1500.0, 1100.0))
        .build_eframe(move |cc| App::new_with_state(cc, state, options));
    h.run_ok();
    h
}

fn listed(app: &App) -> bool {
    matches!(app.hub.list(MODEL), Some(RemoteList::Ready { .. }))
}

#[test]
fn card_lists_files_with_verdicts_downloads_one_and_it_appears_on_this_pc() {
    let dir = tempfile::tempdir().unwrap();
    let server = HubServer::start();
    let src = dir.path().join("tiny-Q8_0.gguf");
    let arch = seekdeck::catalog::Architecture {
        hidden_size: 256,
        ffn_size: 512,
        ..tiny_architecture("qwen2")
    };
    write_random_model(&src, &arch, "", GgmlType::Q8_0);
    server.add_local_file(REPO, "tiny-Q8_0.gguf", &src);
    server.set_faults(Faults {
        slow: Some(Duration::from_millis(40)),
        ..Faults::default()
    });
    let mut h = harness(&server, dir.path());
    h.get_by_label("Get a GGUF from Hugging Face").click();
    h.run_ok();
    wait_until(&mut h, "the Hub's answer", listed);
    h.get_by_label("tiny-Q8_0.gguf");
    h.get_by_label("recommended");
    let total = match h.state().hub.list(MODEL) {
        Some(RemoteList::Ready { choices, .. }) => {
            choices[0].report.as_ref().unwrap().breakdown.total_bytes()
        }
        _ => unreachable!(),
    };
    h.get_by_label(&format!("fits on GPU · {}", format_bytes(total)));
    // The catalog's second repository is not on this Hub: said beside the list.
    h.get_by_label_contains("bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF is not on the Hub");
    h.get_by_label("Download").click();
    h.run_ok();
    wait_until(&mut h, "bytes to arrive", |app| {
        app.hub.rows.first().is_some_and(|r| r.view.done > 0)
    });
    h.get_by_label("Downloads");
    h.get_by_label("Pause");
    wait_until(&mut h, "the download to finish", |app| {
        app.hub
            .rows
            .first()
            .is_some_and(|r| matches!(r.view.job.state, JobState::Done(_)))
    });
    wait_until(&mut h, "the rescan", |app| {
        !app.local.scanning && !app.local.models.is_empty()
    });
    h.run_ok();
    let local = &h.state().local.models[0];
    assert!(local
        .found
        .path
        .to_string_lossy()
        .contains("models--unsloth--"));
    assert!(local.info.is_ok());
    h.get_by_label_contains("verified ·");
    assert!(h.query_all_by_label("Launch").count() >= 1);
    h.get_by_label("on this PC");
}

#[test]
fn a_gated_repository_says_what_to_do_in_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let server = HubServer::start();
    server.add_file(REPO, "x.gguf", b"GGUF".to_vec());
    server.set_faults(Faults {
        token: Some("hf_secret".to_owned()),
        ..Faults::default()
    });
    let mut h = harness(&server, dir.path());
    h.get_by_label("Get a GGUF from Hugging Face").click();
    h.run_ok();
    wait_until(&mut h, "the Hub's answer", listed);
    // Both catalog repositories are gated on this Hub: each says so.
    let gated = h
        .query_all_by_label_contains("is gated or private (HTTP 401)")
        .count();
    assert_eq!(gated, 2);
    assert!(
        h.query_all_by_label_contains("set HF_TOKEN or run `huggingface-cli login`")
            .count()
            >= 1
    );
    // A repository id that is not one is refused as it is added.
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Another repository")
        .click();
    h.run_ok();
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Another repository")
        .type_text("../../etc");
    h.run_ok();
    h.get_by_label("Add").click();
    h.run_ok();
    h.get_by_label_contains("is not a repository id");
}
