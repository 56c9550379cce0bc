//! A model placed over several machines the way llama.cpp's RPC back-end places it: this PC's CPU
//! keeps the first blocks and the token embeddings, the other machines' devices (and this PC's own
//! GPUs, after them, as llama.cpp orders devices) take the rest by llama.cpp's tensor split —
//! proportional to each device's free memory — with each block's KV cache beside it, the output
//! layer on the last device, and a compute buffer on every device. Pure: the figures per device,
//! the layer count that fits, the verdict, and the smallest cluster of alike machines.

use serde::Serialize;

use crate::catalog::Architecture;
use crate::estimate::compute_buffer::{attention_stage, sparse_attention_bytes};
use crate::estimate::compute_buffer::{CTX_PAD_TOKENS, UBATCH_TOKENS};
use crate::estimate::launch_settings::TensorSplit;
use crate::estimate::memory::{budgets, WeightSplit};
use crate::estimate::placement::{
    vram_margin_bytes, Offload, Placement, OVERHEAD_BYTES, UNIFIED_GPU_SHARE,
};
use crate::estimate::sparse_split::{self, DevicePart};
use crate::hardware::assume::SIMULATED_OS_RESERVE_BYTES;
use crate::hardware::rpc_probe::WorkerReading;
use crate::hardware::HardwareSnapshot;

/// What kind of memory a device is: a GPU's, or a machine's RAM (its CPU computes there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeviceKind {
    /// A GPU: the layers it holds run at its memory's speed.
    Gpu,
    /// Another machine's CPU and RAM, served by `seekdeck worker`: as fast as this PC's CPU,
    /// so worth the network only for what this PC cannot hold.
    Ram,
}

/// One device a cluster offloads to: a GPU or another machine's CPU served by `seekdeck worker`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterDevice {
    /// The machine it is on ("this PC", "127.0.0.1:50052", "machine 2").
    pub machine: String,
    /// The device ("CPU", "RTX 4090", "Simulated GPU").
    pub name: String,
    /// A GPU or RAM.
    pub kind: DeviceKind,
    /// Free memory as llama.cpp reads it; the tensor split is proportional to it.
    pub free_bytes: u64,
    /// What the model may use of it (free memory less the safety margin).
    pub budget_bytes: u64,
}

/// The machines a model could run across: this PC's RAM for the blocks it keeps, and the devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterMachines {
    /// RAM this PC lets the model use (after headroom).
    pub this_pc_ram_budget_bytes: u64,
    /// Devices in llama.cpp's order: other machines' first, then this PC's GPUs.
    pub devices: Vec<ClusterDevice>,
}

impl ClusterMachines {
    /// Machines in the cluster: this PC and each other machine named by a device.
    pub fn machine_count(&self) -> usize {
        let mut names: Vec<&str> = self
            .devices
            .iter()
            .map(|d| d.machine.as_str())
            .filter(|m| *m != THIS_PC)
            .collect();
        names.sort_unstable();
        names.dedup();
        names.len() + 1
    }
}

impl ClusterMachines {
    /// `main` runs the chat (its RAM keeps the first blocks, its GPUs come last in llama.cpp's
    /// device order); each of `others` serves its devices as `seekdeck worker` does: its GPUs,
    /// then its CPU with its RAM. Machines are named "machine 2", "machine 3", …
    pub fn from_snapshots(main: &HardwareSnapshot, others: &[HardwareSnapshot]) -> Self {
        let mut devices = Vec::new();
        for (i, hw) in others.iter().enumerate() {
            let machine = format!("machine {}", i + 2);
            devices.extend(gpu_devices(&machine, hw));
            // A unified-memory machine's GPU is its RAM: nothing is left to serve twice.
            if !hw.is_unified() {
                devices.push(ClusterDevice {
                    machine,
                    name: "CPU".into(),
                    kind: DeviceKind::Ram,
                    // llama.cpp's CPU device calls all of its memory free (ggml-cpu's
                    // `get_memory`), which is what its split follows.
                    free_bytes: hw.ram.as_ref().map_or(0, |r| r.total_bytes),
                    budget_bytes: budgets(hw).1,
                });
            }
        }
        let (vram, ram) = budgets(main);
        devices.extend(gpu_devices(THIS_PC, main));
        Self {
            // A unified-memory PC's GPU share comes out of the same RAM.
            this_pc_ram_budget_bytes: if main.is_unified() {
                ram.saturating_sub(vram)
            } else {
                ram
            },
            devices,
        }
    }

