//! seekdeck's own engine against llama.cpp's own llama-server on a real-size model: a shape-only
//! DeepSeek-R1-Distill-Qwen-7B at Q4_K_M (llama.cpp's per-tensor types; its data a hole read as
//! zeros, so the file costs no disk and runs at the real model's speed), written once into
//! target/bench-models. Each side runs as its own process, as a user runs it — `seekdeck chat`
//! (the CLI over the same engine the window uses) and `llama-server` (built by
//! scripts/llama-server.sh on the engine's own llama.cpp libraries) — with the same threads, the
//! same context, greedy sampling, the same two questions (the second a follow-up turn, which both
//! answer from their cached prefix), and both are timed the same way from outside: load (start to
//! ready), time to first token of each turn, prompt tokens/s (prompt tokens over the first turn's
//! time to first token), decode tokens/s (between the first and the last token), and peak RSS
//! (`VmHWM`). Runs interleave (seekdeck first, then llama-server first, …); medians reported, with
//! each figure's ratio written so that above 1 means seekdeck is ahead.
//!
//! `cargo bench --bench local_vs_server` (in `make bench-engine`) prints the README's table.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/llama_server.rs"]
mod llama_server;
#[path = "../tests/support/tiny.rs"]
mod tiny;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use seekdeck::estimate::quant::Quant;

const RUNS: usize = 3;
const CTX: u32 = 4096;
const MAX_TOKENS: u32 = 32;
const QUESTIONS: [&str; 2] = [
    "hello world the deep seek is a model of the world and the world is deep",
    "and then the world said hello to the deep seek",
];

/// One side's figures from one run.
#[derive(Debug, Default, Clone)]
struct Figures {
    load_secs: f64,
    first_ttft_secs: f64,
    follow_up_ttft_secs: f64,
    prompt_tokens: u32,
    prompt_tokens_per_sec: f64,
    decode_tokens_per_sec: f64,
    peak_rss_mib: f64,
}

/// A row of the table: its name, unit, figure and whether higher is better.
type Row = (&'static str, &'static str, fn(&Figures) -> f64, bool);

/// One answer as seen from outside: when its first and last token came, how many there were.
struct Turn {
    ttft_secs: f64,
    decode_tokens_per_sec: f64,
    prompt_tokens: u32,
}

fn model_file() -> PathBuf {
    tiny::bench_file(
        "r1-distill-qwen-7b-shape-q4_k_m.gguf",
        "deepseek-r1-distill-qwen-7b",
        |path, arch| {
            tiny::write_holey_model(path, arch, "chatml", Quant::Q4_K_M);
        },
    )
}

/// `VmHWM` of process `pid` in MiB.
fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

/// What a child printed, with when: stdout in chunks as they come, stderr by line.
enum Out {
    Stdout(Instant),
    Stderr(Instant, String),
}

fn watch(stdout: impl Read + Send + 'static, stderr: impl Read + Send + 'static) -> Receiver<Out> {
    let (tx, rx) = channel();
    let tx2 = tx.clone();
    let spawn = |name: &str| std::thread::Builder::new().name(name.to_owned());
    spawn("bench-stdout")
        .spawn(move || {
            let mut stdout = stdout;
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 || tx.send(Out::Stdout(Instant::now())).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    spawn("bench-stderr")
        .spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx2.send(Out::Stderr(Instant::now(), line)).is_err() {
                    break;
                }
            }
        })
        .unwrap();
    rx
}

/// The numbers of the CLI's statistics line, `[P prompt + G generated tokens, …]` (after the
/// `> ` prompt that has no line of its own).
fn stats_line(line: &str) -> Option<(u32, u32)> {
    let rest = line.trim_start_matches("> ").strip_prefix('[')?;
    let (prompt, rest) = rest.split_once(" prompt + ")?;
    let (generated, _) = rest.split_once(" generated tokens")?;
    Some((prompt.parse().ok()?, generated.parse().ok()?))
}

/// A turn of `seekdeck chat`: asked at `asked`, its pieces on stdout, its statistics on stderr.
fn cli_turn(events: &Receiver<Out>, asked: Instant) -> Turn {
    let mut first = None;
    let mut last = asked;
    loop {
        match events.recv_timeout(Duration::from_secs(600)).unwrap() {
            Out::Stdout(at) => {
                first.get_or_insert(at);
                last = at;
            }
            Out::Stderr(_, line) => {
                if let Some((prompt, generated)) = stats_line(&line) {
                    let first = first.expect("the answer printed nothing");
                    return Turn {
                        ttft_secs: (first - asked).as_secs_f64(),
                        decode_tokens_per_sec: f64::from(generated - 1)
                            / (last - first).as_secs_f64(),
                        prompt_tokens: prompt,
                    };
                }
                assert!(!line.starts_with("seekdeck:"), "{line}");
            }
        }
    }
}

