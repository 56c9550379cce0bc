//! Fuzz target: `seekdeck::fuzzing::conversation_ron`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::conversation_ron(data));