    /// `main` (this PC, read live) and the workers as they answered: each device with the
    /// free memory it reports (a CPU device reports its total) less a margin.
    pub fn from_workers(main: &HardwareSnapshot, workers: &[WorkerReading]) -> Self {
        let mut machines = Self::from_snapshots(main, &[]);
        let remote = workers.iter().flat_map(|w| {
            w.devices
                .iter()
                .enumerate()
                .map(move |(i, d)| ClusterDevice {
                    machine: w.endpoint.clone(),
                    name: if w.devices.len() > 1 {
                        format!("device {}", i + 1)
                    } else {
                        "device".into()
                    },
                    // llama.cpp's CPU device calls all of its memory free; a GPU never does.
                    kind: if d.free_bytes >= d.total_bytes {
                        DeviceKind::Ram
                    } else {
                        DeviceKind::Gpu
                    },
                    free_bytes: d.free_bytes,
                    budget_bytes: d
                        .free_bytes
                        .saturating_sub(if d.free_bytes >= d.total_bytes {
                            SIMULATED_OS_RESERVE_BYTES
                        } else {
                            vram_margin_bytes(d.total_bytes)
                        }),
                })
        });
        let local = std::mem::take(&mut machines.devices);
        machines.devices = remote.chain(local).collect();
        machines
    }
}

/// A machine's GPUs as cluster devices, each with its budget.
fn gpu_devices(machine: &str, hw: &HardwareSnapshot) -> Vec<ClusterDevice> {
    let ram = budgets(hw).1;
    hw.gpus
        .iter()
        .map(|g| {
            let (free, budget) = if g.unified {
                let share = ((g.total_bytes as f64 * UNIFIED_GPU_SHARE) as u64).min(ram);
                (g.total_bytes, share)
            } else {
                (
                    g.free_bytes(),
                    g.free_bytes()
                        .saturating_sub(vram_margin_bytes(g.total_bytes)),
                )
            };
            ClusterDevice {
                machine: machine.to_owned(),
                name: g.name.clone(),
                kind: DeviceKind::Gpu,
                free_bytes: free,
                budget_bytes: budget,
            }
        })
        .collect()
}

/// How this PC is named among the machines.
pub const THIS_PC: &str = "this PC";

/// What one device (or this PC's CPU) holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceShare {
    /// The machine.
    pub machine: String,
    /// The device.
    pub name: String,
    /// A GPU, or RAM (this PC's CPU is RAM).
    pub kind: DeviceKind,
    /// Blocks placed here (first, count); count 0 when none.
    pub first_block: u32,
    /// How many blocks.
    pub blocks: u32,
    /// Whether the output layer is here.
    pub output_layer: bool,
    /// Weights.
    pub weights_bytes: u64,
    /// KV cache of its blocks.
    pub kv_bytes: u64,
    /// Its compute buffer.
    pub compute_bytes: u64,
    /// Runtime overhead counted here (this PC only).
    pub overhead_bytes: u64,
    /// What it may use.
    pub budget_bytes: u64,
}

impl DeviceShare {
    /// Its blocks in words: "0–20", "31–60 + output", "output", "—".
    pub fn blocks_label(&self) -> String {
        match (self.blocks, self.output_layer) {
            (0, false) => "—".to_owned(),
            (0, true) => "output".to_owned(),
            (n, out) => format!(
                "{}–{}{}",
                self.first_block,
                self.first_block + n - 1,
                if out { " + output" } else { "" }
            ),
        }
    }

    /// Everything it needs.
    pub fn total_bytes(&self) -> u64 {
        self.weights_bytes + self.kv_bytes + self.compute_bytes + self.overhead_bytes
    }
    /// Whether it fits its budget.
    pub fn fits(&self) -> bool {
        self.total_bytes() <= self.budget_bytes
    }
}

