//! The KV cache at llama.cpp's cache types, checked against llama.cpp itself: a shape-only GGUF of
//! every catalog model (MHA, GQA, MLA, V3.2's sparse attention), dry-run at f16, q8_0 and q4_0 K
//! and V (and mixed where allowed) at 4096 and 32768 tokens — seekdeck's figure equals the KV
//! buffer llama.cpp reports — and the settings llama.cpp refuses are refused by seekdeck too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use seekdeck::estimate::kv_cache::{cache_bytes, check, CacheType, FlashAttn, KvSettings};
use seekdeck::estimate::launch_settings::LaunchSettings;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::tensors::MlaLayout;
use seekdeck::gguf::shape::write_shape_only;
use seekdeck::llama::dry_run::dry_run_with;

fn kv(k: CacheType, v: CacheType, flash_attn: FlashAttn) -> KvSettings {
    KvSettings { k, v, flash_attn }
}

/// llama.cpp's dry run at the cache settings `kv`, the rest at its defaults.
fn dry_run_kv(
    path: &std::path::Path,
    ctx: u32,
    kv: &KvSettings,
) -> Result<seekdeck::llama::dry_run::ReferenceSizes, seekdeck::llama::LlamaError> {
    let settings = LaunchSettings {
        cache_type_k: kv.k,
        cache_type_v: kv.v,
        flash_attn: kv.flash_attn,
        ..LaunchSettings::default()
    };
    dry_run_with(path, ctx, &settings)
}

#[test]
fn each_cache_type_is_what_llama_cpp_allocates() {
    let dir = tempfile::tempdir().unwrap();
    let mut compared = 0;
    for m in seekdeck::catalog::builtin_catalog_models() {
        let id = &m.id;
        let path = dir.path().join(format!("{id}.gguf"));
        write_shape_only(&m, Quant::Q4_K_M, MlaLayout::Split, &path).unwrap();
        let mut settings = vec![];
        for t in [CacheType::F16, CacheType::Q8_0, CacheType::Q4_0] {
            settings.push(kv(t, t, FlashAttn::Auto));
        }
        settings.push(kv(CacheType::Q8_0, CacheType::Q4_0, FlashAttn::On));
        settings.push(kv(CacheType::Q4_0, CacheType::F16, FlashAttn::Off));
        for s in settings {
            let refused = check(&m.architecture, &s);
            for ctx in [4096, 32768] {
                let reference = dry_run_kv(&path, ctx, &s);
                match (&refused, reference) {
                    (Ok(()), Ok(r)) => {
                        let ours = cache_bytes(&m.architecture, ctx, MlaLayout::Split, &s);
                        // llama.cpp prints MiB with two decimals.
                        let diff = ours.abs_diff(r.kv_bytes);
                        assert!(
                            diff <= 11 << 10,
                            "{id} {s:?} {ctx}: {ours} vs {}",
                            r.kv_bytes
                        );
                        compared += 1;
                    }
                    (Err(_), Err(_)) => {}
                    (ours, theirs) => panic!("{id} {s:?}: seekdeck {ours:?}, llama.cpp {theirs:?}"),
                }
            }
        }
    }
    // 21 models × 2 contexts: 5 settings each, 3 for the MLA models (K and V of one type).
    assert!(compared >= 160, "{compared}");
}

#[test]
fn settings_llama_cpp_refuses_are_refused_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let lite = seekdeck::catalog::builtin_model("deepseek-v2-lite").unwrap();
    let path = dir.path().join("lite.gguf");
    write_shape_only(&lite, Quant::Q4_K_M, MlaLayout::Split, &path).unwrap();
    let mixed = kv(CacheType::Q8_0, CacheType::F16, FlashAttn::Auto);
    assert!(dry_run_kv(&path, 4096, &mixed).is_err());
    assert!(check(&lite.architecture, &mixed)
        .unwrap_err()
        .contains("does not support different K (q8_0) and V (f16) cache types"));
    let qwen = seekdeck::catalog::builtin_model("deepseek-r1-distill-qwen-7b").unwrap();
    let path = dir.path().join("qwen.gguf");
    write_shape_only(&qwen, Quant::Q4_K_M, MlaLayout::Split, &path).unwrap();
    let v_off = kv(CacheType::F16, CacheType::Q8_0, FlashAttn::Off);
    assert!(dry_run_kv(&path, 4096, &v_off).is_err());
    assert!(check(&qwen.architecture, &v_off)
        .unwrap_err()
        .starts_with("quantized V cache requires flash_attn"));
}
