//! The weight forms vLLM and SGLang serve a DeepSeek model in (the original checkpoint, a BF16
//! upcast, FP8 quantized on load, INT8, AWQ, W4A8, NVFP4), where each is published, which engine
//! and GPU run it, and the bytes each tensor takes on one GPU of a layout.

use super::layout::Layout;
use crate::catalog::{Model, OriginalDtype};
use crate::estimate::tensors::{tensor_plan, MlaLayout, TensorInfo, TensorKind};
use crate::hardware::server_spec::GpuGeneration;

/// FP8 and INT8 block quantization's block edge (`weight_block_size: [128, 128]`), also AWQ's
/// group size: a GPU's slice of a quantized dimension must be a whole number of them.
pub const QUANT_BLOCK: u64 = 128;

/// How the weights are stored on the GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum WeightForm {
    /// The original checkpoint as published (FP8 blocks for V3/R1, BF16 for the rest).
    Original,
    /// BF16 everywhere (V3/R1 upcast from FP8; the original for the others).
    Bf16,
    /// A BF16 checkpoint quantized to FP8 by the engine while loading (`--quantization fp8`):
    /// one byte per weight and one scale per tensor.
    Fp8OnLoad,
    /// INT8 weights and activations, one f32 scale per output channel (meituan's R1 INT8).
    Int8,
    /// AWQ: 4-bit weights in groups of 128 with an FP16 scale and a 4-bit zero each.
    Awq,
    /// W4A8: routed experts in 4-bit groups of 128, the rest FP8 blocks (SGLang, Hopper).
    W4a8,
    /// NVFP4: routed experts in FP4 with an FP8 scale per 16 weights, the rest FP8 blocks
    /// (Blackwell).
    Nvfp4,
}

impl WeightForm {
    /// Every form, in the order the planner lists them.
    pub const ALL: [Self; 7] = [
        Self::Original,
        Self::Bf16,
        Self::Fp8OnLoad,
        Self::Int8,
        Self::Awq,
        Self::W4a8,
        Self::Nvfp4,
    ];

    /// The `--dtype` word of `seekdeck plan`.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Bf16 => "bf16",
            Self::Fp8OnLoad => "fp8",
            Self::Int8 => "int8",
            Self::Awq => "awq",
            Self::W4a8 => "w4a8",
            Self::Nvfp4 => "nvfp4",
        }
    }

    /// Parses a `--dtype` word.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.flag().eq_ignore_ascii_case(word.trim()))
    }

    /// A short name for tables.
    pub fn label(self, model: &Model) -> &'static str {
        match (self, model.original_dtype) {
            (Self::Original, OriginalDtype::Fp8Block) => "FP8 (original)",
            (Self::Original, OriginalDtype::Bf16) => "BF16 (original)",
            (Self::Bf16, _) => "BF16",
            (Self::Fp8OnLoad, _) => "FP8 (quantized on load)",
            (Self::Int8, _) => "INT8 W8A8",
            (Self::Awq, _) => "AWQ W4A16",
            (Self::W4a8, _) => "W4A8",
            (Self::Nvfp4, _) => "NVFP4",
        }
    }
}

/// A published checkpoint of one form of one model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checkpoint {
    /// The form.
    pub form: WeightForm,
    /// What the engines load: a Hugging Face repository, or a local directory a listed step
    /// writes.
    pub path: String,
    /// A step to run before serving (a conversion), if any.
    pub prepare: Option<String>,
    /// Where the checkpoint is named.
    pub source: &'static str,
    /// Engines' `--quantization` value it needs, if they do not read it from the config.
    pub sglang_quantization: Option<&'static str>,
}

