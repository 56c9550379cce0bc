//! Fuzz target: `seekdeck::fuzzing::gguf_header`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::gguf_header(data));
