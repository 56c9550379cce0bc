//! A model across machines over loopback against the same model in one process: `seekdeck chat
//! FILE --rpc A,B` with two `seekdeck worker`s (every block on them, as the plan puts it) against
//! `seekdeck chat FILE` alone, on the benchmarks' DeepSeek-R1-Distill-Qwen-1.5B-shaped model
//! (random Q4_0 weights, about 1 GB): load, first token and tokens/s, compared run by run
//! (interleaved; medians of the ratios). Then `worker --cache`: the first launch sends the weights
//! and the workers keep them; the next ones send only their hashes.
//!
//! `cargo bench --bench cluster` (or `make bench-cluster`); the README reports its figures.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/tiny.rs"]
mod tiny;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 7;
const EXE: &str = env!("CARGO_BIN_EXE_seekdeck");

/// What one `seekdeck chat` printed.
#[derive(Debug, Clone, Copy)]
struct Figures {
    load_secs: f64,
    first_token_secs: f64,
    tokens_per_sec: f64,
}

/// A worker process, killed when dropped.
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts a worker with `extra` arguments and waits until it listens.
fn worker(extra: &[&str]) -> (Worker, String) {
    let port = free_port();
    let w = Worker(
        Command::new(EXE)
            .args(["worker", "--port", &port.to_string()])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let endpoint = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(&endpoint).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "worker never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The connection above was the worker's one client until it closed; let it go.
    std::thread::sleep(Duration::from_millis(200));
    (w, endpoint)
}

/// The number after `marker` in `text`.
fn after(text: &str, marker: &str) -> f64 {
    let rest = &text[text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in {text}"))
        + marker.len()..];
    rest.trim_start()
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The number just before `marker` in `text`.
fn before(text: &str, marker: &str) -> f64 {
    let head = &text[..text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in {text}"))];
    head.rsplit(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// `seekdeck chat MODEL` with `extra` arguments: 64 greedy tokens after a fresh prompt.
fn chat(model: &std::path::Path, i: usize, extra: &[&str]) -> Figures {
    let prompt = format!(
        "{i} {}",
        "hello world the deep seek is a model of the world and ".repeat(3)
    );
    let out = Command::new(EXE)
        .args(["chat", model.to_str().unwrap(), "--prompt", &prompt])
        .args(["--max-tokens", "64", "--temp", "0", "--ctx", "2048"])
        .args(extra)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    let stats = &text[text.rfind('[').unwrap()..];
    Figures {
        load_secs: after(&text[text.find("loaded ").unwrap()..], " in "),
        first_token_secs: after(stats, "first token"),
        tokens_per_sec: before(stats, " tokens/s"),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "cluster benchmark: run it with `cargo bench --bench cluster` (make bench-cluster)"
        );
        return;
    }
    let model = tiny::bench_model_file();
    let (_a, a) = worker(&[]);
    let (_b, b) = worker(&[]);
    let rpc = format!("{a},{b}");
    // Warm the page cache: both sides read the file from memory.
    chat(&model, 0, &[]);
    let (mut alone, mut across) = (Vec::new(), Vec::new());
    for i in 1..=RUNS {
        alone.push(chat(&model, i, &[]));
        across.push(chat(&model, i, &["--rpc", &rpc]));
    }
    let ratio = |f: fn(&Figures) -> f64| {
        median(
            alone
                .iter()
                .zip(&across)
                .map(|(x, y)| f(y) / f(x))
                .collect(),
        )
    };
    let med = |v: &[Figures], f: fn(&Figures) -> f64| median(v.iter().map(f).collect());
    println!("{RUNS} interleaved runs, 64 greedy tokens, medians (across two loopback workers / this PC alone):");
    for (name, f) in [
        (
            "tokens/s",
            (|x: &Figures| x.tokens_per_sec) as fn(&Figures) -> f64,
        ),
        ("first token s", |x: &Figures| x.first_token_secs),
        ("load s", |x: &Figures| x.load_secs),
    ] {
        println!(
            "  {name:<14} alone {:>8.2}   across {:>8.2}   ratio {:.2}×",
            med(&alone, f),
            med(&across, f),
            ratio(f)
        );
    }
    drop((_a, _b));

    let cache = tempfile_dir();
    let (_c, c) = worker(&["--cache", &cache.join("c").to_string_lossy()]);
    let (_d, d) = worker(&["--cache", &cache.join("d").to_string_lossy()]);
    let rpc = format!("{c},{d}");
    let cold = chat(&model, 100, &["--rpc", &rpc]).load_secs;
    let warm: Vec<f64> = (0..RUNS)
        .map(|i| chat(&model, 101 + i, &["--rpc", &rpc]).load_secs)
        .collect();
    let warm = median(warm);
    println!(
        "worker --cache: first launch loads in {cold:.2} s (sends the weights), the next in {warm:.2} s (median of {RUNS}; sends hashes): {:.2}× the first; without --cache every launch takes {:.2} s",
        warm / cold,
        med(&across, |x| x.load_secs)
    );
    let _ = std::fs::remove_dir_all(&cache);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("seekdeck-bench-cluster-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
