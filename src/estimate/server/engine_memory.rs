//! How vLLM and SGLang divide one GPU's memory: the engine's share (`--gpu-memory-utilization`,
//! `--mem-fraction-static` and SGLang's default for it), the runtime's own memory, activations,
//! and the key/value cache per token; from these, the cache pool in tokens.

use super::layout::{Engine, Layout};
use crate::catalog::{Attention, Model};
use crate::hardware::server_spec::{GpuGeneration, ServerGpu};

const GIB: u64 = 1 << 30;

/// vLLM's `--gpu-memory-utilization` default.
pub const VLLM_GPU_MEMORY_UTILIZATION: f64 = 0.9;

/// What the CUDA context, NCCL and the custom all-reduce take outside the engine's tensors,
/// as vLLM's memory profile reports it: 1.79 GiB on one GPU (vllm-project/vllm#10511,
/// Llama-3-8B on an H100) and 2.53 GiB per GPU with several (vllm-project/vllm#13074,
/// DeepSeek-R1 at TP 8 × PP 2). SGLang's "avail mem" after loading agrees (sgl-project/sglang#3416).
pub fn runtime_bytes(layout: &Layout) -> u64 {
    if layout.gpus() > 1 {
        2_530 * GIB / 1_000
    } else {
        1_790 * GIB / 1_000
    }
}

/// The key/value cache's element type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub enum KvDtype {
    /// The model's dtype (BF16): 2 bytes.
    #[default]
    Auto,
    /// `--kv-cache-dtype fp8` (e4m3): 1 byte.
    Fp8,
}

impl KvDtype {
    fn bytes(self) -> u64 {
        match self {
            Self::Auto => 2,
            Self::Fp8 => 1,
        }
    }

    /// Parses `auto` or `fp8`.
    pub fn parse(word: &str) -> Option<Self> {
        match word.trim().to_ascii_lowercase().as_str() {
            "auto" | "bf16" => Some(Self::Auto),
            "fp8" | "fp8_e4m3" => Some(Self::Fp8),
            _ => None,
        }
    }
}

/// Bytes one token's cache takes on one GPU holding `layers` blocks: MLA's latent and rotary
/// key (`kv_lora + rope`, the same on every tensor-parallel GPU: SGLang's docs, "If you do not
/// use DP attention, KV cache will be duplicated among all TP ranks"), plus V3.2's indexer key
/// (FP8 with an f32 scale); for GQA/MHA, this GPU's key and value heads.
pub fn kv_bytes_per_token(model: &Model, layout: &Layout, layers: u64, kv: KvDtype) -> u64 {
    let arch = &model.architecture;
    let per_layer = match arch.attention {
        Attention::Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            ..
        } => {
            let indexer = arch.indexer.map_or(0, |i| i.head_dim + 4);
            (kv_lora_rank + qk_rope_head_dim) * kv.bytes() + indexer
        }
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => {
            let heads = u64::from(arch.kv_heads().div_ceil(layout.attn_tp).max(1));
            2 * heads * head_dim * kv.bytes()
        }
    };
    per_layer * layers
}

/// What the engine sizes its activations and CUDA graphs by.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct EngineBudget {
    /// Fraction of the GPU the engine's weights and cache may take: vLLM's
    /// `--gpu-memory-utilization` (which also holds its activations), SGLang's
    /// `--mem-fraction-static` (weights and cache only).
    pub fraction: f64,
    /// Tokens of one prefill chunk: vLLM's `--max-num-batched-tokens`, SGLang's
    /// `--chunked-prefill-size`.
    pub batch_tokens: u64,
    /// Sequences decoded at once: vLLM's `--max-num-seqs`, SGLang's `--cuda-graph-max-bs`.
    pub max_seqs: u64,
}

/// The engine's defaults on `gpu` for `layout`: vLLM's `get_batch_defaults` (8192 tokens and
/// 1024 sequences on GPUs of 70 GiB or more other than the A100, else 2048 and 256) with
/// `--gpu-memory-utilization 0.9`; SGLang's `_handle_gpu_memory_settings` (server_args.py), which
/// reserves activations and CUDA graphs and gives the rest to `--mem-fraction-static`.
pub fn engine_budget(engine: Engine, gpu: &ServerGpu, layout: &Layout) -> EngineBudget {
    let mib = gpu.memory_mib();
    match engine {
        Engine::Vllm => {
            let large = gpu.memory_bytes >= 70 * GIB && gpu.generation != GpuGeneration::Ampere;
            EngineBudget {
                fraction: VLLM_GPU_MEMORY_UTILIZATION,
                batch_tokens: if large { 8192 } else { 2048 },
                max_seqs: if large { 1024 } else { 256 },
            }
        }
        Engine::Sglang => {
            let tp = u64::from(layout.tp);
            let (chunk, graphs): (u64, u64) = match mib {
                m if m < 20 * 1024 => (2048, 8),
                m if m < 35 * 1024 => (2048, if tp < 4 { 24 } else { 80 }),
                m if m < 60 * 1024 => (4096, if tp < 4 { 32 } else { 160 }),
                m if m < 160 * 1024 => (8192, if tp < 4 { 256 } else { 512 }),
                _ => (16384, 512),
            };
            let mut reserved = 512.0 + chunk.max(2048) as f64 * 1.5 + graphs as f64 * 2.0;
            reserved += (tp * u64::from(layout.pp)) as f64 / 8.0 * 1024.0;
            if layout.dp_attention {
                let dp = f64::from(layout.dp);
                reserved += graphs as f64 * dp * 3.0;
                if graphs > 300 {
                    reserved += graphs as f64 * dp * 1.5;
                }
            }
            if mib > 60 * 1024 {
                reserved = reserved.max(10.0 * 1024.0);
            }
            let fraction = ((mib as f64 - reserved) / mib as f64 * 1000.0).round() / 1000.0;
            EngineBudget {
                fraction,
                batch_tokens: chunk,
                max_seqs: graphs,
            }
        }
    }
}

