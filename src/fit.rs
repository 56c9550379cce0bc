//! Does it fit? A pure function of (model, quantization, context length, machine) → memory breakdown
//! and verdict. No I/O and no globals: the table, the card, the CLI and the tests call the same code.
//!
//! Weights are summed tensor by tensor with llama.cpp's own quantization rules ([`crate::tensors`]).
//! The KV cache follows the attention kind: MHA/GQA cache `n_kv_heads × head_dim` for K and for V per
//! layer and token; MLA (DeepSeek-V2/V3/R1) caches one compressed latent (`kv_lora_rank + rope`) and no
//! V, as llama.cpp does since PR #19067; GGUFs in the legacy layout cache full per-head K and V.
//! The compute buffer models llama.cpp's CPU graph at its default micro-batch of 512 tokens.
//! [`judge`] takes any breakdown, so a measured one (a real GGUF's tensor sizes, or llama.cpp's dry
//! run) is judged by the same rules as a computed one.

use serde::Serialize;

use crate::catalog::{Architecture, Attention, Model};
use crate::hardware::{HardwareSnapshot, GIB};
use crate::quant::{GgmlType, Quant};
use crate::tensors::{assign_types, tensor_plan, MlaLayout, TensorInfo};

/// llama.cpp rounds the context up to a multiple of this (`llama_context`, n_ctx padding).
pub const CTX_PAD_TOKENS: u64 = 256;
/// llama.cpp's default micro-batch (`n_ubatch`), which sizes the compute buffer.
pub const UBATCH_TOKENS: u64 = 512;
/// Runtime overhead beyond weights, cache and compute buffer: ggml/llama.cpp state, the output
/// buffer, allocator slack.
pub const OVERHEAD_BYTES: u64 = 300 << 20;
/// VRAM kept free on each GPU for the driver, the display and fragmentation: 512 MiB or 5%.
pub fn vram_margin_bytes(total: u64) -> u64 {
    (512 << 20).max(total / 20)
}
/// RAM kept free for the OS and the user's other programs on a live machine.
pub const RAM_HEADROOM_BYTES: u64 = GIB;
/// Share of unified memory the GPU may use (macOS's default working-set limit is about 75%).
pub const UNIFIED_GPU_SHARE: f64 = 0.75;

/// Memory the model needs, by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct MemoryBreakdown {
    /// All weights.
    pub weights_bytes: u64,
    /// KV cache at the chosen context.
    pub kv_cache_bytes: u64,
    /// Compute (activation) buffer.
    pub compute_bytes: u64,
    /// Fixed runtime overhead.
    pub overhead_bytes: u64,
}

impl MemoryBreakdown {
    /// Sum of all parts.
    pub fn total_bytes(&self) -> u64 {
        self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes
    }
}

/// Weight bytes of one model at one quantization, split the way offloading splits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct WeightSplit {
    /// Per block (layer) bytes.
    pub layer_bytes: Vec<u64>,
    /// Routed-expert bytes per block (part of `layer_bytes`).
    pub expert_bytes: Vec<u64>,
    /// Token embeddings (kept in system RAM by llama.cpp).
    pub token_embd_bytes: u64,
    /// Output head and final norm (offloaded with the last layer).
    pub output_bytes: u64,
}

impl WeightSplit {
    /// All weight bytes.
    pub fn total_bytes(&self) -> u64 {
        self.layer_bytes.iter().sum::<u64>() + self.token_embd_bytes + self.output_bytes
    }
    /// All routed-expert bytes.
    pub fn total_expert_bytes(&self) -> u64 {
        self.expert_bytes.iter().sum()
    }
}

/// The verdict for one model on one machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Verdict {
    /// Everything fits in VRAM.
    FitsGpu,
    /// Some layers on the GPU, the rest in RAM.
    PartialOffload {
        /// Layers to put on the GPU (`-ngl`).
        gpu_layers: u32,
        /// Layers of the model.
        total_layers: u32,
    },
    /// No usable GPU, but it fits in RAM.
    CpuOnly,
    /// Larger than VRAM and RAM together.
    TooLarge,
    /// The machine could not be read.
    Unknown,
}

