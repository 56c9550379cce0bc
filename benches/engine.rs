//! Engine speed against a bare llama-cpp-2 decode loop in the same process, on a synthetic model
//! with the real shape of DeepSeek-R1-Distill-Qwen-1.5B (random Q4_0 weights written on first run
//! into target/bench-models, about 1 GB), and the window's frame times while that model loads and
//! while an answer streams (the app's real UI code, stepped by egui_kittest without a GPU).
//!
//! `cargo bench --bench engine` (or `make bench-engine`) prints the figures the README reports.
//! Greedy sampling, 64 generated tokens, a 40-token prompt, 15 interleaved runs of each, compared
//! run by run (the machine's speed drifts); medians reported.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/frames.rs"]
mod frames;
#[path = "../tests/support/tiny.rs"]
mod tiny;

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use egui_kittest::kittest::Queryable;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use seekdeck::app::chat_state::ModelState;
use seekdeck::app::AppOptions;
use seekdeck::engine::{Engine, Event, Prompt, Request, SamplingParams};

const GENERATED: u32 = 64;
const RUNS: usize = 15;
const CTX: u32 = 4096;
/// Load-and-answer cycles for the frame times.
const CYCLES: usize = 5;

struct Run {
    first_token_secs: f64,
    tokens_per_sec: f64,
}

/// Run `i`'s prompt: each run starts differently, so the engine cannot reuse the previous run's
/// cache and both loops decode the whole prompt.
fn prompt(i: usize) -> String {
    format!(
        "{i} {}",
        "hello world the deep seek is a model of the world and ".repeat(3)
    )
}

/// A follow-up turn: run `i`'s prompt plus more text (the engine reuses the cached prefix).
fn follow_up(i: usize) -> String {
    format!("{} and then the world said hello", prompt(i))
}

/// The loop every llama-cpp-2 example runs: tokenize, decode the prompt, then sample greedily,
/// detokenize and decode one token at a time.
fn bare_run(
    model: &LlamaModel,
    ctx: &mut llama_cpp_2::context::LlamaContext<'_>,
    text: &str,
) -> Run {
    let started = Instant::now();
    let vocab = model.vocab();
    let tokens = vocab.tokenize(text.as_bytes(), true, true);
    ctx.clear_kv_cache();
    let mut batch = LlamaBatch::new(512, 1);
    let last = tokens.len() - 1;
    for (i, &t) in tokens.iter().enumerate() {
        batch.add(t, i as i32, &[0], i == last).unwrap();
    }
    ctx.decode(&mut batch).unwrap();
    let mut sampler = LlamaSampler::greedy();
    let mut pos = tokens.len() as i32;
    let mut first = None;
    let mut generated = 0;
    while generated < GENERATED {
        let token = sampler.sample(ctx, batch.n_tokens() - 1);
        if first.is_none() {
            first = Some((Instant::now(), started.elapsed().as_secs_f64()));
        }
        if vocab.is_eog(token) {
            break;
        }
        generated += 1;
        let _piece = vocab.token_to_piece(token, false, None);
        batch.clear();
        batch.add(token, pos, &[0], true).unwrap();
        pos += 1;
        ctx.decode(&mut batch).unwrap();
    }
    let (first_at, ttft) = first.unwrap();
    Run {
        first_token_secs: ttft,
        tokens_per_sec: f64::from(generated - 1) / first_at.elapsed().as_secs_f64(),
    }
}

