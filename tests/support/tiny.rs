//! Random-weight models that llama.cpp loads and runs: the real tensor layout of `llama`, `qwen2`
//! and `deepseek2` at toy sizes (f32), or at a catalog model's full shape with Q8_0/Q4_0 weights for
//! benchmarks; weights from a fixed-seed generator, and a SentencePiece-style vocabulary with all
//! 256 byte tokens (without them llama.cpp's byte fallback aborts), padded to the model's size.

#![allow(dead_code)]

use std::path::Path;

use seekdeck::catalog::{Architecture, Attention, Moe};
use seekdeck::estimate::quant::GgmlType;
use seekdeck::estimate::tensors::{tensor_plan, MlaLayout, TensorKind};
use seekdeck::gguf::shape::architecture_metadata;
use seekdeck::gguf::write::MetaValue;

/// Ordinary tokens of the toy vocabulary (after `<unk>`, `<s>`, `</s>` and the 256 byte tokens).
const WORDS: [&str; 35] = [
    "▁", "▁the", "▁a", "▁is", "▁of", "▁and", "▁to", "▁in", "▁hello", "▁world", "▁deep", "▁seek",
    "e", "t", "a", "o", "i", "n", "s", "h", "r", "d", "l", "u", "c", "m", "w", "f", "g", "y", "p",
    "b", ".", ",", "!",
];

/// The toy architecture: 2 layers, width 64, 4 heads sharing 2 KV heads of 16 (`llama`, `qwen2`);
/// for `deepseek2`, MLA (latent 32 + rope 16) and MoE (4 experts, 2 per token, 1 shared) after
/// one dense layer.
pub fn tiny_architecture(gguf_architecture: &str) -> Architecture {
    if gguf_architecture == "deepseek2" {
        return Architecture {
            attention: Attention::Mla {
                q_lora_rank: Some(32),
                kv_lora_rank: 32,
                qk_rope_head_dim: 16,
                qk_nope_head_dim: 16,
                v_head_dim: 16,
            },
            moe: Some(Moe {
                routed_experts: 4,
                shared_experts: 1,
                experts_per_token: 2,
                expert_ffn_size: 32,
                leading_dense_layers: 1,
                router_bias: false,
            }),
            qkv_bias: false,
            ..tiny_architecture("llama")
        }
        .with_name("deepseek2");
    }
    Architecture {
        gguf_architecture: gguf_architecture.to_owned(),
        layers: 2,
        hidden_size: 64,
        ffn_size: 128,
        heads: 4,
        attention: Attention::Gqa {
            kv_heads: 2,
            head_dim: 16,
        },
        moe: None,
        vocab_size: (3 + 256 + WORDS.len()) as u64,
        context_tokens: 512,
        tied_embeddings: false,
        qkv_bias: gguf_architecture == "qwen2",
        rope_freqs: false,
        qk_norm: gguf_architecture == "qwen3",
        indexer: None,
    }
}

trait WithName {
    fn with_name(self, name: &str) -> Self;
}

impl WithName for Architecture {
    fn with_name(mut self, name: &str) -> Self {
        self.gguf_architecture = name.to_owned();
        self
    }
}

/// A deterministic generator (xorshift) for weights.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn next_f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
    }
}

/// Writes a tiny `llama` or `qwen2` model with the given chat template; returns the file size.
pub fn write_tiny_model(path: &Path, gguf_architecture: &str, chat_template: &str) -> u64 {
    let arch = tiny_architecture(gguf_architecture);
    write_tiny(path, &arch, chat_template)
}

/// [`write_tiny_model`] with a longer trained context (for answers that run long enough to stop).
pub fn write_tiny_model_with_context(
    path: &Path,
    gguf_architecture: &str,
    chat_template: &str,
    context_tokens: u32,
) -> u64 {
    let arch = Architecture {
        context_tokens,
        ..tiny_architecture(gguf_architecture)
    };
    write_tiny(path, &arch, chat_template)
}

fn write_tiny(path: &Path, arch: &Architecture, chat_template: &str) -> u64 {
    write_random_model(path, arch, chat_template, GgmlType::F32)
}

/// Writes a model of any shape with random weights: 2-D weight matrices in `weights` (F32, Q8_0
/// or Q4_0), norms 1.0, biases and 1-D tensors small random f32. The vocabulary is the toy one
/// padded with `tokNNNNN` pieces to `arch.vocab_size`.
pub fn write_random_model(
    path: &Path,
    arch: &Architecture,
    chat_template: &str,
    weights: GgmlType,
) -> u64 {
    let (b, mut fill) = random_model(arch, chat_template, weights);
    b.write_with_data(path, |t| fill(t))
        .expect("random model written")
}

