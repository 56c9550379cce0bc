//! A Hugging Face Hub on loopback serving shape-only GGUFs of real catalog models (their true
//! headers, sparse zero weights), for trying `seekdeck get` and the card's "Get a GGUF" without
//! the internet: `cargo run --release --example hub_server -- DIR [PORT]`, then
//! `HF_ENDPOINT=http://127.0.0.1:PORT seekdeck get r1-distill-qwen-1.5b --list`.
//! The server is the test suite's (`tests/support/hub_server.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/hub_server.rs"]
mod hub_server;

use seekdeck::catalog::builtin_model;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::tensors::MlaLayout;
use seekdeck::gguf::shape::{shape_only_builder, write_shape_only};

/// (catalog id, repository, quantizations, parts).
const FILES: &[(&str, &str, &[Quant], u16)] = &[
    (
        "deepseek-r1-distill-qwen-1.5b",
        "unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF",
        &[
            Quant::Q2_K,
            Quant::Q4_K_M,
            Quant::Q6_K,
            Quant::Q8_0,
            Quant::F16,
        ],
        1,
    ),
    (
        "deepseek-r1-distill-qwen-7b",
        "unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        &[Quant::Q4_K_M],
        1,
    ),
    (
        "deepseek-r1-distill-qwen-7b",
        "unsloth/DeepSeek-R1-Distill-Qwen-7B-GGUF",
        &[Quant::Q8_0],
        2,
    ),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "hub-files".into()));
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    std::fs::create_dir_all(&dir).unwrap();
    let server = hub_server::HubServer::start_on(port);
    for &(id, repo, quants, parts) in FILES {
        let model = builtin_model(id).expect("catalog model");
        let stem = repo.split('/').nth(1).unwrap().trim_end_matches("-GGUF");
        for &q in quants {
            let name = format!("{stem}-{}", q.label());
            if parts == 1 {
                let local = dir.join(format!("{name}.gguf"));
                if !local.exists() {
                    write_shape_only(&model, q, MlaLayout::Split, &local).unwrap();
                }
                server.add_disk_file(repo, &format!("{name}.gguf"), &local);
            } else {
                let builder = shape_only_builder(&model, q, MlaLayout::Split);
                for (i, part) in builder.split_parts(parts).iter().enumerate() {
                    let file = format!("{name}-{:05}-of-{parts:05}.gguf", i + 1);
                    let local = dir.join(&file);
                    if !local.exists() {
                        part.write_shape_only(&local).unwrap();
                    }
                    server.add_disk_file(repo, &format!("{name}/{file}"), &local);
                }
            }
        }
    }
    println!("{}", server.url);
    loop {
        std::thread::park();
    }
}
