//! Fuzz target: `seekdeck::fuzzing::server_spec`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::server_spec(data));
