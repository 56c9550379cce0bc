//! The KV cache at the types llama.cpp's `--cache-type-k` / `--cache-type-v` accept, and the rules
//! it applies to them (read in `llama-context.cpp` and `llama-kv-cache.cpp` of the llama.cpp
//! seekdeck vendors): each cache tensor is `ggml_row_size(type, width) × cells` per layer; DeepSeek's
//! MLA cache has no V tensor (V is a view of the latent K) and refuses different K and V types;
//! a quantized V cache needs flash attention ("auto" turns it on, "off" is refused); with flash
//! attention a quantized type's block must divide each head's width.

use super::compute_buffer::CTX_PAD_TOKENS;
use super::quant::GgmlType;
use super::tensors::MlaLayout;
use crate::catalog::{Architecture, Attention};

/// A cache type llama.cpp accepts (`kv_cache_types` in its `common/arg.cpp`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum CacheType {
    /// 32-bit floats.
    F32,
    /// 16-bit floats: llama.cpp's default.
    #[default]
    F16,
    /// bfloat16.
    Bf16,
    /// 8-bit blocks of 32.
    Q8_0,
    /// 4-bit blocks of 32.
    Q4_0,
    /// 4-bit blocks of 32 with a minimum.
    Q4_1,
    /// 4-bit non-linear blocks of 32.
    Iq4Nl,
    /// 5-bit blocks of 32.
    Q5_0,
    /// 5-bit blocks of 32 with a minimum.
    Q5_1,
}

impl CacheType {
    /// Every type, in llama.cpp's order.
    pub const ALL: [Self; 9] = [
        Self::F32,
        Self::F16,
        Self::Bf16,
        Self::Q8_0,
        Self::Q4_0,
        Self::Q4_1,
        Self::Iq4Nl,
        Self::Q5_0,
        Self::Q5_1,
    ];

    /// The ggml type the cache tensors get.
    pub const fn ggml(self) -> GgmlType {
        match self {
            Self::F32 => GgmlType::F32,
            Self::F16 => GgmlType::F16,
            Self::Bf16 => GgmlType::BF16,
            Self::Q8_0 => GgmlType::Q8_0,
            Self::Q4_0 => GgmlType::Q4_0,
            Self::Q4_1 => GgmlType::Q4_1,
            Self::Iq4Nl => GgmlType::IQ4_NL,
            Self::Q5_0 => GgmlType::Q5_0,
            Self::Q5_1 => GgmlType::Q5_1,
        }
    }

    /// llama.cpp's name: `f16`, `q8_0`, `iq4_nl`, …
    pub const fn label(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::Bf16 => "bf16",
            Self::Q8_0 => "q8_0",
            Self::Q4_0 => "q4_0",
            Self::Q4_1 => "q4_1",
            Self::Iq4Nl => "iq4_nl",
            Self::Q5_0 => "q5_0",
            Self::Q5_1 => "q5_1",
        }
    }

    /// Parses llama.cpp's name, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.label().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether the type is block-quantized (what needs flash attention for V).
    pub const fn is_quantized(self) -> bool {
        !matches!(self, Self::F32 | Self::F16 | Self::Bf16)
    }
}

/// llama.cpp's `--flash-attn`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum FlashAttn {
    /// On where the back-end supports it (llama.cpp's default).
    #[default]
    Auto,
    /// On.
    On,
    /// Off.
    Off,
}

impl FlashAttn {
    /// llama.cpp's word: `auto`, `on`, `off`.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::On => "on",
            Self::Off => "off",
        }
    }

    /// Parses `on`, `off`, `auto`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "on" | "1" | "true" => Some(Self::On),
            "off" | "0" | "false" => Some(Self::Off),
            _ => None,
        }
    }
}

/// The cache settings of a launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KvSettings {
    /// K cache type.
    pub k: CacheType,
    /// V cache type.
    pub v: CacheType,
    /// Flash attention.
    pub flash_attn: FlashAttn,
}

/// Why llama.cpp refuses these settings for this model, in its own words, or `Ok`.
pub fn check(arch: &Architecture, s: &KvSettings) -> Result<(), String> {
    if matches!(arch.attention, Attention::Mla { .. }) && s.k != s.v {
        return Err(format!(
            "model does not support different K ({}) and V ({}) cache types: DeepSeek's MLA cache \
             holds one latent row per token, so K and V take one type",
            s.k.label(),
            s.v.label()
        ));
    }
    if s.v.is_quantized() && s.flash_attn == FlashAttn::Off {
        return Err(format!(
            "quantized V cache requires flash_attn to be enabled (--cache-type-v {} with \
             --flash-attn off)",
            s.v.label()
        ));
    }
    if s.flash_attn != FlashAttn::Off {
        let (k_head, v_head) = head_widths(arch);
        for (side, t, width) in [("K", s.k, k_head), ("V", s.v, v_head)] {
            let block = t.ggml().block().0;
            if t.is_quantized() && width > 0 && width % block != 0 {
                return Err(format!(
                    "{side} cache type {} with block size {block} does not divide \
                     n_embd_head_{}={width}",
                    t.label(),
                    side.to_ascii_lowercase()
                ));
            }
        }
    }
    Ok(())
}

