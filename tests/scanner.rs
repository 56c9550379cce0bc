//! The local-model scanner on temporary trees laid out like LM Studio's folder, the Hugging Face
//! cache, Ollama's blob store and `~/models`, holding shape-only GGUFs of catalog models (full
//! headers, sparse data), split files, a truncated download and files that are not models.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use seekdeck::catalog::{builtin_catalog_models, Model};
use seekdeck::estimate::fit::weight_split;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::tensors::MlaLayout;
use seekdeck::gguf::shape::{shape_only_builder, write_shape_only};
use seekdeck::hardware::assume::parse_assume;
use seekdeck::local::locations::default_roots;
use seekdeck::local::{inspect_path, scan_roots, HeaderCache, LocalModel, Source};

fn models() -> Vec<Model> {
    builtin_catalog_models()
}

fn model(id: &str) -> Model {
    seekdeck::catalog::builtin_model(id).unwrap()
}

fn write(id: &str, quant: Quant, path: &Path) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_shape_only(&model(id), quant, MlaLayout::Split, path).unwrap();
    path.to_path_buf()
}

fn by_name<'a>(found: &'a [LocalModel], name: &str) -> &'a LocalModel {
    found
        .iter()
        .find(|m| m.found.display_name == name)
        .unwrap_or_else(|| panic!("{name} not found in {:#?}", names(found)))
}

fn names(found: &[LocalModel]) -> Vec<String> {
    found.iter().map(|m| m.found.display_name.clone()).collect()
}

#[test]
fn every_catalog_model_is_recognised_from_its_header() {
    let dir = tempfile::tempdir().unwrap();
    for m in models() {
        let file = format!("{}-Q4_K_M.gguf", m.name);
        let path = write(&m.id, Quant::Q4_K_M, &dir.path().join(&file));
        let local = inspect_path(&path, &models());
        let info = local.info.as_ref().unwrap();
        let arch = info.arch.as_ref().unwrap();
        let c = &m.architecture;
        assert_eq!(
            (
                arch.layers,
                arch.hidden_size,
                arch.heads,
                arch.attention,
                arch.moe
            ),
            (c.layers, c.hidden_size, c.heads, c.attention, c.moe),
            "{}",
            m.id
        );
        assert_eq!(arch.kv_heads(), c.kv_heads(), "{}", m.id);
        assert_eq!(info.quant_label(), "Q4_K_M");
        let expected = weight_split(c, Quant::Q4_K_M, MlaLayout::Split);
        assert_eq!(info.weights_bytes, expected.total_bytes(), "{}", m.id);
        assert_eq!(info.split, expected, "{}", m.id);
        // The header's tensors hold exactly the catalog's parameters (plus Llama 3.1's 64
        // precomputed `rope_freqs`, which only the GGUF conversion adds).
        let rope_freqs = if c.rope_freqs { 64 } else { 0 };
        assert_eq!(info.params, m.params_total + rope_freqs, "{}", m.id);
        let matched = local.catalog_match.as_ref().unwrap();
        assert_eq!(matched.model_id, m.id, "{file}");
        assert!(matched.by_name, "{file}");
    }
}

#[test]
fn a_local_file_is_estimated_from_its_own_size_like_the_catalog_entry() {
    let dir = tempfile::tempdir().unwrap();
    let hw = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
    for id in [
        "deepseek-r1-distill-qwen-14b",
        "deepseek-v2-lite",
        "deepseek-llm-7b",
    ] {
        let path = write(id, Quant::Q4_K_M, &dir.path().join(format!("{id}.gguf")));
        let local = inspect_path(&path, &models());
        let ctx = model(id).architecture.context_tokens.min(8192);
        let from_file = local.estimate(ctx, &hw).unwrap();
        let from_catalog = seekdeck::estimate::fit::estimate(&model(id), Quant::Q4_K_M, ctx, &hw);
        assert_eq!(from_file.breakdown, from_catalog.breakdown, "{id}");
        assert_eq!(from_file.verdict, from_catalog.verdict, "{id}");
        assert_eq!(local.legacy_kv_bytes(8192), None);
    }
}

