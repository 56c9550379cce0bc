//! The GPU split checked by llama.cpp itself just before a launch: `no_alloc` dry runs of the
//! very file on this PC's GPU back-end measure what a layer count would put in VRAM, and a short
//! search moves the estimate's `-ngl` until llama.cpp's own figure fits the budget and one more
//! layer would not. The estimate is right to the layer in almost every case (docs/accuracy-gpu.md);
//! the check covers the rest, and back-ends that stage weights differently (CUDA vs Vulkan).

use std::fmt;
use std::path::Path;
use std::time::Instant;

use super::dry_run_placement::dry_run_offload;
use super::error::LlamaError;
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::placement::SplitLimits;
use crate::estimate::placement::{Offload, OVERHEAD_BYTES};
use crate::format::format_bytes;

/// The outcome: the placement to launch with and llama.cpp's figure for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitCheck {
    /// The estimate's placement.
    pub estimated: Offload,
    /// The placement chosen by the dry runs.
    pub chosen: Offload,
    /// llama.cpp's VRAM for `chosen` (weights, KV cache and compute buffers on the GPU).
    pub gpu_bytes: u64,
    /// The usable VRAM it was held to (`SplitLimits::vram_budget_bytes`): llama.cpp's part plus
    /// the app's runtime overhead must fit it.
    pub usable_bytes: u64,
    /// Dry runs made.
    pub dry_runs: u32,
    /// Seconds the dry runs took.
    pub secs: f64,
}

impl fmt::Display for SplitCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.chosen.no_gpu {
            return write!(
                f,
                "llama.cpp's dry run: even with every layer on the CPU, its GPU buffers for \
                 prompt batches would not fit the {} of usable VRAM: {}",
                format_bytes(self.usable_bytes),
                self.chosen
            );
        }
        let used = self.gpu_bytes + OVERHEAD_BYTES;
        write!(
            f,
            "llama.cpp's dry run: {} uses {} of the {} of usable VRAM with the runtime overhead, \
             {} to spare",
            self.chosen,
            format_bytes(used),
            format_bytes(self.usable_bytes),
            format_bytes(self.usable_bytes.saturating_sub(used))
        )?;
        if self.chosen == self.estimated {
            write!(f, " (as estimated)")
        } else {
            write!(f, " (the estimate said {})", self.estimated.gpu_layers)
        }
    }
}

/// Finds the most layers in `0..=limits.max_layers` whose VRAM, as `measure` reports it, fits
/// the budget, starting from the estimate (so a right estimate costs two dry runs: it and one
/// more). Experts stay in RAM if the estimate keeps them there. VRAM grows with the layer count,
/// so the search gallops away from the estimate and then bisects. When not even 0 layers fit
/// (llama.cpp still keeps a GPU compute buffer then, for prompt batches), the GPU is left out.
pub(crate) fn search_split<E>(
    estimated: Offload,
    limits: SplitLimits,
    mut measure: impl FnMut(Offload) -> Result<u64, E>,
) -> Result<SplitCheck, E> {
    let started = Instant::now();
    let budget = limits.llama_budget_bytes();
    let max = limits.max_layers;
    let mut dry_runs = 0;
    // (layers, bytes) of the largest count known to fit, and the smallest known not to.
    let mut fits: Option<(u32, u64)> = None;
    let mut too_big: Option<u32> = None;
    let mut probe = |n: u32| -> Result<Option<u64>, E> {
        dry_runs += 1;
        let bytes = measure(Offload {
            gpu_layers: n,
            no_gpu: false,
            ..estimated
        })?;
        Ok((bytes <= budget).then_some(bytes))
    };
    let start = estimated.gpu_layers.min(max);
    match probe(start)? {
        Some(bytes) => fits = Some((start, bytes)),
        None => too_big = Some(start),
    }
    // Gallop: up from a count that fits, down from one that does not.
    let mut step = 1;
    loop {
        let next = match (fits, too_big) {
            (Some((n, _)), None) if n < max => (n + step).min(max),
            (None, Some(n)) if n > 0 => n.saturating_sub(step),
            _ => break,
        };
        match probe(next)? {
            Some(bytes) => fits = Some((next, bytes)),
            None => too_big = Some(next),
        }
        if fits.is_some() && too_big.is_some() {
            break;
        }
        step *= 2;
    }
    // Bisect between the two.
    while let (Some((lo, _)), Some(hi)) = (fits, too_big) {
        if hi - lo <= 1 {
            break;
        }
        let mid = lo + (hi - lo) / 2;
        match probe(mid)? {
            Some(bytes) => fits = Some((mid, bytes)),
            None => too_big = Some(mid),
        }
    }
    let chosen = match fits {
        Some((gpu_layers, _)) => Offload {
            gpu_layers,
            no_gpu: false,
            ..estimated
        },
        None => Offload {
            no_gpu: true,
            ..Offload::default()
        },
    };
    Ok(SplitCheck {
        estimated,
        chosen,
        gpu_bytes: fits.map_or(0, |(_, bytes)| bytes),
        usable_bytes: limits.vram_budget_bytes,
        dry_runs,
        secs: started.elapsed().as_secs_f64(),
    })
}

