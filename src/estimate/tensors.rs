//! The complete tensor list of a catalog model as llama.cpp lays it out in a GGUF (names, shapes in
//! ggml order), and the type each tensor gets under a quantization preset.
//!
//! Shapes follow llama.cpp's loaders (`src/models/llama.cpp`, `qwen2.cpp`, `qwen3.cpp`, `deepseek2.cpp`,
//! `deepseek32.cpp`); types follow
//! `llama_tensor_get_type_impl` and `tensor_type_fallback` in `src/llama-quant.cpp` of the llama.cpp
//! that llama-cpp-sys-2 0.1.161 vendors. Each rule below names the branch it mirrors. The estimator sums
//! these tensors; the shape-only GGUF writer writes them.

use crate::catalog::{Architecture, Attention};
use crate::estimate::quant::{GgmlType, Quant};

/// What a tensor is, independent of its layer.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorKind {
    TokenEmbd,
    OutputNorm,
    Output,
    RopeFreqs,
    AttnNorm,
    AttnQ,
    AttnK,
    AttnV,
    AttnQBias,
    AttnKBias,
    AttnVBias,
    AttnQNorm,
    AttnKNorm,
    AttnOutput,
    AttnQA,
    AttnQANorm,
    AttnQB,
    AttnKvAMqa,
    AttnKvANorm,
    AttnKB,
    AttnVB,
    AttnKvB,
    IndexerKNorm,
    IndexerKNormBias,
    IndexerProj,
    IndexerAttnK,
    IndexerAttnQB,
    FfnNorm,
    FfnGate,
    FfnUp,
    FfnDown,
    FfnGateInp,
    ExpProbsB,
    FfnGateExps,
    FfnUpExps,
    FfnDownExps,
    FfnGateShexp,
    FfnUpShexp,
    FfnDownShexp,
}

impl TensorKind {
    /// The GGUF name stem (`blk.N.` is prefixed for per-layer tensors).
    pub const fn stem(self) -> &'static str {
        match self {
            Self::TokenEmbd => "token_embd.weight",
            Self::OutputNorm => "output_norm.weight",
            Self::Output => "output.weight",
            Self::RopeFreqs => "rope_freqs.weight",
            Self::AttnNorm => "attn_norm.weight",
            Self::AttnQ => "attn_q.weight",
            Self::AttnK => "attn_k.weight",
            Self::AttnV => "attn_v.weight",
            Self::AttnQBias => "attn_q.bias",
            Self::AttnKBias => "attn_k.bias",
            Self::AttnVBias => "attn_v.bias",
            Self::AttnQNorm => "attn_q_norm.weight",
            Self::AttnKNorm => "attn_k_norm.weight",
            Self::AttnOutput => "attn_output.weight",
            Self::AttnQA => "attn_q_a.weight",
            Self::AttnQANorm => "attn_q_a_norm.weight",
            Self::AttnQB => "attn_q_b.weight",
            Self::AttnKvAMqa => "attn_kv_a_mqa.weight",
            Self::AttnKvANorm => "attn_kv_a_norm.weight",
            Self::AttnKB => "attn_k_b.weight",
            Self::AttnVB => "attn_v_b.weight",
            Self::AttnKvB => "attn_kv_b.weight",
            Self::IndexerKNorm => "indexer.k_norm.weight",
            Self::IndexerKNormBias => "indexer.k_norm.bias",
            Self::IndexerProj => "indexer.proj.weight",
            Self::IndexerAttnK => "indexer.attn_k.weight",
            Self::IndexerAttnQB => "indexer.attn_q_b.weight",
            Self::FfnNorm => "ffn_norm.weight",
            Self::FfnGate => "ffn_gate.weight",
            Self::FfnUp => "ffn_up.weight",
            Self::FfnDown => "ffn_down.weight",
            Self::FfnGateInp => "ffn_gate_inp.weight",
            Self::ExpProbsB => "exp_probs_b.bias",
            Self::FfnGateExps => "ffn_gate_exps.weight",
            Self::FfnUpExps => "ffn_up_exps.weight",
            Self::FfnDownExps => "ffn_down_exps.weight",
            Self::FfnGateShexp => "ffn_gate_shexp.weight",
            Self::FfnUpShexp => "ffn_up_shexp.weight",
            Self::FfnDownShexp => "ffn_down_shexp.weight",
        }
    }

    /// Routed-expert tensors: the ones `--cpu-moe` keeps in system RAM.
    pub const fn is_routed_expert(self) -> bool {
        matches!(
            self,
            Self::FfnGateExps | Self::FfnUpExps | Self::FfnDownExps
        )
    }

    /// `tensor_allows_quantization`: norms, biases, the router and 1-D tensors keep their source type.
    const fn allows_quantization(self) -> bool {
        !matches!(
            self,
            Self::OutputNorm
                | Self::RopeFreqs
                | Self::AttnNorm
                | Self::AttnQANorm
                | Self::AttnKvANorm
                | Self::FfnNorm
                | Self::AttnQBias
                | Self::AttnKBias
                | Self::AttnVBias
                | Self::AttnQNorm
                | Self::AttnKNorm
                | Self::IndexerKNorm
                | Self::IndexerKNormBias
                | Self::FfnGateInp
                | Self::ExpProbsB
        )
    }

    /// `tensor_get_category` + `category_is_attn_v`: attn_v, attn_qkv and the legacy attn_kv_b.
    const fn is_attn_v_like(self) -> bool {
        matches!(self, Self::AttnV | Self::AttnKvB)
    }

    /// Category FFN_DOWN: any name containing `ffn_down`.
    const fn is_ffn_down(self) -> bool {
        matches!(self, Self::FfnDown | Self::FfnDownExps | Self::FfnDownShexp)
    }
}