/// The verdict for a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ClusterVerdict {
    /// Every device holds its share.
    Fits {
        /// Machines that hold a part.
        machines: usize,
    },
    /// No layer count fits; this much is missing at the closest one.
    Short {
        /// Bytes over budget, summed over the devices that overflow.
        missing_bytes: u64,
    },
}

/// A model across a cluster: the layer count, each part's share, the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterFit {
    /// llama.cpp's `n_gpu_layers` for the cluster (the output layer counts as one).
    pub gpu_layers: u32,
    /// The routed experts stay in this PC's RAM (`--cpu-moe`): the other machines hold
    /// attention, shared experts and cache; taken when nothing fits without it.
    pub cpu_moe: bool,
    /// This PC's CPU and RAM.
    pub this_pc: DeviceShare,
    /// Each device, in llama.cpp's order.
    pub devices: Vec<DeviceShare>,
    /// The `--tensor-split` over the devices: the layers each one takes (empty: by free memory,
    /// llama.cpp's default).
    pub tensor_split: TensorSplit,
    /// Why the plan sets a split, in words, when llama.cpp's default would not do.
    pub split_note: Option<String>,
    /// Fits, or what is missing.
    pub verdict: ClusterVerdict,
}

impl ClusterFit {
    /// llama.cpp's flags for this placement: `-ngl N`, the `--tensor-split`, and `--cpu-moe`
    /// when the experts stay here.
    pub fn flags(&self) -> String {
        let split = if self.tensor_split.0.is_empty() {
            String::new()
        } else {
            format!(" --tensor-split {}", self.tensor_split.label())
        };
        format!(
            "-ngl {}{split}{}",
            self.gpu_layers,
            if self.cpu_moe { " --cpu-moe" } else { "" }
        )
    }

    /// How llama.cpp is told to place it: the layer count (with `--cpu-moe`) and the split.
    pub fn placement(&self) -> (Placement, TensorSplit) {
        let placement = Placement {
            offload: Offload {
                gpu_layers: self.gpu_layers,
                cpu_moe: self.cpu_moe,
                ..Offload::default()
            },
            split_limits: None,
        };
        (placement, self.tensor_split.clone())
    }

    /// Weight bytes that travel to other machines at load, to each machine.
    pub fn sent_to(&self, machine: &str) -> u64 {
        self.devices
            .iter()
            .filter(|d| d.machine == machine)
            .map(|d| d.weights_bytes)
            .sum()
    }

    /// Weight bytes that travel to other machines at load.
    pub fn sent_bytes(&self) -> u64 {
        self.devices
            .iter()
            .filter(|d| d.machine != THIS_PC)
            .map(|d| d.weights_bytes)
            .sum()
    }
}

/// Seconds to send `bytes` over a network of `gbit_per_s` gigabits per second.
pub fn transfer_seconds(bytes: u64, gbit_per_s: f64) -> f64 {
    bytes as f64 * 8.0 / (gbit_per_s * 1e9)
}

/// The device of each layer (blocks `0..blocks`, then the output layer) for `-ngl gpu_layers`
/// over devices with `free` bytes: `None` is this PC's CPU. llama.cpp's own arithmetic
/// (`llama_model::load_tensors`): the last `gpu_layers` layers are offloaded, split at the
/// cumulative shares of free memory, in `f32` as llama.cpp computes them.
pub fn layer_devices(blocks: u32, gpu_layers: u32, free: &[u64]) -> Vec<Option<usize>> {
    let all = blocks + 1;
    let start = all.saturating_sub(gpu_layers);
    let active = if free.is_empty() {
        0
    } else {
        gpu_layers.min(all)
    };
    let mut splits: Vec<f32> = Vec::with_capacity(free.len());
    let mut sum = 0.0f32;
    for &f in free {
        sum += f as f32;
        splits.push(sum);
    }
    for s in &mut splits {
        *s /= sum;
    }
    (0..all)
        .map(|il| {
            if il < start || il - start >= active {
                return None;
            }
            let at = (il - start) as f32 / active as f32;
            let device = splits.partition_point(|&s| s <= at);
            Some(device.min(free.len() - 1))
        })
        .collect()
}

