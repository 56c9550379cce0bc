//! What this PC has: system RAM and GPUs, as a [`HardwareSnapshot`].
//!
//! Probes ([`probe`]) read sysinfo and NVML; the [`poller`] thread re-reads them about once a second;
//! [`assume`] builds simulated machines ("24GiB GPU, 64GiB RAM") through the same type, and
//! [`cluster_spec`] several of them ("3x (24GiB GPU, 64GiB RAM)");
//! [`server_spec`] names a GPU server being planned ("2 nodes x 8x H100");
//! [`rpc_probe`] reads other machines' `seekdeck worker`s over the network. A missing driver
//! or a failing probe is data (`gpu_status`), never a panic or a dialog.

pub mod assume;
pub(crate) mod bandwidth;
pub mod cluster_spec;
pub mod poller;
pub(crate) mod probe;
pub mod rpc_probe;
pub mod server_spec;
pub mod worker_watch;

use serde::Serialize;

/// Bytes in a GiB.
pub(crate) const GIB: u64 = 1 << 30;

/// System memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RamReading {
    /// Total RAM usable by this process (the cgroup limit when one is lower).
    pub total_bytes: u64,
    /// RAM available for new allocations.
    pub available_bytes: u64,
    /// Whether a cgroup (container) limit is in force.
    pub cgroup_limited: bool,
    /// Read bandwidth in bytes per second: measured on this PC ([`bandwidth`]), from the spec
    /// for a simulated one; none when unknown.
    pub bandwidth_bytes_per_sec: Option<u64>,
}

/// Where a GPU reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GpuSource {
    /// NVIDIA Management Library.
    Nvml,
    /// sysinfo's GPU list (AMD through sysfs, others through Vulkan).
    Sysinfo,
    /// A "What if…" machine.
    Simulated,
}

/// One GPU.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuReading {
    /// Marketing name, e.g. "NVIDIA GeForce RTX 4090".
    pub name: String,
    /// Total memory.
    pub total_bytes: u64,
    /// Memory in use by anything.
    pub used_bytes: u64,
    /// Compute utilisation in percent, where known.
    pub utilization_pct: Option<u32>,
    /// Source of the reading.
    pub source: GpuSource,
    /// Unified memory (Apple silicon): the same memory as system RAM, counted once.
    pub unified: bool,
    /// Memory bandwidth in bytes per second (NVML: bus width × memory clock; the spec for a
    /// simulated GPU; the RAM's for unified memory); none when unknown.
    pub bandwidth_bytes_per_sec: Option<u64>,
}

impl GpuReading {
    /// Free memory.
    pub(crate) fn free_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.used_bytes)
    }
}

/// Why there is no GPU data, when there is none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum GpuStatus {
    /// GPUs were read.
    Ok,
    /// No GPU was found (no driver, or no device).
    NoGpu,
    /// A probe failed; the text says how.
    Failed(String),
}

/// Everything the fit estimator needs to know about a machine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HardwareSnapshot {
    /// System RAM, if it could be read.
    pub ram: Option<RamReading>,
    /// GPUs, possibly none.
    pub gpus: Vec<GpuReading>,
    /// Why `gpus` is empty, if it is.
    pub gpu_status: GpuStatus,
    /// The name of the simulated machine, if this is not a live reading.
    pub simulated: Option<String>,
}

impl HardwareSnapshot {
    /// A machine nothing is known about.
    pub(crate) fn unknown() -> Self {
        Self {
            ram: None,
            gpus: Vec::new(),
            gpu_status: GpuStatus::NoGpu,
            simulated: None,
        }
    }

    /// Whether any GPU shares system memory (Apple silicon).
    pub(crate) fn is_unified(&self) -> bool {
        self.gpus.iter().any(|g| g.unified)
    }

    /// This reading with `gpu_bytes` of VRAM (on the first GPU) and `ram_bytes` of RAM given
    /// back: what the machine would have free without a model that is loaded now.
    pub fn with_freed(&self, gpu_bytes: u64, ram_bytes: u64) -> Self {
        let mut hw = self.clone();
        if let Some(r) = &mut hw.ram {
            r.available_bytes = r
                .available_bytes
                .saturating_add(ram_bytes)
                .min(r.total_bytes);
        }
        if let Some(g) = hw.gpus.first_mut() {
            g.used_bytes = g.used_bytes.saturating_sub(gpu_bytes);
        }
        hw
    }

    /// One line for the status bar and `seekdeck hw`.
    pub(crate) fn summary(&self) -> String {
        let ram = match &self.ram {
            Some(r) => format!(
                "RAM {:.1} GiB free of {:.1} GiB{}",
                r.available_bytes as f64 / GIB as f64,
                r.total_bytes as f64 / GIB as f64,
                if r.cgroup_limited {
                    " (container limit)"
                } else {
                    ""
                }
            ),
            None => "RAM unknown".to_owned(),
        };
        let gpu = if self.gpus.is_empty() {
            self.gpu_status_text()
        } else {
            self.gpus
                .iter()
                .map(|g| {
                    format!(
                        "{} {:.1}/{:.1} GiB{}",
                        g.name,
                        g.used_bytes as f64 / GIB as f64,
                        g.total_bytes as f64 / GIB as f64,
                        if g.unified { " unified" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("{gpu}; {ram}")
    }

    /// "no GPU detected" or what failed.
    pub(crate) fn gpu_status_text(&self) -> String {
        match &self.gpu_status {
            GpuStatus::Ok if self.gpus.is_empty() => "no GPU detected".to_owned(),
            GpuStatus::Ok => format!("{} GPU(s)", self.gpus.len()),
            GpuStatus::NoGpu => "no GPU detected".to_owned(),
            GpuStatus::Failed(why) => format!("GPU unavailable: {why}"),
        }
    }
}