#[test]
fn launch_places_a_file_as_its_estimate_says_and_lets_llama_cpp_check_it() {
    use seekdeck::estimate::fit::Verdict;
    use seekdeck::estimate::placement::{Offload, Placement, SplitLimits};
    let dir = tempfile::tempdir().unwrap();
    let at = |id: &str, machine: &str| {
        let path = write(id, Quant::Q4_K_M, &dir.path().join(format!("{id}.gguf")));
        let hw = parse_assume(machine).unwrap();
        let local = inspect_path(&path, &models());
        (
            local.estimate(8192, &hw).unwrap(),
            local.placement(8192, &hw, &Default::default()),
        )
    };
    // A dense model partly on the GPU: the suggested -ngl, checked against the same budget.
    let (fit, placement) = at("deepseek-r1-distill-qwen-32b", "8GiB GPU, 64GiB RAM");
    let Verdict::PartialOffload { gpu_layers, .. } = fit.verdict else {
        panic!("32B at Q4_K_M is split on 8 GiB: {:?}", fit.verdict);
    };
    let limits = SplitLimits {
        vram_budget_bytes: fit.vram_budget_bytes,
        max_layers: 65,
    };
    let split = Offload {
        gpu_layers,
        cpu_moe: false,
        n_cpu_moe: 0,
        no_gpu: false,
    };
    assert_eq!(
        placement,
        Placement {
            offload: split,
            split_limits: Some(limits)
        }
    );
    // V3 on 24 GiB: every layer on the GPU with the routed experts of all blocks but the last
    // in RAM (--n-cpu-moe 60: one block's experts fit beside the rest).
    let (
        _,
        Placement {
            offload,
            split_limits: limits,
        },
    ) = at("deepseek-v3", "24GiB GPU, 512GiB RAM");
    let all_but_experts = Offload {
        gpu_layers: 62,
        cpu_moe: false,
        n_cpu_moe: 60,
        no_gpu: false,
    };
    assert_eq!(offload, all_but_experts);
    assert_eq!(limits.map(|l| l.max_layers), Some(62));
    // No GPU: nothing to check.
    let (_, placement) = at("deepseek-llm-7b", "64GiB RAM");
    assert_eq!(placement, Placement::default());
}

#[test]
fn a_legacy_mla_file_gets_the_larger_cache_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("DeepSeek-V2-Lite-Chat.Q4_K_M.gguf");
    write_shape_only(
        &model("deepseek-v2-lite"),
        Quant::Q4_K_M,
        MlaLayout::Legacy,
        &path,
    )
    .unwrap();
    let local = inspect_path(&path, &models());
    assert_eq!(
        local.catalog_match.as_ref().unwrap().model_id,
        "deepseek-v2-lite"
    );
    let (legacy, split) = local.legacy_kv_bytes(32768).unwrap();
    assert!(legacy > 8 * split, "{legacy} vs {split}");
    let hw = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
    assert_eq!(
        local.estimate(32768, &hw).unwrap().breakdown.kv_cache_bytes,
        legacy
    );
}

