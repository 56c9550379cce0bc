//! What a GGUF file is, from its header alone: architecture, name, quantization, parameters, size,
//! context, chat template, and the hyper-parameters the memory estimate needs (MLA and MoE keys
//! included), turned into the same [`Architecture`] the catalog uses.

use crate::catalog::{Architecture, Attention, Indexer, Moe};
use crate::estimate::fit::{
    breakdown_with_settings, judge, with_gpus, with_kept, FitReport, WeightSplit,
};
use crate::estimate::kept_in_ram::NamedTensor;
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::placement::{effective_context, EffectiveContext};
use crate::estimate::quant::Quant;
use crate::estimate::speed::decode_speed;
use crate::estimate::tensors::MlaLayout;
use crate::hardware::HardwareSnapshot;

use crate::format::format_params;
use crate::gguf::names::layer_of;
use crate::gguf::read::GgufHeader;

/// A GGUF model (one file, or all parts of a split file), described from its header(s).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GgufInfo {
    /// `general.architecture`.
    pub architecture: String,
    /// `general.name`, if present.
    pub name: Option<String>,
    /// `general.file_type` (`enum llama_ftype`), if present.
    pub file_type: Option<u32>,
    /// Parameters (sum of tensor elements).
    pub params: u64,
    /// Bytes of tensor data.
    pub weights_bytes: u64,
    /// Bytes on disk, all parts.
    pub file_bytes: u64,
    /// Trained context length.
    pub context_length: Option<u64>,
    /// `tokenizer.chat_template`, if present.
    pub chat_template: Option<String>,
    /// Hyper-parameters for the estimate, when the header has them all.
    pub arch: Result<Architecture, String>,
    /// For `deepseek2`: the KV-cache layout (legacy files lack `key_length_mla`).
    pub mla_layout: Option<MlaLayout>,
    /// Tensor bytes grouped the way offloading groups them.
    pub split: WeightSplit,
    /// Every tensor's name, block and bytes, for the ones a launch keeps in RAM by name.
    #[serde(default)]
    pub tensors: Vec<NamedTensor>,
}

impl GgufInfo {
    /// Describes a model from the headers of its parts (part 1 first).
    pub(crate) fn from_headers(parts: &[GgufHeader]) -> Option<Self> {
        let first = parts.first()?;
        let architecture = first.architecture()?.to_owned();
        let tensors = || parts.iter().flat_map(|p| p.tensors.iter());
        let arch = architecture_of(first, parts);
        let layers = arch.as_ref().map_or(0, |a| a.layers);
        let mut split = WeightSplit::with_layers(layers);
        for t in tensors() {
            split.add(
                layer_of(&t.name),
                t.name.starts_with("token_embd."),
                t.name
                    .contains("_exps")
                    .then(|| crate::estimate::weight_copies::CopyKind::of_name(&t.name)),
                t.bytes().unwrap_or(0),
            );
        }
        let mla_layout = is_mla_architecture(&architecture).then(|| {
            if first.arch_uint("attention.key_length_mla").is_some() {
                MlaLayout::Split
            } else {
                MlaLayout::Legacy
            }
        });
        Some(Self {
            name: first.str("general.name").map(str::to_owned),
            file_type: first.uint("general.file_type").map(|f| f as u32),
            params: tensors().map(|t| t.elements()).sum(),
            weights_bytes: tensors().filter_map(|t| t.bytes()).sum(),
            file_bytes: parts.iter().map(|p| p.file_bytes).sum(),
            context_length: first.arch_uint("context_length"),
            chat_template: first.str("tokenizer.chat_template").map(str::to_owned),
            arch,
            mla_layout,
            split,
            architecture,
            tensors: tensors()
                .map(|t| NamedTensor {
                    name: t.name.clone(),
                    layer: layer_of(&t.name),
                    bytes: t.bytes().unwrap_or(0),
                })
                .collect(),
        })
    }

    /// Parameters as people write them: `7.6B`, `494.0M`.
    pub(crate) fn params_label(&self) -> String {
        format_params(self.params)
    }

    /// The context this model is estimated and launched at for `requested` tokens: capped at the
    /// length its header says it was trained for.
    pub fn context(&self, requested: u32) -> EffectiveContext {
        let native = self
            .context_length
            .map(|c| c.min(u64::from(u32::MAX)) as u32);
        effective_context(requested, native)
    }

    /// The estimate for this model at `ctx_tokens` on `hw`: weights from its own tensors, the KV
    /// cache from its own metadata (legacy MLA files get the larger legacy cache). The same for a
    /// file on disk and one on the Hub read by ranges, so a verdict before a download is the
    /// verdict after it.
    pub fn estimate(&self, ctx_tokens: u32, hw: &HardwareSnapshot) -> Option<FitReport> {
        self.estimate_with(ctx_tokens, hw, &LaunchSettings::default())
    }

    /// [`GgufInfo::estimate`] at a launch's `settings` (cache types, compute buffer, tensors kept
    /// in RAM).
    pub fn estimate_with(
        &self,
        ctx_tokens: u32,
        hw: &HardwareSnapshot,
        settings: &LaunchSettings,
    ) -> Option<FitReport> {
        let arch = self.arch.as_ref().ok()?;
        let ctx = self.context(ctx_tokens).ctx_tokens;
        let layout = self.mla_layout.unwrap_or(MlaLayout::Split);
        let mut b = breakdown_with_settings(arch, &self.split, ctx, layout, settings);
        b.weights_bytes = self.weights_bytes;
        // FitReport records a preset; a file whose type is not one of seekdeck's presets is
        // labelled F16 there and shown with its own name (`quant_label`) everywhere.
        let quant = self
            .file_type
            .and_then(Quant::from_file_type)
            .unwrap_or(Quant::F16);
        let mut report = judge(
            arch,
            &b,
            &self.split,
            quant,
            ctx,
            hw,
            settings.effective_ubatch(),
        );
        report.speed = decode_speed(report.placed(arch.layers), &self.split, arch, hw);
        let report = with_kept(report, arch, &self.split, &self.tensors, settings, hw);
        Some(with_gpus(report, arch, &self.split, settings, hw))
    }

