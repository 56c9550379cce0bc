//! The plan for a model across machines: how many layers leave this PC and how they split over
//! the devices (the `--tensor-split` seekdeck passes to llama.cpp), chosen with the exact cost
//! of each device's part ([`cluster::shares_split`]). GPUs first — the layers they hold run at
//! their memory's speed —, then this PC's RAM, which costs no network, then other machines' RAM
//! for what remains; each device is given only what it holds, where llama.cpp's default split
//! (by free memory) can ask a card for more than it has while another has room to spare.

use crate::catalog::Architecture;
use crate::estimate::cluster::{
    shares_split, ClusterFit, ClusterMachines, ClusterVerdict, DeviceKind, DeviceShare, THIS_PC,
};
use crate::estimate::launch_settings::TensorSplit;
use crate::estimate::memory::WeightSplit;
use crate::format::format_bytes;

/// The model and the machines a plan is made for.
struct Ask<'a> {
    arch: &'a Architecture,
    split: &'a WeightSplit,
    ctx_tokens: u32,
    machines: &'a ClusterMachines,
}

/// One placement's parts and how much they miss.
struct Parts {
    this_pc: DeviceShare,
    devices: Vec<DeviceShare>,
    missing: u64,
}

impl Ask<'_> {
    /// The parts for `gpu_layers` layers offloaded in `proportions`, the routed experts of the
    /// first `moe_in_ram` blocks in this PC's RAM.
    fn parts(&self, gpu_layers: u32, moe_in_ram: u32, proportions: &[u64]) -> Parts {
        let (this_pc, devices) = shares_split(
            self.arch,
            self.split,
            self.ctx_tokens,
            self.machines,
            (gpu_layers, moe_in_ram),
            proportions,
        );
        let missing = std::iter::once(&this_pc)
            .chain(&devices)
            .map(|d| d.total_bytes().saturating_sub(d.budget_bytes))
            .sum();
        Parts {
            this_pc,
            devices,
            missing,
        }
    }

    /// The parts when each device takes `counts[i]` layers (as a `--tensor-split` of layer
    /// counts places them: llama.cpp's cumulative shares fall exactly on the counts).
    fn counted(&self, counts: &[u64], moe_in_ram: u32) -> Parts {
        let total: u64 = counts.iter().sum();
        self.parts(total as u32, moe_in_ram, counts)
    }

    /// Layers: the blocks and the output layer.
    fn layers(&self) -> u64 {
        u64::from(self.arch.layers) + 1
    }

    /// The devices of `kind` in the order they are filled: this PC's own first (nothing to
    /// send), then the other machines' in llama.cpp's order.
    fn devices_of(&self, kind: DeviceKind) -> Vec<usize> {
        let devices = &self.machines.devices;
        let mut of: Vec<usize> = (0..devices.len())
            .filter(|&i| devices[i].kind == kind)
            .collect();
        of.sort_by_key(|&i| devices[i].machine != THIS_PC);
        of
    }

    /// Layer counts per device: the most layers the GPUs hold, then other machines' RAM only
    /// for what this PC cannot keep (fewest layers there first).
    fn fill(&self, moe_in_ram: u32) -> Vec<u64> {
        let gpus = self.devices_of(DeviceKind::Gpu);
        let rams = self.devices_of(DeviceKind::Ram);
        let none = vec![0u64; self.machines.devices.len()];
        let on_gpus = (1..=self.layers())
            .rev()
            .find_map(|n| self.spread(&none, n, &gpus, moe_in_ram))
            .unwrap_or_else(|| none.clone());
        if self.counted(&on_gpus, moe_in_ram).this_pc.fits() {
            return on_gpus;
        }
        let left = self.layers() - on_gpus.iter().sum::<u64>();
        let receivers: Vec<usize> = gpus.iter().chain(&rams).copied().collect();
        // The fewest layers sent that let this PC hold the rest; if none does, the most the
        // other machines hold (this PC then misses least).
        let mut most = on_gpus.clone();
        for n in 1..=left {
            let Some(counts) = self.spread(&on_gpus, n, &receivers, moe_in_ram) else {
                continue;
            };
            if self.counted(&counts, moe_in_ram).this_pc.fits() {
                return counts;
            }
            most = counts;
        }
        most
    }

    /// `counts` with `n` more layers on `receivers` — each filled in turn to what its budget
    /// holds at the model's average layer, then moved one at a time off any device that does
    /// not fit (the output layer, and where each block lands, shift as counts change) onto the
    /// first receiver that still fits; `None` when some device cannot be made to fit.
    fn spread(
        &self,
        counts: &[u64],
        n: u64,
        receivers: &[usize],
        moe_in_ram: u32,
    ) -> Option<Vec<u64>> {
        let mut counts = counts.to_vec();
        let per_layer = (self.split.total_bytes() / self.layers()).max(1);
        let mut left = n;
        for (k, &i) in receivers.iter().enumerate() {
            let room = self.machines.devices[i].budget_bytes / per_layer;
            let take = if k + 1 == receivers.len() {
                left
            } else {
                room.saturating_sub(counts[i]).min(left)
            };
            counts[i] += take;
            left -= take;
        }
        if left > 0 || receivers.is_empty() {
            return None;
        }
        for _ in 0..self.layers() * receivers.len() as u64 {
            let parts = self.counted(&counts, moe_in_ram);
            let Some(over) = (0..counts.len()).find(|&j| counts[j] > 0 && !parts.devices[j].fits())
            else {
                return Some(counts);
            };
            counts[over] -= 1;
            let to = receivers.iter().copied().find(|&r| {
                r != over && {
                    counts[r] += 1;
                    let fits = self.counted(&counts, moe_in_ram).devices[r].fits();
                    counts[r] -= 1;
                    fits
                }
            })?;
            counts[to] += 1;
        }
        None
    }

    /// Every layer on GPUs: nothing runs on a CPU but the inputs.
    fn all_on_gpus(&self, p: &Parts) -> bool {
        p.this_pc.blocks == 0
            && !p.this_pc.output_layer
            && p.devices
                .iter()
                .zip(&self.machines.devices)
                .all(|(d, m)| m.kind == DeviceKind::Gpu || (d.blocks == 0 && !d.output_layer))
    }

    /// The fit of `parts`, with its split and why the split is needed.
    fn finish(
        &self,
        parts: Parts,
        gpu_layers: u32,
        moe_in_ram: u32,
        split: TensorSplit,
    ) -> ClusterFit {
        let verdict = if parts.missing == 0 {
            ClusterVerdict::Fits {
                machines: holding_machines(&parts.this_pc, &parts.devices),
            }
        } else {
            ClusterVerdict::Short {
                missing_bytes: parts.missing,
            }
        };
        let mut fit = ClusterFit {
            gpu_layers,
            cpu_moe: moe_in_ram > 0,
            this_pc: parts.this_pc,
            devices: parts.devices,
            tensor_split: split,
            split_note: None,
            verdict,
        };
        if !fit.tensor_split.0.is_empty() && gpu_layers > 0 {
            fit.split_note = Some(self.split_note(&fit, moe_in_ram));
        }
        fit
    }

    /// Why the plan's split and not llama.cpp's default: every layer offloaded, split by free
    /// memory.
    fn split_note(&self, fit: &ClusterFit, moe_in_ram: u32) -> String {
        let free: Vec<u64> = self.machines.devices.iter().map(|d| d.free_bytes).collect();
        let default = self.parts(self.layers() as u32, moe_in_ram, &free);
        let ours = format!("--tensor-split {}", fit.tensor_split.label());
        let over = default
            .devices
            .iter()
            .find(|d| (d.blocks > 0 || d.output_layer) && !d.fits());
        if let Some(d) = over {
            return format!(
                "{ours}: llama.cpp's default, every layer split by free memory, would put {} on {} · {}, \
                 which has {} usable; this split gives each device what it holds",
                format_bytes(d.total_bytes()),
                d.machine,
                d.name,
                format_bytes(d.budget_bytes)
            );
        }
        let sent = |devices: &[DeviceShare]| -> u64 {
            devices
                .iter()
                .filter(|d| d.machine != THIS_PC)
                .map(|d| d.weights_bytes)
                .sum()
        };
        let saved = sent(&default.devices).saturating_sub(fit.sent_bytes());
        if saved > 0 {
            format!(
                "{ours}: GPUs first, then this PC's RAM, other machines' RAM only for the rest — \
                 {} less sent over the network than llama.cpp's default (every layer split by \
                 free memory)",
                format_bytes(saved)
            )
        } else {
            format!("{ours}: GPUs first, then this PC's RAM, other machines' RAM only for the rest")
        }
    }

    /// The balanced plan: [`Ask::fill`] with every expert on the devices, and for an MoE model
    /// with the routed experts in this PC's RAM (`--cpu-moe`); every layer on GPUs wins (with
    /// experts on them first), then whichever fits, then whichever misses least.
    fn balanced(&self) -> ClusterFit {
        let layouts: Vec<u32> = if self.arch.moe.is_some() {
            vec![0, self.arch.layers]
        } else {
            vec![0]
        };
        let mut tried: Vec<(u32, Vec<u64>, Parts)> = layouts
            .into_iter()
            .map(|m| {
                let counts = self.fill(m);
                let parts = self.counted(&counts, m);
                (m, counts, parts)
            })
            .collect();
        let pick = tried
            .iter()
            .position(|(_, _, p)| p.missing == 0 && self.all_on_gpus(p))
            .or_else(|| tried.iter().position(|(_, _, p)| p.missing == 0))
            .or_else(|| (0..tried.len()).min_by_key(|&i| tried[i].2.missing))
            .unwrap_or(0);
        let (moe_in_ram, counts, parts) = tried.swap_remove(pick);
        let gpu_layers: u64 = counts.iter().sum();
        let split = if gpu_layers == 0 {
            TensorSplit::default()
        } else {
            TensorSplit(counts.iter().map(|&c| (c * 1000) as u32).collect())
        };
        self.finish(parts, gpu_layers as u32, moe_in_ram, split)
    }

    /// The plan with the user's `--tensor-split`: every layer on the devices when that fits;
    /// for an MoE model, else every layer but the routed experts; else the most whole blocks on
    /// the devices that fit, then the same with the experts here; else what misses least.
    fn proportioned(&self, split: &TensorSplit) -> ClusterFit {
        let proportions: Vec<u64> = split.0.iter().map(|&p| u64::from(p)).collect();
        let max = if self.machines.devices.is_empty() {
            0
        } else {
            self.layers() as u32
        };
        let moe = self.arch.moe.is_some();
        let all = self.arch.layers;
        let candidates = std::iter::once((max, 0))
            .chain(moe.then_some((max, all)))
            .chain((1..max).rev().map(|n| (n, 0)))
            .chain((1..max).rev().filter(|_| moe).map(|n| (n, all)));
        let mut best: Option<(u32, u32, Parts)> = None;
        for (n, m) in candidates.filter(|&(n, _)| n > 0) {
            let parts = self.parts(n, m, &proportions);
            if parts.missing == 0 {
                return self.finish(parts, n, m, split.clone());
            }
            if best.as_ref().is_none_or(|b| parts.missing < b.2.missing) {
                best = Some((n, m, parts));
            }
        }
        match best {
            Some((n, m, parts)) => self.finish(parts, n, m, split.clone()),
            None => self.finish(self.parts(0, 0, &proportions), 0, 0, split.clone()),
        }
    }
}

