//! llama.cpp's dry run with a GPU back-end: where `-ngl n` (and the tensors kept in RAM) put the weights, the
//! KV cache and the compute buffers. With `no_alloc` llama.cpp sizes its buffers without allocating
//! them, so any GPU device (even a software one) stands in for a 24 GiB card. The placement is
//! llama.cpp's own, read from its debug log: which device each layer went to, which tensors were
//! overridden to the CPU, which device holds each layer's cache, and the compute buffer of each
//! buffer type. Weight bytes come from the file's own tensor list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tracing::Level;

use super::error::LlamaError;
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::placement::Offload;
use crate::gguf::names::{layer_of, model_parts};
use crate::gguf::read::GgufHeader;
use crate::llama::dry_run::{logged_dry_run, mib_after};

/// Bytes on one side of the bus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideSizes {
    /// Weights.
    pub weights: u64,
    /// KV cache.
    pub kv: u64,
    /// Compute buffer(s).
    pub compute: u64,
}

impl SideSizes {
    /// All three parts.
    pub fn total(&self) -> u64 {
        self.weights + self.kv + self.compute
    }
}

/// What llama.cpp would allocate on the GPU and in RAM for one placement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OffloadSizes {
    /// On the GPU device(s).
    pub gpu: SideSizes,
    /// In system memory (CPU buffers and pinned host buffers).
    pub host: SideSizes,
    /// llama.cpp's own count, e.g. "12/29" from "offloaded 12/29 layers to GPU".
    pub offloaded: String,
    /// llama.cpp's note when tensors could not use the buffer type their layer asked for.
    pub moved: Option<String>,
}

/// Loads `path` with `placement` and `ctx_tokens` of context (no allocation) and returns where
/// llama.cpp puts each part.
pub fn dry_run_offload(
    path: &Path,
    ctx_tokens: u32,
    placement: Offload,
    settings: &LaunchSettings,
) -> Result<OffloadSizes, LlamaError> {
    let tensors = file_tensors(path)?;
    let (log, _) = logged_dry_run(path, ctx_tokens, placement, Level::DEBUG, settings)?;
    Ok(parse_offload_log(&log, &tensors))
}

fn is_host(buffer_or_device: &str) -> bool {
    buffer_or_device.starts_with("CPU") || buffer_or_device.contains("Host")
}

/// The word just before `marker` in `line`.
fn word_before<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line[..line.find(marker)?].split_whitespace().last()
}

/// The word just after `marker` in `line`.
fn word_after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line[line.find(marker)? + marker.len()..]
        .split_whitespace()
        .next()
}

/// Reads llama.cpp's debug log of a dry run; `tensors` are (name, bytes) of the file. The
/// per-device figures ([`parse_device_log`]) summed by side: host buffers (the CPU, pinned
/// `…_Host` ones) and the GPU(s).
pub(crate) fn parse_offload_log(log: &str, tensors: &[(String, u64)]) -> OffloadSizes {
    let mut out = OffloadSizes::default();
    for (device, sizes) in parse_device_log(log, tensors) {
        let side = if is_host(&device) {
            &mut out.host
        } else {
            &mut out.gpu
        };
        side.weights += sizes.weights;
        side.kv += sizes.kv;
        side.compute += sizes.compute;
    }
    for line in log.lines() {
        if line.contains("cannot be used with preferred buffer type") {
            let text = line[line.find("tensor").unwrap_or(0)..].trim().to_owned();
            out.moved = Some(text);
        } else if line.contains("offloaded") && line.contains("layers to GPU") {
            if let Some(n) = word_after(line, "offloaded") {
                out.offloaded = n.to_owned();
            }
        }
    }
    out
}

/// Where a dry run over several devices put each part, per device: `"CPU"` for this process's
/// CPU, another machine's device by its endpoint (`"127.0.0.1:50052"`), a GPU by its name.
pub fn dry_run_devices(
    path: &Path,
    ctx_tokens: u32,
    placement: Offload,
    settings: &LaunchSettings,
) -> Result<BTreeMap<String, SideSizes>, LlamaError> {
    let tensors = file_tensors(path)?;
    let (log, _) = logged_dry_run(path, ctx_tokens, placement, Level::DEBUG, settings)?;
    Ok(parse_device_log(&log, &tensors))
}

/// (name, bytes) of every tensor of the (possibly split) model at `path`: a split model's
/// tensors are spread over its parts, and llama.cpp loads them all from the first.
fn file_tensors(path: &Path) -> Result<Vec<(String, u64)>, LlamaError> {
    let mut tensors = Vec::new();
    for part in model_parts(path) {
        let header = GgufHeader::read(&part).map_err(|error| LlamaError::Header {
            path: part.clone(),
            error,
        })?;
        tensors.extend(
            header
                .tensors
                .iter()
                .map(|t| (t.name.clone(), t.bytes().unwrap_or(0))),
        );
    }
    Ok(tensors)
}

