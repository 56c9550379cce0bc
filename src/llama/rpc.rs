//! llama.cpp's RPC back-end (ggml-rpc), where llama-cpp-2's bindings stop: serving this machine's
//! devices to other machines (`seekdeck worker`), and adding other machines' workers as devices a
//! load can use. The functions come from the back-end registry (`ggml_backend_reg_get_proc_address`
//! on the "RPC" back-end, which llama-cpp-sys-2 builds and links when `GGML_RPC=ON`, as
//! `.cargo/config.toml` sets), so no symbol is declared by hand.
//!
//! This is the one module with `unsafe` code; each block says why it is sound. Two facts of
//! ggml-rpc shape its callers: its client aborts the whole process when a worker cannot be
//! reached, answers badly or goes away (so every worker is checked first with
//! [`crate::hardware::rpc_probe`], and loads across workers run in a child process), and devices
//! it adds are registered for the life of the process.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use llama_cpp_sys_2 as sys;

use super::backend::backend;
use super::error::LlamaError;

/// `ggml_backend_rpc_add_server` (ggml-rpc.h).
type AddServerFn = unsafe extern "C" fn(endpoint: *const c_char) -> sys::ggml_backend_reg_t;
/// `ggml_backend_rpc_start_server` (ggml-rpc.h).
type StartServerFn = unsafe extern "C" fn(
    endpoint: *const c_char,
    cache_dir: *const c_char,
    n_threads: usize,
    n_devices: usize,
    devices: *mut sys::ggml_backend_dev_t,
);

/// A function of the RPC back-end by name, or why there is none.
fn rpc_function(name: &CStr) -> Result<*mut c_void, LlamaError> {
    backend()?;
    // SAFETY: `c"RPC"` is a valid NUL-terminated string; the registry lookup only reads it and
    // returns null when no back-end has that name.
    let reg = unsafe { sys::ggml_backend_reg_by_name(c"RPC".as_ptr()) };
    if reg.is_null() {
        return Err(LlamaError::Rpc(
            "this build of llama.cpp has no RPC back-end (build with GGML_RPC=ON)".into(),
        ));
    }
    // SAFETY: `reg` is the live RPC registration (registrations are never freed) and `name` is
    // NUL-terminated; the call returns null for an unknown name.
    let f = unsafe { sys::ggml_backend_reg_get_proc_address(reg, name.as_ptr()) };
    if f.is_null() {
        return Err(LlamaError::Rpc(format!(
            "the RPC back-end has no {}",
            name.to_string_lossy()
        )));
    }
    Ok(f)
}

/// One of this machine's devices, as a worker would serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedDevice {
    /// llama.cpp's name for it (`CPU`, `CUDA0`, `Vulkan0`).
    pub name: String,
    /// Its description (the processor or card).
    pub description: String,
    /// Free memory in bytes.
    pub free_bytes: u64,
    /// Total memory in bytes.
    pub total_bytes: u64,
}

/// The devices a worker on this machine serves: its GPUs, then its CPU with the machine's RAM
/// (a second device, so a cluster uses the RAM for what does not fit on the cards), or only the
/// GPUs with `gpu_only`; the CPU alone on a build without a GPU back-end. RPC devices (other
/// workers) are never served on.
fn devices_to_serve(gpu_only: bool) -> Result<Vec<sys::ggml_backend_dev_t>, LlamaError> {
    backend()?;
    // SAFETY: the device list is fixed once the back-ends are loaded (`backend()` above); each
    // index below the count returns a valid, never-freed device.
    let all: Vec<sys::ggml_backend_dev_t> = (0..unsafe { sys::ggml_backend_dev_count() })
        .map(|i| unsafe { sys::ggml_backend_dev_get(i) })
        .collect();
    let kind = |d: sys::ggml_backend_dev_t| {
        // SAFETY: `d` is a valid device (above).
        unsafe { sys::ggml_backend_dev_type(d) }
    };
    let mut served: Vec<_> = all
        .iter()
        .copied()
        .filter(|&d| kind(d) == sys::GGML_BACKEND_DEVICE_TYPE_GPU && !is_rpc(d))
        .collect();
    if served.is_empty() || !gpu_only {
        served.extend(
            all.into_iter()
                .filter(|&d| kind(d) == sys::GGML_BACKEND_DEVICE_TYPE_CPU)
                .take(1),
        );
    }
    if served.is_empty() {
        return Err(LlamaError::Rpc("llama.cpp found no device to serve".into()));
    }
    Ok(served)
}

/// Whether `d` is another machine's device (added through RPC).
fn is_rpc(d: sys::ggml_backend_dev_t) -> bool {
    // SAFETY: `d` is a valid device; its name is a NUL-terminated string owned by the device.
    let name = unsafe { CStr::from_ptr(sys::ggml_backend_dev_name(d)) };
    name.to_string_lossy().starts_with("RPC")
}

