//! The estimate across machines checked against llama.cpp itself: `seekdeck worker` processes on
//! loopback are added as RPC devices, a catalog model's shape-only GGUF is dry-run (`no_alloc`)
//! over them, and each device's weights, KV cache and compute buffer as llama.cpp places them are
//! compared with [`crate::estimate::cluster::shares`] for the same devices and layer count.
//! Used by `make accuracy-cluster` (docs/accuracy-cluster.md) and a subset in the test suite.

use std::path::Path;

use crate::catalog::Model;
use crate::estimate::cluster::{
    shares_split, ClusterDevice, ClusterFit, ClusterMachines, DeviceKind, DeviceShare,
};
use crate::estimate::fit::weight_split;
use crate::estimate::launch_settings::{LaunchSettings, TensorSplit};
use crate::estimate::placement::Offload;
use crate::estimate::quant::Quant;
use crate::estimate::tensors::MlaLayout;
use crate::gguf::shape::with_shape_only;
use crate::llama::dry_run_placement::{dry_run_devices, SideSizes};
use crate::llama::LlamaError;
use crate::verify::accuracy::{error_pct, mib, within_tolerance};

/// A worker as the check uses it: its endpoint and the free memory its device reports (a CPU
/// device reports its total memory: llama.cpp's CPU back-end calls all of it free).
#[derive(Debug, Clone)]
pub struct Worker {
    /// `host:port`.
    pub endpoint: String,
    /// Free bytes as llama.cpp reads them, which its split follows.
    pub free_bytes: u64,
}

/// A cluster shape: which workers, and how many blocks this PC keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every block on the workers (equal devices).
    AllOnWorkers,
    /// This PC keeps the first half of the blocks, the workers the rest (unequal machines).
    HalfHere,
    /// Every block on the workers but the routed experts, which stay in this PC's RAM
    /// (`--cpu-moe`; mixture-of-experts models only).
    ExpertsHere,
    /// Every block on the workers but the routed experts of the first half of the blocks
    /// (`--n-cpu-moe`, as Launch places a model whose experts fit the devices in part).
    SomeExpertsHere,
    /// Every block on the workers, split unequally by `--tensor-split` (n, n − 1, …, 1 for n
    /// workers) instead of by their free memory.
    UnequalSplit,
}

impl Shape {
    /// llama.cpp's `n_gpu_layers` for a model of `blocks` blocks.
    pub fn gpu_layers(self, blocks: u32) -> u32 {
        match self {
            Self::AllOnWorkers | Self::ExpertsHere | Self::SomeExpertsHere | Self::UnequalSplit => {
                blocks + 1
            }
            Self::HalfHere => blocks - blocks / 2 + 1,
        }
    }

    /// Its name in the table.
    pub fn label(self, workers: usize) -> String {
        match self {
            Self::AllOnWorkers => format!("{workers} workers, all blocks"),
            Self::HalfHere => format!("this PC half + {workers} workers"),
            Self::ExpertsHere => format!("{workers} workers, experts on this PC"),
            Self::SomeExpertsHere => {
                format!("{workers} workers, the first half's experts on this PC")
            }
            Self::UnequalSplit => format!(
                "{workers} workers, --tensor-split {}",
                self.tensor_split(workers).label()
            ),
        }
    }

    /// The `--tensor-split` the shape asks for (none but for [`Self::UnequalSplit`]).
    pub fn tensor_split(self, workers: usize) -> TensorSplit {
        match self {
            Self::UnequalSplit => {
                TensorSplit((1..=workers as u32).rev().map(|n| n * 1000).collect())
            }
            _ => TensorSplit::default(),
        }
    }
}

/// One device's figures: seekdeck's and llama.cpp's.
#[derive(Debug, Clone)]
pub struct PartCheck {
    /// "CPU" (this PC) or the worker's endpoint.
    pub device: String,
    /// seekdeck's estimate (weights, KV, compute; no overhead).
    pub ours: SideSizes,
    /// llama.cpp's dry run.
    pub reference: SideSizes,
}

impl PartCheck {
    /// Each of the three parts within 3% / 64 MiB.
    pub fn passes(&self) -> bool {
        within_tolerance(self.ours.weights, self.reference.weights)
            && within_tolerance(self.ours.kv, self.reference.kv)
            && within_tolerance(self.ours.compute, self.reference.compute)
    }
}

/// One (model, quantization, context, shape) compared device by device.
#[derive(Debug, Clone)]
pub struct ClusterRow {
    /// Model name.
    pub model: String,
    /// Quantization.
    pub quant: Quant,
    /// Context.
    pub ctx_tokens: u32,
    /// The shape's label.
    pub shape: String,
    /// llama.cpp's layer count.
    pub gpu_layers: u32,
    /// Every device, this PC's CPU first.
    pub parts: Vec<PartCheck>,
}