/// The widest per-token stage of block `il` in f32 values: the absorbed MLA attention, or the
/// feed-forward's gate, up and their product (dense, or the routed experts chosen per token).
fn block_stage(arch: &Architecture, il: u32, cpu_moe: bool) -> u64 {
    let attention = attention_stage(arch);
    let ffn = match arch.moe {
        // With the routed experts in this PC's RAM, a device runs only the shared ones.
        Some(m) if arch.is_moe_layer(il) && cpu_moe => {
            3 * u64::from(m.shared_experts) * m.expert_ffn_size
        }
        Some(m) if arch.is_moe_layer(il) => 3 * u64::from(m.experts_per_token) * m.expert_ffn_size,
        _ => 3 * arch.ffn_size,
    };
    attention.max(ffn)
}

/// Where a device sits in the graph, which sizes its compute buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Role {
    /// Its blocks (first, count).
    first: u32,
    count: u32,
    /// It holds the output layer.
    output: bool,
    /// It holds block 0 while this PC's CPU holds none (the graph's first split).
    first_split: bool,
    /// This PC's CPU holds no block.
    all_offloaded: bool,
    /// The routed experts of blocks below this are in this PC's RAM.
    moe_in_ram: u32,
    /// The block before its first is on this PC's CPU.
    after_this_pc: bool,
}

/// The compute buffer of a device in `role`. Fitted to llama.cpp's dry runs over loopback RPC
/// workers (docs/accuracy-cluster.md) like the one-device formula before it: with every block
/// offloaded each device keeps `4·u·(widest stage + k·n_embd) + 8·u·n_ctx` bytes (k = 16 on the
/// device of the graph's first split, 11 after it; the output layer's logits count `n_vocab +
/// 9·n_embd`); with blocks on this PC's CPU, `4·u·(widest stage + 3·n_embd) + 2·u·n_ctx`.
fn device_compute(arch: &Architecture, ctx: u64, role: Role, chunk: Option<u64>) -> u64 {
    let u = UBATCH_TOKENS.min(ctx);
    let part = DevicePart {
        first: role.first,
        count: role.count,
        output: role.output,
        after_this_pc: role.after_this_pc,
        copies: if role.all_offloaded { 4 } else { 1 },
        moe_in_ram: role.moe_in_ram,
        chunk,
    };
    if let Some(replayed) = sparse_split::device_compute(arch, ctx, u, part) {
        return replayed;
    }
    let e = arch.hidden_size;
    let stage = (role.first..role.first + role.count)
        .map(|il| block_stage(arch, il, il < role.moe_in_ram))
        .max()
        .unwrap_or(0);
    let (k_layers, k_output, per_ctx) = if role.all_offloaded {
        (if role.first_split { 16 } else { 11 }, 9, 8)
    } else {
        (3, 3, 2)
    };
    let layers = if role.count > 0 {
        stage + k_layers * e
    } else {
        0
    };
    let output = if role.output {
        arch.vocab_size + k_output * e
    } else {
        0
    };
    4 * u * layers.max(output) + per_ctx * u * ctx + sparse_attention(arch, ctx, role)
}

/// V3.2's sparse-attention stages on a device in `role` (its blocks' top-k rows, the indexer
/// mask's copies: four when every block is offloaded and llama.cpp pipelines the micro-batches).
fn sparse_attention(arch: &Architecture, ctx: u64, role: Role) -> u64 {
    let copies = if role.all_offloaded { 4 } else { 1 };
    sparse_attention_bytes(
        arch,
        ctx,
        UBATCH_TOKENS.min(ctx),
        true,
        (role.count, copies),
    )
}

