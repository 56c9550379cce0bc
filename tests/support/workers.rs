//! `seekdeck worker` processes for tests: started on a free loopback port, awaited until they
//! answer the RPC hello, killed when dropped; and the greedy token ids a model writes through
//! llama-cpp-2 directly (the reference a split model is compared with).

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use seekdeck::hardware::rpc_probe::{probe_worker, WorkerReading};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A worker process, killed when dropped.
pub struct Worker(pub Child);

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `seekdeck worker ARGS` with its output piped.
pub fn start_worker(args: &[&str]) -> Worker {
    Worker(
        Command::new(env!("CARGO_BIN_EXE_seekdeck"))
            .arg("worker")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// Probes `endpoint` until it answers (the worker is starting) or 60 s pass.
pub fn wait_for(endpoint: &str) -> WorkerReading {
    let started = Instant::now();
    loop {
        match probe_worker(endpoint, Duration::from_secs(2)) {
            Ok(r) => return r,
            Err(e) if started.elapsed() > Duration::from_secs(60) => {
                panic!("{endpoint} never answered: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Loads `path` with `params`, feeds `prompt` and returns 16 greedily generated token ids.
pub fn greedy_token_ids(
    path: &std::path::Path,
    params: &LlamaModelParams,
    prompt: &str,
) -> Vec<i32> {
    let backend = seekdeck::llama::backend::backend().unwrap();
    let model = LlamaModel::load_from_file(backend, path, params).unwrap();
    let mut ctx = model
        .new_context(
            backend,
            LlamaContextParams::default().with_n_ctx(NonZeroU32::new(256)),
        )
        .unwrap();
    let tokens = model.vocab().tokenize(prompt.as_bytes(), true, false);
    assert!(!tokens.is_empty());
    let mut batch = LlamaBatch::new(64, 1);
    for (i, t) in tokens.iter().enumerate() {
        batch
            .add(*t, i as i32, &[0], i == tokens.len() - 1)
            .unwrap();
    }
    ctx.decode(&mut batch).unwrap();
    let mut sampler = LlamaSampler::greedy();
    let mut out = Vec::new();
    let start = tokens.len() as i32;
    for pos in start..start + 16 {
        let tok = sampler.sample(&ctx, batch.n_tokens() - 1);
        out.push(tok.0);
        batch.clear();
        batch.add(tok, pos, &[0], true).unwrap();
        ctx.decode(&mut batch).unwrap();
    }
    out
}