/// What [`serve`] will serve, for the worker's first lines.
pub fn served_devices(gpu_only: bool) -> Result<Vec<ServedDevice>, LlamaError> {
    devices_to_serve(gpu_only)?
        .into_iter()
        .map(|d| {
            let (mut free, mut total) = (0usize, 0usize);
            // SAFETY: `d` is a valid device; the two out-pointers point at live locals; name and
            // description are NUL-terminated strings owned by the device.
            let (name, description) = unsafe {
                sys::ggml_backend_dev_memory(d, &mut free, &mut total);
                (
                    CStr::from_ptr(sys::ggml_backend_dev_name(d)),
                    CStr::from_ptr(sys::ggml_backend_dev_description(d)),
                )
            };
            Ok(ServedDevice {
                name: name.to_string_lossy().into_owned(),
                description: description.to_string_lossy().into_owned(),
                free_bytes: free as u64,
                total_bytes: total as u64,
            })
        })
        .collect()
}

/// Serves this machine's devices on `endpoint` (`host:port`) until the process ends, llama.cpp's
/// `ggml_backend_rpc_start_server`; returns only when it cannot listen. With `cache_dir`, tensors
/// received are kept there and a later load sends only their hashes; `gpu_only` leaves the CPU
/// and RAM out when there are GPUs.
pub fn serve(
    endpoint: &str,
    cache_dir: Option<&Path>,
    threads: usize,
    gpu_only: bool,
) -> Result<(), LlamaError> {
    let start = rpc_function(c"ggml_backend_rpc_start_server")?;
    // SAFETY: the registry returned this address for `ggml_backend_rpc_start_server`, whose C
    // signature `StartServerFn` repeats (ggml-rpc.h of the vendored llama.cpp).
    let start: StartServerFn = unsafe { std::mem::transmute::<*mut c_void, StartServerFn>(start) };
    let mut devices = devices_to_serve(gpu_only)?;
    let endpoint_c = CString::new(endpoint)
        .map_err(|_| LlamaError::Rpc(format!("bad endpoint {endpoint:?}")))?;
    let cache_c = match cache_dir {
        Some(dir) => Some(
            CString::new(dir.to_string_lossy().as_bytes())
                .map_err(|_| LlamaError::Rpc(format!("bad cache folder {}", dir.display())))?,
        ),
        None => None,
    };
    // SAFETY: every pointer outlives the call (locals of this frame); `devices` holds
    // `devices.len()` valid devices; the cache pointer is null or a NUL-terminated path.
    unsafe {
        start(
            endpoint_c.as_ptr(),
            cache_c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            threads.max(1),
            devices.len(),
            devices.as_mut_ptr(),
        );
    }
    Err(LlamaError::Rpc(format!(
        "could not listen on {endpoint} (is the port in use, or the address not this machine's?)"
    )))
}

/// Adds the worker at `endpoint` (which must have passed [`crate::hardware::rpc_probe`]) and
/// returns the global indices of its devices, for `LlamaModelParams::with_devices`. A worker added
/// before gives the indices it got then: its devices are registered once per process.
pub fn add_worker(endpoint: &str) -> Result<Vec<usize>, LlamaError> {
    static ADDED: OnceLock<Mutex<HashMap<String, Vec<usize>>>> = OnceLock::new();
    let mut added = ADDED
        .get_or_init(Mutex::default)
        .lock()
        .map_err(|_| LlamaError::Rpc("the RPC registry lock was poisoned".into()))?;
    if let Some(ix) = added.get(endpoint) {
        return Ok(ix.clone());
    }
    let add = rpc_function(c"ggml_backend_rpc_add_server")?;
    // SAFETY: the registry returned this address for `ggml_backend_rpc_add_server`, whose C
    // signature `AddServerFn` repeats (ggml-rpc.h of the vendored llama.cpp).
    let add: AddServerFn = unsafe { std::mem::transmute::<*mut c_void, AddServerFn>(add) };
    let endpoint_c = CString::new(endpoint)
        .map_err(|_| LlamaError::Rpc(format!("bad endpoint {endpoint:?}")))?;
    // SAFETY: `endpoint_c` is NUL-terminated and outlives the call. The worker answered the
    // protocol's hello just before (the caller's probe), so llama.cpp's connection succeeds.
    let reg = unsafe { add(endpoint_c.as_ptr()) };
    if reg.is_null() {
        return Err(LlamaError::Rpc(format!("{endpoint} offered no device")));
    }
    // SAFETY: `reg` is the worker's live registration; each index below its count is a valid
    // device, registered once here (guarded by `ADDED`) as llama.cpp's own `--rpc` does.
    let devices: Vec<sys::ggml_backend_dev_t> = unsafe {
        (0..sys::ggml_backend_reg_dev_count(reg))
            .map(|i| sys::ggml_backend_reg_dev_get(reg, i))
            .collect()
    };
    for &d in &devices {
        // SAFETY: as above.
        unsafe { sys::ggml_backend_device_register(d) };
    }
    // SAFETY: the global list now holds the devices registered above; indices below the count
    // are valid.
    let indices: Vec<usize> = (0..unsafe { sys::ggml_backend_dev_count() })
        .filter(|&i| devices.contains(&unsafe { sys::ggml_backend_dev_get(i) }))
        .collect();
    added.insert(endpoint.to_owned(), indices.clone());
    Ok(indices)
}
