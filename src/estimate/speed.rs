//! How fast a model would write on a machine, estimated from memory bandwidth: generating one
//! token reads every active weight once (the routed experts a token uses, not all of them), so
//! the time per token is the bytes read from each memory divided by that memory's bandwidth. It
//! is an estimate and says so: a range, for a short context (a long one adds its KV cache to every
//! read), and not the speed of reading the prompt, which is bound by compute instead.

use serde::Serialize;

use crate::catalog::Architecture;
use crate::estimate::memory::WeightSplit;
use crate::estimate::placement::Offload;
use crate::format::format_bytes;
use crate::hardware::HardwareSnapshot;

/// The share of a data sheet's peak bandwidth llama.cpp's generation reaches, low and high end:
/// a 7B Q4_K_M (4.4 GiB) on an RTX 4090 (1008 GB/s) writes about 150 tokens/s (70%); a 70B Q4
/// layer-split over two RTX 3090s about 17 tokens/s (73% of 936 GB/s); CPUs 50-80% of their
/// DDR figure. Used for GPUs and for simulated machines' RAM.
const DATA_SHEET_EFFICIENCY: (f64, f64) = (0.5, 0.8);
/// The share of this PC's *measured* RAM bandwidth ([`crate::hardware::bandwidth`]) it reaches:
/// the measurement reads as llama.cpp does, with every core. On 2 EPYC cores: 12.6-16.8 GB/s
/// measured, a 4.0 GiB Q4_0 7B at 2.6-3.8 tokens/s (11-16 GB/s read).
const MEASURED_EFFICIENCY: (f64, f64) = (0.7, 1.0);

/// An estimated generation speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpeedEstimate {
    /// Slow end, tokens per second.
    pub low_tokens_per_sec: f64,
    /// Fast end, tokens per second.
    pub high_tokens_per_sec: f64,
    /// Weight bytes read from GPU memory per token.
    pub gpu_bytes_per_token: u64,
    /// Weight bytes read from system RAM per token.
    pub ram_bytes_per_token: u64,
}

impl SpeedEstimate {
    /// "23–37 tok/s", for narrow cells.
    pub(crate) fn short_label(&self) -> String {
        format!(
            "{}–{} tok/s",
            rate(self.low_tokens_per_sec),
            rate(self.high_tokens_per_sec)
        )
    }

    /// "about 23–37 tokens/s (estimate)".
    pub(crate) fn label(&self) -> String {
        format!(
            "about {}–{} tokens/s (estimate)",
            rate(self.low_tokens_per_sec),
            rate(self.high_tokens_per_sec)
        )
    }
}

impl SpeedEstimate {
    /// "4.4 GiB from VRAM and 1.2 GiB from RAM per token".
    pub(crate) fn reads_label(&self) -> String {
        let part = |bytes: u64, memory: &str| {
            (bytes > 0).then(|| format!("{} from {memory}", format_bytes(bytes)))
        };
        let parts: Vec<String> = [
            part(self.gpu_bytes_per_token, "VRAM"),
            part(self.ram_bytes_per_token, "RAM"),
        ]
        .into_iter()
        .flatten()
        .collect();
        format!("{} per token", parts.join(" and "))
    }
}

/// One line on the speed for a tooltip or a card: the estimate, why there is none, or nothing
/// when the model does not run.
pub(crate) fn speed_line(speed: &Result<SpeedEstimate, NoSpeed>) -> Option<String> {
    match speed {
        Ok(s) => Some(format!(
            "Speed: {} writing an answer — from memory bandwidth, {}; reading the prompt and long contexts are slower.",
            s.label(),
            s.reads_label()
        )),
        Err(NoSpeed::DoesNotRun) => None,
        Err(why) => Some(format!("Speed: no estimate, {why}.")),
    }
}

