//! Writes shape-only GGUFs of a few catalog models into a folder, for trying `seekdeck scan` and
//! the "On this PC" list without downloading anything: `cargo run --example fake_home -- DIR`.

use seekdeck::catalog::builtin_model;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::tensors::MlaLayout;
use seekdeck::gguf::shape::write_shape_only;

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fake-home".into()),
    );
    let files = [
        (
            "deepseek-r1-distill-qwen-7b",
            Quant::Q4_K_M,
            MlaLayout::Split,
            "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf",
        ),
        (
            "deepseek-r1-distill-qwen-32b",
            Quant::Q4_K_M,
            MlaLayout::Split,
            "DeepSeek-R1-Distill-Qwen-32B-Q4_K_M.gguf",
        ),
        (
            "deepseek-v2-lite",
            Quant::Q4_K_M,
            MlaLayout::Legacy,
            "DeepSeek-V2-Lite-Chat.Q4_K_M.gguf",
        ),
        (
            "deepseek-r1",
            Quant::IQ1_S,
            MlaLayout::Split,
            "DeepSeek-R1-UD-IQ1_S.gguf",
        ),
    ];
    std::fs::create_dir_all(&dir)?;
    for (id, quant, layout, name) in files {
        let Some(model) = builtin_model(id) else {
            continue;
        };
        write_shape_only(&model, quant, layout, &dir.join(name))?;
        println!("{}", dir.join(name).display());
    }
    Ok(())
}
