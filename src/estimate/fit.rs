//! Does it fit? A pure function of (model, quantization, context length, machine) → memory breakdown
//! and verdict. No I/O and no globals: the table, the card, the CLI and the tests call the same code.
//!
//! Weights are summed tensor by tensor with llama.cpp's own quantization rules ([`crate::estimate::tensors`]).
//! The KV cache follows the attention kind: MHA/GQA cache `n_kv_heads × head_dim` for K and for V per
//! layer and token; MLA (DeepSeek-V2/V3/R1) caches one compressed latent (`kv_lora_rank + rope`) and no
//! V, as llama.cpp does since PR #19067; GGUFs in the legacy layout cache full per-head K and V.
//! The compute buffer models llama.cpp's CPU graph at its default micro-batch of 512 tokens.
//! [`judge`] takes any breakdown, so a measured one (a real GGUF's tensor sizes, or llama.cpp's dry
//! run) is judged by the same rules as a computed one.

use serde::Serialize;

use super::cluster::DeviceShare;
use super::compute_buffer::compute_bytes;
use super::gpus::OnGpus;
use super::kept_in_ram::{catalog_tensors, kept_in_ram, NamedTensor};
use super::launch_settings::{LaunchSettings, MoeOffload};
pub(crate) use super::memory::{budgets, in_ram_figures};
pub use super::memory::{ExpertsInRam, MemoryBreakdown, WeightSplit};
use super::moe_layers::{best_n, n_cpu_moe_rows};
use super::weight_copies::{copies_growth, gpu_buffer_chunk, CopyKind};
use crate::catalog::{Architecture, Model};
use crate::estimate::placement::{Offload, Placement, SplitLimits, OVERHEAD_BYTES};
use crate::estimate::quant::{GgmlType, Quant};
use crate::estimate::speed::{decode_speed, NoSpeed, SpeedEstimate};
use crate::estimate::tensors::{assign_types, tensor_plan, MlaLayout, TensorInfo};
use crate::hardware::HardwareSnapshot;