/// Lays out a home folder the way LM Studio, the HF cache, Ollama and `~/models` do.
fn user_home(home: &Path) {
    write(
        "deepseek-r1-distill-qwen-7b",
        Quant::Q4_K_M,
        &home.join(".lmstudio/models/lmstudio-community/DeepSeek-R1-Distill-Qwen-7B-GGUF/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf"),
    );
    // HF cache: the blob has no extension, the snapshot has the name (a symlink to the blob).
    let repo =
        home.join(".cache/huggingface/hub/models--bartowski--DeepSeek-R1-Distill-Llama-8B-GGUF");
    let blob = write(
        "deepseek-r1-distill-llama-8b",
        Quant::Q8_0,
        &repo.join("blobs/9f2c1e0d5b7a"),
    );
    let snapshot = repo.join("snapshots/0123abcd");
    std::fs::create_dir_all(&snapshot).unwrap();
    std::os::unix::fs::symlink(
        &blob,
        snapshot.join("DeepSeek-R1-Distill-Llama-8B-Q8_0.gguf"),
    )
    .unwrap();
    // Ollama: a manifest names the weights blob.
    let ollama = home.join(".ollama/models");
    write(
        "deepseek-r1-distill-qwen-1.5b",
        Quant::Q4_K_M,
        &ollama
            .join("blobs/sha256-aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22"),
    );
    let manifest = ollama.join("manifests/registry.ollama.ai/library/deepseek-r1/1.5b");
    std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
    std::fs::write(
        &manifest,
        r#"{"schemaVersion":2,"layers":[
            {"mediaType":"application/vnd.ollama.image.model","digest":"sha256:aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22","size":1},
            {"mediaType":"application/vnd.ollama.image.template","digest":"sha256:cc33","size":1}]}"#,
    )
    .unwrap();
    // A hostile manifest whose digest climbs out of the blob store to a real GGUF beside it.
    let hostile = ollama.join("manifests/registry.ollama.ai/library/evil/latest");
    std::fs::create_dir_all(hostile.parent().unwrap()).unwrap();
    std::fs::write(
        &hostile,
        r#"{"schemaVersion":2,"layers":[
            {"mediaType":"application/vnd.ollama.image.model","digest":"sha256:../../../models/DeepSeek-V2-Lite-Chat.Q4_K_M.gguf","size":1}]}"#,
    )
    .unwrap();
    // ~/models: a split V3 (3 parts), an interrupted download, a text file named .gguf, a split
    // model with a part missing.
    let models_dir = home.join("models");
    std::fs::create_dir_all(&models_dir).unwrap();
    let parts =
        shape_only_builder(&model("deepseek-v3"), Quant::Q2_K, MlaLayout::Split).split_parts(3);
    for (i, part) in parts.iter().enumerate() {
        part.write_shape_only(
            &models_dir.join(format!("DeepSeek-V3-Q2_K-{:05}-of-00003.gguf", i + 1)),
        )
        .unwrap();
    }
    let truncated = write(
        "deepseek-coder-1.3b",
        Quant::Q8_0,
        &models_dir.join("deepseek-coder-1.3b-instruct.Q8_0.gguf"),
    );
    let len = std::fs::metadata(&truncated).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&truncated)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    std::fs::write(models_dir.join("notes.gguf"), "not a model").unwrap();
    parts[0]
        .write_shape_only(&models_dir.join("half-00001-of-00002.gguf"))
        .unwrap();
}

#[test]
fn a_restart_remembers_every_header_as_read_and_reads_a_changed_file_again() {
    let home = tempfile::tempdir().unwrap();
    user_home(home.path());
    let roots = default_roots(home.path(), |_| None);
    let file = home.path().join("data/header-cache.json");
    let infos = |found: &[LocalModel]| -> Vec<_> {
        found
            .iter()
            .map(|m| (m.found.path.clone(), m.info.clone()))
            .collect()
    };
    let read = infos(&scan_roots(&roots, &models(), &mut HeaderCache::default()));
    let mut cache = HeaderCache::load(Some(file.clone()));
    assert_eq!(infos(&scan_roots(&roots, &models(), &mut cache)), read);
    cache.save();
    // The next start: every file (good, truncated, foreign, split) as the headers said.
    let mut cache = HeaderCache::load(Some(file.clone()));
    assert_eq!(infos(&scan_roots(&roots, &models(), &mut cache)), read);
    // A file replaced by another model: read again, not taken from the cache.
    let (path, _) = read
        .iter()
        .find(|(p, i)| i.is_ok() && p.to_string_lossy().contains("Qwen-7B"))
        .unwrap();
    let fourteen = models()
        .into_iter()
        .find(|m| m.id == "deepseek-r1-distill-qwen-14b")
        .unwrap();
    write_shape_only(&fourteen, Quant::Q4_K_M, MlaLayout::Split, path).unwrap();
    let mut cache = HeaderCache::load(Some(file));
    let after = scan_roots(&roots, &models(), &mut cache);
    let replaced = after.iter().find(|m| &m.found.path == path).unwrap();
    assert_eq!(
        replaced.info.as_ref().unwrap().params,
        fourteen.params_total
    );
}