impl Verdict {
    /// The verdict in words, as every coloured cell shows it.
    pub fn label(&self) -> String {
        match self {
            Self::FitsGpu => "fits on GPU".to_owned(),
            Self::PartialOffload { gpu_layers, total_layers } => {
                format!("partial offload ({gpu_layers}/{total_layers} layers on GPU)")
            }
            Self::CpuOnly => "CPU only".to_owned(),
            Self::TooLarge => "too large".to_owned(),
            Self::Unknown => "unknown".to_owned(),
        }
    }

    /// Short form for narrow cells.
    pub fn short_label(&self) -> &'static str {
        match self {
            Self::FitsGpu => "fits on GPU",
            Self::PartialOffload { .. } => "partial offload",
            Self::CpuOnly => "CPU only",
            Self::TooLarge => "too large",
            Self::Unknown => "unknown",
        }
    }

    /// Rank for sorting: better fits first.
    pub fn rank(&self) -> u8 {
        match self {
            Self::FitsGpu => 0,
            Self::PartialOffload { .. } => 1,
            Self::CpuOnly => 2,
            Self::TooLarge => 3,
            Self::Unknown => 4,
        }
    }
}

/// MoE alternative: attention and shared experts on the GPU, routed experts in RAM (`--cpu-moe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ExpertsInRam {
    /// VRAM needed with every routed expert in RAM.
    pub vram_bytes: u64,
    /// RAM needed for the routed experts and token embeddings.
    pub ram_bytes: u64,
    /// Whether this machine can do it.
    pub fits: bool,
}

/// The full answer for one (model, quantization, context, machine).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    /// Quantization estimated.
    pub quant: Quant,
    /// Context length asked for.
    pub ctx_tokens: u32,
    /// Memory by part.
    pub breakdown: MemoryBreakdown,
    /// The verdict.
    pub verdict: Verdict,
    /// For MoE models: the experts-in-RAM option.
    pub experts_in_ram: Option<ExpertsInRam>,
    /// VRAM usable after the safety margin.
    pub vram_budget_bytes: u64,
    /// RAM usable after headroom.
    pub ram_budget_bytes: u64,
    /// Suggested VRAM use for the verdict (GPU part).
    pub gpu_bytes: u64,
    /// Suggested RAM use for the verdict (CPU part).
    pub cpu_bytes: u64,
}

/// Weights of `arch` at `quant`, tensor by tensor.
pub fn weight_split(arch: &Architecture, quant: Quant, layout: MlaLayout) -> WeightSplit {
    let plan = tensor_plan(arch, layout);
    let types = assign_types(&plan, arch, quant);
    split_from_tensors(arch.layers, plan.iter().zip(types.iter().copied()))
}

/// Groups tensor sizes by layer (also used for real GGUF tensor lists).
pub fn split_from_tensors<'a>(
    layers: u32,
    tensors: impl Iterator<Item = (&'a TensorInfo, GgmlType)>,
) -> WeightSplit {
    let mut split = WeightSplit {
        layer_bytes: vec![0; layers as usize],
        expert_bytes: vec![0; layers as usize],
        ..WeightSplit::default()
    };
    for (t, ty) in tensors {
        let bytes = ty.bytes_for(t.elements());
        match t.layer {
            Some(l) if (l as usize) < split.layer_bytes.len() => {
                split.layer_bytes[l as usize] += bytes;
                if t.kind.is_routed_expert() {
                    split.expert_bytes[l as usize] += bytes;
                }
            }
            _ if t.kind == crate::tensors::TensorKind::TokenEmbd => split.token_embd_bytes += bytes,
            _ => split.output_bytes += bytes,
        }
    }
    split
}

