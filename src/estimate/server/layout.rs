//! How a model is spread over a server's GPUs: tensor, pipeline, expert and data parallelism
//! and SGLang's DP attention, the layouts each engine offers for a spec, and the rules that make
//! a layout impossible before memory is even counted.

use super::weights::{WeightForm, QUANT_BLOCK};
use crate::catalog::{Attention, Model, OriginalDtype};
use crate::estimate::tensors::TensorKind;
use crate::hardware::server_spec::{Interconnect, ServerSpec};
use std::ops::Range;

/// The serving engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Engine {
    /// vLLM (`vllm serve`).
    Vllm,
    /// SGLang (`python3 -m sglang.launch_server`).
    Sglang,
}

impl Engine {
    /// Both engines.
    pub const ALL: [Self; 2] = [Self::Vllm, Self::Sglang];

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vllm => "vLLM",
            Self::Sglang => "SGLang",
        }
    }

    /// Parses `vllm` or `sglang`.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(word.trim()))
    }
}

/// One way to place a model on the server's GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Layout {
    /// The engine that runs it.
    pub engine: Engine,
    /// Tensor-parallel size of one replica's pipeline stage (MoE and dense layers split this
    /// many ways).
    pub tp: u32,
    /// Tensor-parallel size of attention: `tp`, or `tp / dp` under SGLang's DP attention.
    pub attn_tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Data-parallel ranks: whole replicas, vLLM's DP ranks, or SGLang's DP-attention groups.
    pub dp: u32,
    /// Expert-parallel size (1: experts are split by tensor parallelism instead).
    pub ep: u32,
    /// SGLang's DP attention (`--enable-dp-attention`): each group keeps its own requests' cache.
    pub dp_attention: bool,
}

impl Layout {
    /// Plain tensor parallelism over `tp` GPUs on `engine`.
    pub fn tensor_parallel(engine: Engine, tp: u32) -> Self {
        Self {
            engine,
            tp,
            attn_tp: tp,
            pp: 1,
            dp: 1,
            ep: 1,
            dp_attention: false,
        }
    }

    /// GPUs the layout uses.
    pub fn gpus(&self) -> u32 {
        if self.dp_attention {
            self.tp * self.pp
        } else {
            self.tp * self.pp * self.dp
        }
    }

    /// Tensor-parallel size of the feed-forward layers (dense, shared and, without expert
    /// parallelism, routed experts).
    pub fn moe_tp(&self) -> u32 {
        self.tp
    }

    /// How many ways the token embedding or output layer is split: SGLang's DP attention keeps
    /// the embedding whole and splits the output layer within a group.
    pub fn vocab_split(&self, kind: TensorKind) -> u32 {
        match (self.dp_attention, kind) {
            (true, TensorKind::TokenEmbd) => 1,
            (true, _) => self.attn_tp,
            (false, _) => self.tp,
        }
    }

    /// The blocks of pipeline stage `stage`, as vLLM's `get_pp_indices` splits them: equal
    /// parts, the remainder to the stages before the last (which holds the output layer).
    pub fn stage_layers(&self, layers: u32, stage: u32) -> Range<u32> {
        let pp = self.pp.max(1);
        let mut sizes = vec![layers / pp; pp as usize];
        let n = sizes.len();
        for i in 2..(layers % pp + 2) as usize {
            if i <= n {
                sizes[n - i] += 1;
            }
        }
        let start: u32 = sizes[..stage as usize].iter().sum();
        start..start + sizes.get(stage as usize).copied().unwrap_or(0)
    }

    /// Independent key/value caches: one per data-parallel rank or group.
    pub fn kv_pools(&self) -> u32 {
        self.dp
    }

    /// The layout in words, e.g. `TP 16 (2 nodes) + DP attention 2`.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if self.tp > 1 || (self.dp == 1 && self.pp == 1) {
            parts.push(format!("TP {}", self.tp));
        }
        if self.pp > 1 {
            parts.push(format!("PP {}", self.pp));
        }
        if self.dp_attention {
            parts.push(format!("DP attention {}", self.dp));
        } else if self.dp > 1 {
            parts.push(format!("DP {}", self.dp));
        }
        if self.ep > 1 {
            parts.push(format!("EP {}", self.ep));
        }
        parts.join(" + ")
    }
}

fn is_mla(model: &Model) -> bool {
    matches!(model.architecture.attention, Attention::Mla { .. })
}

/// The layouts `engine` offers on `spec` for `model`, simplest first.
pub fn candidates(model: &Model, spec: &ServerSpec, engine: Engine) -> Vec<Layout> {
    let (n, g) = (spec.nodes, spec.gpus_per_node);
    let total = n * g;
    let moe = model.architecture.moe.is_some();
    let base = Layout::tensor_parallel(engine, g);
    let mut out = Vec::new();
    match engine {
        Engine::Vllm => {
            // Tensor parallelism in a node, pipeline stages across nodes (vLLM's multi-node
            // recipe), with or without expert parallelism; DP + EP over every GPU.
            out.push(Layout { pp: n, ..base });
            if moe {
                out.push(Layout {
                    pp: n,
                    ep: g,
                    ..base
                });
                out.push(Layout {
                    tp: 1,
                    attn_tp: 1,
                    dp: total,
                    ep: total,
                    ..base
                });
            }
        }
        Engine::Sglang => {
            // Tensor parallelism over every GPU (SGLang's multi-node recipe), with expert
            // parallelism, with DP attention per node or per GPU; pipeline stages across nodes.
            let all = Layout {
                tp: total,
                attn_tp: total,
                ..base
            };
            out.push(all);
            if moe {
                out.push(Layout { ep: total, ..all });
            }
            if is_mla(model) && total > 1 {
                for dp in [n, total] {
                    if dp > 1 {
                        out.push(Layout {
                            attn_tp: total / dp,
                            dp,
                            dp_attention: true,
                            ..all
                        });
                    }
                }
            }
            if n > 1 {
                out.push(Layout { pp: n, ..base });
            }
        }
    }
    // Smaller tensor-parallel replicas in one node, for models that need fewer GPUs.
    if n == 1 {
        let mut tp = g / 2;
        while tp >= 1 {
            out.push(Layout {
                tp,
                attn_tp: tp,
                dp: g / tp,
                ..base
            });
            tp /= 2;
        }
    }
    out.dedup();
    out
}

