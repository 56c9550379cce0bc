//! Fuzz target: `seekdeck::fuzzing::ollama_manifest`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::ollama_manifest(data));