/// One tensor of a model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TensorInfo {
    /// What it is.
    pub kind: TensorKind,
    /// Its block, for per-layer tensors.
    pub layer: Option<u32>,
    /// Shape in ggml order (`ne[0]` is the row length); unused trailing dims are 1.
    pub ne: [u64; 3],
    /// Number of dimensions (1 to 3).
    pub n_dims: u8,
}

impl TensorInfo {
    /// Number of elements.
    pub fn elements(&self) -> u64 {
        self.ne.iter().product()
    }

    /// The GGUF tensor name, e.g. `blk.3.ffn_down_exps.weight`.
    pub fn name(&self) -> String {
        match self.layer {
            Some(l) => format!("blk.{l}.{}", self.kind.stem()),
            None => self.kind.stem().to_owned(),
        }
    }
}

/// How a `deepseek2` GGUF stores MLA's key/value up-projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum MlaLayout {
    /// `attn_k_b` + `attn_v_b` and the `*_mla` keys (converted since llama.cpp PR #12801, April 2025):
    /// llama.cpp caches only the compressed latent.
    #[default]
    Split,
    /// One `attn_kv_b` and no `*_mla` keys (older conversions): llama.cpp decompresses keys and values
    /// and caches them per head, a far larger cache.
    Legacy,
}

fn t1(kind: TensorKind, layer: Option<u32>, a: u64) -> TensorInfo {
    TensorInfo {
        kind,
        layer,
        ne: [a, 1, 1],
        n_dims: 1,
    }
}
fn t2(kind: TensorKind, layer: Option<u32>, a: u64, b: u64) -> TensorInfo {
    TensorInfo {
        kind,
        layer,
        ne: [a, b, 1],
        n_dims: 2,
    }
}
fn t3(kind: TensorKind, layer: Option<u32>, a: u64, b: u64, c: u64) -> TensorInfo {
    TensorInfo {
        kind,
        layer,
        ne: [a, b, c],
        n_dims: 3,
    }
}

