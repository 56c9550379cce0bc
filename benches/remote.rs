//! A served model's speed as the chat pane measures it, against llama.cpp's own llama-server's
//! `timings` for the very same requests: the server (built by scripts/llama-server.sh) serves the
//! benchmarks' 1.5B-shaped random Q4_0 model on loopback; each run streams a greedy answer of
//! 128 tokens through `engine::remote::serve::stream_answer` — the loop behind every question the
//! pane asks a server — and compares its tokens/s with the server's `predicted_per_second`.
//!
//! Then the window's frame times while answers stream from that server (the app's real UI code
//! stepped by egui_kittest, as `make bench-engine` does for the local engine).
//!
//! `make bench-remote` prints the figures the README reports; 7 runs, each prompt different (no
//! cache reuse), medians and the per-run ratio's median.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/frames.rs"]
mod frames;
#[path = "../tests/support/llama_server.rs"]
mod llama_server;
#[path = "../tests/support/tiny.rs"]
mod tiny;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use seekdeck::app::chat_state::ModelState;
use seekdeck::app::AppOptions;
use seekdeck::engine::remote::serve::stream_answer;
use seekdeck::engine::remote::{normalize_base_url, Client};
use seekdeck::engine::{RemoteServer, SamplingParams, TemplateMessage};

const RUNS: usize = 7;
const GENERATED: u32 = 128;
/// Answers streamed into the window for its frame times.
const FRAME_ANSWERS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!("remote benchmark: run it with `cargo bench --bench remote` (make bench-remote)");
        return;
    }
    let model = tiny::bench_model_file();
    let server = llama_server::LlamaServer::start(&model, &["--alias", "bench", "--ignore-eos"]);
    let client = Client::new(&RemoteServer {
        name: "llama-server".into(),
        base_url: normalize_base_url(&server.url).unwrap(),
        api_key: None,
        stall_secs: 0,
    });
    let sampling = SamplingParams {
        temperature: 0.0,
        max_tokens: GENERATED,
        ..SamplingParams::default()
    };
    tokens_per_sec(&client, sampling);
    frame_times(&server.url, sampling);
}

/// The pane's tokens/s against llama-server's own `timings`, request by request.
fn tokens_per_sec(client: &Client, sampling: SamplingParams) {
    let (mut pane, mut theirs, mut ratios, mut first) = (vec![], vec![], vec![], vec![]);
    for i in 0..RUNS {
        let question = format!(
            "{i} {}",
            "hello world the deep seek is a model of the world and ".repeat(3)
        );
        let answer = stream_answer(
            client,
            "bench",
            vec![TemplateMessage::new("user", &question)],
            sampling,
            &Arc::new(AtomicBool::new(false)),
            2048,
            &mut |_, _| {},
        )
        .unwrap();
        let timings = answer.timings.expect("llama-server sends its timings");
        assert_eq!(answer.stats.generated_tokens, GENERATED);
        println!(
            "run {i}: pane {:.2} tokens/s, llama-server {:.2} tokens/s, first token {:.3} s",
            answer.stats.tokens_per_sec,
            timings.predicted_per_second,
            answer.stats.first_token_secs
        );
        pane.push(answer.stats.tokens_per_sec);
        theirs.push(timings.predicted_per_second);
        ratios.push(answer.stats.tokens_per_sec / timings.predicted_per_second);
        first.push(answer.stats.first_token_secs);
    }
    println!(
        "served answer, {GENERATED} tokens, {RUNS} runs (medians): the pane measured {:.2} tokens/s, llama-server's own timings {:.2} tokens/s — ratio {:.3}; first token {:.3} s",
        median(pane),
        median(theirs),
        median(ratios),
        median(first)
    );
}

/// The window connected to the server, answers streaming into the chat pane, each frame timed.
fn frame_times(url: &str, sampling: SamplingParams) {
    let dir = tempfile::tempdir().unwrap();
    let options = AppOptions {
        assume: Some("24GiB GPU, 64GiB RAM".into()),
        conversations_dir: Some(dir.path().join("conversations")),
        servers_file: Some(dir.path().join("servers.json")),
        server_keys_file: Some(dir.path().join("server-keys.json")),
        system_keyring: false,
        ..AppOptions::default()
    };
    let mut h = frames::window(options);
    h.step();
    let server = RemoteServer {
        name: "llama-server".into(),
        base_url: normalize_base_url(url).unwrap(),
        api_key: None,
        stall_secs: 0,
    };
    h.state_mut()
        .chat
        .connect(server, "bench", (sampling, false), || {});
    while !matches!(h.state().chat.session.model, ModelState::Loaded { .. }) {
        h.step();
    }
    let mut streaming = Vec::new();
    for i in 0..FRAME_ANSWERS {
        frames::timed_answer(
            &mut h,
            &mut streaming,
            &format!("{i} hello world the deep seek"),
            |s| *s = sampling,
        );
    }
    println!(
        "UI frame times ({FRAME_ANSWERS} × {GENERATED}-token answer streamed from llama-server; egui_kittest steps of the whole window, CPU only, no GPU upload)"
    );
    frames::report("while an answer streams", &mut streaming);
}
