//! The one llama.cpp backend of the process (llama.cpp allows a single live initialisation), with
//! llama.cpp's log routed to `tracing` instead of the terminal.

use std::sync::OnceLock;

use llama_cpp_2::llama_backend::LlamaBackend;

/// The shared backend, initialised on first use; `Err` says why llama.cpp could not start.
pub fn backend() -> Result<&'static LlamaBackend, String> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            llama_cpp_2::send_logs_to_tracing(
                llama_cpp_2::LogOptions::default().with_logs_enabled(true),
            );
            LlamaBackend::init().map_err(|e| format!("llama.cpp did not start: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}
