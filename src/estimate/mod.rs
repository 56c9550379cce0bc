//! Does it fit? Pure estimates, no I/O: llama.cpp's quantization types and presets ([`quant`]),
//! each model's GGUF tensor list ([`tensors`]), the memory breakdown and verdict ([`fit`]), where
//! the parts go and at what context ([`placement`]), a model across several machines
//! ([`cluster`], the split chosen by [`cluster_plan`]; V3.2's per-device compute replayed through ggml-alloc's allocator,
//! `sparse_split` over `dyn_alloc`), the KV cache at llama.cpp's cache types ([`kv_cache`]), memory against context
//! length ([`curve`]), every model's weights cached per
//! quantization ([`weight_table`]), and GPU-server deployments for vLLM and SGLang ([`server`]).

pub mod cluster;
pub mod cluster_plan;
pub mod compute_buffer;
pub mod curve;
pub(crate) mod dense_graph;
pub(crate) mod dyn_alloc;
pub mod fit;
pub mod gpus;
pub mod kept_in_ram;
pub mod kv_cache;
pub mod launch_settings;
pub mod memory;
pub mod moe_layers;
pub mod placement;
pub mod quant;
pub mod server;
pub(crate) mod sparse_split;
pub mod speed;
pub mod tensor_override;
pub mod tensors;
pub mod weight_copies;
pub mod weight_table;