/// vLLM's activation peak while profiling one batch of `batch_tokens`:
/// `tokens × (16·hidden + 6·ffn_per_gpu)` bytes, the hidden states and the feed-forward
/// intermediates in BF16 (for MoE, `top_k × expert_ffn / tp` per token). Fits vLLM's reported
/// peaks: Llama-3-8B at 8192 tokens 1.16 GiB against 1.26 (vllm-project/vllm#10511), DeepSeek-R1
/// at TP 8 and 2048 tokens 0.24 GiB against 0.24 (vllm-project/vllm#13074).
pub fn activation_bytes(model: &Model, layout: &Layout, batch_tokens: u64) -> u64 {
    let arch = &model.architecture;
    let split = u64::from(layout.moe_tp().max(layout.ep).max(1));
    let dense = arch.ffn_size / u64::from(layout.moe_tp().max(1));
    let experts = arch.moe.map_or(0, |m| {
        u64::from(m.experts_per_token) * m.expert_ffn_size / split
    });
    batch_tokens * (16 * arch.hidden_size + 6 * dense.max(experts))
}

/// How one GPU's memory divides under the engine.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GpuBudget {
    /// The GPU's memory as the engine sees it.
    pub total: u64,
    /// What the engine may fill (its fraction of `total`).
    pub engine_limit: u64,
    /// CUDA context, NCCL and all-reduce buffers.
    pub runtime: u64,
    /// Activations counted inside the limit (vLLM); SGLang keeps them outside it.
    pub activations: u64,
    /// Left for the key/value cache after the weights (negative: the weights do not fit).
    pub kv_pool: i64,
}

/// One GPU's budget with `weights` on it.
pub fn gpu_budget(
    model: &Model,
    layout: &Layout,
    gpu: &ServerGpu,
    budget: &EngineBudget,
    weights: u64,
) -> GpuBudget {
    let total = gpu.memory_bytes;
    let engine_limit = (total as f64 * budget.fraction) as u64;
    let runtime = runtime_bytes(layout);
    let activations = match layout.engine {
        Engine::Vllm => activation_bytes(model, layout, budget.batch_tokens),
        Engine::Sglang => 0,
    };
    // SGLang: pool = total × fraction − (total − free after loading) = limit − weights −
    // runtime (model_runner.profile_max_num_token).
    let kv_pool = engine_limit as i64 - weights as i64 - runtime as i64 - activations as i64;
    GpuBudget {
        total,
        engine_limit,
        runtime,
        activations,
        kv_pool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::estimate::server::layout::Engine;
    use crate::hardware::server_spec::parse_server_spec;

    fn tp(engine: Engine, tp: u32) -> Layout {
        Layout::tensor_parallel(engine, tp)
    }

    #[test]
    fn sglang_default_fraction_by_hand() {
        // H200 (143771 MiB) at TP 8: chunk 8192, graphs 512; reserved 512 + 12288 + 1024 +
        // 1024 = 14848 MiB; (143771 − 14848) / 143771 = 0.8967 → 0.897.
        let h200 = parse_server_spec("8x H200").unwrap().gpu;
        let b = engine_budget(Engine::Sglang, &h200, &tp(Engine::Sglang, 8));
        assert_eq!((b.fraction, b.batch_tokens, b.max_seqs), (0.897, 8192, 512));
        // An A100 40GB at TP 4: chunk 4096, graphs 160; 512 + 6144 + 320 + 512 = 7488 MiB.
        let a100 = parse_server_spec("4x A100 40GB").unwrap().gpu;
        let b = engine_budget(Engine::Sglang, &a100, &tp(Engine::Sglang, 4));
        assert_eq!(
            b.fraction,
            ((40960.0 - 7488.0) / 40960.0 * 1000.0_f64).round() / 1000.0
        );
    }

    #[test]
    fn vllm_activation_matches_its_published_profiles() {
        // vllm-project/vllm#13074: DeepSeek-R1 at TP 8 × PP 2 profiled 0.24 GiB with 2048 tokens.
        let r1 = builtin_model("deepseek-r1").unwrap();
        let a = activation_bytes(&r1, &tp(Engine::Vllm, 8), 2048) as f64 / GIB as f64;
        assert!((a - 0.24).abs() < 0.01, "{a}");
    }

    #[test]
    fn mla_cache_is_the_latent_on_every_gpu() {
        // 61 blocks × (512 + 64) × 2 bytes = 70272 bytes per token, at any TP.
        let v3 = builtin_model("deepseek-v3").unwrap();
        assert_eq!(
            kv_bytes_per_token(&v3, &tp(Engine::Vllm, 8), 61, KvDtype::Auto),
            70_272
        );
        assert_eq!(
            kv_bytes_per_token(&v3, &tp(Engine::Vllm, 1), 61, KvDtype::Fp8),
            35_136
        );
    }
}