impl ClusterRow {
    /// Every device within tolerance.
    pub fn passes(&self) -> bool {
        self.parts.iter().all(PartCheck::passes)
    }
}

/// How the layers are placed for a check: llama.cpp's `-ngl`, the routed experts kept in this
/// PC's RAM (`--cpu-moe` when all, else `--n-cpu-moe`), the `--tensor-split`.
#[derive(Debug, Clone)]
pub struct Layers {
    /// llama.cpp's `n_gpu_layers`.
    pub gpu_layers: u32,
    /// Blocks whose routed experts stay in this PC's RAM.
    pub moe_in_ram: u32,
    /// The split over the workers (empty: by their free memory).
    pub tensor_split: TensorSplit,
}

/// Checks `model` at `quant` and `ctx_tokens` over `workers` (already added to this process's
/// llama.cpp and set as its devices) in `shape`.
pub fn check(
    model: &Model,
    quant: Quant,
    ctx_tokens: u32,
    workers: &[Worker],
    shape: Shape,
    scratch_dir: &Path,
) -> Result<ClusterRow, LlamaError> {
    let arch = &model.architecture;
    let layers = Layers {
        gpu_layers: shape.gpu_layers(arch.layers),
        moe_in_ram: match shape {
            Shape::ExpertsHere => arch.layers,
            Shape::SomeExpertsHere => arch.layers / 2,
            Shape::AllOnWorkers | Shape::HalfHere | Shape::UnequalSplit => 0,
        },
        tensor_split: shape.tensor_split(workers.len()),
    };
    let label = shape.label(workers.len());
    check_layers(
        model,
        (quant, ctx_tokens),
        workers,
        &layers,
        label,
        scratch_dir,
    )
}

/// Checks `model` placed as `layers` say over `workers`, one worker standing for each device of
/// the plan (a seekdeck plan's split, `--cpu-moe` and layer count); `label` names it.
pub fn check_layers(
    model: &Model,
    (quant, ctx_tokens): (Quant, u32),
    workers: &[Worker],
    layers: &Layers,
    label: String,
    scratch_dir: &Path,
) -> Result<ClusterRow, LlamaError> {
    let arch = &model.architecture;
    let (gpu_layers, moe_in_ram) = (layers.gpu_layers, layers.moe_in_ram);
    let offload = Offload {
        gpu_layers,
        cpu_moe: moe_in_ram >= arch.layers && arch.moe.is_some(),
        n_cpu_moe: if moe_in_ram < arch.layers {
            moe_in_ram
        } else {
            0
        },
        ..Offload::default()
    };
    let settings = LaunchSettings {
        tensor_split: layers.tensor_split.clone(),
        ..LaunchSettings::default()
    };
    let reference = with_shape_only(model, quant, scratch_dir, |path| {
        dry_run_devices(path, ctx_tokens, offload, &settings)
    })?;
    let machines = ClusterMachines {
        this_pc_ram_budget_bytes: u64::MAX,
        devices: workers
            .iter()
            .map(|w| ClusterDevice {
                machine: w.endpoint.clone(),
                name: "CPU".into(),
                kind: DeviceKind::Ram,
                free_bytes: w.free_bytes,
                budget_bytes: w.free_bytes,
            })
            .collect(),
    };
    // A tensor split replaces free memory as what the layers follow.
    let proportions: Vec<u64> = if layers.tensor_split.0.is_empty() {
        workers.iter().map(|w| w.free_bytes).collect()
    } else {
        layers
            .tensor_split
            .0
            .iter()
            .map(|&p| u64::from(p))
            .collect()
    };
    let split = weight_split(arch, quant, MlaLayout::Split);
    let (this_pc, devices) = shares_split(
        arch,
        &split,
        ctx_tokens,
        &machines,
        (gpu_layers, moe_in_ram),
        &proportions,
    );
    let part = |key: &str, ours: &DeviceShare| PartCheck {
        device: key.to_owned(),
        ours: SideSizes {
            weights: ours.weights_bytes,
            kv: ours.kv_bytes,
            compute: ours.compute_bytes,
        },
        reference: reference.get(key).copied().unwrap_or_default(),
    };
    let mut parts = vec![part("CPU", &this_pc)];
    parts.extend(
        workers
            .iter()
            .zip(&devices)
            .map(|(w, d)| part(&w.endpoint, d)),
    );
    Ok(ClusterRow {
        model: model.name.clone(),
        quant,
        ctx_tokens,
        shape: label,
        gpu_layers,
        parts,
    })
}

