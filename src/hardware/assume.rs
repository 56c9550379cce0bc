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

/// The presets of the "What if…" picker.
pub(crate) const PRESETS: [Preset; 6] = [
    Preset {
        label: "Laptop: 8 GiB GPU, 16 GiB RAM",
        spec: "8GiB GPU, 16GiB RAM",
    },
    Preset {
        label: "RTX 4090 24 GiB, 64 GiB RAM",
        spec: "24GiB GPU, 64GiB RAM",
    },
    Preset {
        label: "2× RTX 3090 (48 GiB), 128 GiB RAM",
        spec: "2x24GiB GPU, 128GiB RAM",
    },
    Preset {
        label: "Mac, 128 GiB unified",
        spec: "128GiB unified",
    },
    Preset {
        label: "8× H200 (1128 GiB), 2 TiB RAM",
        spec: "8x141GiB GPU, 2048GiB RAM",
    },
    Preset {
        label: "No GPU, 32 GiB RAM",
        spec: "32GiB RAM",
    },
];

/// A spec that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read hardware spec \"{spec}\": {reason} (example: \"24GiB GPU, 64GiB RAM\", \"2x24GiB GPU, 128GiB RAM\", \"128GiB unified\")")]
pub struct AssumeError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses `"24GiB GPU, 64GiB RAM"`, `"2x24GiB GPU, 128GiB RAM"`, `"128GiB unified"`, `"32GiB RAM"`.
/// Sizes take GiB/GB/G, TiB/TB/T or MiB/MB/M (all binary). A machine without a RAM part gets
/// 16 GiB per the most common desktop; unified memory is the RAM.
pub fn parse_assume(spec: &str) -> Result<HardwareSnapshot, AssumeError> {
    let err = |reason: &str| AssumeError {
        spec: spec.to_owned(),
        reason: reason.to_owned(),
    };
    let mut gpus = Vec::new();
    let mut ram_bytes: Option<u64> = None;
    let mut unified = false;
    for part in spec
        .split([',', ';', '+'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let lower = part.to_ascii_lowercase();
        let (size_part, kind) = lower.rsplit_once(char::is_whitespace).ok_or_else(|| {
            err(&format!(
                "\"{part}\" needs a size and a kind (GPU, RAM or unified)"
            ))
        })?;
        let (count, size_text) = match size_part.split_once(['x', '×']) {
            Some((n, rest))
                if n.trim().chars().all(|c| c.is_ascii_digit()) && !n.trim().is_empty() =>
            {
                let n: u32 = n.trim().parse().map_err(|_| err("bad GPU count"))?;
                (n, rest.trim())
            }
            _ => (1, size_part.trim()),
        };
        let bytes = parse_size(size_text)
            .ok_or_else(|| err(&format!("\"{size_text}\" is not a size like 24GiB")))?;
        match kind {
            "gpu" | "gpus" | "vram" => {
                if count == 0 {
                    return Err(err("GPU count is zero"));
                }
                for i in 0..count {
                    gpus.push(GpuReading {
                        name: if count > 1 {
                            format!("Simulated GPU {}", i + 1)
                        } else {
                            "Simulated GPU".to_owned()
                        },
                        total_bytes: bytes,
                        used_bytes: 0,
                        utilization_pct: None,
                        source: GpuSource::Simulated,
                        unified: false,
                    });
                }
            }
            "ram" | "memory" => ram_bytes = Some(bytes * u64::from(count)),
            "unified" => {
                unified = true;
                ram_bytes = Some(bytes);
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
        gpus.push(GpuReading {
            name: "Simulated unified GPU".to_owned(),
            total_bytes: ram_total,
            used_bytes: 0,
            utilization_pct: None,
            source: GpuSource::Simulated,
            unified: true,
        });
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
        }),
        gpus,
        gpu_status,
        simulated: Some(spec.trim().to_owned()),
    })
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
    (value > 0.0 && value.is_finite()).then(|| (value * mult).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn every_preset_parses() {
        for p in PRESETS {
            assert!(parse_assume(p.spec).is_ok(), "{}", p.spec);
        }
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
