//! Tiny models written by tests/support load in llama.cpp and generate, deterministically under
//! greedy sampling: the ground the engine tests stand on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::num::NonZeroU32;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use support::tiny::write_tiny_model;

/// Loads `path`, feeds `prompt` and returns 16 greedily generated token ids.
fn generate(path: &std::path::Path, prompt: &str) -> Vec<i32> {
    let backend = seekdeck::llama::backend::backend().unwrap();
    let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default()).unwrap();
    let mut ctx = model
        .new_context(
            backend,
            LlamaContextParams::default().with_n_ctx(NonZeroU32::new(256)),
        )
        .unwrap();
    let vocab = model.vocab();
    let tokens = vocab.tokenize(prompt.as_bytes(), true, false);
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

#[test]
fn tiny_llama_qwen2_and_deepseek2_generate_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    for arch in ["llama", "qwen2", "deepseek2"] {
        let path = dir.path().join(format!("tiny-{arch}.gguf"));
        let size = write_tiny_model(&path, arch, "chatml");
        assert!(size < 1 << 20, "{arch}: {size} bytes");
        let first = generate(&path, "hello world");
        let second = generate(&path, "hello world");
        assert_eq!(first.len(), 16);
        assert_eq!(first, second, "{arch}: greedy generation is deterministic");
    }
}