/// Checks seekdeck's balanced plan for `model` on the machines of `spec` (`--assume`'s cluster
/// syntax, e.g. "3x (24GiB GPU, 64GiB RAM)"): the plan is made for those machines, then placed
/// by llama.cpp over `workers`, one worker standing for each of the plan's devices in its order
/// (a GPU or a machine's RAM alike: the split, not the device, decides what each holds), with the
/// plan's `-ngl`, `--tensor-split` and `--cpu-moe`. Returns the row and the plan.
pub fn check_plan(
    model: &Model,
    (quant, ctx_tokens): (Quant, u32),
    spec: &str,
    workers: &[Worker],
    scratch_dir: &Path,
) -> Result<(ClusterRow, ClusterFit), LlamaError> {
    let parsed = crate::hardware::cluster_spec::parse_cluster(spec)
        .map_err(|e| LlamaError::Rpc(e.to_string()))?;
    if parsed.this_pc_live {
        return Err(LlamaError::Rpc(format!(
            "{spec}: the check simulates every machine (leave out \"this PC\")"
        )));
    }
    let machines = ClusterMachines::from_snapshots(&parsed.machines[0], &parsed.machines[1..]);
    if machines.devices.len() != workers.len() {
        return Err(LlamaError::Rpc(format!(
            "{spec} has {} devices; {} workers stand for them",
            machines.devices.len(),
            workers.len()
        )));
    }
    let arch = &model.architecture;
    let split = weight_split(arch, quant, MlaLayout::Split);
    let fit = crate::estimate::cluster_plan::plan(arch, &split, ctx_tokens, &machines);
    let layers = Layers {
        gpu_layers: fit.gpu_layers,
        moe_in_ram: if fit.cpu_moe { arch.layers } else { 0 },
        tensor_split: fit.tensor_split.clone(),
    };
    let label = format!("{spec}, balanced: {}", fit.flags());
    let row = check_layers(
        model,
        (quant, ctx_tokens),
        workers,
        &layers,
        label,
        scratch_dir,
    )?;
    Ok((row, fit))
}

/// The markdown table of `rows`: one line per device.
pub fn markdown_table(rows: &[ClusterRow]) -> String {
    let mut out = String::from(
        "| model | quant | ctx | cluster (-ngl) | device | weights MiB (seekdeck / llama.cpp) | KV cache MiB | compute MiB | within 3% / 64 MiB |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    let cell = |ours: u64, theirs: u64| {
        if ours == 0 && theirs == 0 {
            "0 / 0".to_owned()
        } else {
            format!(
                "{} / {} ({:+.1}%)",
                mib(ours, 1),
                mib(theirs, 1),
                error_pct(ours, theirs)
            )
        }
    };
    for r in rows {
        for (i, p) in r.parts.iter().enumerate() {
            let head = if i == 0 {
                format!(
                    "{} | {} | {} | {} ({})",
                    r.model, r.quant, r.ctx_tokens, r.shape, r.gpu_layers
                )
            } else {
                " | | | ".to_owned()
            };
            out.push_str(&format!(
                "| {head} | {} | {} | {} | {} | {} |\n",
                if p.device == "CPU" {
                    "this PC (CPU)"
                } else {
                    &p.device
                },
                cell(p.ours.weights, p.reference.weights),
                cell(p.ours.kv, p.reference.kv),
                cell(p.ours.compute, p.reference.compute),
                if p.passes() { "yes" } else { "**no**" }
            ));
        }
    }
    out
}

/// Tensor overrides (`--override-tensor PATTERN=CPU`) checked against llama.cpp over the workers:
/// the weights llama.cpp keeps on this PC's CPU with `settings`' overrides, less those without
/// them — what the overrides moved — against what seekdeck's matching of the same patterns keeps
/// in RAM ([`crate::estimate::kept_in_ram`]). Returns (seekdeck's bytes, llama.cpp's).
pub fn check_overrides(
    model: &Model,
    quant: Quant,
    settings: &crate::estimate::launch_settings::LaunchSettings,
    scratch_dir: &Path,
) -> Result<(u64, u64), LlamaError> {
    let arch = &model.architecture;
    let offload = Offload {
        gpu_layers: arch.layers + 1,
        ..Offload::default()
    };
    let (with, without) = with_shape_only(model, quant, scratch_dir, |path| {
        Ok::<_, LlamaError>((
            dry_run_devices(path, 4096, offload, settings)?,
            dry_run_devices(path, 4096, offload, &Default::default())?,
        ))
    })?;
    let cpu =
        |m: &std::collections::BTreeMap<String, SideSizes>| m.get("CPU").map_or(0, |s| s.weights);
    let tensors = crate::estimate::kept_in_ram::catalog_tensors(arch, quant, MlaLayout::Split);
    let ours = crate::estimate::kept_in_ram::kept_in_ram(&tensors, arch.layers, settings).bytes;
    Ok((ours, cpu(&with).saturating_sub(cpu(&without))))
}