/// Every tensor of the model, in the order llama.cpp's converter writes them.
pub fn tensor_plan(arch: &Architecture, layout: MlaLayout) -> Vec<TensorInfo> {
    use TensorKind as K;
    let n_embd = arch.hidden_size;
    let mut out = Vec::with_capacity(arch.layers as usize * 20 + 4);
    out.push(t2(K::TokenEmbd, None, n_embd, arch.vocab_size));
    if arch.rope_freqs {
        let head_dim = match arch.attention {
            Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => head_dim,
            Attention::Mla {
                qk_rope_head_dim, ..
            } => qk_rope_head_dim,
        };
        out.push(t1(K::RopeFreqs, None, head_dim / 2));
    }
    for il in 0..arch.layers {
        out.push(t1(K::AttnNorm, Some(il), n_embd));
        attention_tensors(arch, layout, il, &mut out);
        indexer_tensors(arch, il, &mut out);
        out.push(t1(K::FfnNorm, Some(il), n_embd));
        ffn_tensors(arch, il, &mut out);
    }
    out.push(t1(K::OutputNorm, None, n_embd));
    if !arch.tied_embeddings {
        out.push(t2(K::Output, None, n_embd, arch.vocab_size));
    }
    out
}

/// One block's attention tensors (`src/models/llama.cpp`, `qwen2.cpp`, `qwen3.cpp`, `deepseek2.cpp`).
fn attention_tensors(arch: &Architecture, layout: MlaLayout, il: u32, out: &mut Vec<TensorInfo>) {
    use TensorKind as K;
    let l = Some(il);
    let n_embd = arch.hidden_size;
    let n_head = u64::from(arch.heads);
    match arch.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => {
            let n_kv = u64::from(arch.kv_heads());
            out.push(t2(K::AttnQ, l, n_embd, n_head * head_dim));
            out.push(t2(K::AttnK, l, n_embd, n_kv * head_dim));
            out.push(t2(K::AttnV, l, n_embd, n_kv * head_dim));
            if arch.qkv_bias {
                out.push(t1(K::AttnQBias, l, n_head * head_dim));
                out.push(t1(K::AttnKBias, l, n_kv * head_dim));
                out.push(t1(K::AttnVBias, l, n_kv * head_dim));
            }
            if arch.qk_norm {
                out.push(t1(K::AttnQNorm, l, head_dim));
                out.push(t1(K::AttnKNorm, l, head_dim));
            }
            out.push(t2(K::AttnOutput, l, n_head * head_dim, n_embd));
        }
        Attention::Mla {
            q_lora_rank,
            kv_lora_rank,
            qk_rope_head_dim,
            qk_nope_head_dim,
            v_head_dim,
        } => {
            let qk_head = qk_nope_head_dim + qk_rope_head_dim;
            match q_lora_rank {
                Some(q) => {
                    out.push(t2(K::AttnQA, l, n_embd, q));
                    out.push(t1(K::AttnQANorm, l, q));
                    out.push(t2(K::AttnQB, l, q, n_head * qk_head));
                }
                None => out.push(t2(K::AttnQ, l, n_embd, n_head * qk_head)),
            }
            out.push(t2(
                K::AttnKvAMqa,
                l,
                n_embd,
                kv_lora_rank + qk_rope_head_dim,
            ));
            out.push(t1(K::AttnKvANorm, l, kv_lora_rank));
            match layout {
                MlaLayout::Split => {
                    out.push(t3(K::AttnKB, l, qk_nope_head_dim, kv_lora_rank, n_head));
                    out.push(t3(K::AttnVB, l, kv_lora_rank, v_head_dim, n_head));
                }
                MlaLayout::Legacy => {
                    out.push(t2(
                        K::AttnKvB,
                        l,
                        kv_lora_rank,
                        n_head * (qk_nope_head_dim + v_head_dim),
                    ));
                }
            }
            out.push(t2(K::AttnOutput, l, n_head * v_head_dim, n_embd));
        }
    }
}

/// One block's lightning-indexer tensors (`src/models/deepseek32.cpp`), for sparse attention.
fn indexer_tensors(arch: &Architecture, il: u32, out: &mut Vec<TensorInfo>) {
    use TensorKind as K;
    let (
        Some(ix),
        Attention::Mla {
            q_lora_rank: Some(q_lora),
            ..
        },
    ) = (arch.indexer, arch.attention)
    else {
        return;
    };
    let l = Some(il);
    let n_embd = arch.hidden_size;
    out.push(t1(K::IndexerKNorm, l, ix.head_dim));
    out.push(t1(K::IndexerKNormBias, l, ix.head_dim));
    out.push(t2(K::IndexerProj, l, n_embd, u64::from(ix.heads)));
    out.push(t2(K::IndexerAttnK, l, n_embd, ix.head_dim));
    out.push(t2(
        K::IndexerAttnQB,
        l,
        q_lora,
        u64::from(ix.heads) * ix.head_dim,
    ));
}

