//! The one llama.cpp backend of the process (llama.cpp allows a single live initialisation), with
//! llama.cpp's log routed to `tracing` instead of the terminal.

use std::sync::{Mutex, OnceLock};

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

/// The devices loads of this process go to (global indices), when it is an engine host for a
/// cluster: the other machines' workers ([`crate::llama::rpc::add_worker`]) and this PC's GPUs.
static CLUSTER_DEVICES: Mutex<Option<Vec<usize>>> = Mutex::new(None);

/// Makes every later load of this process place its offloaded layers on `devices` (an engine
/// host's workers; the cluster check's shapes, one after another).
pub fn use_cluster_devices(devices: Vec<usize>) {
    if let Ok(mut d) = CLUSTER_DEVICES.lock() {
        *d = Some(devices);
    }
}

/// llama.cpp's model parameters for `offload`: its GPU layers (on the cluster's devices in an
/// engine host), and no device at all with `no_gpu` (llama.cpp's `--device none`). The
/// experts-in-RAM override goes on the pinned parameters afterwards (`add_cpu_moe_override`).
pub(crate) fn model_params(offload: Offload) -> Result<LlamaModelParams, LlamaError> {
    let params = LlamaModelParams::default().with_n_gpu_layers(offload.gpu_layers);
    let cluster = CLUSTER_DEVICES.lock().ok().and_then(|d| d.clone());
    let devices: &[usize] = match &cluster {
        _ if offload.no_gpu => &[],
        Some(cluster) => cluster,
        None => return Ok(params),
    };
    params
        .with_devices(devices)
        .map_err(|e| LlamaError::Devices(e.to_string()))
}

/// The GPU devices llama.cpp can offload to in this build (none on the CPU back-end).
pub fn gpu_devices() -> Vec<String> {
    local_gpus()
        .into_iter()
        .map(|d| format!("{} ({})", d.name, d.description))
        .collect()
}

/// Whether a load can put layers anywhere but this PC's CPU: a GPU here, or other machines'
/// devices (an engine host's).
pub fn can_offload() -> bool {
    CLUSTER_DEVICES
        .lock()
        .is_ok_and(|d| d.as_ref().is_some_and(|d| !d.is_empty()))
        || !local_gpus().is_empty()
}

/// Global indices of this PC's GPU devices, which a load across machines uses after the
/// other machines' devices (llama.cpp's own order: RPC devices first).
pub fn local_gpu_indices() -> Vec<usize> {
    local_gpus().into_iter().map(|d| d.index).collect()
}

/// This PC's own GPU devices: not the CPU, not a BLAS helper, not another machine's device.
fn local_gpus() -> Vec<llama_cpp_2::LlamaBackendDevice> {
    if backend().is_err() {
        return Vec::new();
    }
    llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .filter(|d| {
            !d.backend.eq_ignore_ascii_case("cpu")
                && !d.name.starts_with("BLAS")
                && !d.name.starts_with("RPC")
        })
        .collect()
}