/// This PC's CPU compute buffer: the one-device formula when it holds blocks (or everything);
/// with every block offloaded, only the inputs, `4·u·10·n_embd + 8·u·n_ctx` — or, with the
/// routed experts here, their stage as well, `4·u·(3·n_used·n_ff_exp + 10·n_embd) + 2·u·n_ctx`
/// (and V3.2's indexer mask, an input like the other: its copies here).
fn this_pc_compute(arch: &Architecture, ctx: u64, role: Role, cpu_moe: bool) -> u64 {
    let u = UBATCH_TOKENS.min(ctx);
    if role.count == 0 && !role.output {
        let inputs = sparse_attention(arch, ctx, role);
        return inputs
            + match arch.moe {
                Some(m) if cpu_moe => {
                    4 * u
                        * (3 * u64::from(m.experts_per_token) * m.expert_ffn_size
                            + 10 * arch.hidden_size)
                        + 2 * u * ctx
                }
                _ => 4 * u * 10 * arch.hidden_size + 8 * u * ctx,
            };
    }
    let stage = (role.first..role.first + role.count)
        .map(|il| block_stage(arch, il, il < role.moe_in_ram))
        .max()
        .unwrap_or(0);
    let output = if role.output { arch.vocab_size } else { 0 };
    4 * u * (stage.max(output) + 5 * arch.hidden_size + 10)
        + 2 * u * ctx
        + sparse_attention(arch, ctx, role)
}

/// Each part's share for `-ngl gpu_layers` at `ctx_tokens` (padded as llama.cpp pads it):
/// this PC's CPU first, then every device; with `cpu_moe` every routed expert in this PC's RAM.
pub fn shares(
    arch: &Architecture,
    split: &WeightSplit,
    ctx_tokens: u32,
    machines: &ClusterMachines,
    gpu_layers: u32,
    cpu_moe: bool,
) -> (DeviceShare, Vec<DeviceShare>) {
    let in_ram = if cpu_moe { arch.layers } else { 0 };
    shares_with(arch, split, ctx_tokens, machines, gpu_layers, in_ram)
}

/// [`shares`] with the routed experts of the first `moe_in_ram` blocks in this PC's RAM
/// (`--n-cpu-moe`; all of them: `--cpu-moe`).
pub fn shares_with(
    arch: &Architecture,
    split: &WeightSplit,
    ctx_tokens: u32,
    machines: &ClusterMachines,
    gpu_layers: u32,
    moe_in_ram: u32,
) -> (DeviceShare, Vec<DeviceShare>) {
    let free: Vec<u64> = machines.devices.iter().map(|d| d.free_bytes).collect();
    shares_split(
        arch,
        split,
        ctx_tokens,
        machines,
        (gpu_layers, moe_in_ram),
        &free,
    )
}