/// Two significant figures at most, one decimal below 10.
fn rate(tokens_per_sec: f64) -> String {
    if tokens_per_sec < 10.0 {
        format!("{tokens_per_sec:.1}")
    } else {
        let magnitude = 10f64.powf(tokens_per_sec.log10().floor() - 1.0);
        format!("{}", (tokens_per_sec / magnitude).round() * magnitude)
    }
}

/// Why there is no speed estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum NoSpeed {
    /// The model does not run on the machine at all.
    #[error("it does not fit")]
    DoesNotRun,
    /// A memory the weights are read from has no known bandwidth.
    #[error("the {0} bandwidth is not known (a typed spec can give it, e.g. \"@1008GB/s\")")]
    UnknownBandwidth(&'static str),
}

/// The speed of writing an answer with a model of shape `arch`, whose weights split as `split`,
/// placed on `hw` as `placed` says (`None`: it does not run there).
pub(crate) fn decode_speed(
    placed: Option<Offload>,
    split: &WeightSplit,
    arch: &Architecture,
    hw: &HardwareSnapshot,
) -> Result<SpeedEstimate, NoSpeed> {
    let Some(offload) = placed else {
        return Err(NoSpeed::DoesNotRun);
    };
    let expert_share = arch.moe.as_ref().map_or(1.0, |m| {
        f64::from(m.experts_per_token) / f64::from(m.routed_experts.max(1))
    });
    let dense = |l: usize| split.layer_bytes[l] - split.expert_bytes[l];
    let experts = |l: usize| (split.expert_bytes[l] as f64 * expert_share) as u64;
    let blocks = split.layer_bytes.len();
    let (gpu, ram) = if offload.no_gpu || offload.gpu_layers == 0 || hw.gpus.is_empty() {
        let all: u64 = (0..blocks).map(|l| dense(l) + experts(l)).sum();
        (0, all + split.output_bytes)
    } else if offload.cpu_moe {
        let on_gpu: u64 = (0..blocks).map(dense).sum();
        (on_gpu + split.output_bytes, (0..blocks).map(experts).sum())
    } else {
        // The output layer first, then blocks from the last one down (see `offloaded_bytes`).
        let first_on_gpu = blocks.saturating_sub(offload.gpu_layers as usize - 1);
        let read = |l: usize| dense(l) + experts(l);
        (
            split.output_bytes + (first_on_gpu..blocks).map(read).sum::<u64>(),
            (0..first_on_gpu).map(read).sum(),
        )
    };
    // Layers split over several GPUs are read one GPU after another: the slowest sets the pace.
    let gpu_bandwidth = hw
        .gpus
        .iter()
        .map(|g| g.bandwidth_bytes_per_sec)
        .min()
        .flatten();
    let ram_bandwidth = hw.ram.as_ref().and_then(|r| r.bandwidth_bytes_per_sec);
    if gpu > 0 && gpu_bandwidth.is_none() {
        return Err(NoSpeed::UnknownBandwidth("GPU memory"));
    }
    if ram > 0 && ram_bandwidth.is_none() {
        return Err(NoSpeed::UnknownBandwidth("RAM"));
    }
    let ram_efficiency = if hw.simulated.is_some() {
        DATA_SHEET_EFFICIENCY
    } else {
        MEASURED_EFFICIENCY
    };
    // Seconds per token at the slow and the fast end.
    let secs = |end: fn((f64, f64)) -> f64| {
        read_secs(gpu, gpu_bandwidth) / end(DATA_SHEET_EFFICIENCY)
            + read_secs(ram, ram_bandwidth) / end(ram_efficiency)
    };
    let (slow, fast) = (secs(|e| e.0), secs(|e| e.1));
    if fast <= 0.0 {
        return Err(NoSpeed::DoesNotRun);
    }
    Ok(SpeedEstimate {
        low_tokens_per_sec: 1.0 / slow,
        high_tokens_per_sec: 1.0 / fast,
        gpu_bytes_per_token: gpu,
        ram_bytes_per_token: ram,
    })
}