/// One block's feed-forward tensors: dense, or router + routed experts + shared experts.
fn ffn_tensors(arch: &Architecture, il: u32, out: &mut Vec<TensorInfo>) {
    use TensorKind as K;
    let l = Some(il);
    let n_embd = arch.hidden_size;
    match arch.moe {
        Some(moe) if arch.is_moe_layer(il) => {
            let n_exp = u64::from(moe.routed_experts);
            let ff = moe.expert_ffn_size;
            let ff_sh = ff * u64::from(moe.shared_experts);
            out.push(t2(K::FfnGateInp, l, n_embd, n_exp));
            if moe.router_bias {
                out.push(t1(K::ExpProbsB, l, n_exp));
            }
            out.push(t3(K::FfnGateExps, l, n_embd, ff, n_exp));
            out.push(t3(K::FfnDownExps, l, ff, n_embd, n_exp));
            out.push(t3(K::FfnUpExps, l, n_embd, ff, n_exp));
            if ff_sh > 0 {
                out.push(t2(K::FfnGateShexp, l, n_embd, ff_sh));
                out.push(t2(K::FfnDownShexp, l, ff_sh, n_embd));
                out.push(t2(K::FfnUpShexp, l, n_embd, ff_sh));
            }
        }
        _ => {
            out.push(t2(K::FfnGate, l, n_embd, arch.ffn_size));
            out.push(t2(K::FfnDown, l, arch.ffn_size, n_embd));
            out.push(t2(K::FfnUp, l, n_embd, arch.ffn_size));
        }
    }
}

/// The quantizer's per-file state that the rules read (`quantize_state_impl`).
struct QuantState {
    n_layer: i64,
    n_gqa: u32,
    n_expert: u32,
    is_70b: bool,
    has_output: bool,
    i_attention_wv: i64,
    n_attention_wv: i64,
    i_ffn_down: i64,
}

/// `use_more_bits` in `llama_tensor_get_type_impl`.
fn use_more_bits(i_layer: i64, n_layers: i64) -> bool {
    i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2
}

/// The ggml type of every tensor of `plan` (same order) when the model is quantized to `quant`
/// from an F16/BF16 source by `llama-quantize` without an importance matrix.
pub fn assign_types(plan: &[TensorInfo], arch: &Architecture, quant: Quant) -> Vec<GgmlType> {
    let mut qs = QuantState {
        n_layer: i64::from(arch.layers),
        n_gqa: arch.heads / arch.kv_heads().max(1),
        n_expert: arch.moe.map_or(0, |m| m.routed_experts),
        // llama.cpp's model type: `llama` with 80 GQA layers and `qwen2` with 80 layers are LLM_TYPE_70B.
        is_70b: arch.layers == 80
            && !arch.gguf_architecture.starts_with("deepseek")
            && arch.kv_heads() != arch.heads,
        has_output: plan.iter().any(|t| t.kind == TensorKind::Output),
        i_attention_wv: 0,
        n_attention_wv: plan.iter().filter(|t| t.kind.is_attn_v_like()).count() as i64,
        i_ffn_down: 0,
    };
    plan.iter()
        .map(|t| tensor_type(&mut qs, t, quant))
        .collect()
}

/// `llama_tensor_get_type`: the outer wrapper (allowed? quantized base? then rules, then fallback).
fn tensor_type(qs: &mut QuantState, t: &TensorInfo, quant: Quant) -> GgmlType {
    // Source types of an F16 conversion: 1-D tensors and the router stay F32 (convert_hf_to_gguf.py).
    if t.n_dims < 2 || !t.kind.allows_quantization() {
        return GgmlType::F32;
    }
    let base = quant.base_type();
    if base == GgmlType::F16 {
        return GgmlType::F16;
    }
    let chosen = type_rules(qs, t, quant, base);
    fallback(t.ne[0], chosen)
}

