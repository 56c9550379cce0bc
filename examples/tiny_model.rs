//! Writes the tiny random-weight chat model the tests use (a few hundred KB, `llama` layout,
//! ChatML template) to try the chat pane without downloading anything:
//! `cargo run --example tiny_model -- ~/models/tiny-chat.gguf`. Its answers are noise.
//! With a catalog model id after the path it writes that model's full-size shape with random
//! Q4_0 weights instead (e.g. `deepseek-r1-distill-qwen-1.5b`, 1 GB): real sizes and speed,
//! for trying a launch's GPU split or the tokens/s of a machine. With `r1` instead it writes the
//! tiny model in DeepSeek-R1's layout (`deepseek2`) with R1's own chat template, whose answers a
//! server with a reasoning parser streams as reasoning (`make screenshot`'s server pane).

// The test helpers it reuses may panic on I/O errors, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/tiny.rs"]
mod tiny;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = std::path::PathBuf::from(args.next().unwrap_or_else(|| "tiny-chat.gguf".into()));
    let full_size = args.next();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("cannot create {}: {e}", dir.display());
            std::process::exit(1);
        }
    }
    let bytes = match full_size.as_deref() {
        None => tiny::write_tiny_model_with_context(&path, "llama", "chatml", 16384),
        Some("r1") => tiny::write_tiny_model_with_context(
            &path,
            "deepseek2",
            include_str!("../tests/data/deepseek-r1.jinja"),
            16384,
        ),
        Some(id) => {
            let Some(model) = seekdeck::catalog::builtin_model(id) else {
                eprintln!("no catalog model {id} (see `seekdeck list`)");
                std::process::exit(2);
            };
            tiny::write_random_model(
                &path,
                &model.architecture,
                "chatml",
                seekdeck::estimate::quant::GgmlType::Q4_0,
            )
        }
    };
    println!("wrote {} ({bytes} bytes)", path.display());
}