/// Seconds to read `bytes` at `bandwidth` (nothing to read takes no time).
fn read_secs(bytes: u64, bandwidth: Option<u64>) -> f64 {
    match bandwidth {
        Some(bw) if bytes > 0 && bw > 0 => bytes as f64 / bw as f64,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::estimate::fit::{breakdown, estimate};
    use crate::estimate::quant::Quant;
    use crate::hardware::assume::parse_assume;

    fn speed(id: &str, quant: Quant, spec: &str) -> Result<SpeedEstimate, NoSpeed> {
        let m = builtin_model(id).unwrap();
        let hw = parse_assume(spec).unwrap();
        let (_, split) = breakdown(&m, quant, 4096);
        let report = estimate(&m, quant, 4096, &hw);
        // The report's speed is this function's answer for the report's placement.
        let direct = decode_speed(
            report.placed(m.architecture.layers),
            &split,
            &m.architecture,
            &hw,
        );
        assert_eq!(direct, report.speed);
        direct
    }

    #[test]
    fn a_dense_model_on_one_gpu_reads_its_weights_once_per_token() {
        // R1-Distill-Qwen-7B Q4_K_M: ~4.4 GiB of weights read per token at 1008 GB/s:
        // 1008e9 / 4.7e9 ≈ 214 tokens/s at peak, 107-171 in the range.
        let s = speed(
            "deepseek-r1-distill-qwen-7b",
            Quant::Q4_K_M,
            "24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s",
        )
        .unwrap();
        assert_eq!(s.ram_bytes_per_token, 0);
        let peak = 1008e9 / s.gpu_bytes_per_token as f64;
        assert!((s.low_tokens_per_sec - 0.5 * peak).abs() < 1e-6);
        assert!((s.high_tokens_per_sec - 0.8 * peak).abs() < 1e-6);
        assert!((100.0..200.0).contains(&s.high_tokens_per_sec), "{s:?}");
    }

    #[test]
    fn an_moe_model_reads_only_the_experts_a_token_uses() {
        // V2-Lite: 15.7B parameters, 2.4B active: far faster than its size suggests.
        let s = speed("deepseek-v2-lite", Quant::Q4_K_M, "32GiB RAM @51.2GB/s").unwrap();
        let all = builtin_model("deepseek-v2-lite").unwrap();
        let (b, _) = breakdown(&all, Quant::Q4_K_M, 4096);
        assert!(s.ram_bytes_per_token * 4 < b.weights_bytes, "{s:?}");
        assert!(s.high_tokens_per_sec > 20.0, "{s:?}");
    }

    #[test]
    fn offloaded_layers_are_read_from_both_memories() {
        let s = speed(
            "deepseek-llm-67b",
            Quant::Q4_K_M,
            "24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s",
        )
        .unwrap();
        assert!(
            s.gpu_bytes_per_token > 0 && s.ram_bytes_per_token > 0,
            "{s:?}"
        );
        // RAM is the bottleneck: well under what the GPU alone would give.
        assert!(s.high_tokens_per_sec < 5.0, "{s:?}");
    }

    #[test]
    fn no_estimate_without_a_bandwidth_or_when_it_does_not_run() {
        assert_eq!(
            speed(
                "deepseek-r1-distill-qwen-7b",
                Quant::Q4_K_M,
                "24GiB GPU, 64GiB RAM"
            ),
            Err(NoSpeed::UnknownBandwidth("GPU memory"))
        );
        assert_eq!(
            speed(
                "deepseek-r1",
                Quant::Q4_K_M,
                "8GiB GPU @256GB/s, 16GiB RAM @89.6GB/s"
            ),
            Err(NoSpeed::DoesNotRun)
        );
    }

    #[test]
    fn rates_are_shown_to_two_figures() {
        assert_eq!(rate(3.456), "3.5");
        assert_eq!(rate(171.4), "170");
        assert_eq!(rate(23.4), "23");
    }
}