/// `llama_tensor_get_type_impl` for the presets seekdeck offers (non-Falcon, non-8-expert models).
fn type_rules(qs: &mut QuantState, t: &TensorInfo, q: Quant, base: GgmlType) -> GgmlType {
    use GgmlType as G;
    use TensorKind as K;
    let layer = i64::from(t.layer.unwrap_or(0));
    // OUTPUT (or a tied token_embd): Q8_0 when rows do not fit the base block, Q5_K for IQ1/IQ2
    // mixes, otherwise Q6_K unless the base is Q8_0.
    if t.kind == K::Output || (!qs.has_output && t.kind == K::TokenEmbd) {
        let (block, _) = base.block();
        return if t.ne[0] % block != 0 {
            G::Q8_0
        } else if q.is_very_low_bit() {
            G::Q5_K
        } else if base != G::Q8_0 {
            G::Q6_K
        } else {
            base
        };
    }
    // TOKEN_EMBD: Q2_K for IQ2_XXS / IQ1_S, otherwise the base type.
    if t.kind == K::TokenEmbd {
        return if q.is_very_low_bit() { G::Q2_K } else { base };
    }
    // The IQ1/IQ2 branch.
    if q.is_very_low_bit() {
        if t.kind.is_attn_v_like() {
            qs.i_attention_wv += 1;
            return if qs.n_gqa >= 4 || qs.n_expert >= 4 {
                G::Q4_K
            } else {
                G::Q2_K
            };
        }
        if t.kind.is_ffn_down() {
            // Counter-based: the first n_layer/8 ffn_down tensors in file order.
            let out = if qs.i_ffn_down < qs.n_layer / 8 {
                G::Q2_K
            } else {
                base
            };
            qs.i_ffn_down += 1;
            return out;
        }
        if t.kind == K::AttnOutput {
            return if q == Quant::IQ1_S { G::IQ2_XXS } else { base };
        }
        return base;
    }
    if t.kind.is_attn_v_like() {
        let i = qs.i_attention_wv;
        let mut out = match q {
            Quant::Q2_K => {
                if qs.n_gqa >= 4 {
                    G::Q4_K
                } else {
                    G::Q3_K
                }
            }
            Quant::IQ4_XS if qs.n_gqa >= 4 => G::Q5_K,
            Quant::Q3_K_M => {
                if i < 2 {
                    G::Q5_K
                } else {
                    G::Q4_K
                }
            }
            Quant::Q4_K_M | Quant::Q5_K_M if use_more_bits(i, qs.n_attention_wv) => G::Q6_K,
            Quant::Q4_K_S if i < 4 => G::Q5_K,
            _ => base,
        };
        // LLM_TYPE_70B: attn_v is 8x smaller than attn_q, so Q3_K/Q4_K are bumped to Q5_K.
        if qs.is_70b && matches!(out, G::Q3_K | G::Q4_K) {
            out = G::Q5_K;
        }
        qs.i_attention_wv += 1;
        return out;
    }
    if t.kind.is_ffn_down() {
        // layer_info(): MoE models read the layer from the name, dense ones count; both give the block.
        let n = qs.n_layer;
        let out = match q {
            Quant::Q2_K => G::Q3_K,
            Quant::Q3_K_M => {
                if layer < n / 16 {
                    G::Q5_K
                } else {
                    G::Q4_K
                }
            }
            Quant::Q4_K_M | Quant::Q5_K_M if use_more_bits(layer, n) => G::Q6_K,
            Quant::IQ4_XS if layer < n / 8 => G::Q5_K,
            Quant::Q4_K_S if layer < n / 8 => G::Q5_K,
            _ => base,
        };
        qs.i_ffn_down += 1;
        return out;
    }
    if t.kind == K::AttnOutput {
        return match q {
            Quant::Q2_K => G::Q3_K,
            Quant::Q3_K_M => G::Q4_K,
            _ => base,
        };
    }
    base
}

