//! Simulated machines: the `--assume "24GiB GPU, 64GiB RAM"` syntax and the "What if…" presets.
//! Both produce an ordinary [`HardwareSnapshot`], so the estimator cannot tell them from a live reading.

use super::{GpuReading, GpuSource, GpuStatus, HardwareSnapshot, RamReading, GIB};

/// RAM a simulated machine keeps for the OS and other programs.
pub(crate) const SIMULATED_OS_RESERVE_BYTES: u64 = 2 * GIB;

/// A named "What if…" machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Shown in the picker.
    pub label: &'static str,
    /// Its `--assume` spec.
    pub spec: &'static str,
}

/// The presets of the "What if…" picker. Bandwidths are the data sheets' peak figures: the GPU's
/// memory, and dual-channel DDR5-5600 (89.6 GB/s) or DDR4-3200 (51.2 GB/s) for desktop RAM,
/// eight-channel DDR5-4800 (307 GB/s, one socket) for the server, M4 Max (546 GB/s) for the Mac.
pub const PRESETS: [Preset; 6] = [
    Preset {
        label: "Laptop: RTX 4060 8 GiB, 16 GiB RAM",
        spec: "8GiB GPU @256GB/s, 16GiB RAM @89.6GB/s",
    },
    Preset {
        label: "RTX 4090 24 GiB, 64 GiB RAM",
        spec: "24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s",
    },
    Preset {
        label: "2× RTX 3090 (48 GiB), 128 GiB RAM",
        spec: "2x24GiB GPU @936GB/s, 128GiB RAM @51.2GB/s",
    },
    Preset {
        label: "Mac (M4 Max), 128 GiB unified",
        spec: "128GiB unified @546GB/s",
    },
    Preset {
        label: "8× H200 (1128 GiB), 2 TiB RAM",
        spec: "8x141GiB GPU @4800GB/s, 2048GiB RAM @307GB/s",
    },
    Preset {
        label: "No GPU, 32 GiB RAM",
        spec: "32GiB RAM @51.2GB/s",
    },
];

