//! The estimate checked against llama.cpp, for `make accuracy`, `make accuracy-gpu` and the tests:
//! compiled only with the `verify` feature, so the shipped app carries none of it.

pub mod accuracy;
pub mod gpu_split;