#[test]
fn a_home_laid_out_like_the_usual_tools_is_found_and_matched() {
    let home = tempfile::tempdir().unwrap();
    user_home(home.path());
    let roots = default_roots(home.path(), |_| None);
    let found = scan_roots(&roots, &models(), &mut HeaderCache::default());
    assert_eq!(found.len(), 8, "{:#?}", names(&found));

    let lm = by_name(&found, "DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf");
    assert_eq!(lm.found.source, Source::LmStudio);
    assert_eq!(
        lm.catalog_match.as_ref().unwrap().model_id,
        "deepseek-r1-distill-qwen-7b"
    );

    let hf = by_name(&found, "DeepSeek-R1-Distill-Llama-8B-Q8_0.gguf");
    assert_eq!(hf.found.source, Source::HuggingFace);
    assert_eq!(
        hf.catalog_match.as_ref().unwrap().model_id,
        "deepseek-r1-distill-llama-8b"
    );
    assert_eq!(hf.info.as_ref().unwrap().quant_label(), "Q8_0");

    let ollama = by_name(&found, "deepseek-r1:1.5b");
    assert_eq!(ollama.found.source, Source::Ollama);
    assert!(ollama.found.path.ends_with(
        "blobs/sha256-aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22aa11bb22"
    ));
    let m = ollama.catalog_match.as_ref().unwrap();
    assert_eq!(
        (m.model_id.as_str(), m.by_name),
        ("deepseek-r1-distill-qwen-1.5b", true)
    );

    // The hostile manifest is listed as damaged; nothing outside blobs/ is opened for it.
    let evil = by_name(&found, "evil:latest");
    assert!(evil.found.parts.is_empty());
    assert!(evil
        .found
        .path
        .ends_with("manifests/registry.ollama.ai/library/evil/latest"));
    let why = evil.problem().unwrap();
    assert!(why.starts_with("damaged Ollama manifest"), "{why}");

    let v3 = by_name(&found, "DeepSeek-V3-Q2_K.gguf (3 parts)");
    assert_eq!(v3.found.parts.len(), 3);
    assert_eq!(v3.catalog_match.as_ref().unwrap().model_id, "deepseek-v3");
    let v3_info = v3.info.as_ref().unwrap();
    let whole = weight_split(
        &model("deepseek-v3").architecture,
        Quant::Q2_K,
        MlaLayout::Split,
    );
    assert_eq!(v3_info.weights_bytes, whole.total_bytes());

    let cut = by_name(&found, "deepseek-coder-1.3b-instruct.Q8_0.gguf");
    assert!(
        cut.problem().unwrap().contains("truncated"),
        "{:?}",
        cut.problem()
    );
    assert!(cut.catalog_match.is_none());
    let text = by_name(&found, "notes.gguf");
    assert!(
        text.problem().unwrap().contains("not a GGUF file"),
        "{:?}",
        text.problem()
    );
    let half = by_name(&found, "half.gguf (2 parts)");
    assert!(
        half.problem().unwrap().contains("2 of 2 missing"),
        "{:?}",
        half.problem()
    );
}

#[test]
fn opening_one_part_of_a_split_model_brings_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let parts =
        shape_only_builder(&model("deepseek-r1"), Quant::IQ1_S, MlaLayout::Split).split_parts(2);
    for (i, part) in parts.iter().enumerate() {
        part.write_shape_only(
            &dir.path()
                .join(format!("DeepSeek-R1-UD-IQ1_S-{:05}-of-00002.gguf", i + 1)),
        )
        .unwrap();
    }
    let local = inspect_path(
        &dir.path().join("DeepSeek-R1-UD-IQ1_S-00002-of-00002.gguf"),
        &models(),
    );
    assert_eq!(local.found.parts.len(), 2);
    assert_eq!(
        local.catalog_match.as_ref().unwrap().model_id,
        "deepseek-r1"
    );
    assert_eq!(local.problem(), None);
}

