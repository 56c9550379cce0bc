//! The one llama.cpp backend of the process (llama.cpp allows a single live initialisation), with
//! llama.cpp's log routed to `tracing` instead of the terminal.

use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;

use super::error::LlamaError;
use crate::estimate::placement::Offload;

/// The shared backend, initialised on first use; `Err` says why llama.cpp could not start.
pub fn backend() -> Result<&'static LlamaBackend, LlamaError> {
    static BACKEND: OnceLock<Result<LlamaBackend, LlamaError>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(
                llama_cpp_2::LogOptions::default().with_logs_enabled(true),
            );
            LlamaBackend::init().map_err(|e| LlamaError::Backend(e.to_string()))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// llama.cpp's model parameters for `offload`: its GPU layers, and no device at all with
/// `no_gpu` (llama.cpp's `--device none`). The experts-in-RAM override goes on the pinned
/// parameters afterwards (`add_cpu_moe_override`).
pub(crate) fn model_params(offload: Offload) -> Result<LlamaModelParams, LlamaError> {
    let params = LlamaModelParams::default().with_n_gpu_layers(offload.gpu_layers);
    if offload.no_gpu {
        params
            .with_devices(&[])
            .map_err(|e| LlamaError::Devices(e.to_string()))
    } else {
        Ok(params)
    }
}

/// The GPU devices llama.cpp can offload to in this build (none on the CPU back-end).
pub fn gpu_devices() -> Vec<String> {
    if backend().is_err() {
        return Vec::new();
    }
    llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .filter(|d| !d.backend.eq_ignore_ascii_case("cpu") && !d.name.starts_with("BLAS"))
        .map(|d| format!("{} ({})", d.name, d.description))
        .collect()
}