pub(crate) use super::compute_buffer::CTX_PAD_TOKENS;
/// The verdict for one model on one machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Verdict {
    /// Everything fits in VRAM.
    FitsGpu,
    /// Some layers on the GPU, the rest in RAM.
    PartialOffload {
        /// Layers to put on the GPU (`-ngl`), the output layer counted as one, as llama.cpp does.
        gpu_layers: u32,
        /// Layers llama.cpp can offload: the blocks plus the output layer.
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
    pub(crate) fn label(&self) -> String {
        match self {
            Self::FitsGpu => "fits on GPU".to_owned(),
            Self::PartialOffload {
                gpu_layers,
                total_layers,
            } => {
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
    pub(crate) fn rank(&self) -> u8 {
        match self {
            Self::FitsGpu => 0,
            Self::PartialOffload { .. } => 1,
            Self::CpuOnly => 2,
            Self::TooLarge => 3,
            Self::Unknown => 4,
        }
    }
}

/// The placement a launch's settings ask for: every layer offloaded, with the tensors they keep
/// in RAM there (`--cpu-moe`, `--n-cpu-moe N`, `--override-tensor …=CPU`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeptPlacement {
    /// What llama.cpp is told.
    pub offload: Offload,
    /// VRAM it needs: everything but the token embeddings and the kept tensors, plus the GPU
    /// copies of the kept weights for prompt batches.
    pub vram_bytes: u64,
    /// RAM it needs: the token embeddings and the kept tensors.
    pub ram_bytes: u64,
    /// Of which kept by the settings.
    pub kept_bytes: u64,
    /// Whether this machine holds it.
    pub fits: bool,
    /// Tensors each `--override-tensor` matched, in order (0: it matches nothing).
    pub matched: Vec<usize>,
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
    /// Where the model fits on this machine, if at all.
    pub verdict: Verdict,
    /// For MoE models: the experts-in-RAM option.
    pub experts_in_ram: Option<ExpertsInRam>,
    /// For MoE models on a GPU machine: the `--n-cpu-moe N` that fits best (the smallest that
    /// fits: the most experts on the GPU), if any does.
    pub best_n_cpu_moe: Option<u32>,
    /// VRAM usable after the safety margin.
    pub vram_budget_bytes: u64,
    /// RAM usable after headroom.
    pub ram_budget_bytes: u64,
    /// Suggested VRAM use for the verdict (GPU part).
    pub gpu_bytes: u64,
    /// Suggested RAM use for the verdict (CPU part).
    pub cpu_bytes: u64,
    /// How fast it would write with this placement, from memory bandwidth; or why unknown.
    pub speed: Result<SpeedEstimate, NoSpeed>,
    /// The placement the launch settings ask for, when they keep tensors in RAM.
    pub kept: Option<KeptPlacement>,
    /// On a PC with several GPUs: each card's part of the placement (llama.cpp's layer split).
    pub gpus: Vec<DeviceShare>,
}

impl FitReport {
    /// Where the model runs, if it runs at all (not too large, not unknown).
    pub(crate) fn placed(&self, layers: u32) -> Option<Offload> {
        (!matches!(self.verdict, Verdict::TooLarge | Verdict::Unknown))
            .then(|| self.offload(layers))
    }

    /// The placement to launch with, for a model of `layers` blocks: everything on the GPU when it
    /// fits; for an MoE model that does not, every layer on the GPU with the routed experts in RAM
    /// when that fits (attention and shared experts run on the GPU, which is faster than moving
    /// whole layers); else the suggested `-ngl`; else the CPU.
    pub fn offload(&self, layers: u32) -> Offload {
        let all = layers + 1;
        if let Some(k) = &self.kept {
            return k.offload;
        }
        match self.verdict {
            Verdict::FitsGpu => Offload {
                gpu_layers: all,
                ..Offload::default()
            },
            _ if self.experts_in_ram.is_some_and(|e| e.fits) => match self.best_n_cpu_moe {
                // Only the experts of the first N blocks in RAM: the rest run on the GPU.
                Some(n) if n < layers => Offload {
                    gpu_layers: all,
                    n_cpu_moe: n,
                    ..Offload::default()
                },
                _ => Offload {
                    gpu_layers: all,
                    cpu_moe: true,
                    ..Offload::default()
                },
            },
            Verdict::PartialOffload { gpu_layers, .. } => Offload {
                gpu_layers,
                ..Offload::default()
            },
            _ => Offload::default(),
        }
    }

    /// The placement a launch uses for a model of `layers` blocks: [`FitReport::offload`], held by
    /// llama.cpp's dry runs to this report's VRAM budget (none without usable VRAM).
    pub fn placement(&self, layers: u32) -> Placement {
        Placement {
            offload: self.offload(layers),
            split_limits: (self.vram_budget_bytes > 0).then_some(SplitLimits {
                vram_budget_bytes: self.vram_budget_bytes,
                max_layers: layers + 1,
            }),
        }
    }
}

/// Weights of `arch` at `quant`, tensor by tensor.
pub fn weight_split(arch: &Architecture, quant: Quant, layout: MlaLayout) -> WeightSplit {
    let plan = tensor_plan(arch, layout);
    let types = assign_types(&plan, arch, quant);
    split_from_tensors(arch.layers, plan.iter().zip(types.iter().copied()))
}

/// Groups tensor sizes by layer (also used for real GGUF tensor lists).
pub(crate) fn split_from_tensors<'a>(
    layers: u32,
    tensors: impl Iterator<Item = (&'a TensorInfo, GgmlType)>,
) -> WeightSplit {
    let mut split = WeightSplit::with_layers(layers);
    for (t, ty) in tensors {
        split.add(
            t.layer,
            t.kind == crate::estimate::tensors::TensorKind::TokenEmbd,
            t.kind
                .is_routed_expert()
                .then(|| CopyKind::of_name(&t.name())),
            ty.bytes_for(t.elements()),
        );
    }
    split
}

/// KV cache bytes for `ctx_tokens` (f16 cache, llama.cpp's default; other types:
/// [`crate::estimate::kv_cache::cache_bytes`]).
pub fn kv_cache_bytes(arch: &Architecture, ctx_tokens: u32, layout: MlaLayout) -> u64 {
    super::kv_cache::cache_bytes(arch, ctx_tokens, layout, &Default::default())
}

/// Memory breakdown without a machine.
pub fn breakdown(model: &Model, quant: Quant, ctx_tokens: u32) -> (MemoryBreakdown, WeightSplit) {
    let split = weight_split(&model.architecture, quant, MlaLayout::Split);
    (breakdown_with_split(model, &split, ctx_tokens), split)
}

/// Memory breakdown from weights already split (see [`crate::estimate::weight_table`]).
pub(crate) fn breakdown_with_split(
    model: &Model,
    split: &WeightSplit,
    ctx_tokens: u32,
) -> MemoryBreakdown {
    breakdown_with_settings(
        &model.architecture,
        split,
        ctx_tokens,
        MlaLayout::Split,
        &LaunchSettings::default(),
    )
}

/// The breakdown of weights already split, at a launch's `settings`: the cache at their types,
/// the compute buffer at their micro-batch and flash attention.
pub(crate) fn breakdown_with_settings(
    arch: &Architecture,
    split: &WeightSplit,
    ctx_tokens: u32,
    layout: MlaLayout,
    settings: &LaunchSettings,
) -> MemoryBreakdown {
    MemoryBreakdown {
        weights_bytes: split.total_bytes(),
        kv_cache_bytes: super::kv_cache::cache_bytes(arch, ctx_tokens, layout, &settings.kv()),
        compute_bytes: compute_bytes(arch, ctx_tokens, settings.compute()),
        overhead_bytes: OVERHEAD_BYTES,
    }
}

/// The estimate and verdict for one model on one machine.
pub fn estimate(model: &Model, quant: Quant, ctx_tokens: u32, hw: &HardwareSnapshot) -> FitReport {
    estimate_with_settings(model, quant, ctx_tokens, hw, &LaunchSettings::default())
}

/// [`estimate`] with a launch's `settings`: the cache at their types, the compute buffer at their
/// micro-batch and flash attention, and the tensors they keep in RAM (`seekdeck fit
/// --cache-type-k … --n-cpu-moe …`, the card's "Advanced" part).
pub fn estimate_with_settings(
    model: &Model,
    quant: Quant,
    ctx_tokens: u32,
    hw: &HardwareSnapshot,
    settings: &LaunchSettings,
) -> FitReport {
    let split = weight_split(&model.architecture, quant, MlaLayout::Split);
    estimate_with_split(model, &split, quant, ctx_tokens, hw, settings)
}

/// [`estimate_with_settings`] with the weights already split for `quant`.
pub(crate) fn estimate_with_split(
    model: &Model,
    split: &WeightSplit,
    quant: Quant,
    ctx_tokens: u32,
    hw: &HardwareSnapshot,
    settings: &LaunchSettings,
) -> FitReport {
    let arch = &model.architecture;
    let b = breakdown_with_settings(arch, split, ctx_tokens, MlaLayout::Split, settings);
    let report = judge_breakdown(
        model,
        split,
        (quant, ctx_tokens, settings.effective_ubatch()),
        hw,
        &b,
    );
    if settings.moe == MoeOffload::Auto && settings.overrides.is_empty() {
        return with_gpus(report, arch, split, settings, hw);
    }
    let tensors = catalog_tensors(arch, quant, MlaLayout::Split);
    let report = with_kept(report, arch, split, &tensors, settings, hw);
    with_gpus(report, arch, split, settings, hw)
}

/// `report` checked card by card on a PC with several GPUs ([`OnGpus`]): each card's part of
/// its placement; when a card would not hold its part, the verdict from the most whole layers
/// every card holds, the `--n-cpu-moe` from the fewest blocks' experts in RAM that they hold, and
/// the placement Launch takes from these.
pub(crate) fn with_gpus(
    mut report: FitReport,
    arch: &Architecture,
    split: &WeightSplit,
    settings: &LaunchSettings,
    hw: &HardwareSnapshot,
) -> FitReport {
    let Some(gpus) = OnGpus::new(arch, split, report.ctx_tokens, settings, hw) else {
        return report;
    };
    let layers = arch.layers;
    let in_ram = |o: Offload| if o.cpu_moe { layers } else { o.n_cpu_moe };
    // The estimate's own placement (not the one the settings ask for), card by card.
    let kept = report.kept.take();
    let offload = report.offload(layers);
    let judged = matches!(
        report.verdict,
        Verdict::FitsGpu | Verdict::PartialOffload { .. }
    );
    if judged && !gpus.place(offload.gpu_layers, in_ram(offload)).fits {
        let whole = gpus.most_layers();
        let experts = gpus.fewest_experts_in_ram();
        let all = layers + 1;
        report.verdict = match &whole {
            Some(p) if p.gpu_layers == all => Verdict::FitsGpu,
            Some(p) => Verdict::PartialOffload {
                gpu_layers: p.gpu_layers,
                total_layers: all,
            },
            None if gpus.place(0, 0).this_pc.fits() => Verdict::CpuOnly,
            None => Verdict::TooLarge,
        };
        report.best_n_cpu_moe = experts.as_ref().map(|p| p.moe_in_ram);
        if let Some(e) = &mut report.experts_in_ram {
            e.fits = experts.is_some();
        }
        // The figures of the verdict's split, as on one GPU.
        let (gpu, cpu) = whole.as_ref().map_or((0, 0), |p| {
            (
                p.devices.iter().map(DeviceShare::total_bytes).sum(),
                p.this_pc.total_bytes(),
            )
        });
        report.gpu_bytes = gpu;
        report.cpu_bytes = if whole.is_some() {
            cpu
        } else {
            report.breakdown.total_bytes()
        };
    }
    // Each card's part of what Launch loads: the settings' placement when they ask for one.
    report.kept = kept;
    let launched = report.offload(layers);
    let placed = gpus.place(launched.gpu_layers, in_ram(launched));
    if let Some(k) = &mut report.kept {
        // Card by card (tensor overrides beyond experts are counted in the one budget only).
        if settings.overrides.is_empty() {
            k.fits = placed.fits;
            k.vram_bytes = placed.devices.iter().map(DeviceShare::total_bytes).sum();
            k.ram_bytes = placed.this_pc.total_bytes();
        }
    }
    report.gpus = placed.devices;
    report
}

/// The verdict and speed of a breakdown on `hw`.
fn judge_breakdown(
    model: &Model,
    split: &WeightSplit,
    (quant, ctx_tokens, ubatch): (Quant, u32, u32),
    hw: &HardwareSnapshot,
    b: &MemoryBreakdown,
) -> FitReport {
    let mut report = judge(&model.architecture, b, split, quant, ctx_tokens, hw, ubatch);
    report.speed = decode_speed(
        report.placed(model.architecture.layers),
        split,
        &model.architecture,
        hw,
    );
    report
}

/// Turns a breakdown into a verdict for a machine.
pub(crate) fn judge(
    arch: &Architecture,
    b: &MemoryBreakdown,
    split: &WeightSplit,
    quant: Quant,
    ctx_tokens: u32,
    hw: &HardwareSnapshot,
    ubatch: u32,
) -> FitReport {
    let layers = arch.layers;
    let is_moe = arch.moe.is_some();
    let (vram, ram) = budgets(hw);
    let unified = hw.is_unified();
    let total = b.total_bytes();
    let mut report = FitReport {
        quant,
        ctx_tokens,
        breakdown: *b,
        verdict: Verdict::Unknown,
        experts_in_ram: None,
        best_n_cpu_moe: None,
        vram_budget_bytes: vram,
        ram_budget_bytes: ram,
        gpu_bytes: 0,
        cpu_bytes: 0,
        speed: Err(NoSpeed::DoesNotRun),
        kept: None,
        gpus: Vec::new(),
    };
    if hw.ram.is_none() {
        return report;
    }
    let kv_per_layer = b.kv_cache_bytes / u64::from(layers.max(1));
    // On a GPU machine the compute buffer and overhead live on the GPU; the CPU keeps a smaller one.
    let gpu_fixed = b.compute_bytes + b.overhead_bytes;
    // With experts left in RAM, llama.cpp also stages their weights on the GPU for prompt batches.
    let staging = if is_moe {
        copies_growth(
            arch,
            b.compute_bytes,
            ubatch,
            ctx_tokens,
            split.expert_copies_of_first(layers as usize),
            gpu_buffer_chunk(),
        )
    } else {
        0
    };
    let gpu_need_all = total - split.token_embd_bytes;
    if !hw.gpus.is_empty() && gpu_need_all <= vram {
        report.verdict = Verdict::FitsGpu;
        report.gpu_bytes = gpu_need_all;
        report.cpu_bytes = split.token_embd_bytes;
    } else {
        let n = gpu_layers_within(
            vram.saturating_sub(gpu_fixed + staging),
            split,
            kv_per_layer,
        );
        // With unified memory, the GPU's share comes out of the same RAM.
        let gpu_part = if n > 0 {
            gpu_fixed + staging + offloaded_bytes(n, split, kv_per_layer)
        } else {
            0
        };
        let cpu_part = total - gpu_part.min(total);
        let ram_for_cpu = if unified {
            ram.saturating_sub(gpu_part)
        } else {
            ram
        };
        if n > 0 && cpu_part <= ram_for_cpu {
            report.verdict = Verdict::PartialOffload {
                gpu_layers: n,
                total_layers: layers + 1,
            };
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
        report.experts_in_ram = Some(in_ram_figures(
            b,
            split,
            split.total_expert_bytes(),
            staging,
            hw,
        ));
        report.best_n_cpu_moe = best_n(&n_cpu_moe_rows(arch, b, split, hw, ctx_tokens, ubatch));
    }
    report
}

/// `report` with the placement `settings` ask for on `hw`, when they keep some of `tensors` in
/// RAM: every layer offloaded, those tensors here.
pub(crate) fn with_kept(
    mut report: FitReport,
    arch: &Architecture,
    split: &WeightSplit,
    tensors: &[NamedTensor],
    settings: &LaunchSettings,
    hw: &HardwareSnapshot,
) -> FitReport {
    if settings.moe == MoeOffload::Auto && settings.overrides.is_empty() {
        return report;
    }
    let blocks = split.layer_bytes.len() as u32;
    let kept = kept_in_ram(tensors, blocks, settings);
    if settings.moe == MoeOffload::Auto && kept.bytes == 0 {
        // Overrides that match no tensor change nothing: the placement is the plain one (the
        // command line and the card say the pattern matched nothing).
        return report;
    }
    let copies = copies_growth(
        arch,
        report.breakdown.compute_bytes,
        settings.effective_ubatch(),
        report.ctx_tokens,
        kept.copies(),
        gpu_buffer_chunk(),
    );
    let f = in_ram_figures(&report.breakdown, split, kept.bytes, copies, hw);
    report.kept = Some(KeptPlacement {
        offload: Offload {
            gpu_layers: blocks + 1,
            cpu_moe: settings.moe == MoeOffload::AllInRam,
            n_cpu_moe: match settings.moe {
                MoeOffload::FirstLayers(n) => n,
                _ => 0,
            },
            no_gpu: false,
        },
        vram_bytes: f.vram_bytes,
        ram_bytes: f.ram_bytes,
        kept_bytes: kept.bytes,
        fits: f.fits,
        matched: kept.matched,
    });
    report
}

/// Bytes on the GPU with `-ngl n`: the output layer, then the last `n - 1` blocks with their cache.
pub(crate) fn offloaded_bytes(n: u32, split: &WeightSplit, kv_per_layer: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let blocks = (n as usize - 1).min(split.layer_bytes.len());
    split.output_bytes
        + split.layer_bytes[split.layer_bytes.len() - blocks..]
            .iter()
            .map(|l| l + kv_per_layer)
            .sum::<u64>()
}

/// The largest `-ngl n` whose weights and cache fit into `budget` bytes. llama.cpp counts the
/// output layer (output head and final norm) as one of the `n + 1` layers and offloads it first,
/// then blocks from the last one down (`llama_model::load_tensors`: `i_gpu_start = n_layer + 1 - n`,
/// "offloading output layer to GPU"); token embeddings always stay in RAM.
pub(crate) fn gpu_layers_within(budget: u64, split: &WeightSplit, kv_per_layer: u64) -> u32 {
    let mut used = split.output_bytes;
    if used > budget {
        return 0;
    }
    let mut n = 1;
    for l in split.layer_bytes.iter().rev() {
        used += l + kv_per_layer;
        if used > budget {
            break;
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::assume::parse_assume;
    use crate::hardware::GIB;

    fn model(id: &str) -> Model {
        crate::catalog::builtin_model(id).unwrap()
    }

    #[test]
    fn mha_deepseek_7b_by_hand() {
        // DeepSeek 7B: 30 layers, hidden 4096, FFN 11008, 32 heads × 128 (MHA), vocab 102400.
        // 2-D elements per layer: q,k,v,o 4×4096² = 67,108,864; FFN 3×4096×11008 = 135,266,304
        //   → 202,375,168 × 30 = 6,071,255,040; embeddings + output 2×102400×4096 = 838,860,800
        //   → 6,910,115,840 elements at Q8_0 (34 bytes per 32) = 7,341,998,080 bytes.
        // 1-D f32 norms: (2×4096)×30 + 4096 = 249,856 elements = 999,424 bytes.
        // Weights = 7,342,997,504 bytes.
        // KV at 4096 tokens: 30 layers × 4096 × (K+V = 2×32×128) × 2 bytes = 2,013,265,920 bytes.
        let m = model("deepseek-llm-7b");
        let (b, _) = breakdown(&m, Quant::Q8_0, 4096);
        assert_eq!(b.weights_bytes, 7_342_997_504);
        assert_eq!(b.kv_cache_bytes, 2_013_265_920);
        // Compute (ggml-alloc replayed over the graph, `dense_graph`): the logits 4 × 512 × 102400,
        // the residual blocks and inputs alive with them, 4 × 512 × (5×4096 + 10), and the f16 mask
        // 2 × 512 × 4096 → 255,873,024 bytes, llama.cpp's dry run's 244.02 MiB.
        assert_eq!(b.compute_bytes, 255_873_024);
        assert_eq!(
            b.total_bytes(),
            7_342_997_504 + 2_013_265_920 + 255_873_024 + OVERHEAD_BYTES
        );
    }

    #[test]
    fn gqa_distill_qwen_7b_by_hand() {
        // R1-Distill-Qwen-7B: 28 layers, hidden 3584, FFN 18944, 28 heads / 4 KV heads × 128, vocab 152064.
        // 2-D per layer: q,o 2×3584² = 25,690,112; k,v 2×3584×512 = 3,670,016; FFN 3×3584×18944
        //   = 203,685,888 → 233,046,016 × 28 = 6,525,288,448; embeddings + output 2×152064×3584
        //   = 1,089,994,752 → 7,615,283,200 elements × 34/32 = 8,091,238,400 bytes at Q8_0.
        // 1-D f32: per layer 2 norms (7168) + q/k/v biases (3584+512+512) = 11,776 × 28 + 3584
        //   = 333,312 elements = 1,333,248 bytes. Weights = 8,092,571,648 bytes.
        // KV at 8192: 28 × 8192 × (2×4×128) × 2 = 469,762,048 bytes = 448 MiB, the figure
        // llama.cpp's dry run reported for this model.
        let m = model("deepseek-r1-distill-qwen-7b");
        let (b, _) = breakdown(&m, Quant::Q8_0, 8192);
        assert_eq!(b.weights_bytes, 8_092_571_648);
        assert_eq!(b.kv_cache_bytes, 448 << 20);
        // Context is padded to 256 tokens: 8000 costs as much as 8192.
        assert_eq!(
            kv_cache_bytes(&m.architecture, 8000, MlaLayout::Split),
            448 << 20
        );
    }

    #[test]
    fn mla_moe_v2_lite_by_hand() {
        // DeepSeek-V2-Lite: 27 layers (first dense), hidden 2048, 16 heads, kv_lora 512, rope 64,
        // nope 128, v 128, no q compression, 64 routed experts of 1408 + 2 shared, vocab 102400.
        // 2-D per layer (attention): q 2048×3072 = 6,291,456; kv_a_mqa 2048×576 = 1,179,648;
        //   k_b 128×512×16 = 1,048,576; v_b 512×128×16 = 1,048,576; o 2048² = 4,194,304 → 13,762,560.
        // Dense FFN (layer 0): 3×2048×10944 = 67,239,936.
        // MoE layers (26): experts 3×2048×1408×64 = 553,648,128; shared 3×2048×2816 = 17,301,504.
        // 2-D total: 2×209,715,200 + 27×13,762,560 + 67,239,936 + 26×570,949,632 = 15,702,949,888
        //   at Q8_0 = 16,684,384,256 bytes.
        // f32: routers 26×2048×64 = 3,407,872; norms 27×(2048+512+2048) + 2048 = 126,464
        //   → 3,534,336 elements = 14,137,344 bytes. Weights = 16,698,521,600 bytes.
        // KV (MLA, latent only) at 32768: 27 × 32768 × 576 × 2 = 1,019,215,872 bytes;
        // a legacy GGUF caches 16 heads × (192 + 128) per token: 27 × 32768 × 5120 × 2 = 9,059,696,640.
        let m = model("deepseek-v2-lite");
        let (b, split) = breakdown(&m, Quant::Q8_0, 32768);
        assert_eq!(b.weights_bytes, 16_698_521_600);
        assert_eq!(b.kv_cache_bytes, 1_019_215_872);
        assert_eq!(
            kv_cache_bytes(&m.architecture, 32768, MlaLayout::Legacy),
            9_059_696_640
        );
        // Routed experts at Q8_0: 26 × 553,648,128 × 34/32 = 15,294,529,536 bytes.
        assert_eq!(split.total_expert_bytes(), 15_294_529_536);
    }

    #[test]
    fn v3_cache_matches_reference() {
        // Reference §6: V3 at 32K f16 is 2.14 GiB with the latent-only cache.
        let m = model("deepseek-v3");
        let kv = kv_cache_bytes(&m.architecture, 32768, MlaLayout::Split);
        assert_eq!(kv, 61 * 32768 * 576 * 2);
        assert!((kv as f64 / GIB as f64 - 2.14).abs() < 0.01);
    }

    #[test]
    fn published_q4_k_m_sizes_within_three_percent() {
        // Reference §5: Ollama's deepseek-r1:7b and :14b, bartowski's V3-0324 Q4_K_M (404.43 GB).
        for (id, bytes) in [
            ("deepseek-r1-distill-qwen-7b", 4_683_075_271u64),
            ("deepseek-r1-distill-qwen-14b", 8_988_112_040),
            ("deepseek-v3", 404_430_000_000),
        ] {
            let w = weight_split(&model(id).architecture, Quant::Q4_K_M, MlaLayout::Split)
                .total_bytes();
            let err = (w as f64 - bytes as f64).abs() / bytes as f64;
            assert!(err < 0.03, "{id}: {w} vs {bytes} ({:.2}%)", err * 100.0);
        }
    }

    #[test]
    fn verdicts_on_simulated_machines() {
        let rtx = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
        let est = |id: &str, q, hw: &HardwareSnapshot| estimate(&model(id), q, 8192, hw).verdict;
        assert_eq!(
            est("deepseek-r1-distill-qwen-14b", Quant::Q4_K_M, &rtx),
            Verdict::FitsGpu
        );
        assert_eq!(est("deepseek-v3", Quant::Q4_K_M, &rtx), Verdict::TooLarge);
        assert!(matches!(
            est("deepseek-r1-distill-llama-70b", Quant::Q4_K_M, &rtx),
            Verdict::PartialOffload { .. }
        ));
        let cpu = parse_assume("32GiB RAM").unwrap();
        assert_eq!(
            est("deepseek-r1-distill-qwen-14b", Quant::Q4_K_M, &cpu),
            Verdict::CpuOnly
        );
        assert_eq!(
            est(
                "deepseek-r1-distill-qwen-14b",
                Quant::Q4_K_M,
                &HardwareSnapshot::unknown()
            ),
            Verdict::Unknown
        );
        let mac = parse_assume("128GiB unified").unwrap();
        assert_eq!(
            est("deepseek-r1-distill-llama-70b", Quant::Q4_K_M, &mac),
            Verdict::FitsGpu
        );
        let h200 = parse_assume("8x141GiB GPU, 2048GiB RAM").unwrap();
        assert_eq!(est("deepseek-r1", Quant::Q4_K_M, &h200), Verdict::FitsGpu);
    }

    #[test]
    fn partial_offload_layers_stay_within_budget() {
        let rtx = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
        let m = model("deepseek-r1-distill-llama-70b");
        let r = estimate(&m, Quant::Q4_K_M, 8192, &rtx);
        let Verdict::PartialOffload {
            gpu_layers,
            total_layers,
        } = r.verdict
        else {
            panic!("{:?}", r.verdict)
        };
        assert_eq!(total_layers, 81);
        assert!(r.gpu_bytes <= r.vram_budget_bytes);
        // One more layer would not fit.
        let split = weight_split(&m.architecture, Quant::Q4_K_M, MlaLayout::Split);
        let kv_per_layer = r.breakdown.kv_cache_bytes / 80;
        let fixed = r.breakdown.compute_bytes + r.breakdown.overhead_bytes;
        assert_eq!(
            r.gpu_bytes,
            fixed + offloaded_bytes(gpu_layers, &split, kv_per_layer)
        );
        assert!(
            fixed + offloaded_bytes(gpu_layers + 1, &split, kv_per_layer) > r.vram_budget_bytes
        );
    }

    #[test]
    fn experts_in_ram_count_the_gpu_copies_of_expert_weights() {
        // DeepSeek-V3 Q4_K_M: each MoE block's copies in graph order, Q4_K gate and up (2016
        // MiB), Q6_K down (2940 MiB); dense blocks 0–2 have none.
        let m = model("deepseek-v3");
        let split = weight_split(&m.architecture, Quant::Q4_K_M, MlaLayout::Split);
        let copies = split.expert_copies_of_first(61);
        assert!(copies[..3].iter().all(Vec::is_empty));
        assert_eq!(
            copies[3],
            vec![
                (CopyKind::Gate, 2016 << 20),
                (CopyKind::Up, 2016 << 20),
                (CopyKind::Down, 2940 << 20)
            ]
        );
        let rtx = parse_assume("24GiB GPU, 1TiB RAM").unwrap();
        let r = estimate(&m, Quant::Q4_K_M, 8192, &rtx);
        let e = r.experts_in_ram.unwrap();
        let without_experts =
            r.breakdown.total_bytes() - split.total_expert_bytes() - split.token_embd_bytes;
        let growth = copies_growth(
            &m.architecture,
            r.breakdown.compute_bytes,
            512,
            8192,
            copies,
            gpu_buffer_chunk(),
        );
        assert!(growth > 2016 << 20, "{growth}");
        assert_eq!(e.vram_bytes, without_experts + growth);
        // Launch keeps only as many blocks' experts in RAM as it must: on 22.8 GiB of usable
        // VRAM, block 60's experts (5.6 GiB) fit beside everything else.
        assert_eq!(
            r.offload(61),
            Offload {
                gpu_layers: 62,
                cpu_moe: false,
                n_cpu_moe: 60,
                no_gpu: false,
            }
        );
        assert_eq!(r.best_n_cpu_moe, Some(60));
        // Dense models have no experts to stage.
        let dense = weight_split(
            &model("deepseek-llm-7b").architecture,
            Quant::Q4_K_M,
            MlaLayout::Split,
        );
        assert!(dense.expert_copies_of_first(30).iter().all(Vec::is_empty));
    }

    #[test]
    fn the_output_layer_is_offloaded_first() {
        let mut split = WeightSplit::with_layers(3);
        for (l, b) in [10, 20, 30].into_iter().enumerate() {
            split.add(Some(l as u32), false, None, b);
        }
        split.add(None, true, None, 1000);
        split.add(None, false, None, 5);
        assert_eq!(gpu_layers_within(4, &split, 1), 0);
        assert_eq!(gpu_layers_within(5, &split, 1), 1);
        assert_eq!(gpu_layers_within(36, &split, 1), 2);
        assert_eq!(offloaded_bytes(2, &split, 1), 5 + 31);
        assert_eq!(gpu_layers_within(1000, &split, 1), 4);
        assert_eq!(offloaded_bytes(4, &split, 1), 5 + 63);
    }

    #[test]
    fn moe_models_offer_experts_in_ram() {
        let rtx = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
        let r = estimate(&model("deepseek-v2-lite"), Quant::Q8_0, 8192, &rtx);
        let e = r.experts_in_ram.unwrap();
        assert!(e.fits);
        assert!(e.vram_bytes < 3 * GIB, "{}", e.vram_bytes);
        assert!(estimate(&model("deepseek-llm-7b"), Quant::Q8_0, 8192, &rtx)
            .experts_in_ram
            .is_none());
    }
}