/// A spec that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read hardware spec \"{spec}\": {reason} (example: \"24GiB GPU, 64GiB RAM\", \"2x24GiB GPU @936GB/s, 128GiB RAM\", \"128GiB unified\")")]
pub struct AssumeError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses `"24GiB GPU, 64GiB RAM"`, `"2x24GiB GPU, 128GiB RAM"`, `"128GiB unified"`, `"32GiB RAM"`.
/// Sizes take GiB/GB/G, TiB/TB/T or MiB/MB/M (all binary). A machine without a RAM part gets
/// 16 GiB per the most common desktop; unified memory is the RAM. Each part may end with its
/// memory bandwidth, `@1008GB/s` or `@4.8TB/s` (decimal, as data sheets give it), which the
/// speed estimate needs.
pub fn parse_assume(spec: &str) -> Result<HardwareSnapshot, AssumeError> {
    let err = |reason: &str| AssumeError {
        spec: spec.to_owned(),
        reason: reason.to_owned(),
    };
    let mut gpus = Vec::new();
    let mut ram_bytes: Option<u64> = None;
    let mut ram_bandwidth: Option<u64> = None;
    let mut unified = false;
    for part in spec
        .split([',', ';', '+'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let lower = part.to_ascii_lowercase();
        let (lower, bandwidth) = split_bandwidth(&lower).map_err(|e| err(&e))?;
        let (size_part, kind) = lower.rsplit_once(char::is_whitespace).ok_or_else(|| {
            err(&format!(
                "\"{part}\" needs a size and a kind (GPU, RAM or unified)"
            ))
        })?;
        let (count, size_text) = device_count(size_part).map_err(|why| err(&why))?;
        let bytes = parse_size(size_text).ok_or_else(|| {
            err(&format!(
                "\"{size_text}\" is not a size like 24GiB (at most 1024 TiB)"
            ))
        })?;
        match kind {
            "gpu" | "gpus" | "vram" => {
                if count == 0 {
                    return Err(err("GPU count is zero"));
                }
                if gpus.len() + count as usize > MAX_DEVICES as usize {
                    return Err(err(&format!(
                        "more than {MAX_DEVICES} GPUs in one machine: seekdeck plans at most {MAX_DEVICES}"
                    )));
                }
                for i in 0..count {
                    let name = if count > 1 {
                        format!("Simulated GPU {}", i + 1)
                    } else {
                        "Simulated GPU".to_owned()
                    };
                    gpus.push(simulated_gpu(name, bytes, false, bandwidth));
                }
            }
            "ram" | "memory" => {
                ram_bytes = Some(bytes * u64::from(count));
                ram_bandwidth = bandwidth;
            }
            "unified" => {
                unified = true;
                ram_bytes = Some(bytes);
                ram_bandwidth = bandwidth;
            }
            other => {
                return Err(err(&format!(
                    "unknown kind \"{other}\" (use GPU, RAM or unified)"
                )))
            }
        }
    }
    if gpus.is_empty() && ram_bytes.is_none() {
        return Err(err("nothing to simulate"));
    }
    if unified && !gpus.is_empty() {
        return Err(err("a unified-memory machine has no separate GPU memory"));
    }
    let ram_total = ram_bytes.unwrap_or(16 * GIB);
    if unified {
        gpus.push(simulated_gpu(
            "Simulated unified GPU".to_owned(),
            ram_total,
            true,
            ram_bandwidth,
        ));
    }
    let gpu_status = if gpus.is_empty() {
        GpuStatus::NoGpu
    } else {
        GpuStatus::Ok
    };
    Ok(HardwareSnapshot {
        ram: Some(RamReading {
            total_bytes: ram_total,
            available_bytes: ram_total.saturating_sub(SIMULATED_OS_RESERVE_BYTES),
            cgroup_limited: false,
            bandwidth_bytes_per_sec: ram_bandwidth,
        }),
        gpus,
        gpu_status,
        simulated: Some(spec.trim().to_owned()),
    })
}

/// An idle simulated GPU.
fn simulated_gpu(name: String, bytes: u64, unified: bool, bandwidth: Option<u64>) -> GpuReading {
    GpuReading {
        name,
        total_bytes: bytes,
        used_bytes: 0,
        utilization_pct: None,
        source: GpuSource::Simulated,
        unified,
        bandwidth_bytes_per_sec: bandwidth,
    }
}

/// "24gib gpu @1008gb/s" → ("24gib gpu", its bandwidth); no `@`, no bandwidth.
fn split_bandwidth(part: &str) -> Result<(String, Option<u64>), String> {
    match part.split_once('@') {
        Some((memory, bw)) => parse_bandwidth(bw)
            .map(|b| (memory.trim().to_owned(), Some(b)))
            .ok_or_else(|| format!("\"{}\" is not a bandwidth like 1008GB/s", bw.trim())),
        None => Ok((part.to_owned(), None)),
    }
}

/// Most devices of one kind a spec may give ("8x141GiB GPU" is the largest real one).
const MAX_DEVICES: u32 = 64;
/// The largest size or bandwidth figure a spec may give: 1 PiB, 1 PB/s.
const MAX_FIGURE: f64 = (1u64 << 50) as f64;

/// "2x24GiB" → (2, "24GiB"); "24GiB" → (1, "24GiB"); at most [`MAX_DEVICES`].
fn device_count(size_part: &str) -> Result<(u32, &str), String> {
    match size_part.split_once(['x', '×']) {
        Some((n, rest)) if !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit()) => {
            let n: u32 = n.trim().parse().map_err(|_| "bad GPU count".to_owned())?;
            if n > MAX_DEVICES {
                return Err(format!(
                    "{n} devices in one machine: seekdeck plans at most {MAX_DEVICES}"
                ));
            }
            Ok((n, rest.trim()))
        }
        _ => Ok((1, size_part.trim())),
    }
}

