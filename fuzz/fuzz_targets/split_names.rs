//! Fuzz target: `seekdeck::fuzzing::split_names`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::split_names(data));
