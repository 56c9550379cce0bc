//! Shape-only GGUFs of catalog models, read back by llama.cpp itself: its GGUF reader sees every
//! tensor, and its model loader (with `no_alloc`, so nothing is allocated) reports the same parameter
//! count and weight bytes as seekdeck's estimator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use llama_cpp_2::gguf::GgufContext;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use seekdeck::catalog::Model;
use seekdeck::estimate::fit::weight_split;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::tensors::MlaLayout;
use seekdeck::gguf::shape::{shape_only_builder, write_shape_only};

fn backend() -> &'static LlamaBackend {
    seekdeck::llama::backend::backend().unwrap()
}

fn model(id: &str) -> Model {
    seekdeck::catalog::builtin_model(id).unwrap()
}

#[test]
fn a_671b_model_takes_a_few_mb_of_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.gguf");
    let len = write_shape_only(
        &model("deepseek-v3"),
        Quant::Q4_K_M,
        MlaLayout::Split,
        &path,
    )
    .unwrap();
    assert!(len > 400_000_000_000, "logical size {len}");
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), len);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert!(
            meta.blocks() * 512 < 16 << 20,
            "allocated {} bytes",
            meta.blocks() * 512
        );
    }
    let ctx = GgufContext::from_file(&path).expect("llama.cpp reads the header");
    let expected = shape_only_builder(&model("deepseek-v3"), Quant::Q4_K_M, MlaLayout::Split)
        .tensors()
        .len();
    assert_eq!(ctx.n_tensors(), expected as i64);
    assert!(ctx.find_key("deepseek2.attention.kv_lora_rank") >= 0);
}

#[test]
fn llama_cpp_loader_agrees_on_weights() {
    let dir = tempfile::tempdir().unwrap();
    for (id, quant) in [
        ("deepseek-r1-distill-qwen-7b", Quant::Q4_K_M),
        ("deepseek-llm-7b", Quant::Q8_0),
        ("deepseek-llm-67b", Quant::Q4_K_M),
        ("deepseek-coder-1.3b", Quant::Q2_K),
        ("deepseek-v2-lite", Quant::Q4_K_M),
        ("deepseek-r1-distill-llama-8b", Quant::IQ1_S),
        ("deepseek-v3", Quant::Q4_K_M),
        ("deepseek-r1-distill-llama-70b", Quant::Q4_K_M),
        ("deepseek-r1-0528-qwen3-8b", Quant::Q4_K_M),
        ("deepseek-coder-v2-lite", Quant::Q4_K_M),
    ] {
        let m = model(id);
        let path = dir.path().join(format!("{id}-{quant}.gguf"));
        write_shape_only(&m, quant, MlaLayout::Split, &path).unwrap();
        let params = LlamaModelParams::default().with_no_alloc(true);
        let loaded = LlamaModel::load_from_file(backend(), &path, &params)
            .unwrap_or_else(|e| panic!("llama.cpp could not load {id} {quant}: {e}"));
        // The plan's element count (the catalog's total plus Llama 3.1's 64-element rope_freqs).
        let plan_params: u64 =
            seekdeck::estimate::tensors::tensor_plan(&m.architecture, MlaLayout::Split)
                .iter()
                .map(seekdeck::estimate::tensors::TensorInfo::elements)
                .sum();
        assert_eq!(loaded.n_params(), plan_params, "{id}: parameter count");
        let ours = weight_split(&m.architecture, quant, MlaLayout::Split).total_bytes();
        assert_eq!(loaded.size(), ours, "{id} {quant}: weight bytes");
    }
}

/// Every catalog model's parameter count, rebuilt from its architecture (the catalog's exact
/// figure, checked against the tensor plan in `estimate::tensors`), is the count llama.cpp gives
/// for its shape-only file — plus only the 64 `rope_freqs` factors Llama 3.1's conversion adds.
#[test]
fn llama_cpp_counts_every_catalog_models_parameters_as_the_catalog_does() {
    let dir = tempfile::tempdir().unwrap();
    for m in seekdeck::catalog::builtin_catalog_models() {
        let path = dir.path().join(format!("{}.gguf", m.id));
        write_shape_only(&m, Quant::Q4_K_M, MlaLayout::Split, &path).unwrap();
        let params = LlamaModelParams::default().with_no_alloc(true);
        let loaded = LlamaModel::load_from_file(backend(), &path, &params)
            .unwrap_or_else(|e| panic!("llama.cpp could not load {}: {e}", m.id));
        let rope_freqs = if m.architecture.rope_freqs { 64 } else { 0 };
        assert_eq!(loaded.n_params(), m.params_total + rope_freqs, "{}", m.id);
        std::fs::remove_file(&path).unwrap();
    }
}