/// "1008GB/s", "4.8 TB/s", "900 gb/s" → bytes per second (decimal units, as data sheets).
fn parse_bandwidth(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let t = t.strip_suffix("/s")?.trim_end();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "gb" => 1e9,
        "tb" => 1e12,
        "mb" => 1e6,
        _ => return None,
    };
    let bytes = value * mult;
    (value > 0.0 && bytes <= MAX_FIGURE).then(|| bytes.round() as u64)
}

/// "24GiB", "24 GB", "1.5T", "512MiB" → bytes (binary units).
fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().ok()?;
    let mult = match unit.trim() {
        "gib" | "gb" | "g" => GIB as f64,
        "tib" | "tb" | "t" => (GIB * 1024) as f64,
        "mib" | "mb" | "m" => (1u64 << 20) as f64,
        _ => return None,
    };
    let bytes = value * mult;
    (value > 0.0 && bytes <= MAX_FIGURE).then(|| bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_figures_are_refused_not_computed() {
        for spec in [
            "99999999999999999999TiB RAM",
            "4000000000x24GiB GPU",
            "65x24GiB GPU",
            "40x8GiB GPU, 40x8GiB GPU",
            "24GiB GPU @99999999TB/s",
            "nanGiB RAM",
            "infGiB RAM",
        ] {
            assert!(parse_assume(spec).is_err(), "{spec}");
        }
        assert!(parse_assume("64x80GiB GPU, 1024TiB RAM").is_ok());
    }

    #[test]
    fn parses_common_specs() {
        let s = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
        assert_eq!(s.gpus.len(), 1);
        assert_eq!(s.gpus[0].total_bytes, 24 * GIB);
        assert_eq!(s.ram.as_ref().unwrap().total_bytes, 64 * GIB);
        let s = parse_assume("2x24GiB GPU, 128GB RAM").unwrap();
        assert_eq!(s.gpus.len(), 2);
        let s = parse_assume("128GiB unified").unwrap();
        assert!(s.is_unified());
        assert_eq!(s.ram.as_ref().unwrap().total_bytes, 128 * GIB);
        let s = parse_assume("32GiB RAM").unwrap();
        assert!(s.gpus.is_empty());
        assert_eq!(s.gpu_status_text(), "no GPU detected");
    }

    #[test]
    fn every_preset_parses_with_its_bandwidths() {
        for p in PRESETS {
            let hw = parse_assume(p.spec).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                hw.ram.unwrap().bandwidth_bytes_per_sec.is_some(),
                "{}",
                p.spec
            );
            assert!(hw.gpus.iter().all(|g| g.bandwidth_bytes_per_sec.is_some()));
        }
    }

    #[test]
    fn bandwidths_are_optional_and_decimal() {
        let s = parse_assume("2x24GiB GPU @936GB/s, 64GiB RAM @ 89.6 GB/s").unwrap();
        assert_eq!(s.gpus[1].bandwidth_bytes_per_sec, Some(936_000_000_000));
        assert_eq!(s.ram.unwrap().bandwidth_bytes_per_sec, Some(89_600_000_000));
        let s = parse_assume("128GiB unified @0.546TB/s").unwrap();
        assert_eq!(s.gpus[0].bandwidth_bytes_per_sec, Some(546_000_000_000));
        let s = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
        assert_eq!(s.gpus[0].bandwidth_bytes_per_sec, None);
        let e = parse_assume("24GiB GPU @fast").unwrap_err();
        assert!(e.to_string().contains("not a bandwidth"), "{e}");
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "lots of GPU",
            "24 parsecs GPU",
            "24GiB toaster",
            "0x24GiB GPU",
            "24GiB GPU, 64GiB unified",
        ] {
            assert!(parse_assume(bad).is_err(), "{bad}");
        }
    }
}
