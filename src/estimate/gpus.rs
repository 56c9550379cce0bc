//! A model over several GPUs of one PC, as llama.cpp's layer split places it: the same device
//! placement as a model across machines ([`crate::estimate::cluster`] — a GPU and another
//! machine's worker are both devices), over this PC's GPUs alone, split by free memory or by
//! `--tensor-split`, or all on the main GPU with `--split-mode none`. A sum of VRAM is not what
//! counts: each card holds its share of the blocks, their cache and a compute buffer of its own,
//! so a model the sum holds may still not fit one card's part; then the layer count and the
//! experts kept in RAM come down until every card holds its part.

use super::cluster::{shares_with, ClusterMachines, DeviceShare};
use super::launch_settings::{LaunchSettings, SplitMode};
use super::memory::{MemoryBreakdown, WeightSplit};
use super::moe_layers::{n_cpu_moe_rows, MoeRow};
use crate::catalog::Architecture;
use crate::hardware::HardwareSnapshot;

/// This PC's GPUs as devices of the split, when there are two or more discrete ones: their
/// budgets, and what the split follows (free memory, or the tensor split's proportions).
pub fn gpu_machines(hw: &HardwareSnapshot, settings: &LaunchSettings) -> Option<ClusterMachines> {
    if hw.gpus.len() < 2 || hw.gpus.iter().any(|g| g.unified) {
        return None;
    }
    let mut machines = ClusterMachines::from_snapshots(hw, &[]);
    match settings.split_mode {
        SplitMode::None => {
            let main = (settings.main_gpu as usize).min(machines.devices.len() - 1);
            machines.devices = vec![machines.devices.swap_remove(main)];
        }
        SplitMode::Layer | SplitMode::Row => {
            let ratio = &settings.tensor_split.0;
            if !ratio.is_empty() {
                for (i, d) in machines.devices.iter_mut().enumerate() {
                    // llama.cpp reads a missing proportion as 0: that GPU takes no layer.
                    d.free_bytes = u64::from(ratio.get(i).copied().unwrap_or(0));
                }
            }
        }
    }
    Some(machines)
}

/// A placement checked card by card: `-ngl gpu_layers` with the experts of the first
/// `moe_in_ram` blocks in RAM, each card's part, and this PC's (CPU and RAM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuPlacement {
    /// llama.cpp's `-ngl`.
    pub gpu_layers: u32,
    /// Blocks whose routed experts stay in RAM.
    pub moe_in_ram: u32,
    /// This PC's CPU and RAM.
    pub this_pc: DeviceShare,
    /// Each GPU's part.
    pub devices: Vec<DeviceShare>,
    /// Every card and the RAM hold their part.
    pub fits: bool,
}

/// The placement `(gpu_layers, moe_in_ram)` card by card.
fn placed(
    arch: &Architecture,
    split: &WeightSplit,
    ctx: u32,
    machines: &ClusterMachines,
    (gpu_layers, moe_in_ram): (u32, u32),
) -> GpuPlacement {
    let (this_pc, devices) = shares_with(arch, split, ctx, machines, gpu_layers, moe_in_ram);
    let fits = this_pc.fits() && devices.iter().all(DeviceShare::fits);
    GpuPlacement {
        gpu_layers,
        moe_in_ram,
        this_pc,
        devices,
        fits,
    }
}

/// A model over this PC's GPUs: every placement is judged card by card.
pub struct OnGpus<'a> {
    arch: &'a Architecture,
    split: &'a WeightSplit,
    ctx: u32,
    machines: ClusterMachines,
}

impl<'a> OnGpus<'a> {
    /// `None` with fewer than two discrete GPUs (one GPU is judged by its budget alone).
    pub fn new(
        arch: &'a Architecture,
        split: &'a WeightSplit,
        ctx: u32,
        settings: &LaunchSettings,
        hw: &HardwareSnapshot,
    ) -> Option<Self> {
        Some(Self {
            arch,
            split,
            ctx,
            machines: gpu_machines(hw, settings)?,
        })
    }

    /// `-ngl gpu_layers` with the experts of the first `moe_in_ram` blocks in RAM.
    pub fn place(&self, gpu_layers: u32, moe_in_ram: u32) -> GpuPlacement {
        placed(
            self.arch,
            self.split,
            self.ctx,
            &self.machines,
            (gpu_layers, moe_in_ram),
        )
    }

    /// The most whole layers every card holds (llama.cpp's `-ngl`), if any.
    pub fn most_layers(&self) -> Option<GpuPlacement> {
        (1..=self.arch.layers + 1)
            .rev()
            .map(|g| self.place(g, 0))
            .find(|p| p.fits)
    }