/// llama.cpp's dry run (model loaded with `no_alloc`, context created) against the estimator:
/// weights and KV cache agree to the byte for dense GQA, MHA and MLA + MoE models.
#[test]
fn dry_run_weights_and_kv_cache_match_the_estimator() {
    let dir = tempfile::tempdir().unwrap();
    for (id, quant, ctx) in [
        ("deepseek-r1-distill-qwen-7b", Quant::Q4_K_M, 8192),
        ("deepseek-llm-7b", Quant::Q8_0, 4096),
        ("deepseek-v2-lite", Quant::Q4_K_M, 32768),
        ("deepseek-v3", Quant::Q2_K, 32768),
        ("deepseek-r1-0528-qwen3-8b", Quant::Q4_K_M, 8192),
        ("deepseek-v3.2", Quant::Q2_K, 32768),
    ] {
        let m = model(id);
        let path = dir.path().join(format!("{id}.gguf"));
        write_shape_only(&m, quant, MlaLayout::Split, &path).unwrap();
        let reference = seekdeck::llama::dry_run::dry_run(&path, ctx).unwrap();
        let (ours, _) = seekdeck::estimate::fit::breakdown(&m, quant, ctx);
        assert_eq!(reference.model_bytes, ours.weights_bytes, "{id}: weights");
        assert_eq!(reference.kv_bytes, ours.kv_cache_bytes, "{id}: KV cache");
        assert!(
            reference.compute_bytes > 0,
            "{id}: llama.cpp reported a compute buffer"
        );
    }
    // The first check: R1-Distill-Qwen-7B at 8192 tokens has a 448 MiB cache.
    let m = model("deepseek-r1-distill-qwen-7b");
    let path = dir.path().join("qwen7b.gguf");
    write_shape_only(&m, Quant::Q4_K_M, MlaLayout::Split, &path).unwrap();
    assert_eq!(
        seekdeck::llama::dry_run::dry_run(&path, 8192)
            .unwrap()
            .kv_bytes,
        448 << 20
    );
}

#[test]
fn reference_version_matches_cargo_lock() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
    let at = lock.find("name = \"llama-cpp-sys-2\"").unwrap();
    let version_line = lock[at..].lines().nth(1).unwrap();
    assert_eq!(
        version_line,
        format!(
            "version = \"{}\"",
            seekdeck::llama::dry_run::LLAMA_CPP_SYS_VERSION
        )
    );
}

/// A representative subset of `make accuracy`'s grid: every part within 3% or 64 MiB of llama.cpp.
#[test]
fn accuracy_subset_within_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    for (id, quant, ctx) in [
        ("deepseek-r1", Quant::IQ1_S, 163_840),
        ("deepseek-v3", Quant::Q4_K_M, 32768),
        ("deepseek-v2", Quant::Q2_K, 4096),
        ("deepseek-v2-lite", Quant::Q8_0, 32768),
        ("deepseek-llm-67b", Quant::Q4_K_M, 4096),
        ("deepseek-llm-7b", Quant::Q2_K, 4096),
        ("deepseek-coder-1.3b", Quant::Q8_0, 16384),
        ("deepseek-r1-distill-qwen-1.5b", Quant::Q4_K_M, 131_072),
        ("deepseek-r1-distill-llama-8b", Quant::Q8_0, 32768),
        ("deepseek-r1-distill-qwen-32b", Quant::Q2_K, 4096),
        ("deepseek-r1-distill-llama-70b", Quant::Q4_K_M, 131_072),
    ] {
        let row = seekdeck::verify::accuracy::check(&model(id), quant, ctx, dir.path()).unwrap();
        assert!(
            row.passes(),
            "{id} {quant} {ctx}: {}",
            seekdeck::verify::accuracy::markdown_table(std::slice::from_ref(&row))
        );
    }
}