#[test]
fn a_gguf_of_another_kind_is_listed_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mmproj-model-f16.gguf");
    let mut b = seekdeck::gguf::write::GgufBuilder::new();
    b.kv(
        "general.architecture",
        seekdeck::gguf::write::MetaValue::Str("clip".into()),
    )
    .tensor(
        "v.patch_embd.weight",
        &[14, 14, 3, 1024],
        seekdeck::estimate::quant::GgmlType::F16,
    );
    b.write_shape_only(&path).unwrap();
    let local = inspect_path(&path, &models());
    let problem = local.problem().unwrap();
    assert!(problem.contains("\"clip\""), "{problem}");
    assert!(local
        .estimate(4096, &parse_assume("8GiB GPU, 16GiB RAM").unwrap())
        .is_none());
}

/// Writes `m`'s shape-only file into `home`'s Ollama store as pulled under `deepseek-r1:{tag}`.
fn ollama_pull(home: &Path, tag: &str, digit: &str, m: &Model) {
    let ollama = home.join(".ollama/models");
    let digest = digit.repeat(32);
    let blob = ollama.join(format!("blobs/sha256-{digest}"));
    std::fs::create_dir_all(blob.parent().unwrap()).unwrap();
    write_shape_only(m, Quant::Q4_K_M, MlaLayout::Split, &blob).unwrap();
    let manifest = ollama.join(format!(
        "manifests/registry.ollama.ai/library/deepseek-r1/{tag}"
    ));
    std::fs::create_dir_all(manifest.parent().unwrap()).unwrap();
    std::fs::write(
        &manifest,
        format!(
            r#"{{"schemaVersion":2,"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{digest}","size":1}}]}}"#
        ),
    )
    .unwrap();
}

/// What a scan of `home`'s Ollama store matched `name` to: (catalog id, confirmed by name or tag).
fn ollama_match(home: &Path, name: &str) -> Option<(String, bool)> {
    let roots = default_roots(home, |_| None);
    let found = scan_roots(&roots, &models(), &mut HeaderCache::default());
    by_name(&found, name)
        .catalog_match
        .as_ref()
        .map(|m| (m.model_id.clone(), m.by_name))
}

/// Ollama's tags change meaning (`deepseek-r1:8b` was the Llama distill and is now
/// DeepSeek-R1-0528-Qwen3-8B): a pulled file is matched by what its tensors are, and the Llama
/// distill's own tag is `deepseek-r1:8b-llama-distill-q4_K_M`.
#[test]
fn an_ollama_tag_is_matched_by_what_the_file_is_not_by_the_tag() {
    // Today's deepseek-r1:8b: qwen3 tensors, R1-0528-Qwen3-8B.
    let today = tempfile::tempdir().unwrap();
    ollama_pull(
        today.path(),
        "8b",
        "aa",
        &model("deepseek-r1-0528-qwen3-8b"),
    );
    assert_eq!(
        ollama_match(today.path(), "deepseek-r1:8b"),
        Some(("deepseek-r1-0528-qwen3-8b".to_owned(), true))
    );
    // A pull from before Ollama 0.9.0 under the same tag: llama tensors, the Llama distill; and
    // the Llama distill under its own tag today.
    let before = tempfile::tempdir().unwrap();
    let llama8b = model("deepseek-r1-distill-llama-8b");
    ollama_pull(before.path(), "8b", "aa", &llama8b);
    ollama_pull(before.path(), "8b-llama-distill-q4_K_M", "bb", &llama8b);
    for tag in ["deepseek-r1:8b", "deepseek-r1:8b-llama-distill-q4_K_M"] {
        assert_eq!(
            ollama_match(before.path(), tag),
            Some(("deepseek-r1-distill-llama-8b".to_owned(), true)),
            "{tag}"
        );
    }
    // Under the new tag, a file of an architecture no catalog model has with those dimensions
    // (qwen3 tensors laid out like the Llama distill) is nobody's.
    let odd = tempfile::tempdir().unwrap();
    let mut other = llama8b.clone();
    other.architecture.gguf_architecture = "qwen3".into();
    ollama_pull(odd.path(), "8b", "cc", &other);
    assert_eq!(ollama_match(odd.path(), "deepseek-r1:8b"), None);
}