/// The cluster's placement with the split seekdeck balances: GPUs as full as they hold, this
/// PC's RAM next, other machines' RAM for the rest (for an MoE model, the routed experts in this
/// PC's RAM when that puts every layer on GPUs). When nothing fits, the placement that misses
/// least, and by how much.
pub fn plan(
    arch: &Architecture,
    split: &WeightSplit,
    ctx_tokens: u32,
    machines: &ClusterMachines,
) -> ClusterFit {
    plan_with(arch, split, ctx_tokens, machines, None)
}

/// [`plan`], or with the user's `--tensor-split` over the devices (only the layer count chosen).
pub fn plan_with(
    arch: &Architecture,
    split: &WeightSplit,
    ctx_tokens: u32,
    machines: &ClusterMachines,
    tensor_split: Option<&TensorSplit>,
) -> ClusterFit {
    let ask = Ask {
        arch,
        split,
        ctx_tokens,
        machines,
    };
    match tensor_split.filter(|s| !s.0.is_empty()) {
        Some(s) => ask.proportioned(s),
        None => ask.balanced(),
    }
}

/// Machines that hold part of the model.
fn holding_machines(this_pc: &DeviceShare, devices: &[DeviceShare]) -> usize {
    let mut names: Vec<&str> = devices
        .iter()
        .filter(|d| d.blocks > 0 || d.output_layer)
        .map(|d| d.machine.as_str())
        .filter(|m| *m != THIS_PC)
        .collect();
    names.sort_unstable();
    names.dedup();
    names.len() + usize::from(this_pc.total_bytes() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::estimate::cluster::{shares_split, ClusterDevice};
    use crate::estimate::fit::weight_split;
    use crate::estimate::quant::Quant;
    use crate::estimate::tensors::MlaLayout;
    use crate::hardware::cluster_spec::parse_cluster;

    const GIB: u64 = 1 << 30;

    /// Other machines' devices of `kind`, each `free` bytes with 1 GiB of margin, and this PC's
    /// RAM budget.
    fn machines(kind: DeviceKind, free: &[u64], this_pc_ram: u64) -> ClusterMachines {
        ClusterMachines {
            this_pc_ram_budget_bytes: this_pc_ram,
            devices: free
                .iter()
                .enumerate()
                .map(|(i, &f)| ClusterDevice {
                    machine: format!("machine {}", i + 2),
                    name: if kind == DeviceKind::Gpu {
                        "GPU"
                    } else {
                        "CPU"
                    }
                    .into(),
                    kind,
                    free_bytes: f,
                    budget_bytes: f - GIB,
                })
                .collect(),
        }
    }

    fn split_of(id: &str, quant: Quant) -> (Architecture, WeightSplit) {
        let m = builtin_model(id).unwrap();
        let split = weight_split(&m.architecture, quant, MlaLayout::Split);
        (m.architecture, split)
    }

    #[test]
    fn gpus_take_every_layer_they_hold_and_the_split_says_how_many() {
        let (arch, split) = split_of("deepseek-r1-distill-qwen-7b", Quant::Q4_K_M);
        let fit = plan(
            &arch,
            &split,
            8192,
            &machines(DeviceKind::Gpu, &[20 * GIB; 2], 64 * GIB),
        );
        // One 20 GiB card holds the whole 4.4 GiB model: one machine is sent to, not two
        // (every machine more is a network hop per token).
        assert_eq!(fit.gpu_layers, 29);
        assert_eq!(fit.verdict, ClusterVerdict::Fits { machines: 2 });
        assert_eq!(fit.flags(), "-ngl 29 --tensor-split 29,0");
        // Two 4 GiB cards: both take layers, each within its budget.
        let small = machines(DeviceKind::Gpu, &[4 * GIB + GIB / 2; 2], 64 * GIB);
        let fit = plan(&arch, &split, 8192, &small);
        assert_eq!(fit.gpu_layers, 29);
        assert_eq!(fit.verdict, ClusterVerdict::Fits { machines: 3 });
        assert!(
            fit.devices.iter().all(|d| d.blocks > 0 && d.fits()),
            "{fit:#?}"
        );
        assert_eq!(fit.tensor_split.0.iter().sum::<u32>(), 29 * 1000);
    }

    #[test]
    fn this_pc_keeps_what_it_holds_and_other_machines_ram_takes_only_the_rest() {
        // R1-Distill-Llama-70B Q4_K_M (about 40 GiB) with 24 GiB of RAM here and two CPU
        // workers of 32 GiB: this PC keeps what fits, the workers take the rest.
        let (arch, split) = split_of("deepseek-r1-distill-llama-70b", Quant::Q4_K_M);
        let both = machines(DeviceKind::Ram, &[32 * GIB; 2], 24 * GIB);
        let fit = plan(&arch, &split, 8192, &both);
        assert!(
            matches!(fit.verdict, ClusterVerdict::Fits { .. }),
            "{fit:?}"
        );
        assert!(fit.this_pc.blocks > 30, "{}", fit.this_pc.blocks);
        // llama.cpp's default would send everything: blocks split by free memory.
        let default_sent: u64 = split.total_bytes() - split.token_embd_bytes;
        assert!(
            fit.sent_bytes() < default_sent / 2,
            "{} sent",
            fit.sent_bytes()
        );
        assert!(
            fit.split_note.as_ref().unwrap().contains("less sent"),
            "{:?}",
            fit.split_note
        );
        // With the model fitting here, nothing goes out at all.
        let big = machines(DeviceKind::Ram, &[32 * GIB; 2], 128 * GIB);
        let fit = plan(&arch, &split, 8192, &big);
        assert_eq!((fit.gpu_layers, fit.sent_bytes()), (0, 0));
        assert_eq!(fit.verdict, ClusterVerdict::Fits { machines: 1 });
        assert!(fit.flags() == "-ngl 0", "{}", fit.flags());
    }

    /// The defect: `fit deepseek-r1 --quant IQ1_S --assume "3x (24GiB GPU, 64GiB RAM)"` missed
    /// 899 MiB with llama.cpp's split by free memory (23.7 GiB on a card with 22.8 usable) and
    /// the other machines' RAM unused. Balanced, with each machine's RAM a device, it fits.
    #[test]
    fn three_gaming_pcs_hold_r1_at_iq1_s_with_a_balanced_split() {
        let (arch, split) = split_of("deepseek-r1", Quant::IQ1_S);
        let c = parse_cluster("3x (24GiB GPU, 64GiB RAM)").unwrap();
        let machines = ClusterMachines::from_snapshots(&c.machines[0], &c.machines[1..]);
        let kinds: Vec<DeviceKind> = machines.devices.iter().map(|d| d.kind).collect();
        use DeviceKind::{Gpu, Ram};
        assert_eq!(kinds, vec![Gpu, Ram, Gpu, Ram, Gpu]);
        let fit = plan(&arch, &split, 8192, &machines);
        assert_eq!(
            fit.verdict,
            ClusterVerdict::Fits { machines: 3 },
            "{fit:#?}"
        );
        for d in std::iter::once(&fit.this_pc).chain(&fit.devices) {
            assert!(
                d.fits(),
                "{} · {}: {} over {}",
                d.machine,
                d.name,
                d.total_bytes(),
                d.budget_bytes
            );
        }
        // The same layers split over the cards by free memory, as llama.cpp did, overflow one
        // (the defect's 23.7 GiB on 22.8 usable); the balanced split is what makes them fit.
        let gpus_only: Vec<u64> = machines
            .devices
            .iter()
            .map(|d| if d.kind == Gpu { d.free_bytes } else { 0 })
            .collect();
        let (_, devices) = shares_split(
            &arch,
            &split,
            8192,
            &machines,
            (fit.gpu_layers, 0),
            &gpus_only,
        );
        assert!(devices.iter().any(|d| !d.fits()), "{devices:#?}");
        // This PC's 64 GiB keeps the rest: nothing more is sent than the cards hold.
        let note = fit.split_note.as_deref().unwrap();
        assert!(note.contains("less sent over the network"), "{note}");
        // Every GPU holds layers; the plan is what llama.cpp is told.
        assert!(fit
            .devices
            .iter()
            .filter(|d| d.name != "CPU")
            .all(|d| d.blocks > 0));
        assert_eq!(
            fit.tensor_split.0.iter().sum::<u32>(),
            fit.gpu_layers * 1000,
            "{}",
            fit.flags()
        );
    }

    #[test]
    fn a_model_too_large_says_what_is_missing() {
        let (arch, split) = split_of("deepseek-v3", Quant::Q4_K_M);
        let fit = plan(
            &arch,
            &split,
            8192,
            &machines(DeviceKind::Gpu, &[20 * GIB; 2], 64 * GIB),
        );
        let ClusterVerdict::Short { missing_bytes } = fit.verdict else {
            panic!("V3 Q4_K_M does not fit in 104 GiB");
        };
        assert!(missing_bytes > 200 * GIB, "{missing_bytes}");
    }

    /// DeepSeek-V3 at Q4_K_M (377 GiB) on this PC with 384 GiB of RAM and three 24 GiB GPUs on
    /// other machines: the whole model does not fit the GPUs, its attention, shared experts and
    /// cache do — the routed experts stay in this PC's RAM, as `--cpu-moe` places them.
    #[test]
    fn an_moe_model_keeps_its_experts_here_when_only_the_rest_fits_the_gpus() {
        let (arch, split) = split_of("deepseek-v3", Quant::Q4_K_M);
        let machines = machines(DeviceKind::Gpu, &[24 * GIB; 3], 384 * GIB);
        let fit = plan(&arch, &split, 8192, &machines);
        assert!(fit.cpu_moe);
        assert_eq!(fit.gpu_layers, 62);
        assert!(fit.flags().ends_with(" --cpu-moe"), "{}", fit.flags());
        assert_eq!(fit.verdict, ClusterVerdict::Fits { machines: 4 });
        assert!(
            fit.this_pc.weights_bytes >= split.total_expert_bytes(),
            "every routed expert is here"
        );
        let on_devices: u64 = fit.devices.iter().map(|d| d.weights_bytes).sum();
        assert_eq!(
            on_devices + fit.this_pc.weights_bytes,
            split.total_bytes(),
            "each weight counted once"
        );
    }

    #[test]
    fn the_users_split_is_kept_and_only_the_layer_count_chosen() {
        let (arch, split) = split_of("deepseek-r1-distill-qwen-7b", Quant::Q4_K_M);
        let m = machines(DeviceKind::Gpu, &[20 * GIB; 2], 64 * GIB);
        let ts = TensorSplit::parse("3,1").unwrap();
        let fit = plan_with(&arch, &split, 8192, &m, Some(&ts));
        assert_eq!(fit.tensor_split, ts);
        assert_eq!(fit.gpu_layers, 29);
        assert!(fit.devices[0].blocks > 2 * fit.devices[1].blocks);
    }

    /// Proportions past the last device are not read (as llama.cpp reads one per device): every
    /// layer is still placed once.
    #[test]
    fn proportions_past_the_devices_are_not_read() {
        let (arch, split) = split_of("deepseek-r1-distill-qwen-7b", Quant::Q4_K_M);
        let m = machines(DeviceKind::Gpu, &[20 * GIB; 2], 64 * GIB);
        let ts = TensorSplit::parse("1,1,5").unwrap();
        let fit = plan_with(&arch, &split, 8192, &m, Some(&ts));
        let blocks: u32 = std::iter::once(&fit.this_pc)
            .chain(&fit.devices)
            .map(|d| d.blocks)
            .sum();
        assert_eq!(blocks, 28);
        assert!(fit.devices.iter().any(|d| d.output_layer) || fit.this_pc.output_layer);
    }
}
