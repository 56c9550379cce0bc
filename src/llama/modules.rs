//! llama.cpp's back-ends as they are found at run time. A default build makes each back-end a
//! loadable module (llama-cpp-2's `dynamic-backends`: the CPU code once per instruction-set level,
//! Vulkan, CUDA where a toolkit was present), as llama.cpp's own releases and Ollama do; this
//! module loads them from next to the binary (or the installed library folder) before llama.cpp
//! starts, and says what runs where: each back-end registered, the CPU variant chosen, and — when
//! no GPU back-end came up — why, in words a user can act on. A static build (no modules) reports
//! the back-ends compiled in.
//!
//! `unsafe`: the back-end registry's C functions (`ggml_backend_*` of ggml-backend.h); each block
//! says why it is sound. `tests/layers.rs` keeps `unsafe` to this file and `rpc.rs`.
#![allow(unsafe_code)]

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};

use llama_cpp_sys_2 as sys;

/// What llama.cpp's back-end registry holds after the modules were loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendReport {
    /// The folder the modules were loaded from (`None` in a build without modules).
    pub dir: Option<PathBuf>,
    /// The module files found there (`libggml-vulkan.so`, `libggml-cpu-haswell.so`, …).
    pub module_files: Vec<String>,
    /// Each registered back-end with its device count: ("CPU", 1), ("Vulkan", 1), ("RPC", 0).
    pub backends: Vec<(String, usize)>,
    /// The instruction-set level of the CPU code llama.cpp chose (`AVX2`, `AVX512`, `NEON`…).
    pub cpu_level: Option<String>,
}

/// The GPU back-ends llama.cpp offers as modules, with what a user installs for each.
const GPU_MODULES: [(&str, &str, &str); 4] = [
    ("vulkan", "Vulkan", "install the graphics driver's Vulkan support (mesa-vulkan-drivers on Debian/Ubuntu, or the NVIDIA/AMD driver)"),
    ("cuda", "CUDA", "install the NVIDIA driver"),
    ("hip", "ROCm", "install ROCm"),
    ("metal", "Metal", "Metal needs macOS"),
];

/// The widest instruction-set levels first: the first one the CPU back-end reports names it.
const CPU_LEVELS: [&str; 12] = [
    "AMX_INT8",
    "AVX512_BF16",
    "AVX512_VNNI",
    "AVX512_VBMI",
    "AVX512",
    "AVX_VNNI",
    "AVX2",
    "AVX",
    "SSE3",
    "SVE",
    "DOTPROD",
    "NEON",
];

