//! Writes the tiny random-weight chat model the tests use (a few hundred KB, `llama` layout,
//! ChatML template) to try the chat pane without downloading anything:
//! `cargo run --example tiny_model -- ~/models/tiny-chat.gguf`. Its answers are noise.

// The test helpers it reuses may panic on I/O errors, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/tiny.rs"]
mod tiny;

fn main() {
    let path = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "tiny-chat.gguf".into()),
    );
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            std::process::exit(1);
        }
    }
    let bytes = tiny::write_tiny_model_with_context(&path, "llama", "chatml", 16384);
    println!("wrote {} ({bytes} bytes)", path.display());
}