/// [`shares_with`] with the layers split over the devices in proportion to `proportions` (a
/// `--tensor-split`; llama.cpp's default is each device's free memory).
pub fn shares_split(
    arch: &Architecture,
    split: &WeightSplit,
    ctx_tokens: u32,
    machines: &ClusterMachines,
    (gpu_layers, moe_in_ram): (u32, u32),
    proportions: &[u64],
) -> (DeviceShare, Vec<DeviceShare>) {
    let moe_in_ram = if arch.moe.is_some() {
        moe_in_ram.min(arch.layers)
    } else {
        0
    };
    let cpu_moe = moe_in_ram > 0;
    let ctx = u64::from(ctx_tokens).div_ceil(CTX_PAD_TOKENS) * CTX_PAD_TOKENS;
    let blocks = arch.layers;
    let kv_per_block = crate::estimate::kv_cache::cache_bytes(
        arch,
        ctx_tokens,
        crate::estimate::tensors::MlaLayout::Split,
        &Default::default(),
    ) / u64::from(blocks.max(1));
    // llama.cpp reads one proportion per device; any past the last device are not used.
    let proportions = &proportions[..proportions.len().min(machines.devices.len())];
    let at = layer_devices(blocks, gpu_layers, proportions);
    // With experts here, this PC's CPU works in every block: the graph is split as when it
    // holds blocks of its own.
    let all_offloaded = at.first().is_some_and(Option::is_some) && !cpu_moe;
    let role_of = |device: Option<usize>| {
        let mine: Vec<u32> = (0..blocks)
            .filter(|&il| at[il as usize] == device)
            .collect();
        Role {
            first: mine.first().copied().unwrap_or(0),
            count: mine.len() as u32,
            output: at[blocks as usize] == device,
            first_split: all_offloaded && at[0] == device,
            all_offloaded,
            moe_in_ram,
            after_this_pc: mine
                .first()
                .is_some_and(|&f| f > 0 && at[f as usize - 1].is_none()),
        }
    };
    let blocks_of = |role: Role| role.first as usize..(role.first + role.count) as usize;
    let experts_of = |role: Role| {
        blocks_of(role)
            .filter(|&il| il < moe_in_ram as usize)
            .map(|il| split.expert_bytes[il])
            .sum::<u64>()
    };
    let share =
        |(machine, name, kind): (&str, &str, DeviceKind), role: Role, budget: u64| DeviceShare {
            machine: machine.to_owned(),
            name: name.to_owned(),
            kind,
            first_block: role.first,
            blocks: role.count,
            output_layer: role.output,
            weights_bytes: split.layer_bytes[blocks_of(role)].iter().sum::<u64>()
                + if role.output { split.output_bytes } else { 0 }
                - experts_of(role),
            kv_bytes: kv_per_block * u64::from(role.count),
            compute_bytes: 0,
            overhead_bytes: 0,
            budget_bytes: budget,
        };
    let cpu_role = role_of(None);
    let mut this_pc = share(
        (THIS_PC, "CPU", DeviceKind::Ram),
        cpu_role,
        machines.this_pc_ram_budget_bytes,
    );
    this_pc.weights_bytes += split.token_embd_bytes;
    // The kept experts are all here (`share` counted none of them, for any part).
    this_pc.weights_bytes += split.expert_bytes[..moe_in_ram as usize]
        .iter()
        .sum::<u64>();
    this_pc.compute_bytes = this_pc_compute(arch, ctx, cpu_role, cpu_moe);
    this_pc.overhead_bytes = OVERHEAD_BYTES;
    let devices = machines
        .devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let role = role_of(Some(i));
            let mut s = share((&d.machine, &d.name, d.kind), role, d.budget_bytes);
            if role.count > 0 || role.output {
                // This PC's GPUs allocate in the build's back-end's buffer chunks; a worker's
                // back-end is not known here.
                let chunk = (d.machine == THIS_PC)
                    .then(crate::estimate::weight_copies::gpu_buffer_chunk)
                    .flatten();
                s.compute_bytes = device_compute(arch, ctx, role, chunk);
            }
            s
        })
        .collect();
    (this_pc, devices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::estimate::fit::weight_split;
    use crate::estimate::quant::Quant;
    use crate::estimate::tensors::MlaLayout;

    const GIB: u64 = 1 << 30;

    /// Model `id` at Q4_K_M and 8192 tokens over two 20 GiB workers with `-ngl gpu_layers`.
    fn split_by_hand(id: &str, gpu_layers: u32) -> (WeightSplit, DeviceShare, Vec<DeviceShare>) {
        let m = builtin_model(id).unwrap();
        let split = weight_split(&m.architecture, Quant::Q4_K_M, MlaLayout::Split);
        let machines = workers(&[20 * GIB, 20 * GIB]);
        let (cpu, d) = shares(&m.architecture, &split, 8192, &machines, gpu_layers, false);
        (split, cpu, d)
    }

    fn workers(free: &[u64]) -> ClusterMachines {
        ClusterMachines {
            this_pc_ram_budget_bytes: 64 * GIB,
            devices: free
                .iter()
                .enumerate()
                .map(|(i, &f)| ClusterDevice {
                    machine: format!("machine {}", i + 2),
                    name: "CPU".into(),
                    kind: DeviceKind::Ram,
                    free_bytes: f,
                    budget_bytes: f - GIB,
                })
                .collect(),
        }
    }

    /// llama.cpp's split, worked by hand: 4 blocks + output over two equal devices → cumulative
    /// shares 0.5, 1.0; layer i goes where i/5 first falls below a share.
    #[test]
    fn layers_go_where_llama_cpp_puts_them() {
        assert_eq!(
            layer_devices(4, 5, &[8, 8]),
            vec![Some(0), Some(0), Some(0), Some(1), Some(1)]
        );
        // -ngl 3: blocks 0 and 1 stay on the CPU; 2 / 3 / output split over 1:2 shares.
        assert_eq!(
            layer_devices(4, 3, &[1, 2]),
            vec![None, None, Some(0), Some(1), Some(1)]
        );
        assert_eq!(layer_devices(4, 0, &[1, 2]), vec![None; 5]);
        assert_eq!(layer_devices(4, 5, &[]), vec![None; 5]);
    }

    /// A dense model by hand: R1-Distill-Qwen-7B (28 blocks, n_embd 3584, ffn 18944, vocab
    /// 152064) at 8192 tokens over two equal workers, everything offloaded: blocks 0–14 on the
    /// first (15 of 29 layers: 0/29…14/29 < 0.5), 15–27 and the output on the second.
    #[test]
    fn a_dense_model_split_by_hand() {
        let (split, cpu, d) = split_by_hand("deepseek-r1-distill-qwen-7b", 29);
        assert_eq!(
            (d[0].first_block, d[0].blocks, d[0].output_layer),
            (0, 15, false)
        );
        assert_eq!(
            (d[1].first_block, d[1].blocks, d[1].output_layer),
            (15, 13, true)
        );
        // KV: 2 × 4 heads × 128 × 2 bytes = 2 KiB per token and block → 16 MiB per block.
        assert_eq!(d[0].kv_bytes, 15 * (16 << 20));
        // Compute: 4·512·(3·18944 + 16·3584) + 8·512·8192 = 255.0 MiB (llama.cpp: 255.05);
        // with the output, 4·512·(152064 + 9·3584) + 8·512·8192 = 392.0 MiB (llama.cpp: 392.05).
        assert_eq!(
            d[0].compute_bytes,
            4 * 512 * (3 * 18944 + 16 * 3584) + 8 * 512 * 8192
        );
        assert_eq!(
            d[1].compute_bytes,
            4 * 512 * (152_064 + 9 * 3584) + 8 * 512 * 8192
        );
        // This PC keeps only the token embeddings and the inputs: 4·512·10·3584 + 8·512·8192.
        assert_eq!(cpu.blocks, 0);
        assert_eq!(cpu.weights_bytes, split.token_embd_bytes);
        assert_eq!(cpu.compute_bytes, 4 * 512 * 10 * 3584 + 8 * 512 * 8192);
        assert_eq!(
            d[0].weights_bytes + d[1].weights_bytes + cpu.weights_bytes,
            split.total_bytes()
        );
    }

    /// An MLA mixture-of-experts model by hand: DeepSeek-V3 (61 blocks, the first 3 dense) at
    /// 8192 tokens, this PC keeping blocks 0–20 (-ngl 41), two workers the rest.
    #[test]
    fn an_mla_moe_model_split_by_hand() {
        let (_, cpu, d) = split_by_hand("deepseek-v3", 41);
        assert_eq!((cpu.first_block, cpu.blocks), (0, 21));
        assert_eq!((d[0].first_block, d[0].blocks), (21, 21));
        assert_eq!(
            (d[1].first_block, d[1].blocks, d[1].output_layer),
            (42, 19, true)
        );
        // MLA caches 512 + 64 values per token and block: 8192 × 576 × 2 bytes = 9 MiB a block.
        assert_eq!(d[1].kv_bytes, 19 * 9 * (1 << 20));
        // The absorbed attention (128 × (2·576 + 192) = 172,032 values) is the widest stage:
        // 4·512·(172032 + 3·7168) + 2·512·8192 = 386.0 MiB on each worker (llama.cpp: 386.01),
        // and this PC 4·512·(172032 + 5·7168 + 10) + 2·512·8192 = 414.0 MiB (llama.cpp: 414.02).
        assert_eq!(
            d[0].compute_bytes,
            4 * 512 * (172_032 + 3 * 7168) + 2 * 512 * 8192
        );
        assert_eq!(
            cpu.compute_bytes,
            4 * 512 * (172_032 + 5 * 7168 + 10) + 2 * 512 * 8192
        );
    }

    #[test]
    fn transfer_time_at_one_and_ten_gigabits() {
        assert!((transfer_seconds(1_250_000_000, 1.0) - 10.0).abs() < 1e-9);
        assert!((transfer_seconds(1_250_000_000, 10.0) - 1.0).abs() < 1e-9);
    }
}
