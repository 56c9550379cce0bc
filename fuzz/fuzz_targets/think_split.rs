//! Fuzz target: `seekdeck::fuzzing::think_split`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::think_split(data));
