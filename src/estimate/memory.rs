//! The memory a model needs, by part ([`MemoryBreakdown`]), its weights split the way offloading
//! splits them ([`WeightSplit`]), what a machine lets a model use ([`budgets`]), and the figures of
//! a placement that keeps some weights in RAM with every layer offloaded ([`in_ram_figures`]) —
//! the data the fit, the cluster plan and the `--n-cpu-moe` rows all work on.

use serde::{Deserialize, Serialize};

use crate::estimate::placement::{vram_margin_bytes, RAM_HEADROOM_BYTES, UNIFIED_GPU_SHARE};
use crate::estimate::weight_copies::{BlockCopies, CopyKind};
use crate::format::format_bytes;
use crate::hardware::HardwareSnapshot;

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
    /// "weights 4.4 GiB, KV cache 448 MiB, compute 304 MiB, overhead 300 MiB".
    pub(crate) fn parts_label(&self) -> String {
        format!(
            "weights {}, KV cache {}, compute {}, overhead {}",
            format_bytes(self.weights_bytes),
            format_bytes(self.kv_cache_bytes),
            format_bytes(self.compute_bytes),
            format_bytes(self.overhead_bytes)
        )
    }

    /// Sum of all parts.
    pub fn total_bytes(&self) -> u64 {
        self.weights_bytes + self.kv_cache_bytes + self.compute_bytes + self.overhead_bytes
    }
}

/// Weight bytes of one model at one quantization, split the way offloading splits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WeightSplit {
    /// Per block (layer) bytes.
    pub layer_bytes: Vec<u64>,
    /// Routed-expert bytes per block (part of `layer_bytes`).
    pub expert_bytes: Vec<u64>,
    /// Token embeddings (kept in system RAM by llama.cpp).
    pub token_embd_bytes: u64,
    /// Output head and final norm (llama.cpp's output layer, offloaded first).
    pub output_bytes: u64,
    /// Each block's routed-expert tensors in graph order (their GPU copies when kept in RAM).
    pub expert_copies: Vec<BlockCopies>,
}

impl WeightSplit {
    /// All weight bytes.
    pub fn total_bytes(&self) -> u64 {
        self.layer_bytes.iter().sum::<u64>() + self.token_embd_bytes + self.output_bytes
    }
    /// All routed-expert bytes.
    pub(crate) fn total_expert_bytes(&self) -> u64 {
        self.expert_bytes.iter().sum()
    }

    /// An empty split for `layers` blocks.
    pub(crate) fn with_layers(layers: u32) -> Self {
        Self {
            layer_bytes: vec![0; layers as usize],
            expert_bytes: vec![0; layers as usize],
            expert_copies: vec![Vec::new(); layers as usize],
            ..Self::default()
        }
    }

    /// Counts one tensor: `layer` is its block (none for the embeddings and the output layer);
    /// `routed_expert` its kind when it is a routed expert.
    pub fn add(
        &mut self,
        layer: Option<u32>,
        token_embd: bool,
        routed_expert: Option<CopyKind>,
        bytes: u64,
    ) {
        match layer.map(|l| l as usize) {
            Some(l) if l < self.layer_bytes.len() => {
                self.layer_bytes[l] += bytes;
                if let Some(kind) = routed_expert {
                    self.expert_bytes[l] += bytes;
                    let copies = &mut self.expert_copies[l];
                    copies.push((kind, bytes));
                    copies.sort_by_key(|c| c.0);
                }
            }
            _ if token_embd => self.token_embd_bytes += bytes,
            _ => self.output_bytes += bytes,
        }
    }

    /// The routed experts of the first `blocks` blocks, as the GPU copies them when they are
    /// kept in RAM ([`crate::estimate::weight_copies::copies_growth`]).
    pub(crate) fn expert_copies_of_first(&self, blocks: usize) -> &[BlockCopies] {
        &self.expert_copies[..blocks.min(self.expert_copies.len())]
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

/// Budgets of a machine: (VRAM usable, RAM usable).
pub(crate) fn budgets(hw: &HardwareSnapshot) -> (u64, u64) {
    let ram = hw.ram.as_ref().map_or(0, |r| {
        let headroom = if hw.simulated.is_some() {
            0
        } else {
            RAM_HEADROOM_BYTES
        };
        r.available_bytes.saturating_sub(headroom)
    });
    let vram: u64 = hw
        .gpus
        .iter()
        .map(|g| {
            if g.unified {
                ((g.total_bytes as f64 * UNIFIED_GPU_SHARE) as u64).min(ram)
            } else {
                g.free_bytes()
                    .saturating_sub(vram_margin_bytes(g.total_bytes))
            }
        })
        .sum();
    (vram, ram)
}

/// VRAM and RAM with every layer offloaded but `kept_bytes` of weights (and the token
/// embeddings) in RAM, `staging_bytes` of their GPU copies; whether `hw` holds that.
pub(crate) fn in_ram_figures(
    b: &MemoryBreakdown,
    split: &WeightSplit,
    kept_bytes: u64,
    staging_bytes: u64,
    hw: &HardwareSnapshot,
) -> ExpertsInRam {
    let (vram, ram) = budgets(hw);
    let vram_bytes = b.total_bytes() - kept_bytes - split.token_embd_bytes + staging_bytes;
    let ram_bytes = kept_bytes + split.token_embd_bytes;
    let fits = !hw.gpus.is_empty()
        && hw.ram.is_some()
        && vram_bytes <= vram
        && if hw.is_unified() {
            ram_bytes + vram_bytes <= ram
        } else {
            ram_bytes <= ram
        };
    ExpertsInRam {
        vram_bytes,
        ram_bytes,
        fits,
    }
}