/// A GGUF in the legacy (pre-#12801) MLA layout is recognised from its metadata, and llama.cpp
/// caches it exactly as the estimator's legacy figure says: far more than a re-converted file.
#[test]
fn legacy_mla_files_are_recognised_and_estimated_with_the_larger_cache() {
    use seekdeck::estimate::fit::kv_cache_bytes;
    // The layout as the scanner reads it from the header.
    let mla_layout = |p: &std::path::Path| {
        seekdeck::local::inspect_path(p, &[])
            .info
            .ok()
            .and_then(|i| i.mla_layout)
    };
    let dir = tempfile::tempdir().unwrap();
    let m = model("deepseek-v2-lite");
    let legacy = dir.path().join("legacy.gguf");
    let split = dir.path().join("split.gguf");
    write_shape_only(&m, Quant::Q8_0, MlaLayout::Legacy, &legacy).unwrap();
    write_shape_only(&m, Quant::Q8_0, MlaLayout::Split, &split).unwrap();
    assert_eq!(mla_layout(&legacy), Some(MlaLayout::Legacy));
    assert_eq!(mla_layout(&split), Some(MlaLayout::Split));
    let qwen = dir.path().join("qwen.gguf");
    write_shape_only(
        &model("deepseek-r1-distill-qwen-7b"),
        Quant::Q8_0,
        MlaLayout::Split,
        &qwen,
    )
    .unwrap();
    assert_eq!(mla_layout(&qwen), None);

    let reference = seekdeck::llama::dry_run::dry_run(&legacy, 8192).unwrap();
    assert_eq!(
        reference.kv_bytes,
        kv_cache_bytes(&m.architecture, 8192, MlaLayout::Legacy)
    );
    assert_eq!(
        reference.model_bytes,
        seekdeck::estimate::fit::weight_split(&m.architecture, Quant::Q8_0, MlaLayout::Legacy)
            .total_bytes()
    );
    assert!(reference.kv_bytes > 8 * kv_cache_bytes(&m.architecture, 8192, MlaLayout::Split));
}

/// The GPU placement reader on llama.cpp's real debug log. This build has no GPU back-end, so
/// llama.cpp keeps every layer on the CPU whatever `-ngl` asks: the reader must find every byte
/// of weights, KV cache and compute buffer on the host side (`make accuracy-gpu` runs the same
/// reader with a Vulkan device).
#[test]
fn placement_reader_accounts_for_every_byte() {
    use seekdeck::estimate::fit::kv_cache_bytes;
    use seekdeck::estimate::placement::Offload;
    use seekdeck::llama::backend::gpu_devices;
    use seekdeck::llama::dry_run::dry_run;
    use seekdeck::llama::dry_run_placement::dry_run_offload;
    if !gpu_devices().is_empty() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let m = model("deepseek-v2-lite");
    let path = dir.path().join("lite.gguf");
    write_shape_only(&m, Quant::Q4_K_M, MlaLayout::Split, &path).unwrap();
    let offload = Offload {
        gpu_layers: 28,
        cpu_moe: true,
        n_cpu_moe: 0,
        no_gpu: false,
    };
    let placed = dry_run_offload(&path, 4096, offload, &Default::default()).unwrap();
    let cpu = dry_run(&path, 4096).unwrap();
    assert_eq!(placed.gpu.total(), 0, "{placed:?}");
    assert_eq!(
        placed.host.weights,
        weight_split(&m.architecture, Quant::Q4_K_M, MlaLayout::Split).total_bytes()
    );
    assert_eq!(
        placed.host.kv,
        kv_cache_bytes(&m.architecture, 4096, MlaLayout::Split)
    );
    assert_eq!(placed.host.compute, cpu.compute_bytes);
    // A model split in parts (llama-gguf-split's layout) is read whole from its first part.
    let parts = shape_only_builder(&m, Quant::Q4_K_M, MlaLayout::Split).split_parts(3);
    for (i, part) in parts.iter().enumerate() {
        let name = format!("lite-{:05}-of-00003.gguf", i + 1);
        part.write_shape_only(&dir.path().join(name)).unwrap();
    }
    let first = dir.path().join("lite-00001-of-00003.gguf");
    let split = dry_run_offload(&first, 4096, offload, &Default::default()).unwrap();
    assert_eq!(split.host, placed.host);
}