fn seekdeck_run(model: &Path) -> Figures {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_seekdeck"))
        .arg("chat")
        .arg(model)
        .args(["--ctx", &CTX.to_string(), "--temp", "0", "--cpu-only"])
        .args(["--max-tokens", &MAX_TOKENS.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let events = watch(child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let load_secs = loop {
        if let Out::Stderr(at, line) = events.recv_timeout(Duration::from_secs(600)).unwrap() {
            assert!(!line.starts_with("seekdeck:"), "{line}");
            if line.starts_with("loaded ") {
                break (at - started).as_secs_f64();
            }
        }
    };
    let mut stdin = child.stdin.take().unwrap();
    let mut turns = Vec::new();
    for q in QUESTIONS {
        let asked = Instant::now();
        writeln!(stdin, "{q}").unwrap();
        turns.push(cli_turn(&events, asked));
    }
    let peak = peak_rss_mib(child.id());
    drop(stdin);
    child.wait().unwrap();
    figures(load_secs, &turns, peak)
}

/// A streamed turn against llama-server: the whole conversation so far, greedy.
fn server_turn(url: &str, messages: &[serde_json::Value]) -> (Turn, String) {
    let body = serde_json::json!({
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "temperature": 0.0,
        "max_tokens": MAX_TOKENS,
    });
    let asked = Instant::now();
    let response = ureq::post(&format!("{url}/v1/chat/completions"))
        .header("content-type", "application/json")
        .send(body.to_string())
        .unwrap();
    let reader = BufReader::new(response.into_body().into_reader());
    let (mut first, mut last, mut pieces, mut prompt_tokens) = (None, asked, 0u32, 0);
    let mut text = String::new();
    for line in reader.lines() {
        let line = line.unwrap();
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        if data == "[DONE]" {
            break;
        }
        let chunk: serde_json::Value = serde_json::from_str(data).unwrap();
        if let Some(piece) = chunk["choices"][0]["delta"]["content"].as_str() {
            if !piece.is_empty() {
                let at = Instant::now();
                first.get_or_insert(at);
                last = at;
                pieces += 1;
                text.push_str(piece);
            }
        }
        if let Some(n) = chunk["usage"]["prompt_tokens"].as_u64() {
            prompt_tokens = n as u32;
        }
        if let Some(n) = chunk["usage"]["completion_tokens"].as_u64() {
            pieces = n as u32;
        }
    }
    let first = first.expect("the server streamed no content");
    let turn = Turn {
        ttft_secs: (first - asked).as_secs_f64(),
        decode_tokens_per_sec: f64::from(pieces - 1) / (last - first).as_secs_f64(),
        prompt_tokens,
    };
    (turn, text)
}

fn server_run(model: &Path, threads: i32) -> Figures {
    let started = Instant::now();
    let (t, c) = (threads.to_string(), CTX.to_string());
    let server =
        llama_server::LlamaServer::start_with(model, &["-t", &t, "-tb", &t, "-c", &c, "-np", "1"]);
    let load_secs = started.elapsed().as_secs_f64();
    let mut messages = Vec::new();
    let mut turns = Vec::new();
    for q in QUESTIONS {
        messages.push(serde_json::json!({"role": "user", "content": q}));
        let (turn, answer) = server_turn(&server.url, &messages);
        messages.push(serde_json::json!({"role": "assistant", "content": answer}));
        turns.push(turn);
    }
    let peak = peak_rss_mib(server.pid());
    figures(load_secs, &turns, peak)
}

fn figures(load_secs: f64, turns: &[Turn], peak_rss_mib: f64) -> Figures {
    Figures {
        load_secs,
        first_ttft_secs: turns[0].ttft_secs,
        follow_up_ttft_secs: turns[1].ttft_secs,
        prompt_tokens: turns[0].prompt_tokens,
        prompt_tokens_per_sec: f64::from(turns[0].prompt_tokens) / turns[0].ttft_secs,
        decode_tokens_per_sec: (turns[0].decode_tokens_per_sec + turns[1].decode_tokens_per_sec)
            / 2.0,
        peak_rss_mib,
    }
}

fn median(runs: &[Figures], f: impl Fn(&Figures) -> f64) -> f64 {
    let mut v: Vec<f64> = runs.iter().map(f).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!("run it with `cargo bench --bench local_vs_server` (make bench-engine)");
        return;
    }
    let model = model_file();
    let threads = seekdeck::engine::thread_count();
    // The file's pages in the page cache before either side runs, so neither pays the first read.
    std::io::copy(
        &mut std::fs::File::open(&model).unwrap(),
        &mut std::io::sink(),
    )
    .unwrap();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let pair = if run % 2 == 0 {
            let a = seekdeck_run(&model);
            (a, server_run(&model, threads))
        } else {
            let b = server_run(&model, threads);
            (seekdeck_run(&model), b)
        };
        println!(
            "run {run}: seekdeck {:?}\n       llama-server {:?}",
            pair.0, pair.1
        );
        ours.push(pair.0);
        theirs.push(pair.1);
    }
    println!(
        "\n{} ({threads} threads, {CTX} tokens of context, greedy, {MAX_TOKENS} tokens per answer, {RUNS} interleaved runs, medians; ratio above 1 = seekdeck ahead)",
        model.display()
    );
    println!("| figure | seekdeck | llama-server | ratio |\n|---|---|---|---|");
    let rows: [Row; 6] = [
        ("load, start to ready", "s", |f| f.load_secs, false),
        ("first token, first turn", "s", |f| f.first_ttft_secs, false),
        (
            "first token, follow-up turn",
            "s",
            |f| f.follow_up_ttft_secs,
            false,
        ),
        ("prompt", "tokens/s", |f| f.prompt_tokens_per_sec, true),
        ("decode", "tokens/s", |f| f.decode_tokens_per_sec, true),
        ("peak RSS", "MiB", |f| f.peak_rss_mib, false),
    ];
    for (name, unit, f, higher_is_better) in rows {
        let (a, b) = (median(&ours, f), median(&theirs, f));
        let ratio = if higher_is_better { a / b } else { b / a };
        println!("| {name} | {a:.2} {unit} | {b:.2} {unit} | {ratio:.2}× |");
    }
    println!(
        "prompt tokens of the first turn: seekdeck {}, llama-server {}",
        ours[0].prompt_tokens, theirs[0].prompt_tokens
    );
}