/// Quantized checkpoints of the V3/R1 family that the engines' own documents name: `(model id,
/// form, repository, source, SGLang's --quantization)`.
const PUBLISHED: &[(&str, WeightForm, &str, &str, Option<&str>)] = &[
    (
        "deepseek-r1-0528",
        WeightForm::Bf16,
        "unsloth/DeepSeek-R1-0528-BF16",
        "SGLang docs, basic_usage/deepseek_v3 (hardware table)",
        None,
    ),
    (
        "deepseek-r1",
        WeightForm::Int8,
        "meituan/DeepSeek-R1-Channel-INT8",
        "SGLang benchmark/deepseek_v3/README.md (16× A100, 32× L40S)",
        Some("w8a8_int8"),
    ),
    (
        "deepseek-r1-0528",
        WeightForm::W4a8,
        "novita/Deepseek-R1-0528-W4AFP8",
        "SGLang docs, basic_usage/deepseek_v3 (hardware table)",
        None,
    ),
    (
        "deepseek-r1",
        WeightForm::Awq,
        "cognitivecomputations/DeepSeek-R1-AWQ",
        "SGLang benchmark/deepseek_v3/README.md (8× A100 with AWQ)",
        Some("moe_wna16"),
    ),
    (
        "deepseek-r1-0528",
        WeightForm::Awq,
        "QuixiAI/DeepSeek-R1-0528-AWQ",
        "SGLang docs, basic_usage/deepseek_v3 (hardware table)",
        Some("moe_wna16"),
    ),
    (
        "deepseek-v3",
        WeightForm::Awq,
        "cognitivecomputations/DeepSeek-V3-AWQ",
        "huggingface.co/cognitivecomputations/DeepSeek-V3-AWQ (vLLM on 8× 80 GB)",
        Some("moe_wna16"),
    ),
    (
        "deepseek-r1-0528",
        WeightForm::Nvfp4,
        "nvidia/DeepSeek-R1-0528-NVFP4-v2",
        "SGLang docs, basic_usage/deepseek_v3 (hardware table)",
        Some("modelopt_fp4"),
    ),
];

/// The checkpoint of `form` for `model`, or why there is none.
pub fn checkpoint(model: &Model, form: WeightForm) -> Result<Checkpoint, String> {
    let fp8_original = model.original_dtype == OriginalDtype::Fp8Block;
    let published = PUBLISHED
        .iter()
        .find(|(id, f, ..)| *id == model.id && *f == form)
        .map(|(_, f, repo, source, q)| Checkpoint {
            form: *f,
            path: (*repo).to_owned(),
            prepare: None,
            source,
            sglang_quantization: *q,
        });
    let original = |form| Checkpoint {
        form,
        path: model.weights_repo.clone(),
        prepare: None,
        source: "the model's own repository",
        sglang_quantization: None,
    };
    match form {
        WeightForm::Original => Ok(original(form)),
        WeightForm::Bf16 if !fp8_original => Ok(original(form)),
        WeightForm::Bf16 => Ok(published.unwrap_or_else(|| {
            let dir = format!("./{}-BF16", model.name);
            Checkpoint {
                form,
                prepare: Some(format!(
                    "python3 fp8_cast_bf16.py --input-fp8-hf-path <download of {}> --output-bf16-hf-path {dir}   # from github.com/deepseek-ai/DeepSeek-V3, inference/",
                    model.weights_repo
                )),
                path: dir,
                source: "SGLang benchmark/deepseek_v3/README.md (4 nodes × 8× A100: convert with DeepSeek's fp8_cast_bf16.py)",
                sglang_quantization: None,
            }
        })),
        WeightForm::Fp8OnLoad if fp8_original => Err(format!(
            "{} is FP8 already: serve the original (the engines must not quantize it again)",
            model.name
        )),
        WeightForm::Fp8OnLoad => Ok(Checkpoint {
            sglang_quantization: Some("fp8"),
            source: "vLLM and SGLang `--quantization fp8` (dynamic FP8 of a BF16 checkpoint)",
            ..original(form)
        }),
        _ => published.ok_or_else(|| {
            format!(
                "no {} checkpoint of {} is named by the engines' documents",
                form.label(model),
                model.name
            )
        }),
    }
}

/// Why `gpu` cannot run `form` on `engine`, if it cannot.
pub fn unsupported(
    form: WeightForm,
    model: &Model,
    gpu: GpuGeneration,
    sglang: bool,
) -> Option<String> {
    let fp8_weights = matches!(
        form,
        WeightForm::Fp8OnLoad | WeightForm::W4a8 | WeightForm::Nvfp4
    ) || (form == WeightForm::Original
        && model.original_dtype == OriginalDtype::Fp8Block);
    if form == WeightForm::Fp8OnLoad && !gpu.has_fp8() && !sglang {
        // vLLM runs FP8 weights on Ampere as weight-only FP8 through its Marlin kernels
        // (vLLM docs, quantization/fp8).
        return None;
    }
    if fp8_weights && !gpu.has_fp8() {
        return Some("FP8 weights need FP8 units (Ada, Hopper, Blackwell or MI300X); Ampere runs these models as BF16, INT8 or AWQ (SGLang's DeepSeek table)".into());
    }
    match form {
        WeightForm::W4a8 if !sglang => Some("W4A8 (W4AFP8) is an SGLang kernel".into()),
        WeightForm::W4a8 if gpu != GpuGeneration::Hopper => {
            Some("W4A8's kernels are written for Hopper (SGLang: 8× H20/H100, 4× H200)".into())
        }
        WeightForm::Int8 if !sglang => Some(
            "meituan's channel INT8 checkpoint is served by SGLang (`--quantization w8a8_int8`)"
                .into(),
        ),
        WeightForm::Int8 | WeightForm::Awq if !gpu.is_nvidia() => {
            Some("INT8 W8A8 and AWQ's Marlin kernels are CUDA-only".into())
        }
        WeightForm::Nvfp4 if gpu != GpuGeneration::Blackwell => {
            Some("NVFP4 needs Blackwell's FP4 units (B200)".into())
        }
        _ => None,
    }
}