impl BackendReport {
    /// The GPU back-ends that came up with at least one device.
    pub fn gpu_backends(&self) -> Vec<&str> {
        self.backends
            .iter()
            .filter(|(name, devices)| *devices > 0 && is_gpu_backend(name))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// Why llama.cpp runs on the CPU, when no GPU back-end came up, and what would change that.
    pub fn why_cpu_only(&self) -> Option<String> {
        if !self.gpu_backends().is_empty() {
            return None;
        }
        if self.dir.is_none() {
            return Some(
                "this build of llama.cpp has no GPU back-end (built without modules; `make build` makes the Vulkan module)"
                    .to_owned(),
            );
        }
        let present: Vec<(&str, &str)> = GPU_MODULES
            .iter()
            .filter(|(file, ..)| {
                self.module_files
                    .iter()
                    .any(|f| module_kind(f) == Some(*file))
            })
            .map(|(_, name, fix)| (*name, *fix))
            .collect();
        Some(match present.as_slice() {
            [] => "no GPU module is installed next to seekdeck (the Vulkan module is missing: reinstall seekdeck, or `make build`; CUDA's is built when the CUDA toolkit is present)".to_owned(),
            found => found
                .iter()
                .map(|(name, fix)| {
                    let registered = self.backends.iter().any(|(b, _)| b == name);
                    if registered {
                        format!("the {name} module found no GPU: {fix}")
                    } else {
                        format!("the {name} module could not start (no {name} driver): {fix}")
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        })
    }

    /// One line: "CPU · AVX2, Vulkan (1 device), RPC" — what `--version` and `hw` print.
    pub fn summary(&self) -> String {
        self.backends
            .iter()
            .map(|(name, devices)| match name.as_str() {
                "CPU" => match &self.cpu_level {
                    Some(level) => format!("CPU · {level}"),
                    None => "CPU".to_owned(),
                },
                "RPC" => "RPC".to_owned(),
                _ => format!("{name} ({})", crate::format::plural(*devices, "device")),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether back-end `name` (the registry's name) drives a GPU.
fn is_gpu_backend(name: &str) -> bool {
    !matches!(name, "CPU" | "RPC" | "BLAS")
}

/// `libggml-vulkan.so` → `vulkan`, `libggml-cpu-haswell.so` → `cpu`, else `None`.
fn module_kind(file: &str) -> Option<&str> {
    let stem = file
        .strip_prefix("lib")
        .unwrap_or(file)
        .strip_prefix("ggml-")?;
    let stem = stem.split('.').next()?;
    Some(stem.split('-').next().unwrap_or(stem))
}

/// The folders modules are looked for in, first found first: `SEEKDECK_BACKENDS_DIR`, the
/// binary's own folder, the installed library folder beside it (`../lib/seekdeck`), and the
/// folder the build put them in.
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("SEEKDECK_BACKENDS_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir.join("../lib/seekdeck"));
        dirs.push(exe_dir.clone());
        // Test and example binaries live one folder down (`target/debug/deps`, `…/examples`).
        if let Some(parent) = exe_dir.parent() {
            dirs.push(parent.to_path_buf());
        }
    }
    if let Some(built) = sys::BACKENDS_DIR {
        dirs.push(PathBuf::from(built));
    }
    dirs
}

/// The module files in `dir` (`libggml-*.so` / `ggml-*.dll` / `libggml-*.dylib`, not the core
/// `ggml`/`ggml-base` libraries), sorted.
fn module_files_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| {
            module_kind(f).is_some_and(|k| k != "base")
                && (f.ends_with(".so") || f.ends_with(".dll") || f.ends_with(".dylib"))
        })
        .collect();
    files.sort();
    files
}

/// Loads the modules (once per process, before llama.cpp's backend starts) and reports what the
/// registry holds. In a build without modules only the report is made.
pub(crate) fn load_modules() -> BackendReport {
    let dir = if cfg!(feature = "dynamic-backends") {
        candidate_dirs().into_iter().find(|d| {
            module_files_in(d)
                .iter()
                .any(|f| module_kind(f) == Some("cpu"))
        })
    } else {
        None
    };
    if let Some(dir) = &dir {
        match CString::new(dir.to_string_lossy().as_bytes()) {
            // SAFETY: `path` is a NUL-terminated string that outlives the call; the loader only
            // reads it, and loading is done once per process, before any other llama.cpp call.
            Ok(path) => unsafe { sys::ggml_backend_load_all_from_path(path.as_ptr()) },
            Err(_) => tracing::warn!(
                "the modules' folder {} has a NUL in its name",
                dir.display()
            ),
        }
    }
    let report = BackendReport {
        module_files: dir.as_deref().map(module_files_in).unwrap_or_default(),
        dir,
        backends: registered_backends(),
        cpu_level: cpu_level(),
    };
    tracing::info!("llama.cpp back-ends: {}", report.summary());
    if let Some(why) = report.why_cpu_only() {
        tracing::info!("llama.cpp runs on the CPU: {why}");
    }
    report
}

/// Each registered back-end's name and device count.
fn registered_backends() -> Vec<(String, usize)> {
    // SAFETY: the registry's count and entries are read after loading; registrations live for
    // the process, and each index below the count returns a valid registration whose name is a
    // NUL-terminated string it owns.
    (0..unsafe { sys::ggml_backend_reg_count() })
        .map(|i| unsafe {
            let reg = sys::ggml_backend_reg_get(i);
            (
                c_text(sys::ggml_backend_reg_name(reg)),
                sys::ggml_backend_reg_dev_count(reg),
            )
        })
        .collect()
}

/// The CPU back-end's widest instruction-set level, from its `ggml_backend_get_features`.
fn cpu_level() -> Option<String> {
    // SAFETY: `c"CPU"` is NUL-terminated; the lookup returns null when there is no CPU back-end.
    let reg = unsafe { sys::ggml_backend_reg_by_name(c"CPU".as_ptr()) };
    if reg.is_null() {
        return None;
    }
    // SAFETY: `reg` is a live registration and the name is NUL-terminated; null when absent.
    let f = unsafe {
        sys::ggml_backend_reg_get_proc_address(reg, c"ggml_backend_get_features".as_ptr())
    };
    if f.is_null() {
        return None;
    }
    // SAFETY: the registry documents this name's function as `ggml_backend_get_features_t`.
    let get: unsafe extern "C" fn(sys::ggml_backend_reg_t) -> *mut sys::ggml_backend_feature =
        unsafe { std::mem::transmute(f) };
    let mut names = Vec::new();
    // SAFETY: the function returns a static array terminated by an entry whose name is null;
    // every name before it is a NUL-terminated static string. At most 64 entries are read.
    unsafe {
        let list = get(reg);
        if list.is_null() {
            return None;
        }
        for i in 0..64 {
            let feature = *list.add(i);
            if feature.name.is_null() {
                break;
            }
            names.push(c_text(feature.name));
        }
    }
    CPU_LEVELS
        .iter()
        .find(|level| names.iter().any(|n| n == *level))
        .map(|level| level.replace('_', "-"))
        .or_else(|| Some("baseline".to_owned()))
}

/// A C string owned by llama.cpp, as text.
///
/// # Safety
/// `p` is null or a valid NUL-terminated string.
unsafe fn c_text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the caller's guarantee.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_files_are_named_by_kind() {
        assert_eq!(module_kind("libggml-vulkan.so"), Some("vulkan"));
        assert_eq!(module_kind("libggml-cpu-haswell.so"), Some("cpu"));
        assert_eq!(module_kind("ggml-cuda.dll"), Some("cuda"));
        assert_eq!(module_kind("libllama.so"), None);
    }

    fn report(files: &[&str], backends: &[(&str, usize)]) -> BackendReport {
        BackendReport {
            dir: Some(PathBuf::from("/opt/seekdeck")),
            module_files: files.iter().map(|f| (*f).to_owned()).collect(),
            backends: backends
                .iter()
                .map(|(b, n)| ((*b).to_owned(), *n))
                .collect(),
            cpu_level: Some("AVX2".into()),
        }
    }

    /// Every way of ending on the CPU says why and what would change it.
    #[test]
    fn why_it_runs_on_the_cpu_is_said() {
        let on_gpu = report(
            &["libggml-cpu-haswell.so", "libggml-vulkan.so"],
            &[("Vulkan", 1), ("CPU", 1)],
        );
        assert_eq!(on_gpu.why_cpu_only(), None);
        assert_eq!(on_gpu.summary(), "Vulkan (1 device), CPU · AVX2");
        let no_driver = report(
            &["libggml-cpu-haswell.so", "libggml-vulkan.so"],
            &[("CPU", 1)],
        );
        let why = no_driver.why_cpu_only().unwrap();
        assert!(why.contains("the Vulkan module could not start"), "{why}");
        assert!(why.contains("mesa-vulkan-drivers"), "{why}");
        let no_gpu = report(
            &["libggml-cpu-haswell.so", "libggml-vulkan.so"],
            &[("Vulkan", 0), ("CPU", 1)],
        );
        assert!(no_gpu.why_cpu_only().unwrap().contains("found no GPU"));
        let deleted = report(&["libggml-cpu-haswell.so"], &[("CPU", 1)]);
        assert!(deleted
            .why_cpu_only()
            .unwrap()
            .contains("Vulkan module is missing"));
        let static_build = BackendReport {
            dir: None,
            ..deleted
        };
        assert!(static_build
            .why_cpu_only()
            .unwrap()
            .contains("no GPU back-end"));
    }
}
