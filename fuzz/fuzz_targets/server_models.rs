//! Fuzz target: `seekdeck::fuzzing::server_models`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::server_models(data));
