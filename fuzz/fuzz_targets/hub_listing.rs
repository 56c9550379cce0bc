//! Fuzz target: `seekdeck::fuzzing::hub_listing`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::hub_listing(data));