/// What a tensor is to tensor parallelism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shard {
    /// Whole on every GPU.
    Replicated,
    /// Split by the attention's tensor-parallel size (heads, or the input of `attn_output`).
    Attention,
    /// Split like a dense feed-forward layer (shared experts too).
    Dense,
    /// Routed experts: split by tensor parallelism, or whole experts per GPU under expert
    /// parallelism.
    Experts,
    /// Token embedding or output layer: split across the vocabulary.
    Vocab,
}

fn shard(kind: TensorKind) -> Shard {
    use TensorKind as K;
    match kind {
        K::TokenEmbd | K::Output => Shard::Vocab,
        K::AttnQ | K::AttnK | K::AttnV | K::AttnQBias | K::AttnKBias | K::AttnVBias => {
            Shard::Attention
        }
        K::AttnOutput | K::AttnQB | K::AttnKB | K::AttnVB | K::AttnKvB => Shard::Attention,
        K::FfnGate | K::FfnUp | K::FfnDown => Shard::Dense,
        K::FfnGateShexp | K::FfnUpShexp | K::FfnDownShexp => Shard::Dense,
        K::FfnGateExps | K::FfnUpExps | K::FfnDownExps => Shard::Experts,
        // MLA's down-projections (q_a, kv_a), norms, the router and the indexer are small and
        // kept whole on every GPU (vLLM's and SGLang's ReplicatedLinear).
        _ => Shard::Replicated,
    }
}

/// Whether a tensor is one of the linear layers a quantized checkpoint quantizes.
fn is_linear(kind: TensorKind) -> bool {
    use TensorKind as K;
    !matches!(
        kind,
        K::TokenEmbd
            | K::Output
            | K::FfnGateInp
            | K::ExpProbsB
            | K::RopeFreqs
            | K::AttnQBias
            | K::AttnKBias
            | K::AttnVBias
    ) && !kind.stem().contains("norm")
}

/// Bytes of one GPU's slice of a tensor, `[ne0 (input), ne1 (output), ne2 (experts or
/// heads)]`, in `form`: FP8 and INT8 blocks carry one f32 scale per 128 × 128 block, channel
/// INT8 one per output, AWQ an FP16 scale and a 4-bit zero per 128 inputs, W4A8 a BF16 scale
/// per 128 inputs, NVFP4 an FP8 scale per 16 inputs.
fn bytes_of(form: WeightForm, model: &Model, kind: TensorKind, [i, o, n]: [u64; 3]) -> u64 {
    let elements = i * o * n;
    if kind == TensorKind::ExpProbsB {
        return elements * 4;
    }
    if !is_linear(kind) {
        return elements * 2;
    }
    let experts = matches!(
        kind,
        TensorKind::FfnGateExps | TensorKind::FfnUpExps | TensorKind::FfnDownExps
    );
    let groups = |size: u64| i.div_ceil(size) * o * n;
    let fp8_block = elements + i.div_ceil(QUANT_BLOCK) * o.div_ceil(QUANT_BLOCK) * n * 4;
    match form {
        WeightForm::Original if model.original_dtype == OriginalDtype::Fp8Block => fp8_block,
        WeightForm::Original | WeightForm::Bf16 => elements * 2,
        WeightForm::Fp8OnLoad => elements,
        WeightForm::Int8 => elements + o * n * 4,
        WeightForm::Awq => elements / 2 + groups(QUANT_BLOCK) * 5 / 2,
        WeightForm::W4a8 if experts => elements / 2 + groups(QUANT_BLOCK) * 2,
        WeightForm::Nvfp4 if experts => elements / 2 + groups(16),
        WeightForm::W4a8 | WeightForm::Nvfp4 => fp8_block,
    }
}

