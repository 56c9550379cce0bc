//! llama.cpp's own dry run, the authority the estimator is checked against: load a (shape-only)
//! GGUF with `no_alloc`, create a context at a given length, and read the sizes llama.cpp reports
//! for the model buffer, the KV cache, the compute buffer and the output buffer from its log.

use std::io::Write;
use std::path::Path;
use std::pin::pin;
use std::sync::{Arc, Mutex};

use llama_cpp_2::model::LlamaModel;
use tracing::Level;

use super::backend::{add_cpu_overrides, context_params, cpu_override_patterns, model_params};
use super::error::LlamaError;
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::placement::Offload;

/// The llama-cpp-sys-2 release whose vendored llama.cpp is the reference (checked against
/// Cargo.lock by `tests/shape_only.rs`).
pub const LLAMA_CPP_SYS_VERSION: &str = "0.1.161";

/// Sizes llama.cpp reports, in bytes (its log gives MiB with two decimals).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReferenceSizes {
    /// Weights (`llama_model_size`).
    pub model_bytes: u64,
    /// KV cache, K plus V.
    pub kv_bytes: u64,
    /// K part of the cache.
    pub k_bytes: u64,
    /// V part of the cache.
    pub v_bytes: u64,
    /// Compute buffer (sum over back-ends).
    pub compute_bytes: u64,
    /// Output (logits) buffer.
    pub output_bytes: u64,
}

/// Loads `path` without allocating and creates a context of `ctx_tokens`; returns what llama.cpp
/// says it would allocate.
pub fn dry_run(path: &Path, ctx_tokens: u32) -> Result<ReferenceSizes, LlamaError> {
    dry_run_with(path, ctx_tokens, &LaunchSettings::default())
}

/// [`dry_run`] with `settings` (cache types, flash attention, batch sizes, tensors in RAM).
pub fn dry_run_with(
    path: &Path,
    ctx_tokens: u32,
    settings: &LaunchSettings,
) -> Result<ReferenceSizes, LlamaError> {
    let (text, model_bytes) =
        logged_dry_run(path, ctx_tokens, Offload::default(), Level::INFO, settings)?;
    let mut sizes = parse_log(&text);
    sizes.model_bytes = model_bytes;
    Ok(sizes)
}

/// Runs llama.cpp's dry run with `placement` and `settings` and returns its log (at `level` and
/// above) and the model's weight bytes.
pub fn logged_dry_run(
    path: &Path,
    ctx_tokens: u32,
    placement: Offload,
    level: Level,
    settings: &LaunchSettings,
) -> Result<(String, u64), LlamaError> {
    let backend = crate::llama::backend::backend()?;
    if !path.exists() {
        return Err(LlamaError::NotFound(path.to_path_buf()));
    }
    let log = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink = LogSink(log.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(level)
        .with_writer(move || sink.clone())
        .finish();
    let patterns = cpu_override_patterns(placement, settings);
    let model_bytes =
        tracing::subscriber::with_default(subscriber, || -> Result<u64, LlamaError> {
            let mut params = pin!(model_params(placement, settings)?.with_no_alloc(true));
            add_cpu_overrides(params.as_mut(), &patterns);
            let said = |find: fn(&str) -> Option<String>| {
                log.lock()
                    .ok()
                    .and_then(|l| find(&String::from_utf8_lossy(&l)))
            };
            let model = LlamaModel::load_from_file(backend, path, &params).map_err(|e| {
                LlamaError::Load {
                    path: path.to_path_buf(),
                    detail: said(load_error).unwrap_or_else(|| e.to_string()),
                }
            })?;
            let ctx = model
                .new_context(backend, context_params(ctx_tokens, settings))
                .map_err(|e| {
                    LlamaError::Context(said(last_error).unwrap_or_else(|| e.to_string()))
                })?;
            drop(ctx);
            Ok(model.size())
        })?;
    let text = String::from_utf8_lossy(&log.lock().map_err(|_| LlamaError::Log)?).into_owned();
    Ok((text, model_bytes))
}

/// llama.cpp's reason for a failed load, from its log (`llama_model_load: error loading model:
/// device RPC0 does not support split buffers`), without the function names.
fn load_error(log: &str) -> Option<String> {
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("error loading model:"))?;
    let reason = line.split("error loading model:").nth(1)?;
    let reason = reason.split(" module=").next().unwrap_or(reason).trim();
    Some(reason.to_owned())
}

