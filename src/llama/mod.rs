//! The llama.cpp layer: the only code outside the engine thread that calls llama.cpp. The
//! process's one backend and its devices ([`backend`]), `no_alloc` dry runs that size a file
//! ([`dry_run`]) and place it on a GPU ([`dry_run_placement`]), and the split search that holds a
//! launch's `-ngl` to what llama.cpp itself says fits ([`split_search`]), its back-ends found at
//! run time ([`modules`]) and its RPC back-end for other machines' workers ([`rpc`]) — the two
//! modules with `unsafe` code. Depends on the estimate and GGUF layers, never on `local` or
//! anything below it.

pub mod backend;
pub mod dry_run;
pub mod dry_run_placement;
pub mod error;
pub mod modules;
pub mod rpc;
pub mod split_search;

pub use error::LlamaError;