/// One GPU's weights, by part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WeightShare {
    /// Attention (its split and its replicated projections) and norms.
    pub attention: u64,
    /// Dense feed-forward layers and shared experts.
    pub dense: u64,
    /// This GPU's routed experts.
    pub experts: u64,
    /// Its part of the token embedding and output layer.
    pub vocab: u64,
    /// The router, MLA's down-projections, norms: whole on every GPU.
    pub replicated: u64,
    /// The BF16 copies of MLA's key/value up-projection both engines make for weight
    /// absorption (`w_kc`/`w_vc`, `W_UK_T`/`W_UV`).
    pub absorbed_mla: u64,
}

impl WeightShare {
    /// Every part.
    pub fn total(&self) -> u64 {
        self.attention
            + self.dense
            + self.experts
            + self.vocab
            + self.replicated
            + self.absorbed_mla
    }
}

/// The weights of one GPU of pipeline stage `stage` of `layout` (the first stage holds the
/// token embedding, the last the output layer).
pub fn weight_share(model: &Model, form: WeightForm, layout: &Layout, stage: u32) -> WeightShare {
    let arch = &model.architecture;
    let layers = layout.stage_layers(arch.layers, stage);
    let first = stage == 0;
    let last = stage + 1 == layout.pp.max(1);
    let mut share = WeightShare::default();
    for t in tensor_plan(arch, MlaLayout::Split) {
        let keep = match (t.layer, t.kind) {
            (Some(l), _) => layers.contains(&l),
            (None, TensorKind::TokenEmbd) => first,
            (None, _) => last,
        };
        // llama.cpp's `rope_freqs` is computed, not stored, by the engines.
        if keep && t.kind != TensorKind::RopeFreqs {
            add_tensor(&mut share, model, form, layout, &t);
        }
    }
    share.absorbed_mla = absorbed_mla_bytes(model, layout) * layers.len() as u64;
    share
}

fn add_tensor(
    share: &mut WeightShare,
    model: &Model,
    form: WeightForm,
    layout: &Layout,
    t: &TensorInfo,
) {
    let arch = &model.architecture;
    let [mut i, mut o, mut n] = t.ne;
    // Row-parallel layers split their input (ggml's ne[0]); MLA's per-head up-projections
    // split their heads (ne[2]); the rest split their output (ne[1]).
    let row_parallel = matches!(
        t.kind,
        TensorKind::AttnOutput
            | TensorKind::FfnDown
            | TensorKind::FfnDownShexp
            | TensorKind::FfnDownExps
    );
    let per_head = matches!(t.kind, TensorKind::AttnKB | TensorKind::AttnVB);
    let (by, slot): (u32, &mut u64) = match shard(t.kind) {
        Shard::Replicated => (1, &mut share.replicated),
        Shard::Attention => {
            let kv = matches!(
                t.kind,
                TensorKind::AttnK
                    | TensorKind::AttnV
                    | TensorKind::AttnKBias
                    | TensorKind::AttnVBias
            );
            // Key/value heads split while there are enough, else each GPU keeps one.
            let by = if kv {
                layout.attn_tp.min(arch.kv_heads())
            } else {
                layout.attn_tp
            };
            (by, &mut share.attention)
        }
        Shard::Dense => (layout.moe_tp(), &mut share.dense),
        Shard::Experts if layout.ep > 1 => {
            n = n.div_ceil(u64::from(layout.ep));
            (1, &mut share.experts)
        }
        Shard::Experts => (layout.moe_tp(), &mut share.experts),
        Shard::Vocab => (layout.vocab_split(t.kind), &mut share.vocab),
    };
    let by = u64::from(by.max(1));
    if per_head {
        n = n.div_ceil(by);
    } else if row_parallel {
        i = i.div_ceil(by);
    } else {
        o = o.div_ceil(by);
    }
    *slot += bytes_of(form, model, t.kind, [i, o, n]);
}

/// One layer's BF16 copies of MLA's absorbed key and value up-projections on one GPU:
/// `heads/tp × (nope × kv_lora + kv_lora × v_head) × 2` bytes (0 without MLA).
fn absorbed_mla_bytes(model: &Model, layout: &Layout) -> u64 {
    match model.architecture.attention {
        crate::catalog::Attention::Mla {
            kv_lora_rank,
            qk_nope_head_dim,
            v_head_dim,
            ..
        } => {
            let heads = u64::from(model.architecture.heads).div_ceil(u64::from(layout.attn_tp));
            heads * kv_lora_rank * (qk_nope_head_dim + v_head_dim) * 2
        }
        _ => 0,
    }
}
