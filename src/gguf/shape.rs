//! Shape-only GGUF files of catalog models: the metadata llama.cpp's loaders read and the complete
//! tensor list (names, shapes, llama.cpp's per-tensor quantization types) with no weights. The
//! vocabulary is declared by size only (`tokenizer.ggml.model = "none"`), which llama.cpp accepts.

use std::io;
use std::path::Path;

use crate::catalog::{Architecture, Attention, Model};
use crate::estimate::quant::Quant;
use crate::estimate::tensors::{assign_types, tensor_plan, MlaLayout};
use crate::gguf::write::{GgufBuilder, MetaValue};

/// Metadata and tensor list of `model` at `quant`, with a vocabulary declared by size only.
pub fn shape_only_builder(model: &Model, quant: Quant, layout: MlaLayout) -> GgufBuilder {
    let a = &model.architecture;
    let mut b = architecture_metadata(a, &model.name, quant.file_type(), layout);
    b.kv("tokenizer.ggml.model", MetaValue::Str("none".to_owned()));
    let plan = tensor_plan(a, layout);
    let types = assign_types(&plan, a, quant);
    for (t, ty) in plan.iter().zip(types) {
        b.tensor(t.name(), &t.ne[..usize::from(t.n_dims)], ty);
    }
    b
}

/// The hyper-parameter keys llama.cpp's loader reads for `a` (`src/models/*.cpp`), without a
/// tokenizer or tensors. Tiny test models reuse it with a real vocabulary.
pub fn architecture_metadata(
    a: &Architecture,
    name: &str,
    file_type: u32,
    layout: MlaLayout,
) -> GgufBuilder {
    let arch = a.gguf_architecture.as_str();
    let mut b = GgufBuilder::new();
    let k = |name: &str| format!("{arch}.{name}");
    let u = |x: u64| MetaValue::U32(u32::try_from(x).unwrap_or(u32::MAX));
    b.kv("general.architecture", MetaValue::Str(arch.to_owned()))
        .kv("general.name", MetaValue::Str(name.to_owned()))
        .kv("general.file_type", MetaValue::U32(file_type))
        .kv(k("context_length"), MetaValue::U32(a.context_tokens))
        .kv(k("embedding_length"), u(a.hidden_size))
        .kv(k("block_count"), MetaValue::U32(a.layers))
        .kv(k("feed_forward_length"), u(a.ffn_size))
        .kv(k("attention.head_count"), MetaValue::U32(a.heads))
        .kv(k("attention.layer_norm_rms_epsilon"), MetaValue::F32(1e-6))
        .kv(k("rope.freq_base"), MetaValue::F32(10000.0))
        .kv(k("vocab_size"), u(a.vocab_size));
    match a.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => {
            b.kv(k("attention.head_count_kv"), MetaValue::U32(a.kv_heads()))
                .kv(k("rope.dimension_count"), u(head_dim));
        }
        Attention::Mla {
            q_lora_rank,
            kv_lora_rank,
            qk_rope_head_dim,
            qk_nope_head_dim,
            v_head_dim,
        } => {
            if let Some(q) = q_lora_rank {
                b.kv(k("attention.q_lora_rank"), u(q));
            }
            b.kv(k("attention.kv_lora_rank"), u(kv_lora_rank))
                .kv(k("rope.dimension_count"), u(qk_rope_head_dim));
            match layout {
                // The converter's MLA layout (convert_hf_to_gguf.py, DeepseekV2Model): one latent "head".
                MlaLayout::Split => {
                    b.kv(k("attention.head_count_kv"), MetaValue::U32(1))
                        .kv(
                            k("attention.key_length"),
                            u(kv_lora_rank + qk_rope_head_dim),
                        )
                        .kv(k("attention.value_length"), u(kv_lora_rank))
                        .kv(
                            k("attention.key_length_mla"),
                            u(qk_nope_head_dim + qk_rope_head_dim),
                        )
                        .kv(k("attention.value_length_mla"), u(v_head_dim));
                }
                MlaLayout::Legacy => {
                    b.kv(k("attention.head_count_kv"), MetaValue::U32(a.heads))
                        .kv(
                            k("attention.key_length"),
                            u(qk_nope_head_dim + qk_rope_head_dim),
                        )
                        .kv(k("attention.value_length"), u(v_head_dim));
                }
            }
        }
    }
    if let Some(ix) = a.indexer {
        b.kv(k("attention.indexer.head_count"), MetaValue::U32(ix.heads))
            .kv(k("attention.indexer.key_length"), u(ix.head_dim))
            .kv(k("attention.indexer.top_k"), MetaValue::U32(ix.top_k));
    }
    if let Some(moe) = a.moe {
        b.kv(
            k("leading_dense_block_count"),
            MetaValue::U32(moe.leading_dense_layers),
        )
        .kv(k("expert_count"), MetaValue::U32(moe.routed_experts))
        .kv(
            k("expert_used_count"),
            MetaValue::U32(moe.experts_per_token),
        )
        .kv(k("expert_shared_count"), MetaValue::U32(moe.shared_experts))
        .kv(k("expert_feed_forward_length"), u(moe.expert_ffn_size))
        .kv(k("expert_weights_scale"), MetaValue::F32(1.0))
        .kv(k("expert_weights_norm"), MetaValue::Bool(moe.router_bias))
        // 1 = softmax (V2), 2 = sigmoid (V3/R1, which have the router bias).
        .kv(
            k("expert_gating_func"),
            MetaValue::U32(if moe.router_bias { 2 } else { 1 }),
        );
    }
    b
}

/// Writes a shape-only GGUF of `model` at `quant` to `path`; returns its logical size.
pub fn write_shape_only(
    model: &Model,
    quant: Quant,
    layout: MlaLayout,
    path: &Path,
) -> io::Result<u64> {
    shape_only_builder(model, quant, layout).write_shape_only(path)
}

/// A shape-only file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct ShapeFileError {
    /// The file or the folder it goes in.
    pub path: std::path::PathBuf,
    /// The OS's error.
    pub source: io::Error,
}

/// Writes `model`'s shape-only file at `quant` into `dir` (created if missing), runs `use_file`
/// on it and removes it: how the dry-run checks hand a catalog model to llama.cpp.
pub fn with_shape_only<T, E: From<ShapeFileError>>(
    model: &Model,
    quant: Quant,
    dir: &Path,
    use_file: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    std::fs::create_dir_all(dir).map_err(|source| ShapeFileError {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.join(format!("{}-{}.gguf", model.id, quant.label()));
    write_shape_only(model, quant, MlaLayout::Split, &path).map_err(|source| ShapeFileError {
        path: path.clone(),
        source,
    })?;
    let result = use_file(&path);
    let _ = std::fs::remove_file(&path);
    result
}
