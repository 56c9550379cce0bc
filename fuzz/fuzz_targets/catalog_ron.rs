//! Fuzz target: `seekdeck::fuzzing::catalog_ron`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::catalog_ron(data));