    /// Every layer with the fewest blocks' experts in RAM that every card holds (an MoE model).
    pub fn fewest_experts_in_ram(&self) -> Option<GpuPlacement> {
        if self.split.total_expert_bytes() == 0 {
            return None;
        }
        (0..=self.arch.layers)
            .map(|n| self.place(self.arch.layers + 1, n))
            .find(|p| p.fits)
    }

    /// `--n-cpu-moe N` for every N, card by card: VRAM the sum of the cards' parts, RAM this
    /// PC's, fitting when every card and the RAM hold theirs.
    pub fn moe_rows(&self) -> Vec<MoeRow> {
        (0..=self.arch.layers)
            .map(|n| {
                let p = self.place(self.arch.layers + 1, n);
                MoeRow {
                    n,
                    vram_bytes: p.devices.iter().map(DeviceShare::total_bytes).sum(),
                    ram_bytes: p.this_pc.total_bytes(),
                    fits: p.fits,
                }
            })
            .collect()
    }
}

/// `--n-cpu-moe` rows for a machine: card by card on a PC with several GPUs, else by the one
/// budget ([`n_cpu_moe_rows`]).
pub fn moe_rows(
    arch: &Architecture,
    split: &WeightSplit,
    b: &MemoryBreakdown,
    ctx: u32,
    settings: &LaunchSettings,
    hw: &HardwareSnapshot,
) -> Vec<MoeRow> {
    match OnGpus::new(arch, split, ctx, settings, hw) {
        Some(g) => g.moe_rows(),
        None => n_cpu_moe_rows(arch, b, split, hw, ctx, settings.effective_ubatch()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::estimate::fit::{estimate_with_settings, Verdict};
    use crate::estimate::launch_settings::TensorSplit;
    use crate::estimate::quant::Quant;
    use crate::hardware::assume::parse_assume;

    const TWO_3090: &str = "2x24GiB GPU, 128GiB RAM";

    #[test]
    fn two_cards_each_hold_their_part() {
        // R1-Distill-Qwen-32B at Q4_K_M (18.5 GiB) on two 24 GiB cards: 65 layers split by free
        // memory, 33 on the first (blocks 0–32), 31 blocks and the output on the second.
        let m = builtin_model("deepseek-r1-distill-qwen-32b").unwrap();
        let hw = parse_assume(TWO_3090).unwrap();
        let r = estimate_with_settings(&m, Quant::Q4_K_M, 8192, &hw, &LaunchSettings::default());
        assert_eq!(r.verdict, Verdict::FitsGpu);
        assert_eq!(r.gpus.len(), 2);
        assert_eq!((r.gpus[0].first_block, r.gpus[0].blocks), (0, 33));
        assert_eq!(
            (
                r.gpus[1].first_block,
                r.gpus[1].blocks,
                r.gpus[1].output_layer
            ),
            (33, 31, true)
        );
        assert!(r.gpus.iter().all(DeviceShare::fits));
        // 3:1 moves three quarters of the layers to the first card.
        let ts = LaunchSettings {
            tensor_split: TensorSplit::parse("3,1").unwrap(),
            ..LaunchSettings::default()
        };
        let r = estimate_with_settings(&m, Quant::Q4_K_M, 8192, &hw, &ts);
        assert_eq!(r.gpus[0].blocks, 49);
        // --split-mode none: all on the main GPU, which is too small for all of it.
        let none = LaunchSettings {
            split_mode: SplitMode::None,
            main_gpu: 1,
            ..LaunchSettings::default()
        };
        let r = estimate_with_settings(&m, Quant::Q4_K_M, 8192, &hw, &none);
        assert_eq!(r.gpus.len(), 1);
        assert!(r.gpus.iter().all(DeviceShare::fits));
    }

    #[test]
    fn a_model_the_sum_holds_but_not_the_cards_comes_down_until_each_holds_its_part() {
        // R1-Distill-Llama-70B at Q4_K_M (39.6 GiB of weights) at 32K tokens: the sum of two
        // 24 GiB cards' budgets is just enough for the one-device total, but each card keeps a
        // compute buffer of its own and the split follows free memory, not need.
        let m = builtin_model("deepseek-r1-distill-llama-70b").unwrap();
        let hw = parse_assume(TWO_3090).unwrap();
        let r = estimate_with_settings(&m, Quant::Q4_K_M, 32768, &hw, &LaunchSettings::default());
        assert!(r.gpus.iter().all(DeviceShare::fits), "{:?}", r.gpus);
        assert!(r.gpu_bytes <= r.vram_budget_bytes);
        if let Verdict::PartialOffload { gpu_layers, .. } = r.verdict {
            assert!(gpu_layers < 81);
        }
    }
}