/// KV cache bytes for `ctx_tokens` (f16 cache, llama.cpp's default).
pub fn kv_cache_bytes(arch: &Architecture, ctx_tokens: u32, layout: MlaLayout) -> u64 {
    let ctx = u64::from(ctx_tokens).div_ceil(CTX_PAD_TOKENS) * CTX_PAD_TOKENS;
    let per_token_layer_elems = match arch.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => 2 * u64::from(arch.kv_heads()) * head_dim,
        Attention::Mla { kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, v_head_dim, .. } => match layout {
            // One latent row (kv_lora + rope) per token and layer; V is a view of it.
            MlaLayout::Split => kv_lora_rank + qk_rope_head_dim,
            // Decompressed per-head keys and values.
            MlaLayout::Legacy => u64::from(arch.heads) * (qk_nope_head_dim + qk_rope_head_dim + v_head_dim),
        },
    };
    u64::from(arch.layers) * ctx * per_token_layer_elems * 2
}

/// llama.cpp's CPU compute buffer at the default micro-batch: the larger of the output stage
/// (f32 logits for every token of the micro-batch plus the last hidden state) and one block's
/// activations (attention projections with flash attention, and the widest feed-forward).
pub fn compute_buffer_bytes(arch: &Architecture, ctx_tokens: u32) -> u64 {
    let u = UBATCH_TOKENS.min(u64::from(ctx_tokens).max(1));
    let f32b = 4;
    let n_embd = arch.hidden_size;
    let output_stage = u * (arch.vocab_size + 2 * n_embd) * f32b;
    let ffn_width = match arch.moe {
        Some(m) => (m.expert_ffn_size * u64::from(m.experts_per_token + m.shared_experts)).max(arch.ffn_size),
        None => arch.ffn_size,
    };
    let attn_width = match arch.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => {
            u64::from(arch.heads) * head_dim + 2 * u64::from(arch.kv_heads()) * head_dim
        }
        Attention::Mla { kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim, .. } => {
            u64::from(arch.heads) * (kv_lora_rank + qk_rope_head_dim + qk_nope_head_dim)
        }
    };
    let block_stage = u * (3 * n_embd + 2 * ffn_width + attn_width) * f32b;
    output_stage.max(block_stage)
}

/// Memory breakdown without a machine.
pub fn breakdown(model: &Model, quant: Quant, ctx_tokens: u32) -> (MemoryBreakdown, WeightSplit) {
    let arch = &model.architecture;
    let split = weight_split(arch, quant, MlaLayout::Split);
    let b = MemoryBreakdown {
        weights_bytes: split.total_bytes(),
        kv_cache_bytes: kv_cache_bytes(arch, ctx_tokens, MlaLayout::Split),
        compute_bytes: compute_buffer_bytes(arch, ctx_tokens),
        overhead_bytes: OVERHEAD_BYTES,
    };
    (b, split)
}

/// The estimate and verdict for one model on one machine.
pub fn estimate(model: &Model, quant: Quant, ctx_tokens: u32, hw: &HardwareSnapshot) -> FitReport {
    let (b, split) = breakdown(model, quant, ctx_tokens);
    judge(model.architecture.layers, &b, &split, model.is_moe(), quant, ctx_tokens, hw)
}

/// Budgets of a machine: (VRAM usable, RAM usable).
pub fn budgets(hw: &HardwareSnapshot) -> (u64, u64) {
    let ram = hw.ram.as_ref().map_or(0, |r| {
        let headroom = if hw.simulated.is_some() { 0 } else { RAM_HEADROOM_BYTES };
        r.available_bytes.saturating_sub(headroom)
    });
    let vram: u64 = hw
        .gpus
        .iter()
        .map(|g| {
            if g.unified {
                ((g.total_bytes as f64 * UNIFIED_GPU_SHARE) as u64).min(ram)
            } else {
                g.free_bytes().saturating_sub(vram_margin_bytes(g.total_bytes))
            }
        })
        .sum();
    (vram, ram)
}