/// `tensor_type_fallback`: a row length that is not a multiple of the block size demotes the type.
fn fallback(ne0: u64, chosen: GgmlType) -> GgmlType {
    use GgmlType as G;
    let (block, _) = chosen.block();
    if ne0 % block == 0 {
        return chosen;
    }
    let demoted = match chosen {
        G::IQ1_S
        | G::IQ1_M
        | G::IQ2_XXS
        | G::IQ2_XS
        | G::IQ2_S
        | G::IQ3_XXS
        | G::IQ3_S
        | G::IQ4_XS => G::IQ4_NL,
        G::Q2_K | G::Q3_K => G::Q4_0,
        G::Q4_K => G::Q5_0,
        G::Q5_K => G::Q5_1,
        G::Q6_K => G::Q8_0,
        other => other,
    };
    if ne0 % demoted.block().0 == 0 {
        demoted
    } else {
        G::F16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::load_catalog;

    fn arch(id: &str) -> Architecture {
        crate::catalog::builtin_model(id).unwrap().architecture
    }

    /// Parameter counts are integers: the tensor plan rebuilt from each model's architecture must
    /// give the catalog's figure exactly (llama.cpp's count for the shape-only file is checked
    /// against the same plan in `tests/shape_only.rs`).
    #[test]
    fn parameter_counts_match_the_catalog_exactly() {
        let cat = load_catalog(None);
        let wrong: Vec<String> = cat
            .models
            .iter()
            .filter_map(|m| {
                // The checkpoint's count: without `rope_freqs`, which only the GGUF conversion
                // of Llama 3.1-based models adds (64 precomputed factors, not weights).
                let plan = tensor_plan(&m.architecture, MlaLayout::Split);
                let n: u64 = plan
                    .iter()
                    .filter(|t| t.kind != TensorKind::RopeFreqs)
                    .map(TensorInfo::elements)
                    .sum();
                (n != m.params_total)
                    .then(|| format!("{}: plan {n} vs catalog {}", m.id, m.params_total))
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn v3_matches_llama_cpp_parameter_count() {
        // llama.cpp reports 671,026,419,200 parameters for a converted DeepSeek-V3 (crate notes).
        let plan = tensor_plan(&arch("deepseek-v3"), MlaLayout::Split);
        let n: u64 = plan.iter().map(TensorInfo::elements).sum();
        assert_eq!(n, 671_026_419_200);
    }

    #[test]
    fn q4_k_m_rules() {
        let a = arch("deepseek-v2-lite");
        let plan = tensor_plan(&a, MlaLayout::Split);
        let types = assign_types(&plan, &a, Quant::Q4_K_M);
        let ty = |name: &str| {
            let i = plan.iter().position(|t| t.name() == name).unwrap();
            types[i]
        };
        assert_eq!(ty("output.weight"), GgmlType::Q6_K);
        assert_eq!(ty("token_embd.weight"), GgmlType::Q4_K);
        // attn_k_b rows are 128 wide: Q4_K falls back to Q5_0.
        assert_eq!(ty("blk.5.attn_k_b.weight"), GgmlType::Q5_0);
        // V2-Lite expert ffn_down rows are 1408 wide: Q4_K -> Q5_0, Q6_K -> Q8_0 (layer 0 uses more bits).
        // use_more_bits(i, 27): i < 3, i >= 23, or (i - 3) % 3 == 2 — layer 6 is not one of them.
        assert_eq!(ty("blk.6.ffn_down_exps.weight"), GgmlType::Q5_0);
        assert_eq!(ty("blk.5.ffn_down_exps.weight"), GgmlType::Q8_0);
        assert_eq!(ty("blk.0.ffn_down.weight"), GgmlType::Q8_0);
        assert_eq!(ty("blk.1.ffn_down_exps.weight"), GgmlType::Q8_0);
        assert_eq!(ty("blk.26.ffn_down_exps.weight"), GgmlType::Q8_0);
        assert_eq!(ty("blk.26.ffn_gate_inp.weight"), GgmlType::F32);
    }

    #[test]
    fn seventy_b_bumps_attn_v() {
        let a = arch("deepseek-r1-distill-llama-70b");
        let plan = tensor_plan(&a, MlaLayout::Split);
        let types = assign_types(&plan, &a, Quant::Q4_K_M);
        let i = plan
            .iter()
            .position(|t| t.name() == "blk.20.attn_v.weight")
            .unwrap();
        // layer 20 of 80: not a use_more_bits layer ((20-10)%3 == 1), so Q4_K, bumped to Q5_K for 70B.
        assert_eq!(types[i], GgmlType::Q5_K);
    }
}