/// Reads a multi-device dry run's debug log: `using device RPC1 (127.0.0.1:50062)` names a
/// device's endpoint, `layer N assigned to device D` and `layer N: dev = D` place weights and
/// cache, `RPC0[127.0.0.1:50062] compute buffer size = …` sizes a compute buffer by endpoint.
pub(crate) fn parse_device_log(
    log: &str,
    tensors: &[(String, u64)],
) -> BTreeMap<String, SideSizes> {
    let mut endpoint: BTreeMap<String, String> = BTreeMap::new();
    let mut layer_dev: BTreeMap<u32, String> = BTreeMap::new();
    let mut kv_layers: BTreeMap<String, u64> = BTreeMap::new();
    let mut kv_total = 0;
    let mut on_cpu: BTreeSet<String> = BTreeSet::new();
    let mut out: BTreeMap<String, SideSizes> = BTreeMap::new();
    let key = |device: &str, endpoint: &BTreeMap<String, String>| {
        endpoint
            .get(device)
            .cloned()
            .unwrap_or_else(|| device.to_owned())
    };
    for line in log.lines() {
        if let Some(dev) = word_after(line, "using device").filter(|d| d.starts_with("RPC")) {
            if let Some(at) = line.split('(').nth(1).and_then(|r| r.split(')').next()) {
                endpoint.insert(dev.to_owned(), at.trim().to_owned());
            }
        } else if line.contains("assigned to device") {
            let il = word_after(line, "layer").and_then(|w| w.parse().ok());
            let dev = word_after(line, "assigned to device").map(|d| d.trim_end_matches(','));
            if let (Some(il), Some(dev)) = (il, dev) {
                layer_dev.insert(il, key(dev, &endpoint));
            }
        } else if line.contains("buffer type overridden to") {
            let to = word_after(line, "buffer type overridden to");
            if let (Some(name), Some(true)) = (word_after(line, "tensor"), to.map(is_host)) {
                on_cpu.insert(name.to_owned());
            }
        } else if line.contains("llama_kv_cache") && line.contains(": dev = ") {
            if let Some(dev) = word_after(line, ": dev = ") {
                *kv_layers.entry(key(dev, &endpoint)).or_default() += 1;
            }
        } else if line.contains("llama_kv_cache")
            && line.contains("size =")
            && line.contains("cells")
        {
            kv_total += mib_after(line, "size =").unwrap_or(0);
        } else if line.contains("compute buffer size =") {
            let bytes = mib_after(line, "compute buffer size =").unwrap_or(0);
            let buffer = word_before(line, "compute buffer size").unwrap_or("CPU");
            let device = buffer
                .split_once('[')
                .map_or(buffer, |(_, rest)| rest.trim_end_matches(']'));
            out.entry(device.to_owned()).or_default().compute += bytes;
        }
    }
    let output_layer = layer_dev.keys().next_back().copied();
    for (name, bytes) in tensors {
        let layer = layer_of(name).or(if name.starts_with("token_embd") {
            None
        } else {
            output_layer
        });
        let device = layer
            .and_then(|il| layer_dev.get(&il))
            .filter(|_| !on_cpu.contains(name))
            .map_or("CPU", String::as_str);
        out.entry(device.to_owned()).or_default().weights += bytes;
    }
    let kv_count: u64 = kv_layers.values().sum();
    for (device, n) in kv_layers {
        out.entry(device).or_default().kv = (kv_total * n).checked_div(kv_count).unwrap_or(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_placement_from_the_debug_log() {
        let log = "DEBUG load_tensors: layer   0 assigned to device CPU, is_swa = 0\n\
                   DEBUG load_tensors: layer   1 assigned to device Vulkan0, is_swa = 0\n\
                   DEBUG load_tensors: layer   2 assigned to device Vulkan0, is_swa = 0\n\
                   INFO load_tensors: offloaded 2/3 layers to GPU\n\
                   DEBUG tensor blk.1.ffn_up_exps.weight (12 MiB q4_K) buffer type overridden to CPU\n\
                   DEBUG llama_kv_cache: layer   0: dev = CPU\n\
                   DEBUG llama_kv_cache: layer   1: dev = Vulkan0\n\
                   INFO llama_kv_cache: size =  200.00 MiB (  8192 cells,   2 layers,  1/1 seqs), K (f16):  200.00 MiB, V (f16):    0.00 MiB\n\
                   INFO llama_context:    Vulkan0 compute buffer size =   300.00 MiB\n\
                   INFO llama_context: Vulkan_Host compute buffer size =    20.00 MiB\n";
        let t = |n: &str, b: u64| (n.to_owned(), b);
        let tensors = [
            t("token_embd.weight", 1000),
            t("blk.0.attn_q.weight", 10),
            t("blk.1.attn_q.weight", 20),
            t("blk.1.ffn_up_exps.weight", 400),
            t("output.weight", 500),
        ];
        let s = parse_offload_log(log, &tensors);
        assert_eq!(s.offloaded, "2/3");
        assert_eq!(s.gpu.weights, 520);
        assert_eq!(s.host.weights, 1410);
        assert_eq!(s.gpu.kv, 100 << 20);
        assert_eq!(s.host.kv, 100 << 20);
        assert_eq!(s.gpu.compute, 300 << 20);
        assert_eq!(s.host.compute, 20 << 20);
        assert_eq!(s.moved, None);
    }
}