/// llama.cpp's last error in its log (`quantized V cache requires flash_attn to be enabled`),
/// the reason a context was not made.
fn last_error(log: &str) -> Option<String> {
    let line = log.lines().rev().find(|l| l.contains(" ERROR "))?;
    let reason = line.split("llama-cpp-2: ").nth(1)?;
    let reason = reason.split(" module=").next().unwrap_or(reason).trim();
    Some(reason.to_owned())
}

/// Reads the size lines of llama.cpp's log:
/// `llama_kv_cache: size = 448.00 MiB (…), K (f16): 224.00 MiB, V (f16): 224.00 MiB`,
/// `llama_context: CPU compute buffer size = 304.00 MiB`, `… output buffer size = 0.58 MiB`.
pub(crate) fn parse_log(text: &str) -> ReferenceSizes {
    let mut s = ReferenceSizes::default();
    for line in text.lines() {
        if line.contains("llama_kv_cache") && line.contains("size =") {
            s.kv_bytes += mib_after(line, "size =").unwrap_or(0);
            s.k_bytes += line
                .find("K (")
                .and_then(|i| mib_after(&line[i..], "):"))
                .unwrap_or(0);
            s.v_bytes += line
                .find("V (")
                .and_then(|i| mib_after(&line[i..], "):"))
                .unwrap_or(0);
        } else if line.contains("compute buffer size =") {
            s.compute_bytes += mib_after(line, "compute buffer size =").unwrap_or(0);
        } else if line.contains("output buffer size =") {
            s.output_bytes += mib_after(line, "output buffer size =").unwrap_or(0);
        }
    }
    s
}

/// The "N.NN MiB" figure after `marker`, in bytes; `None` when the number is not in MiB
/// (`creating main KV cache, size = 32768 cells`, V3.2's sparse-attention cache, is a count).
pub(crate) fn mib_after(line: &str, marker: &str) -> Option<u64> {
    let rest = line[line.find(marker)? + marker.len()..].trim_start();
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if !rest[number.len()..].trim_start().starts_with("MiB") {
        return None;
    }
    let mib: f64 = number.parse().ok()?;
    Some((mib * 1024.0 * 1024.0).round() as u64)
}

#[derive(Clone)]
struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_llama_cpp_size_lines() {
        let log = "INFO llama_kv_cache: size =  448.00 MiB (  8192 cells,  28 layers,  1/1 seqs), K (f16):  224.00 MiB, V (f16):  224.00 MiB\n\
                   INFO llama_context:        CPU compute buffer size =   304.00 MiB\n\
                   INFO llama_context:        CPU  output buffer size =     0.58 MiB\n";
        let s = parse_log(log);
        assert_eq!(s.kv_bytes, 448 << 20);
        assert_eq!(s.k_bytes, 224 << 20);
        assert_eq!(s.v_bytes, 224 << 20);
        assert_eq!(s.compute_bytes, 304 << 20);
        assert_eq!(s.output_bytes, (0.58f64 * 1048576.0).round() as u64);
    }

    /// V3.2's sparse-attention cache announces its parts with a cell count ("size = 32768
    /// cells"), which is not a size: only the two MiB lines count.
    #[test]
    fn the_sparse_attention_caches_cell_counts_are_not_sizes() {
        let log = "INFO llama_kv_cache_dsa: creating main KV cache, size = 32768 cells
                   INFO llama_kv_cache: size = 2196.00 MiB ( 32768 cells,  61 layers,  1/1 seqs), K (f16): 2196.00 MiB, V (f16):    0.00 MiB
                   INFO llama_kv_cache_dsa: creating indexer KV cache, size = 32768 cells
                   INFO llama_kv_cache: size =  488.00 MiB ( 32768 cells,  61 layers,  1/1 seqs), K (f16):  488.00 MiB, V (f16):    0.00 MiB
";
        let s = parse_log(log);
        assert_eq!(s.kv_bytes, (2196 + 488) << 20);
        assert_eq!(s.k_bytes, (2196 + 488) << 20);
        assert_eq!(s.v_bytes, 0);
    }
}
