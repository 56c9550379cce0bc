//! Tiny models written by tests/support load in llama.cpp and generate, deterministically under
//! greedy sampling: the ground the engine tests stand on.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use llama_cpp_2::model::params::LlamaModelParams;
use support::tiny::write_tiny_model;

/// The 16 greedy token ids `path` writes after `prompt`, on this machine alone.
fn generate(path: &std::path::Path, prompt: &str) -> Vec<i32> {
    support::workers::greedy_token_ids(path, &LlamaModelParams::default(), prompt)
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
