//! Fuzz target: `seekdeck::fuzzing::server_stream`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::server_stream(data));
