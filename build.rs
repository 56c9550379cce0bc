//! Where the binaries find llama.cpp's shared libraries at run time. With the
//! `dynamic-backends` feature llama.cpp is shared libraries (libllama, libggml, libggml-base) plus
//! back-end modules; llama-cpp-sys-2's build script puts the libraries beside the binaries in
//! `target/<profile>/` (and `deps/`, `examples/`), and an installed seekdeck keeps them in
//! `../lib/seekdeck`. An rpath of `$ORIGIN` and `$ORIGIN/../lib/seekdeck` lets every binary start
//! from wherever it is, without LD_LIBRARY_PATH. A static build links llama.cpp in and needs none.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dynamic = std::env::var_os("CARGO_FEATURE_DYNAMIC_BACKENDS").is_some();
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !dynamic || !matches!(target_os.as_str(), "linux" | "freebsd") {
        return;
    }
    let rpath = "-Wl,-rpath,$ORIGIN:$ORIGIN/../lib/seekdeck";
    for kind in ["bins", "examples", "tests", "benches"] {
        println!("cargo:rustc-link-arg-{kind}={rpath}");
    }
}