/// Why `layout` cannot run `model` in `form`, before counting memory: the engines' own checks.
pub fn impossible(
    model: &Model,
    form: WeightForm,
    layout: &Layout,
    spec: &ServerSpec,
) -> Option<String> {
    let arch = &model.architecture;
    if arch.heads % layout.attn_tp != 0 {
        return Some(format!(
            "{} attention heads do not split {} ways (both engines need heads divisible by the tensor-parallel size)",
            arch.heads, layout.attn_tp
        ));
    }
    let kv = arch.kv_heads();
    if !is_mla(model) && kv % layout.attn_tp != 0 && layout.attn_tp % kv != 0 {
        return Some(format!(
            "{kv} key/value heads and tensor parallelism {} do not divide one another",
            layout.attn_tp
        ));
    }
    if layout.pp > arch.layers {
        return Some(format!(
            "{} pipeline stages for {} blocks",
            layout.pp, arch.layers
        ));
    }
    if let Some(m) = arch.moe {
        if layout.ep > m.routed_experts {
            return Some(format!(
                "expert parallelism {} over {} experts",
                layout.ep, m.routed_experts
            ));
        }
    }
    if let Some(reason) = block_misfit(model, form, layout) {
        return Some(reason);
    }
    if spec.nodes > 1
        && spec.interconnect == Interconnect::Ethernet
        && layout.tp > spec.gpus_per_node
    {
        return Some(
            "tensor parallelism across nodes over Ethernet: every layer waits on the network; use InfiniBand or pipeline stages across nodes"
                .into(),
        );
    }
    None
}

/// Whether a quantized dimension's slice on one GPU falls off the 128-wide blocks (FP8 and INT8
/// blocks, AWQ groups): the engines refuse such a split when loading.
fn block_misfit(model: &Model, form: WeightForm, layout: &Layout) -> Option<String> {
    let blocked = match form {
        WeightForm::Original => model.original_dtype == OriginalDtype::Fp8Block,
        WeightForm::Awq | WeightForm::W4a8 | WeightForm::Nvfp4 => true,
        WeightForm::Bf16 | WeightForm::Fp8OnLoad | WeightForm::Int8 => false,
    };
    if !blocked {
        return None;
    }
    let arch = &model.architecture;
    let tp = u64::from(layout.moe_tp());
    let mut dims = vec![("dense feed-forward", arch.ffn_size)];
    if let Some(m) = arch.moe {
        dims.push((
            "shared expert",
            m.expert_ffn_size * u64::from(m.shared_experts),
        ));
        if layout.ep == 1 {
            dims.push(("expert", m.expert_ffn_size));
        }
    }
    dims.into_iter()
        .filter(|(_, d)| *d > 0)
        .find(|(_, d)| d % tp != 0 || (d / tp) % QUANT_BLOCK != 0)
        .map(|(what, d)| {
            format!(
                "each GPU's slice of the {what} layer ({d} / {tp} = {}) is not a whole number of {QUANT_BLOCK}-wide quantization blocks",
                d / tp
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::hardware::server_spec::parse_server_spec;

    #[test]
    fn pipeline_stages_split_like_vllm() {
        let l = Layout {
            pp: 2,
            ..Layout::tensor_parallel(Engine::Vllm, 8)
        };
        // 61 blocks: 31 + 30, the extra one before the last stage.
        assert_eq!(l.stage_layers(61, 0), 0..31);
        assert_eq!(l.stage_layers(61, 1), 31..61);
        let four = Layout { pp: 4, ..l };
        let sizes: Vec<usize> = (0..4).map(|s| four.stage_layers(61, s).len()).collect();
        assert_eq!(sizes, [15, 15, 16, 15]);
    }

    #[test]
    fn fp8_blocks_refuse_tp_32_but_not_tp_16() {
        let r1 = builtin_model("deepseek-r1").unwrap();
        let spec = parse_server_spec("4 nodes x 8x H100, InfiniBand").unwrap();
        let tp = |tp, ep| Layout {
            ep,
            ..Layout::tensor_parallel(Engine::Sglang, tp)
        };
        let why = impossible(&r1, WeightForm::Original, &tp(32, 1), &spec).unwrap();
        assert!(why.contains("18432 / 32 = 576"), "{why}");
        // BF16 has no blocks; FP8 at TP 16 slices 128 wide.
        assert!(impossible(&r1, WeightForm::Bf16, &tp(32, 1), &spec).is_none());
        assert!(impossible(&r1, WeightForm::Original, &tp(16, 1), &spec).is_none());
        // The dense layers still refuse with whole experts per GPU; V2-Lite (no q_lora, 1408-wide
        // experts) refuses at TP 16 for its experts: 1408 / 16 = 88.
        assert!(impossible(&r1, WeightForm::Original, &tp(32, 32), &spec).is_some());
        let lite = builtin_model("deepseek-v2-lite").unwrap();
        let why = impossible(&lite, WeightForm::Awq, &tp(16, 1), &spec).unwrap_or_default();
        assert!(why.contains("/ 16 = "), "{why}");
    }
}
