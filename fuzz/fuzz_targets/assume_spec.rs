//! Fuzz target: `seekdeck::fuzzing::assume_spec`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::assume_spec(data));
