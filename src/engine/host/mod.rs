//! Engine hosts: the engine in a child process, for models split across machines. llama.cpp's
//! RPC client aborts its process when a worker goes away, so a model across machines is loaded in
//! `seekdeck engine-host` ([`child`]), which the window or the command line drives through an
//! ordinary [`crate::engine::Engine`] ([`parent`]) over JSON lines ([`wire`]); a lost machine ends
//! the child, never the caller.

pub mod child;
mod parent;
mod wire;
