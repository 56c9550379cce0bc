//! Where a model goes and at what context: the placement llama.cpp is told ([`Offload`]), the
//! limits its dry runs check it against ([`SplitLimits`]), both named together as a
//! [`Placement`]; the memory margins every estimate keeps; and the one rule for the context
//! length a model is estimated and launched at ([`effective_context`]), used by the window, the
//! command line and Launch alike.

use serde::Serialize;

use crate::hardware::GIB;

/// Context length the toolbar and the command line start with.
pub(crate) const DEFAULT_CTX_TOKENS: u32 = 8192;
/// The smallest context seekdeck asks of llama.cpp (its context padding, `CTX_PAD_TOKENS`).
pub(crate) const MIN_CTX_TOKENS: u32 = 256;

/// Runtime overhead beyond weights, cache and compute buffer: ggml/llama.cpp state, the output
/// buffer, allocator slack.
pub const OVERHEAD_BYTES: u64 = 300 << 20;
/// VRAM kept free on each GPU for the driver, the display and fragmentation: 512 MiB or 5%.
pub(crate) fn vram_margin_bytes(total: u64) -> u64 {
    (512 << 20).max(total / 20)
}
/// RAM kept free for the OS and the user's other programs on a live machine.
pub(crate) const RAM_HEADROOM_BYTES: u64 = GIB;
/// Share of unified memory the GPU may use (macOS's default working-set limit is about 75%).
pub(crate) const UNIFIED_GPU_SHARE: f64 = 0.75;

/// The context a model is estimated and launched at, and whether the request was lowered to get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EffectiveContext {
    /// Tokens of context used.
    pub ctx_tokens: u32,
    /// The request, when it exceeded the model's native maximum and was capped to it.
    pub capped_from: Option<u32>,
}

impl EffectiveContext {
    /// "at 4K max" style note for a capped context, none otherwise.
    pub(crate) fn cap_note(&self) -> Option<String> {
        self.capped_from.map(|asked| {
            format!(
                "{} tokens asked, capped at the model's native maximum of {}",
                asked, self.ctx_tokens
            )
        })
    }
}

/// The one context rule: the requested length, capped at the model's native maximum (`None` when
/// the file does not say), and never below [`MIN_CTX_TOKENS`].
pub(crate) fn effective_context(requested: u32, native: Option<u32>) -> EffectiveContext {
    let native = native.filter(|&n| n > 0).unwrap_or(u32::MAX);
    let ctx_tokens = requested.min(native).max(MIN_CTX_TOKENS);
    EffectiveContext {
        ctx_tokens,
        capped_from: (requested > native).then_some(requested),
    }
}

/// Context lengths offered for a model: powers of two from 2K up to its native maximum.
pub(crate) fn context_presets(max_ctx: u32) -> Vec<u32> {
    let mut out: Vec<u32> = (11..=20)
        .map(|p| 1u32 << p)
        .filter(|&c| c <= max_ctx)
        .collect();
    if out.last() != Some(&max_ctx) {
        out.push(max_ctx);
    }
    out
}

/// How llama.cpp is told to place a model: `-ngl gpu_layers`, with `cpu_moe` the routed
/// experts kept in RAM (`--cpu-moe`), with `no_gpu` no GPU at all (`--device none`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Offload {
    /// llama.cpp's `n_gpu_layers` (the output layer counts as one).
    pub gpu_layers: u32,
    /// Routed-expert tensors stay in RAM.
    pub cpu_moe: bool,
    /// The routed experts of the first this many blocks stay in RAM (`--n-cpu-moe`; 0: none).
    #[serde(default)]
    pub n_cpu_moe: u32,
    /// Leave the GPU out entirely. With 0 GPU layers llama.cpp still runs large prompt batches on
    /// the GPU, copying weights there, and keeps a compute buffer in VRAM for it (5.2 GiB for
    /// DeepSeek-V3 at Q4_K_M); this is for when even that does not fit.
    pub no_gpu: bool,
}

impl std::fmt::Display for Offload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.gpu_layers, self.cpu_moe) {
            _ if self.no_gpu => write!(f, "CPU only, GPU left out (--device none)"),
            (0, _) => write!(f, "CPU only"),
            (n, false) if self.n_cpu_moe > 0 => write!(
                f,
                "{n} GPU layers with the routed experts of the first {m} blocks in RAM \
                 (-ngl {n} --n-cpu-moe {m})",
                m = self.n_cpu_moe
            ),
            (n, false) => write!(f, "{n} GPU layers (-ngl {n})"),
            (n, true) => write!(
                f,
                "{n} GPU layers with the routed experts in RAM (-ngl {n} --cpu-moe)"
            ),
        }
    }
}

impl Offload {
    /// The placement across other machines (llama.cpp's RPC back-end), in words: their devices
    /// may be GPUs or CPUs, so it speaks of layers on machines, never of "GPU layers".
    pub fn across_machines(&self, machines: &[String]) -> String {
        format!(
            "{} (llama.cpp -ngl {}{}) on {} ({}), the rest on this PC{} (llama.cpp's RPC back-end)",
            crate::format::plural(self.gpu_layers as usize, "layer"),
            self.gpu_layers,
            if self.cpu_moe { " --cpu-moe" } else { "" },
            crate::format::plural(machines.len(), "other machine"),
            machines.join(", "),
            if self.cpu_moe {
                " with the routed experts"
            } else {
                ""
            }
        )
    }
}

/// What llama.cpp's split search needs besides the file: the budget and the largest layer count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SplitLimits {
    /// VRAM the app lets the model use (after its safety margin, before its runtime overhead).
    pub vram_budget_bytes: u64,
    /// Layers llama.cpp can offload: the blocks plus the output layer.
    pub max_layers: u32,
}

impl SplitLimits {
    /// The part of the budget llama.cpp's weights, KV cache and compute buffer may take: the app
    /// keeps its runtime overhead on top, as the estimate does.
    pub(crate) fn llama_budget_bytes(&self) -> u64 {
        self.vram_budget_bytes.saturating_sub(OVERHEAD_BYTES)
    }
}

/// A launch's placement: the estimate's [`Offload`], and the limits llama.cpp's dry runs hold it
/// to before the load (none when the machine has no usable VRAM).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Placement {
    /// What the estimate suggests.
    pub offload: Offload,
    /// What a GPU build checks it against.
    pub split_limits: Option<SplitLimits>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_is_capped_at_native_and_says_so() {
        let c = effective_context(8192, Some(4096));
        assert_eq!(c.ctx_tokens, 4096);
        assert_eq!(c.capped_from, Some(8192));
        assert!(c.cap_note().is_some());
        let c = effective_context(4096, Some(4096));
        assert_eq!((c.ctx_tokens, c.capped_from), (4096, None));
        let c = effective_context(200_000, None);
        assert_eq!((c.ctx_tokens, c.capped_from), (200_000, None));
        assert_eq!(effective_context(1, Some(4096)).ctx_tokens, MIN_CTX_TOKENS);
    }

    #[test]
    fn context_presets_end_at_native_maximum() {
        assert_eq!(context_presets(4096), vec![2048, 4096]);
        assert_eq!(context_presets(163_840).last(), Some(&163_840));
    }
}