/// Checks the estimate's placement of `path` at `ctx_tokens` with llama.cpp's dry runs on this
/// build's GPU back-end. Needs a GPU device ([`crate::llama::backend::gpu_devices`]).
pub(crate) fn check_split(
    path: &Path,
    ctx_tokens: u32,
    estimated: Offload,
    limits: SplitLimits,
    settings: &LaunchSettings,
) -> Result<SplitCheck, LlamaError> {
    search_split(estimated, limits, |placement| {
        dry_run_offload(path, ctx_tokens, placement, settings).map(|sizes| sizes.gpu.total())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::placement::OVERHEAD_BYTES;

    const MIB: u64 = 1 << 20;

    /// 1 GiB of fixed GPU use plus 500 MiB per layer; a budget of 10 GiB (+ overhead) fits 18.
    fn limits(max_layers: u32) -> SplitLimits {
        SplitLimits {
            vram_budget_bytes: (10 << 30) + OVERHEAD_BYTES,
            max_layers,
        }
    }

    fn vram(o: Offload) -> Result<u64, String> {
        Ok((1 << 30) + u64::from(o.gpu_layers) * 500 * MIB)
    }

    fn check(start: u32, max: u32) -> SplitCheck {
        let estimated = Offload {
            gpu_layers: start,
            cpu_moe: false,
            n_cpu_moe: 0,
            no_gpu: false,
        };
        search_split(estimated, limits(max), vram).expect("the measure does not fail")
    }

    #[test]
    fn a_right_estimate_costs_two_dry_runs() {
        let c = check(18, 40);
        assert_eq!(c.chosen.gpu_layers, 18);
        assert_eq!(c.gpu_bytes, (1 << 30) + 18 * 500 * MIB);
        assert_eq!(c.dry_runs, 2);
        assert!(c.to_string().ends_with("(as estimated)"), "{c}");
    }

    #[test]
    fn any_estimate_ends_on_the_largest_count_that_fits() {
        for start in 0..=40 {
            let c = check(start, 40);
            assert_eq!(c.chosen.gpu_layers, 18, "from {start}");
            assert!(c.dry_runs <= 12, "from {start}: {} dry runs", c.dry_runs);
        }
        assert!(check(16, 40).to_string().contains("the estimate said 16"));
    }

    #[test]
    fn the_count_stays_within_the_model() {
        let c = check(3, 10);
        assert_eq!(c.chosen.gpu_layers, 10);
        let c = check(25, 10);
        assert_eq!(c.chosen.gpu_layers, 10);
        assert_eq!(c.dry_runs, 1);
    }

    #[test]
    fn experts_stay_in_ram_and_nothing_fitting_leaves_the_gpu_out() {
        let estimated = Offload {
            gpu_layers: 62,
            cpu_moe: true,
            n_cpu_moe: 0,
            no_gpu: false,
        };
        let c = search_split(estimated, limits(62), |o| {
            assert!(o.cpu_moe);
            Ok::<_, String>(u64::from(o.gpu_layers) * 100 * MIB)
        })
        .expect("measured");
        assert_eq!(c.chosen, estimated);
        let tiny = SplitLimits {
            vram_budget_bytes: OVERHEAD_BYTES + MIB,
            max_layers: 62,
        };
        let c = search_split(estimated, tiny, vram).expect("measured");
        assert_eq!(
            c.chosen,
            Offload {
                no_gpu: true,
                ..Offload::default()
            }
        );
        assert!(
            c.to_string().contains("GPU left out (--device none)"),
            "{c}"
        );
    }

    #[test]
    fn a_failed_dry_run_is_reported() {
        let estimated = Offload {
            gpu_layers: 5,
            cpu_moe: false,
            n_cpu_moe: 0,
            no_gpu: false,
        };
        let err = search_split(estimated, limits(40), |_| Err("no".to_owned()));
        assert_eq!(err, Err("no".to_owned()));
    }
}
