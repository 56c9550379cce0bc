//! Where the binaries find llama.cpp's shared libraries at run time. With the
//! `dynamic-backends` feature llama.cpp is shared libraries (libllama, libggml, libggml-base,
//! libllama-common) plus back-end modules. An installed seekdeck keeps them in `../lib/seekdeck`
//! beside its binary; a build keeps them in llama-cpp-sys-2's output folder, which that crate
//! names to its direct dependants (`DEP_LLAMA_BACKENDS_DIR`, the modules' folder; the libraries
//! are in `lib/` beside it). The rpath lists both (and `$ORIGIN`), so every binary — the app,
//! tests, examples, benches — starts from wherever it is, without LD_LIBRARY_PATH. A static build
//! links llama.cpp in and needs none of this.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dynamic = std::env::var_os("CARGO_FEATURE_DYNAMIC_BACKENDS").is_some();
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !dynamic || !matches!(target_os.as_str(), "linux" | "freebsd") {
        return;
    }
    let mut rpath = vec!["$ORIGIN".to_owned(), "$ORIGIN/../lib/seekdeck".to_owned()];
    if let Some(modules) = std::env::var_os("DEP_LLAMA_BACKENDS_DIR") {
        let modules = std::path::PathBuf::from(modules);
        if let Some(out) = modules.parent() {
            rpath.push(out.join("lib").display().to_string());
        }
    }
    let arg = format!("-Wl,-rpath,{}", rpath.join(":"));
    for kind in ["bins", "examples", "tests", "benches"] {
        println!("cargo:rustc-link-arg-{kind}={arg}");
    }
}