/// Turns a breakdown into a verdict for a machine.
pub fn judge(
    layers: u32,
    b: &MemoryBreakdown,
    split: &WeightSplit,
    is_moe: bool,
    quant: Quant,
    ctx_tokens: u32,
    hw: &HardwareSnapshot,
) -> FitReport {
    let (vram, ram) = budgets(hw);
    let unified = hw.is_unified();
    let total = b.total_bytes();
    let mut report = FitReport {
        quant,
        ctx_tokens,
        breakdown: *b,
        verdict: Verdict::Unknown,
        experts_in_ram: None,
        vram_budget_bytes: vram,
        ram_budget_bytes: ram,
        gpu_bytes: 0,
        cpu_bytes: 0,
    };
    if hw.ram.is_none() {
        return report;
    }
    let kv_per_layer = b.kv_cache_bytes / u64::from(layers.max(1));
    // On a GPU machine the compute buffer and overhead live on the GPU; the CPU keeps a smaller one.
    let gpu_fixed = b.compute_bytes + b.overhead_bytes;
    let gpu_need_all = total - split.token_embd_bytes;
    if !hw.gpus.is_empty() && gpu_need_all <= vram {
        report.verdict = Verdict::FitsGpu;
        report.gpu_bytes = gpu_need_all;
        report.cpu_bytes = split.token_embd_bytes;
    } else {
        let n = gpu_layers_within(vram.saturating_sub(gpu_fixed), &split.layer_bytes, kv_per_layer);
        // With unified memory, the GPU's share comes out of the same RAM.
        let offloaded = &split.layer_bytes[split.layer_bytes.len() - n as usize..];
        let gpu_part = if n > 0 { gpu_fixed + layer_sum(offloaded, kv_per_layer) } else { 0 };
        let cpu_part = total - gpu_part.min(total);
        let ram_for_cpu = if unified { ram.saturating_sub(gpu_part) } else { ram };
        if n > 0 && cpu_part <= ram_for_cpu {
            report.verdict = Verdict::PartialOffload { gpu_layers: n, total_layers: layers };
            report.gpu_bytes = gpu_part;
            report.cpu_bytes = cpu_part;
        } else if total <= ram {
            report.verdict = Verdict::CpuOnly;
            report.cpu_bytes = total;
        } else {
            report.verdict = Verdict::TooLarge;
        }
    }
    if is_moe && !hw.gpus.is_empty() {
        let experts = split.total_expert_bytes();
        let vram_bytes = total - experts - split.token_embd_bytes;
        let ram_bytes = experts + split.token_embd_bytes;
        let fits = vram_bytes <= vram && if unified { ram_bytes + vram_bytes <= ram } else { ram_bytes <= ram };
        report.experts_in_ram = Some(ExpertsInRam { vram_bytes, ram_bytes, fits });
    }
    report
}

fn layer_sum(layer_bytes: &[u64], kv_per_layer: u64) -> u64 {
    layer_bytes.iter().map(|l| l + kv_per_layer).sum()
}

/// How many layers fit into `budget` bytes, counted from the last layer as llama.cpp offloads them
/// (`-ngl n` puts the last `n` blocks on the GPU).
pub fn gpu_layers_within(budget: u64, layer_bytes: &[u64], kv_per_layer: u64) -> u32 {
    let mut used = 0u64;
    let mut n = 0u32;
    for l in layer_bytes.iter().rev() {
        let need = l + kv_per_layer;
        if used + need > budget {
            break;
        }
        used += need;
        n += 1;
    }
    n
}

/// Context lengths offered for a model: powers of two from 2K up to its native maximum.
pub fn context_presets(max_ctx: u32) -> Vec<u32> {
    let mut out: Vec<u32> = (11..=20).map(|p| 1u32 << p).filter(|&c| c <= max_ctx).collect();
    if out.last() != Some(&max_ctx) {
        out.push(max_ctx);
    }
    out
}

/// Bytes as GiB with one decimal.
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / GIB as f64)
}