/// [`write_random_model`] split into `n_parts` files `stem-0000k-of-0000n.gguf` in `dir`, as
/// `llama-gguf-split` writes them; returns the paths, part 1 first.
pub fn write_random_model_split(
    dir: &Path,
    stem: &str,
    arch: &Architecture,
    weights: GgmlType,
    n_parts: u16,
) -> Vec<std::path::PathBuf> {
    let (b, mut fill) = random_model(arch, "", weights);
    b.split_parts(n_parts)
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let path = dir.join(format!("{stem}-{:05}-of-{n_parts:05}.gguf", i + 1));
            part.write_with_data(&path, |t| fill(t))
                .expect("split part written");
            path
        })
        .collect()
}

/// The builder of a random-weight model and the function that fills each tensor.
fn random_model(
    arch: &Architecture,
    chat_template: &str,
    weights: GgmlType,
) -> (
    seekdeck::gguf::write::GgufBuilder,
    impl FnMut(&seekdeck::gguf::write::TensorEntry) -> Vec<u8>,
) {
    let arch = arch.clone();
    // `enum llama_ftype`: ALL_F32 0, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7 — so the file names its type.
    let file_type = match weights {
        GgmlType::Q4_0 => 2,
        GgmlType::Q8_0 => 7,
        _ => 0,
    };
    let mut b = architecture_metadata(
        &arch,
        "seekdeck tiny test model",
        file_type,
        MlaLayout::Split,
    );
    add_vocabulary(&mut b, &arch, chat_template);
    let plan = tensor_plan(&arch, MlaLayout::Split);
    let type_of = |t: &seekdeck::estimate::tensors::TensorInfo| {
        if t.n_dims >= 2 && t.ne[0] % 32 == 0 {
            weights
        } else {
            GgmlType::F32
        }
    };
    for t in &plan {
        b.tensor(t.name(), &t.ne[..usize::from(t.n_dims)], type_of(t));
    }
    let norms: Vec<String> = plan
        .iter()
        .filter(|t| {
            matches!(
                t.kind,
                TensorKind::AttnNorm | TensorKind::FfnNorm | TensorKind::OutputNorm
            )
        })
        .map(|t| t.name())
        .collect();
    let mut rng = Rng(0x5eed_dec0_de00_0001);
    let fill = move |t: &seekdeck::gguf::write::TensorEntry| {
        let n: u64 = t.ne.iter().product();
        match t.ty {
            GgmlType::Q8_0 | GgmlType::Q4_0 => random_blocks(&mut rng, t.ty, n),
            _ => {
                let values: Vec<f32> = if norms.contains(&t.name) {
                    vec![1.0; n as usize]
                } else {
                    (0..n).map(|_| rng.next_f32()).collect()
                };
                values.iter().flat_map(|v| v.to_le_bytes()).collect()
            }
        }
    };
    (b, fill)
}

/// The toy vocabulary padded with `tokNNNNN` pieces to `arch.vocab_size`, and `chat_template`.
fn add_vocabulary(
    b: &mut seekdeck::gguf::write::GgufBuilder,
    arch: &Architecture,
    chat_template: &str,
) {
    let mut tokens = vec!["<unk>".to_owned(), "<s>".to_owned(), "</s>".to_owned()];
    let mut types = vec![2i32, 3, 3];
    for byte in 0..=255u8 {
        tokens.push(format!("<0x{byte:02X}>"));
        types.push(6);
    }
    for w in WORDS {
        tokens.push(w.to_owned());
        types.push(1);
    }
    while (tokens.len() as u64) < arch.vocab_size {
        tokens.push(format!("tok{}", tokens.len()));
        types.push(1);
    }
    let scores: Vec<f32> = (0..tokens.len()).map(|i| -(i as f32)).collect();
    b.kv("tokenizer.ggml.model", MetaValue::Str("llama".to_owned()))
        .kv("tokenizer.ggml.tokens", MetaValue::StrArray(tokens))
        .kv("tokenizer.ggml.scores", MetaValue::F32Array(scores))
        .kv("tokenizer.ggml.token_type", MetaValue::I32Array(types))
        .kv("tokenizer.ggml.unknown_token_id", MetaValue::U32(0))
        .kv("tokenizer.ggml.bos_token_id", MetaValue::U32(1))
        .kv("tokenizer.ggml.eos_token_id", MetaValue::U32(2))
        .kv(
            "tokenizer.chat_template",
            MetaValue::Str(chat_template.to_owned()),
        );
}

