//! Tensors a launch keeps in RAM while their blocks are offloaded: llama.cpp's `--cpu-moe` (every
//! routed expert), `--n-cpu-moe N` (those of the first N blocks) and `--override-tensor
//! PATTERN=CPU` (any tensor whose name the pattern matches). Each moves its bytes from VRAM to RAM,
//! and for prompt batches llama.cpp copies such weights to the GPU to multiply there, so the GPU's
//! compute buffer grows by their copies there ([`KeptInRam::copies`]).

use serde::{Deserialize, Serialize};

use super::launch_settings::{LaunchSettings, MoeOffload};
use super::quant::Quant;
use super::tensors::{assign_types, tensor_plan, MlaLayout};
use super::weight_copies::{BlockCopies, CopyKind};
use crate::catalog::Architecture;

/// One tensor of a model: its GGUF name, block and bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedTensor {
    /// GGUF name (`blk.3.ffn_up_exps.weight`).
    pub name: String,
    /// Its block, for per-block tensors.
    pub layer: Option<u32>,
    /// Bytes at its type.
    pub bytes: u64,
}

/// A catalog model's tensors at `quant`, as a GGUF of it would name them.
pub fn catalog_tensors(arch: &Architecture, quant: Quant, layout: MlaLayout) -> Vec<NamedTensor> {
    let plan = tensor_plan(arch, layout);
    let types = assign_types(&plan, arch, quant);
    plan.iter()
        .zip(types)
        .map(|(t, ty)| NamedTensor {
            name: t.name(),
            layer: t.layer,
            bytes: ty.bytes_for(t.elements()),
        })
        .collect()
}

/// llama.cpp's name pattern of routed-expert tensors (`LLM_FFN_EXPS_REGEX`, common/common.h).
fn is_routed_expert(name: &str) -> bool {
    ["up", "down", "gate", "gate_up"].iter().any(|w| {
        name.contains(&format!(".ffn_{w}_exps")) || name.contains(&format!(".ffn_{w}_chexps"))
    })
}

/// What a launch keeps in RAM beyond the token embeddings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct KeptInRam {
    /// Bytes kept in RAM, all blocks.
    pub bytes: u64,
    /// Of which per block.
    pub per_block: Vec<u64>,
    /// Each block's kept tensors in graph order (the GPU's copies of them for prompts).
    copies: Vec<BlockCopies>,
    /// Tensors each override matched, in order (0: the pattern matches nothing in this model).
    pub matched: Vec<usize>,
}

impl KeptInRam {
    /// Nothing kept.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Each block's kept tensors in graph order: what llama.cpp copies to the GPU to multiply
    /// there for prompt batches ([`crate::estimate::weight_copies::copies_growth`]).
    pub fn copies(&self) -> &[BlockCopies] {
        &self.copies
    }
}

/// The tensors `settings` keep in RAM for a model of `blocks` blocks with `tensors`: a tensor
/// matched by an override, or a routed expert of a block `--cpu-moe` / `--n-cpu-moe` names.
/// `Auto` keeps no expert here (the plan decides that for itself).
pub fn kept_in_ram(tensors: &[NamedTensor], blocks: u32, settings: &LaunchSettings) -> KeptInRam {
    let matchers: Vec<regex::Regex> = settings.overrides.iter().map(|o| o.matcher()).collect();
    let mut kept = KeptInRam {
        per_block: vec![0; blocks as usize],
        copies: vec![Vec::new(); blocks as usize],
        matched: vec![0; matchers.len()],
        ..KeptInRam::default()
    };
    for t in tensors {
        // llama.cpp takes the first override that matches (all go to the CPU here).
        let by_override = matchers.iter().position(|m| m.is_match(&t.name));
        if let Some(i) = by_override {
            kept.matched[i] += 1;
        }
        let by_moe = is_routed_expert(&t.name)
            && match settings.moe {
                MoeOffload::Auto => false,
                MoeOffload::AllInRam => true,
                MoeOffload::FirstLayers(n) => t.layer.is_some_and(|l| l < n),
            };
        if by_override.is_none() && !by_moe {
            continue;
        }
        // The token embeddings are in RAM whatever the overrides say.
        if t.name.starts_with("token_embd.") {
            continue;
        }
        kept.bytes += t.bytes;
        if let Some(l) = t.layer.filter(|&l| l < blocks) {
            let l = l as usize;
            kept.per_block[l] += t.bytes;
            let copies = &mut kept.copies[l];
            copies.push((CopyKind::of_name(&t.name), t.bytes));
            copies.sort_by_key(|c| c.0);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::estimate::fit::weight_split;
    use crate::estimate::tensor_override::TensorOverride;

    #[test]
    fn n_cpu_moe_keeps_the_experts_of_the_first_blocks() {
        let a = builtin_model("deepseek-v3").unwrap().architecture;
        let tensors = catalog_tensors(&a, Quant::Q4_K_M, MlaLayout::Split);
        let split = weight_split(&a, Quant::Q4_K_M, MlaLayout::Split);
        let n = |n| LaunchSettings {
            moe: MoeOffload::FirstLayers(n),
            ..LaunchSettings::default()
        };
        // Blocks 0–2 are dense: no experts to keep.
        assert!(kept_in_ram(&tensors, 61, &n(3)).is_empty());
        let ten = kept_in_ram(&tensors, 61, &n(10));
        assert_eq!(ten.bytes, split.expert_bytes[..10].iter().sum::<u64>());
        let all = kept_in_ram(
            &tensors,
            61,
            &LaunchSettings {
                moe: MoeOffload::AllInRam,
                ..LaunchSettings::default()
            },
        );
        assert_eq!(all.bytes, split.total_expert_bytes());
        assert_eq!(all.copies(), split.expert_copies_of_first(61));
    }

    #[test]
    fn overrides_keep_what_they_match_and_say_what_matched_nothing() {
        let a = builtin_model("deepseek-v2-lite").unwrap().architecture;
        let tensors = catalog_tensors(&a, Quant::Q8_0, MlaLayout::Split);
        let s = LaunchSettings {
            overrides: vec![
                TensorOverride::parse(r"blk\.(1|2)\.ffn_down_exps=CPU").unwrap(),
                TensorOverride::parse(r"ffn_.*_xyz=CPU").unwrap(),
            ],
            ..LaunchSettings::default()
        };
        let k = kept_in_ram(&tensors, 27, &s);
        assert_eq!(k.matched, vec![2, 0]);
        // One down-projection of 64 experts × 2048 × 1408 at Q8_0 (34 bytes per 32) per block.
        let down = 64 * 2048 * 1408 / 32 * 34;
        assert_eq!(k.bytes, 2 * down);
        assert_eq!(k.per_block[1], down);
        assert_eq!(k.copies()[1], vec![(CopyKind::Down, down)]);
    }
}