    /// Why this model cannot be estimated (its architecture's keys are not all there), if it
    /// cannot.
    pub fn arch_problem(&self) -> Option<String> {
        self.arch.as_ref().err().map(|e| {
            format!(
                "architecture \"{}\" is not one seekdeck can estimate: {e}",
                self.architecture
            )
        })
    }

    /// The quantization's name (`Q4_K_M`, …) from `general.file_type`.
    pub fn quant_label(&self) -> String {
        self.file_type
            .map_or_else(|| "unknown quantization".to_owned(), file_type_name)
    }
}

/// Most blocks a header may claim: the largest models have a few hundred.
const MAX_BLOCKS: u64 = 4096;

/// Builds the estimator's [`Architecture`] from the metadata, or says which key is missing.
fn architecture_of(h: &GgufHeader, parts: &[GgufHeader]) -> Result<Architecture, String> {
    let arch = h.architecture().unwrap_or_default();
    let need = |suffix: &str| {
        h.arch_uint(suffix)
            .ok_or_else(|| format!("the header has no {arch}.{suffix}"))
    };
    // The estimate keeps a figure per block: a header claiming billions of blocks (found by
    // `make fuzz`: 4,294,967,229 in a 3 KB file) would have it ask for 32 GB.
    let layers = need("block_count")?;
    if layers > MAX_BLOCKS {
        return Err(format!(
            "the header claims {layers} blocks ({arch}.block_count); no model has more than {MAX_BLOCKS}"
        ));
    }
    let layers = layers as u32;
    let hidden_size = need("embedding_length")?;
    let heads = need("attention.head_count")? as u32;
    let kv_heads = h
        .arch_uint("attention.head_count_kv")
        .unwrap_or(heads.into()) as u32;
    let has_tensor = |needle: &str| {
        parts
            .iter()
            .flat_map(|p| p.tensors.iter())
            .any(|t| t.name.contains(needle))
    };
    let attention = if is_mla_architecture(arch) {
        let rope = need("rope.dimension_count")?;
        let kv_lora_rank = need("attention.kv_lora_rank")?;
        let (nope, v) = match h.arch_uint("attention.key_length_mla") {
            Some(k) => (k - rope.min(k), need("attention.value_length_mla")?),
            None => {
                let k = need("attention.key_length")?;
                (k - rope.min(k), need("attention.value_length")?)
            }
        };
        Attention::Mla {
            q_lora_rank: h.arch_uint("attention.q_lora_rank").filter(|&r| r > 0),
            kv_lora_rank,
            qk_rope_head_dim: rope,
            qk_nope_head_dim: nope,
            v_head_dim: v,
        }
    } else {
        let head_dim = h
            .arch_uint("attention.key_length")
            .unwrap_or(hidden_size / u64::from(heads.max(1)));
        if kv_heads < heads {
            Attention::Gqa { kv_heads, head_dim }
        } else {
            Attention::Mha { head_dim }
        }
    };
    let moe = h.arch_uint("expert_count").filter(|&n| n > 0).map(|n| Moe {
        routed_experts: n as u32,
        shared_experts: h.arch_uint("expert_shared_count").unwrap_or(0) as u32,
        experts_per_token: h.arch_uint("expert_used_count").unwrap_or(0) as u32,
        expert_ffn_size: h.arch_uint("expert_feed_forward_length").unwrap_or(0),
        leading_dense_layers: h.arch_uint("leading_dense_block_count").unwrap_or(0) as u32,
        router_bias: has_tensor("exp_probs_b"),
    });
    let vocab_size = h
        .arch_uint("vocab_size")
        .or_else(|| h.array_len("tokenizer.ggml.tokens"))
        .ok_or_else(|| "the header has no vocabulary".to_owned())?;
    Ok(Architecture {
        gguf_architecture: arch.to_owned(),
        layers,
        hidden_size,
        ffn_size: h.arch_uint("feed_forward_length").unwrap_or(0),
        heads,
        attention,
        moe,
        vocab_size,
        context_tokens: h.arch_uint("context_length").unwrap_or(4096) as u32,
        tied_embeddings: !has_tensor("output.weight"),
        qkv_bias: has_tensor("attn_q.bias"),
        rope_freqs: has_tensor("rope_freqs"),
        qk_norm: has_tensor("attn_q_norm"),
        indexer: h
            .arch_uint("attention.indexer.head_count")
            .map(|heads| Indexer {
                heads: heads as u32,
                head_dim: h.arch_uint("attention.indexer.key_length").unwrap_or(0),
                top_k: h.arch_uint("attention.indexer.top_k").unwrap_or(0) as u32,
            }),
    })
}

/// llama.cpp's DeepSeek architectures with multi-head latent attention: `deepseek2` (V2, V3, R1)
/// and `deepseek32` (V3.2, the same plus the sparse-attention indexer).
fn is_mla_architecture(arch: &str) -> bool {
    matches!(arch, "deepseek2" | "deepseek32")
}

/// llama.cpp's name for a `general.file_type` (`enum llama_ftype` in `include/llama.h`).
pub(crate) fn file_type_name(ft: u32) -> String {
    let name = match ft {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        other => return format!("file type {other}"),
    };
    name.to_owned()
}