/// A catalog model's real shape at `quant` (llama.cpp's own per-tensor types) with the toy
/// vocabulary, for speed measurements at real size without a download or the disk a real file
/// takes: every block's weights are a hole (read as zeros, so each layer adds nothing to the
/// residual stream) except the token embeddings, the output norm and the output layer, which are
/// random — so the logits follow the last token and the answers are varied, visible tokens, as a
/// real model's are, while every matrix is multiplied at the real model's cost. Returns the
/// logical size.
pub fn write_holey_model(
    path: &Path,
    arch: &Architecture,
    chat_template: &str,
    quant: seekdeck::estimate::quant::Quant,
) -> u64 {
    let mut b = architecture_metadata(
        arch,
        "seekdeck shape-only model",
        quant.file_type(),
        MlaLayout::Split,
    );
    add_vocabulary(&mut b, arch, chat_template);
    let plan = tensor_plan(arch, MlaLayout::Split);
    let types = seekdeck::estimate::tensors::assign_types(&plan, arch, quant);
    for (t, ty) in plan.iter().zip(types) {
        b.tensor(t.name(), &t.ne[..usize::from(t.n_dims)], ty);
    }
    let mut rng = Rng(0x5eed_dec0_de00_0002);
    b.write_some_data(path, |t| {
        let n: u64 = t.ne.iter().product();
        match t.name.as_str() {
            "output_norm.weight" => Some(
                vec![1.0f32; n as usize]
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect(),
            ),
            "token_embd.weight" | "output.weight" => Some(random_blocks(&mut rng, t.ty, n)),
            _ => None,
        }
    })
    .unwrap()
}

/// Random quantized blocks (`ggml-common.h` layouts) whose f16 scales are fixed small values,
/// keeping activations finite: Q8_0 and Q4_0/Q5_0 (scale first), Q4_K/Q5_K (d and dmin first),
/// Q2_K (d and dmin last), Q3_K/Q6_K (d last); the other bytes are random.
fn random_blocks(rng: &mut Rng, ty: GgmlType, n: u64) -> Vec<u8> {
    let (per_block, bytes_per_block) = ty.block();
    let bytes_per_block = bytes_per_block as usize;
    let blocks = n.div_ceil(per_block);
    // f16 0.0039 (0x1C00) for Q8_0, 0.0156 (0x2400) for the 4-6-bit types.
    let scale: u16 = if ty == GgmlType::Q8_0 { 0x1C00 } else { 0x2400 };
    let scales: Vec<usize> = match ty {
        GgmlType::Q8_0 | GgmlType::Q4_0 | GgmlType::Q5_0 => vec![0],
        GgmlType::Q4_K | GgmlType::Q5_K => vec![0, 2],
        GgmlType::Q2_K => vec![bytes_per_block - 4, bytes_per_block - 2],
        GgmlType::Q3_K | GgmlType::Q6_K => vec![bytes_per_block - 2],
        other => panic!("no random blocks for {other:?}"),
    };
    let mut out = Vec::with_capacity(blocks as usize * bytes_per_block);
    let mut block = vec![0u8; bytes_per_block];
    for _ in 0..blocks {
        for (i, b) in block.iter_mut().enumerate() {
            if !scales.iter().any(|&at| (at..at + 2).contains(&i)) {
                *b = (rng.next_u64() >> 32) as u8;
            }
        }
        for &at in &scales {
            block[at..at + 2].copy_from_slice(&scale.to_le_bytes());
        }
        out.extend_from_slice(&block);
    }
    out
}

/// The benchmarks' model: DeepSeek-R1-Distill-Qwen-1.5B's real shape with random Q4_0 weights
/// (about 1 GB), written once into target/bench-models (or `SEEKDECK_BENCH_DIR`).
pub fn bench_model_file() -> std::path::PathBuf {
    bench_file(
        "r1-distill-qwen-1.5b-random-q4_0.gguf",
        "deepseek-r1-distill-qwen-1.5b",
        |path, arch| {
            write_random_model(path, arch, "chatml", GgmlType::Q4_0);
        },
    )
}

/// `name` in target/bench-models (or `SEEKDECK_BENCH_DIR`), written once by `write` with the
/// catalog model `id`'s architecture (into a temporary name first, so an interrupted write is
/// never taken for the file).
pub fn bench_file(
    name: &str,
    id: &str,
    write: impl FnOnce(&Path, &Architecture),
) -> std::path::PathBuf {
    let dir = std::env::var_os("SEEKDECK_BENCH_DIR").map_or_else(
        || std::path::PathBuf::from("target/bench-models"),
        std::path::PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if !path.exists() {
        let arch = seekdeck::catalog::builtin_model(id).unwrap().architecture;
        eprintln!("writing {} …", path.display());
        let tmp = path.with_extension("tmp");
        write(&tmp, &arch);
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}
