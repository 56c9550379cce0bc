//! The one llama.cpp backend of the process (llama.cpp allows a single live initialisation), with
//! llama.cpp's log routed to `tracing` instead of the terminal.

use std::ffi::CString;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock};

use llama_cpp_2::context::params::{KvCacheType, LlamaContextParams};
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::{LlamaModelParams, LlamaSplitMode};

use super::error::LlamaError;
use crate::estimate::kv_cache::{CacheType, FlashAttn};
use crate::estimate::launch_settings::{LaunchSettings, SplitMode};
use crate::estimate::placement::Offload;

/// The shared backend, initialised on first use — the back-end modules loaded first
/// ([`super::modules`]); `Err` says why llama.cpp could not start.
pub fn backend() -> Result<&'static LlamaBackend, LlamaError> {
    static BACKEND: OnceLock<Result<LlamaBackend, LlamaError>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(
                llama_cpp_2::LogOptions::default().with_logs_enabled(true),
            );
            let report = REPORT.get_or_init(super::modules::load_modules);
            if !report.backends.iter().any(|(name, _)| name == "CPU") {
                return Err(LlamaError::Backend(format!(
                    "no CPU back-end was found (looked for llama.cpp's modules in {}): reinstall seekdeck",
                    report
                        .dir
                        .as_ref()
                        .map_or_else(|| "the folders beside seekdeck".to_owned(), |d| d.display().to_string())
                )));
            }
            LlamaBackend::init().map_err(|e| LlamaError::Backend(e.to_string()))
        })
        .as_ref()
        .map_err(Clone::clone)
}

static REPORT: OnceLock<super::modules::BackendReport> = OnceLock::new();

/// What llama.cpp's back-end registry holds: the modules loaded, the CPU level, why there is
/// no GPU (starting llama.cpp's backend first, if it was not).
pub fn backend_report() -> &'static super::modules::BackendReport {
    let _ = backend();
    REPORT.get_or_init(super::modules::load_modules)
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

/// llama.cpp's model parameters for `offload` and `settings`: its GPU layers (on the cluster's
/// devices in an engine host), no device at all with `no_gpu` (llama.cpp's `--device none`),
/// the split mode, main GPU and tensor split (through seekdeck's patch of llama-cpp-2,
/// vendor/llama-cpp-2/SEEKDECK-PATCH.md), mmap and mlock. The tensors kept in RAM go on the pinned parameters afterwards
/// ([`add_cpu_overrides`]).
pub(crate) fn model_params(
    offload: Offload,
    settings: &LaunchSettings,
) -> Result<LlamaModelParams, LlamaError> {
    let mode = match settings.split_mode {
        SplitMode::Layer => LlamaSplitMode::Layer,
        SplitMode::None => LlamaSplitMode::None,
        SplitMode::Row => LlamaSplitMode::Row,
    };
    let mut params = LlamaModelParams::default()
        .with_n_gpu_layers(offload.gpu_layers)
        .with_use_mmap(settings.mmap)
        .with_use_mlock(settings.mlock)
        .with_split_mode(mode)
        .with_main_gpu(settings.main_gpu as i32);
    if !settings.tensor_split.0.is_empty() {
        // llama.cpp's `--tensor-split`, proportions in device order (thousandths here).
        let split: Vec<f32> = settings
            .tensor_split
            .0
            .iter()
            .map(|&v| v as f32 / 1000.0)
            .collect();
        params = params.with_tensor_split(&split);
    }
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

/// The name patterns of the tensors a launch keeps in RAM, as llama.cpp's own flags write them:
/// the user's `--override-tensor`s, then `--cpu-moe` (every routed expert) or `--n-cpu-moe N`
/// (those of blocks 0 to N − 1).
pub(crate) fn cpu_override_patterns(offload: Offload, settings: &LaunchSettings) -> Vec<CString> {
    /// llama.cpp's `LLM_FFN_EXPS_REGEX` (common/common.h).
    const EXPERTS: &str = "\\.ffn_(up|down|gate|gate_up)_(ch|)exps";
    let mut patterns: Vec<String> = settings
        .overrides
        .iter()
        .map(|o| o.pattern().to_owned())
        .collect();
    if offload.cpu_moe {
        patterns.push(EXPERTS.to_owned());
    } else {
        patterns.extend((0..offload.n_cpu_moe).map(|i| format!("blk\\.{i}{EXPERTS}")));
    }
    // A checked pattern is printable ASCII, so it holds no NUL.
    patterns
        .into_iter()
        .filter_map(|p| CString::new(p).ok())
        .collect()
}

/// Adds `patterns` to `params` as overrides to the CPU's buffer type. llama.cpp keeps the
/// pointers: `patterns` must outlive every use of `params`.
pub(crate) fn add_cpu_overrides(mut params: Pin<&mut LlamaModelParams>, patterns: &[CString]) {
    for p in patterns {
        params.as_mut().add_cpu_buft_override(p);
    }
}

/// llama.cpp's context parameters for `ctx_tokens` and `settings`: cache types, flash attention,
/// batch and micro-batch (threads are the engine's to add).
pub(crate) fn context_params(ctx_tokens: u32, settings: &LaunchSettings) -> LlamaContextParams {
    let cache = |t: CacheType| match t {
        CacheType::F32 => KvCacheType::F32,
        CacheType::F16 => KvCacheType::F16,
        CacheType::Bf16 => KvCacheType::BF16,
        CacheType::Q8_0 => KvCacheType::Q8_0,
        CacheType::Q4_0 => KvCacheType::Q4_0,
        CacheType::Q4_1 => KvCacheType::Q4_1,
        CacheType::Iq4Nl => KvCacheType::IQ4_NL,
        CacheType::Q5_0 => KvCacheType::Q5_0,
        CacheType::Q5_1 => KvCacheType::Q5_1,
    };
    let policy = match settings.flash_attn {
        FlashAttn::Auto => llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_AUTO,
        FlashAttn::On => llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_ENABLED,
        FlashAttn::Off => llama_cpp_sys_2::LLAMA_FLASH_ATTN_TYPE_DISABLED,
    };
    LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(ctx_tokens))
        .with_n_batch(settings.batch)
        .with_n_ubatch(settings.effective_ubatch())
        .with_type_k(cache(settings.cache_type_k))
        .with_type_v(cache(settings.cache_type_v))
        .with_flash_attention_policy(policy)
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

/// One of llama.cpp's devices as `seekdeck hw` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// llama.cpp's name (`Vulkan0`, `CUDA0`, `CPU`).
    pub name: String,
    /// The card or processor.
    pub description: String,
    /// The back-end that drives it (`Vulkan`, `CUDA`, `CPU`).
    pub backend: String,
    /// Its memory in bytes (RAM for the CPU).
    pub total_bytes: u64,
}

/// Every device llama.cpp sees (none when it could not start).
pub fn devices() -> Vec<DeviceInfo> {
    if backend().is_err() {
        return Vec::new();
    }
    llama_cpp_2::list_llama_ggml_backend_devices()
        .into_iter()
        .map(|d| DeviceInfo {
            name: d.name,
            description: d.description,
            backend: d.backend,
            total_bytes: d.memory_total as u64,
        })
        .collect()
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