/// The same through seekdeck's engine, timed on the caller's side of the channel.
fn engine_run(engine: &Engine, id: u64, text: &str) -> (Run, u32) {
    let started = Instant::now();
    engine.send(Request::Generate {
        id,
        prompt: Prompt::Text(text.to_owned()),
        sampling: SamplingParams {
            temperature: 0.0,
            max_tokens: GENERATED,
            ..SamplingParams::default()
        },
        cancel: Arc::new(AtomicBool::new(false)),
    });
    let mut first = None;
    loop {
        match engine.events.recv().unwrap() {
            Event::Piece { .. } if first.is_none() => {
                first = Some((Instant::now(), started.elapsed().as_secs_f64()));
            }
            Event::Finished { stats, .. } => {
                let (first_at, ttft) = first.unwrap();
                let secs = first_at.elapsed().as_secs_f64();
                let run = Run {
                    first_token_secs: ttft,
                    tokens_per_sec: f64::from(stats.generated_tokens - 1) / secs,
                };
                return (run, stats.generated_tokens);
            }
            Event::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn throughput(path: &Path) {
    let backend = seekdeck::llama::backend::backend().unwrap();
    let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default()).unwrap();
    let threads = seekdeck::engine::thread_count();
    let cp = LlamaContextParams::default()
        .with_n_threads(threads)
        .with_n_threads_batch(threads)
        .with_n_ctx(NonZeroU32::new(CTX))
        .with_n_batch(512)
        .with_n_ubatch(512);
    let mut ctx = model.new_context(backend, cp).unwrap();
    let engine = Engine::spawn(|| {}).unwrap();
    engine.send(Request::Load {
        path: path.to_path_buf(),
        ctx_tokens: CTX,
        placement: seekdeck::estimate::placement::Placement::default(),
        settings: Default::default(),
        cancel: Arc::default(),
    });
    loop {
        match engine.events.recv().unwrap() {
            Event::Loaded(_) => break,
            Event::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    // One warm-up each, then interleaved runs.
    bare_run(&model, &mut ctx, &prompt(100));
    engine_run(&engine, 100, &prompt(100));
    let (mut bare, mut eng) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        bare.push(bare_run(&model, &mut ctx, &prompt(i)));
        let (run, n) = engine_run(&engine, i as u64 + 1, &prompt(i));
        assert_eq!(n, GENERATED, "the engine ended early");
        eng.push(run);
    }
    // A follow-up turn right after run RUNS-1: the bare loop decodes it all, the engine only what
    // is new since the cached prompt and answer.
    let last = RUNS - 1;
    let bare_follow = bare_run(&model, &mut ctx, &follow_up(last));
    let (engine_follow, _) = engine_run(&engine, 1000, &follow_up(last));
    if std::env::var_os("SEEKDECK_BENCH_TRACE").is_some() {
        for (b, e) in bare.iter().zip(&eng) {
            eprintln!(
                "  run: bare {:.2} tok/s {:.0} ms | engine {:.2} tok/s {:.0} ms",
                b.tokens_per_sec,
                b.first_token_secs * 1e3,
                e.tokens_per_sec,
                e.first_token_secs * 1e3
            );
        }
    }
    let tps = |v: &[Run]| median(v.iter().map(|r| r.tokens_per_sec).collect());
    let ttft = |v: &[Run]| median(v.iter().map(|r| r.first_token_secs).collect());
    println!("engine throughput (R1-Distill-Qwen-1.5B shape, random Q4_0, {GENERATED} tokens, medians of {RUNS})");
    println!(
        "  bare llama-cpp-2 loop: {:8.2} tokens/s, first token {:6.1} ms",
        tps(&bare),
        ttft(&bare) * 1e3
    );
    println!(
        "  seekdeck engine:       {:8.2} tokens/s, first token {:6.1} ms",
        tps(&eng),
        ttft(&eng) * 1e3
    );
    // This machine's speed drifts between runs; each engine run is compared with the bare run
    // just before it, and the median of those ratios is the figure.
    let paired =
        |f: fn(&Run) -> f64| median(bare.iter().zip(&eng).map(|(b, e)| f(e) / f(b)).collect());
    println!(
        "  engine / bare, median of {RUNS} paired runs: {:.1}% of the tokens/s, first token {:+.1}%",
        100.0 * paired(|r| r.tokens_per_sec),
        100.0 * (paired(|r| r.first_token_secs) - 1.0)
    );
    println!(
        "  follow-up turn, first token: bare loop {:.0} ms (decodes the whole prompt), engine {:.0} ms (reuses its cache)",
        bare_follow.first_token_secs * 1e3,
        engine_follow.first_token_secs * 1e3
    );
}

fn frame_times(path: &Path) {
    let folder = path.parent().unwrap().to_path_buf();
    let options = AppOptions {
        assume: Some("24GiB GPU, 64GiB RAM".into()),
        scan_roots: vec![seekdeck::local::Root {
            source: seekdeck::local::Source::UserFolder,
            path: folder,
        }],
        scan_on_start: true,
        ..AppOptions::default()
    };
    let mut h = frames::window(options);
    while h.state().local.models.is_empty() {
        h.step();
    }
    h.step();
    let (mut loading, mut streaming) = (Vec::new(), Vec::new());
    for cycle in 0..CYCLES {
        if cycle > 0 {
            h.get_by_label("Unload").click();
            while !matches!(h.state().chat.session.model, ModelState::Empty) {
                h.step();
            }
            h.step();
        }
        h.get_by_label("Launch").click();
        frames::timed_steps(&mut h, &mut loading, |a| {
            !matches!(a.chat.session.model, ModelState::Loaded { .. })
        });
        frames::timed_answer(&mut h, &mut streaming, "hello world", |s| {
            s.max_tokens = GENERATED;
            s.temperature = 0.0;
        });
    }
    println!(
        "UI frame times ({CYCLES} × load + {GENERATED}-token answer; egui_kittest steps of the whole window, CPU only, no GPU upload)"
    );
    frames::report("while the model loads", &mut loading);
    frames::report("while an answer streams", &mut streaming);
}

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!("engine benchmark: run it with `cargo bench --bench engine` (make bench-engine)");
        return;
    }
    let path = tiny::bench_model_file();
    // SEEKDECK_BENCH=frames or =throughput runs only that part.
    if std::env::var("SEEKDECK_BENCH").as_deref() != Ok("frames") {
        // The bare loop runs on a thread of the engine's priority (nice 5), so the two loops
        // differ only in their code, not in how the OS schedules them.
        let p = path.clone();
        std::thread::Builder::new()
            .name("bare-loop".into())
            .spawn(move || {
                seekdeck::engine::lower_current_thread_priority();
                throughput(&p);
            })
            .unwrap()
            .join()
            .unwrap();
    }
    if std::env::var("SEEKDECK_BENCH").as_deref() != Ok("throughput") {
        frame_times(&path);
    }
}