/// Per-head widths llama.cpp checks blocks against: for MLA the latent row (kv_lora + rope) and
/// no V; else the head dimension.
fn head_widths(arch: &Architecture) -> (u64, u64) {
    match arch.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => (head_dim, head_dim),
        Attention::Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            ..
        } => (kv_lora_rank + qk_rope_head_dim, 0),
    }
}

/// Bytes of the KV cache for `ctx_tokens` (padded to llama.cpp's 256 cells) at `s`'s types.
pub fn cache_bytes(arch: &Architecture, ctx_tokens: u32, layout: MlaLayout, s: &KvSettings) -> u64 {
    let cells = u64::from(ctx_tokens).div_ceil(CTX_PAD_TOKENS) * CTX_PAD_TOKENS;
    let (k_width, v_width) = match arch.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => {
            let w = u64::from(arch.kv_heads()) * head_dim;
            (w, w)
        }
        Attention::Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            qk_nope_head_dim,
            v_head_dim,
            ..
        } => match layout {
            // One latent row (kv_lora + rope) per token and layer; V is a view of it.
            MlaLayout::Split => (kv_lora_rank + qk_rope_head_dim, 0),
            // Decompressed per-head keys and values.
            MlaLayout::Legacy => (
                u64::from(arch.heads) * (qk_nope_head_dim + qk_rope_head_dim),
                u64::from(arch.heads) * v_head_dim,
            ),
        },
    };
    // V3.2's lightning indexer keeps one key of `head_dim` per token and layer in a second cache
    // of the same K type (`llama_kv_cache_dsa`).
    let indexer_width = arch.indexer.map_or(0, |ix| ix.head_dim);
    let row = |t: CacheType, width: u64| t.ggml().bytes_for(width);
    u64::from(arch.layers)
        * cells
        * (row(s.k, k_width) + row(s.v, v_width) + row(s.k, indexer_width))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;

    fn settings(k: CacheType, v: CacheType, fa: FlashAttn) -> KvSettings {
        KvSettings {
            k,
            v,
            flash_attn: fa,
        }
    }

    #[test]
    fn quantized_rows_by_hand() {
        // R1-Distill-Qwen-7B: 28 layers, 4 KV heads × 128 = 512 wide; 4096 cells.
        let a = builtin_model("deepseek-r1-distill-qwen-7b")
            .unwrap()
            .architecture;
        let q8 = settings(CacheType::Q8_0, CacheType::Q8_0, FlashAttn::Auto);
        // q8_0: 34 bytes per 32 values → 544 bytes per 512-wide row, K and V.
        assert_eq!(
            cache_bytes(&a, 4096, MlaLayout::Split, &q8),
            28 * 4096 * 2 * 544
        );
        // R1: 61 layers, latent 576 wide, K only; q4_0 18 bytes per 32 → 324 bytes.
        let r1 = builtin_model("deepseek-r1").unwrap().architecture;
        let q4 = settings(CacheType::Q4_0, CacheType::Q4_0, FlashAttn::On);
        assert_eq!(
            cache_bytes(&r1, 4096, MlaLayout::Split, &q4),
            61 * 4096 * 324
        );
    }

    #[test]
    fn llama_cpps_refusals() {
        let r1 = builtin_model("deepseek-r1").unwrap().architecture;
        let qwen = builtin_model("deepseek-r1-distill-qwen-7b")
            .unwrap()
            .architecture;
        let mixed = settings(CacheType::Q8_0, CacheType::F16, FlashAttn::Auto);
        assert!(check(&r1, &mixed)
            .unwrap_err()
            .contains("different K (q8_0) and V (f16)"));
        assert!(check(&qwen, &mixed).is_ok());
        let v_off = settings(CacheType::F16, CacheType::Q4_0, FlashAttn::Off);
        assert!(check(&qwen, &v_off)
            .unwrap_err()
            .starts_with("quantized V cache requires flash_attn"));
        assert!(check(
            &qwen,
            &settings(CacheType::Q4_0, CacheType::F16, FlashAttn::Off)
        )
        .is_ok());
        for t in CacheType::ALL {
            assert_eq!(CacheType::parse(&t.label().to_uppercase()), Some(t));
            assert!(
                check(&r1, &settings(t, t, FlashAttn::Auto)).is_ok(),
                "{t:?}"
            );
        }
        assert_eq!(FlashAttn::parse("OFF"), Some(FlashAttn::Off));
    }
}
