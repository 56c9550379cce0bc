//! Fuzz target: `seekdeck::fuzzing::chat_template`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| seekdeck::fuzzing::chat_template(data));
