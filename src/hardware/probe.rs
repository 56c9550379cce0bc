//! Live probes: system RAM through sysinfo (honouring a cgroup limit), NVIDIA GPUs through NVML, and
//! other GPUs through sysinfo's GPU list. NVML is initialised once and kept; any failure becomes a
//! `GpuStatus`, never an error for the caller.

use nvml_wrapper::Nvml;
use sysinfo::{Gpus, System};

use super::bandwidth::ram_bandwidth;
use super::{GpuReading, GpuSource, GpuStatus, HardwareSnapshot, RamReading};

/// Holds the probes' handles between readings.
pub struct Prober {
    system: Option<System>,
    nvml: Result<Nvml, String>,
    gpus: Option<Gpus>,
}

impl Default for Prober {
    fn default() -> Self {
        Self::new()
    }
}

impl Prober {
    /// Opens the probes. Never fails: what cannot be opened is reported by [`Prober::read`].
    pub fn new() -> Self {
        let nvml = Nvml::init().map_err(|e| describe_nvml_error(&e));
        let gpus = if nvml.is_ok() {
            None
        } else {
            Gpus::new_with_refreshed_list().ok()
        };
        Self {
            system: System::new().ok(),
            nvml,
            gpus,
        }
    }

    /// Takes one reading.
    pub fn read(&mut self) -> HardwareSnapshot {
        let ram = self.read_ram();
        let (mut gpus, gpu_status) = match &self.nvml {
            Ok(nvml) => read_nvml(nvml),
            Err(why) => {
                tracing::debug!("NVML unavailable: {why}");
                self.read_sysinfo_gpus()
            }
        };
        // Apple silicon: the GPU uses system memory; report it once, as unified memory.
        if let Some(r) = &ram {
            for g in gpus.iter_mut().filter(|g| g.unified) {
                g.total_bytes = r.total_bytes;
                g.used_bytes = r.total_bytes.saturating_sub(r.available_bytes);
                g.bandwidth_bytes_per_sec = r.bandwidth_bytes_per_sec;
            }
        }
        HardwareSnapshot {
            ram,
            gpus,
            gpu_status,
            simulated: None,
        }
    }

    fn read_ram(&mut self) -> Option<RamReading> {
        let sys = self.system.as_mut()?;
        sys.refresh_memory();
        let mut total = sys.total_memory();
        let mut available = sys.available_memory();
        if total == 0 {
            return None;
        }
        let mut cgroup_limited = false;
        if let Some(limits) = sys.cgroup_limits() {
            if limits.total_memory > 0 && limits.total_memory < total {
                total = limits.total_memory;
                available = available.min(limits.free_memory);
                cgroup_limited = true;
            }
        }
        Some(RamReading {
            total_bytes: total,
            available_bytes: available,
            cgroup_limited,
            bandwidth_bytes_per_sec: ram_bandwidth(total),
        })
    }

    fn read_sysinfo_gpus(&mut self) -> (Vec<GpuReading>, GpuStatus) {
        let Some(list) = self.gpus.as_mut() else {
            return (Vec::new(), GpuStatus::NoGpu);
        };
        list.refresh(true);
        let gpus: Vec<GpuReading> = list
            .iter()
            .filter_map(|g| {
                let vendor = g.vendor().unwrap_or_default();
                let unified = vendor.eq_ignore_ascii_case("apple")
                    || (cfg!(all(target_os = "macos", target_arch = "aarch64"))
                        && g.total_memory().is_none());
                let total = g.total_memory().unwrap_or(0);
                if total == 0 && !unified {
                    return None;
                }
                Some(GpuReading {
                    name: g.model().unwrap_or("GPU").to_owned(),
                    total_bytes: total,
                    used_bytes: g.used_memory().unwrap_or(0),
                    utilization_pct: g.usage().map(|u| u.round().clamp(0.0, 100.0) as u32),
                    source: GpuSource::Sysinfo,
                    unified,
                    // sysinfo does not know a discrete GPU's bandwidth; unified memory gets the
                    // RAM's in `read`.
                    bandwidth_bytes_per_sec: None,
                })
            })
            .collect();
        let status = if gpus.is_empty() {
            GpuStatus::NoGpu
        } else {
            GpuStatus::Ok
        };
        (gpus, status)
    }
}

fn read_nvml(nvml: &Nvml) -> (Vec<GpuReading>, GpuStatus) {
    let count = match nvml.device_count() {
        Ok(n) => n,
        Err(e) => return (Vec::new(), GpuStatus::Failed(format!("NVML: {e}"))),
    };
    let mut gpus = Vec::new();
    for i in 0..count {
        let device = match nvml.device_by_index(i) {
            Ok(d) => d,
            Err(e) => return (gpus, GpuStatus::Failed(format!("NVML device {i}: {e}"))),
        };
        let memory = match device.memory_info() {
            Ok(m) => m,
            Err(e) => {
                return (
                    gpus,
                    GpuStatus::Failed(format!("NVML memory of device {i}: {e}")),
                )
            }
        };
        gpus.push(GpuReading {
            name: device.name().unwrap_or_else(|_| format!("NVIDIA GPU {i}")),
            total_bytes: memory.total,
            used_bytes: memory.used,
            utilization_pct: device.utilization_rates().ok().map(|u| u.gpu),
            source: GpuSource::Nvml,
            unified: false,
            bandwidth_bytes_per_sec: nvml_bandwidth(&device),
        });
    }
    let status = if gpus.is_empty() {
        GpuStatus::NoGpu
    } else {
        GpuStatus::Ok
    };
    (gpus, status)
}

/// Peak memory bandwidth from the bus width and the highest memory clock: NVML reports the clock
/// at half the data rate (RTX 4090: 10501 MHz × 2 × 384 bits / 8 = 1008 GB/s, its data sheet's
/// figure).
fn nvml_bandwidth(device: &nvml_wrapper::Device) -> Option<u64> {
    let bus_bits = u64::from(device.memory_bus_width().ok()?);
    let clock_mhz = u64::from(
        device
            .max_clock_info(nvml_wrapper::enum_wrappers::device::Clock::Memory)
            .ok()?,
    );
    Some(clock_mhz * 1_000_000 * 2 * bus_bits / 8).filter(|&b| b > 0)
}

fn describe_nvml_error(e: &nvml_wrapper::error::NvmlError) -> String {
    match e {
        nvml_wrapper::error::NvmlError::LibloadingError(_) => {
            "no NVIDIA driver (libnvidia-ml not found)".to_owned()
        }
        other => other.to_string(),
    }
}
