//! The estimate checked against llama.cpp, for `make accuracy`, `make accuracy-gpu`,
//! `make accuracy-cluster`, `make server-plans` (against the engines' published figures) and the tests: compiled only with the `verify` feature, so the shipped
//! app carries none of it.

pub mod accuracy;
pub mod cluster;
pub mod gpu_split;
pub mod server_plans;
