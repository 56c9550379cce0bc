//! llama.cpp's launch settings checked against llama.cpp itself: every catalog model's shape-only
//! GGUF dry-run at the cache types f16, q8_0 and q4_0 with flash attention auto and off, and at
//! micro-batches of 128 and 2048, at 4096 and 32768 tokens — seekdeck's KV cache and compute
//! buffer within 3% / 64 MiB of llama.cpp's, and the settings llama.cpp refuses refused by
//! seekdeck too, for the reason llama.cpp's log gives. The same grid is docs/accuracy.md's "Launch settings" table (`make accuracy`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use seekdeck::verify::accuracy::{check_settings, settings_table};

#[test]
fn every_model_at_every_setting_is_what_llama_cpp_allocates() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    let models = seekdeck::catalog::builtin_catalog_models();
    let mut dense = Vec::new();
    for m in &models {
        let found = check_settings(m, &[4096, 32768], dir.path()).unwrap();
        if m.architecture.moe.is_none() && !m.architecture.gguf_architecture.starts_with("deepseek")
        {
            dense.extend(found.iter().cloned());
        }
        rows.extend(found);
    }
    let failing: Vec<_> = rows.iter().filter(|r| !r.passes()).cloned().collect();
    assert!(
        failing.is_empty(),
        "outside 3% / 64 MiB:\n{}",
        settings_table(&failing)
    );
    // A dense model with flash attention is ggml-alloc replayed over its graph: exact, at every
    // micro-batch and both contexts (the formula before was up to 4·u·n_embd over).
    let mut exact = 0;
    for r in dense
        .iter()
        .filter(|r| r.settings.flash_attn != seekdeck::estimate::kv_cache::FlashAttn::Off)
    {
        if let (Ok((_, ours)), Ok((_, theirs))) = (&r.ours, &r.reference) {
            assert!(
                ours.abs_diff(*theirs) < 1 << 17,
                "{} at {} tokens, {}: compute {ours} vs llama.cpp's {theirs}",
                r.model,
                r.ctx_tokens,
                r.settings.summary()
            );
            exact += 1;
        }
    }
    // 10 dense models × 2 contexts × the 4 settings with flash attention.
    assert_eq!(exact, 10 * 2 * 4, "dense rows compared");
    let compared = rows.iter().filter(|r| r.reference.is_ok()).count();
    let refused = rows.len() - compared;
    // 21 models × 8 settings × 2 contexts; llama.cpp refuses a quantized V without flash
    // attention (2 of the 8 settings) for every model.
    assert_eq!(rows.len(), 21 * 8 * 2);
    assert_eq!(refused, 21 * 2 * 2, "{}", settings_table(&rows));
}
