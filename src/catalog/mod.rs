//! The DeepSeek model catalog: what models exist, the seed document's figures for each, and the
//! architecture hyper-parameters the memory estimator needs.
//!
//! The catalog is data, not code: `catalog/deepseek.ron` is embedded in the binary and files in the
//! user's config folder add or override entries ([`load`]). Entries are checked by [`validate`] before
//! anything else sees them, so the rest of the app can trust every [`Model`] it is handed.

pub mod doc;
pub mod load;
pub mod scores;
pub(crate) mod validate;

use serde::{Deserialize, Serialize};

pub use load::{load_catalog, CatalogIssue, LoadedCatalog};

/// A model of the built-in catalog by id (without user files).
pub fn builtin_model(id: &str) -> Option<Model> {
    builtin_catalog_models().into_iter().find(|m| m.id == id)
}

/// Every model of the built-in catalog (without user files).
pub fn builtin_catalog_models() -> Vec<Model> {
    load_catalog(None).models
}

/// A catalog file: a list of models.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// The entries of this file.
    pub models: Vec<Model>,
}

/// One DeepSeek model.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Stable identifier, e.g. `deepseek-r1`; user files override entries with the same id.
    pub id: String,
    /// Display name, e.g. `DeepSeek-R1`.
    pub name: String,
    /// Family, e.g. `R1`, `V3`, `R1-Distill`.
    pub family: String,
    /// The figures of the DeepSeek model overview (the user's source document), exactly as it
    /// gives them; `None` for the rest of the family, which the overview does not list.
    #[serde(default)]
    pub seed: Option<SeedFacts>,
    /// What the model is, in a line, for a model the overview does not list (the overview's
    /// "Key features" stand in for it otherwise).
    #[serde(default)]
    pub summary: Option<String>,
    /// Public release date (ISO 8601), from the model's README.
    pub released: String,
    /// Licence of the weights.
    pub licence: String,
    /// Total parameters.
    pub params_total: u64,
    /// Parameters active per token (equal to the total for dense models).
    pub params_active: u64,
    /// Architecture hyper-parameters.
    pub architecture: Architecture,
    /// Hugging Face repository of the original weights.
    pub weights_repo: String,
    /// How the original weights are stored (what vLLM and SGLang load without a conversion).
    #[serde(default)]
    pub original_dtype: OriginalDtype,
    /// Hugging Face repositories of well-known GGUF builds.
    pub gguf_repos: Vec<String>,
    /// The model's tag in the Ollama library, if it has one.
    #[serde(default)]
    pub ollama_tag: Option<String>,
    /// Recommended sampling settings.
    pub sampling: Sampling,
    /// Whether the model writes a `<think>…</think>` reasoning part before its answer.
    #[serde(default)]
    pub reasoning: bool,
    /// Facts a user needs that the overview lacks: the weights' format, usage rules, the base
    /// model of a distill, what a GGUF repository or an Ollama tag really holds. Each one's source
    /// is in `sources`.
    #[serde(default)]
    pub good_to_know: Vec<String>,
    /// Where each fact that is not in the seed document comes from.
    pub sources: Vec<String>,
    /// Published benchmark scores, each with its source and evaluation setting; a benchmark not
    /// here is not reported by the model's sources (never estimated).
    #[serde(default)]
    pub scores: Vec<scores::Score>,
}

/// The figures the seed document gives for a model, as text exactly as written there.
/// `None` where the seed's table for that model has no such column.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedFacts {
    /// "Release Date" column.
    pub release: Option<String>,
    /// "Parameter Size" column.
    pub parameter_size: String,
    /// "Activation Parameters" column.
    pub activation_parameters: Option<String>,
    /// "Key Features" column.
    pub key_features: Option<String>,
    /// "Input Modalities" column.
    pub input_modalities: Option<String>,
    /// "Output Modalities" column.
    pub output_modalities: Option<String>,
    /// "Precision" column of the hardware table.
    pub precision: String,
    /// "VRAM Required" column.
    pub vram_required: String,
    /// "System RAM Required" column.
    pub system_ram_required: String,
    /// "Notes" column (distill table).
    pub notes: Option<String>,
}

/// How a model's original checkpoint stores its weights.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum OriginalDtype {
    /// BF16 throughout (every DeepSeek model before V3).
    #[default]
    Bf16,
    /// DeepSeek-V3's FP8: e4m3 weights with one f32 scale per 128×128 block in every linear
    /// layer of the blocks; embeddings, output layer, norms and router in BF16
    /// (`quantization_config.weight_block_size` in V3's config.json).
    Fp8Block,
}

/// Recommended sampling settings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sampling {
    /// Temperature.
    pub temperature: f32,
    /// Nucleus (top-p) threshold.
    pub top_p: f32,
    /// The longest answer the model's card evaluates with, in tokens (R1's card: 32,768 — its
    /// reasoning alone often passes a few thousand), where the card says one.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Where `max_tokens` comes from (document and section).
    #[serde(default)]
    pub max_tokens_source: Option<String>,
}

/// Transformer hyper-parameters, named as in the models' `config.json`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// llama.cpp's `general.architecture` for this model: `llama`, `qwen2`, `qwen3`, `deepseek2`
    /// or `deepseek32` (V3.2: `deepseek2` plus the sparse-attention indexer).
    pub gguf_architecture: String,
    /// Transformer blocks.
    pub layers: u32,
    /// Embedding width.
    pub hidden_size: u64,
    /// Width of the dense feed-forward layers.
    pub ffn_size: u64,
    /// Attention (query) heads.
    pub heads: u32,
    /// How attention stores keys and values.
    pub attention: Attention,
    /// Mixture-of-experts layout, for MoE models.
    pub moe: Option<Moe>,
    /// Vocabulary size.
    pub vocab_size: u64,
    /// Native (trained) context length in tokens.
    pub context_tokens: u32,
    /// Whether the output projection shares the token-embedding matrix.
    pub tied_embeddings: bool,
    /// Whether q/k/v projections have biases (Qwen2).
    pub qkv_bias: bool,
    /// Whether the GGUF carries a `rope_freqs` tensor (Llama 3.1 RoPE scaling).
    pub rope_freqs: bool,
    /// Whether each head's queries and keys are RMS-normalised before attention (Qwen3's
    /// `attn_q_norm` / `attn_k_norm`, one head wide each).
    #[serde(default)]
    pub qk_norm: bool,
    /// DeepSeek Sparse Attention's lightning indexer (V3.2, llama.cpp's `deepseek32`): it picks
    /// the `top_k` earlier tokens each token attends to, and caches one key per token and layer.
    #[serde(default)]
    pub indexer: Option<Indexer>,
}

/// The lightning indexer of DeepSeek Sparse Attention (`index_n_heads`, `index_head_dim`,
/// `index_topk` in V3.2's config.json).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Indexer {
    /// Indexer query heads.
    pub heads: u32,
    /// Width of one indexer head (and of the one cached indexer key).
    pub head_dim: u64,
    /// Earlier tokens each token attends to.
    pub top_k: u32,
}

/// The attention kind, which decides the size of the KV cache.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum Attention {
    /// Multi-head attention: one key and value head per query head.
    Mha {
        /// Width of one head.
        head_dim: u64,
    },
    /// Grouped-query attention: `kv_heads` key/value heads shared by the query heads.
    Gqa {
        /// Key/value heads.
        kv_heads: u32,
        /// Width of one head.
        head_dim: u64,
    },
    /// DeepSeek's multi-head latent attention: keys and values are compressed into one latent.
    Mla {
        /// Rank of the query compression (`None`: queries are not compressed, as in V2-Lite).
        q_lora_rank: Option<u64>,
        /// Rank of the key/value latent, the part the cache stores.
        kv_lora_rank: u64,
        /// Width of the rotary part of each key head (cached beside the latent).
        qk_rope_head_dim: u64,
        /// Width of the non-rotary part of each key head.
        qk_nope_head_dim: u64,
        /// Width of each value head.
        v_head_dim: u64,
    },
}

impl Attention {
    /// Short name: MHA, GQA or MLA.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Self::Mha { .. } => "MHA",
            Self::Gqa { .. } => "GQA",
            Self::Mla { .. } => "MLA",
        }
    }
}

/// Mixture-of-experts layout.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    /// Routed experts per MoE layer.
    pub routed_experts: u32,
    /// Shared experts per MoE layer (always active).
    pub shared_experts: u32,
    /// Routed experts chosen per token.
    pub experts_per_token: u32,
    /// Width of one expert's feed-forward layer.
    pub expert_ffn_size: u64,
    /// Leading layers that use a dense feed-forward layer instead of experts.
    pub leading_dense_layers: u32,
    /// Whether the router has a score-correction bias (`exp_probs_b`, DeepSeek-V3).
    #[serde(default)]
    pub router_bias: bool,
}

impl Architecture {
    /// Key/value heads (1 latent for MLA, as llama.cpp's converter writes it).
    pub fn kv_heads(&self) -> u32 {
        match self.attention {
            Attention::Mha { .. } => self.heads,
            Attention::Gqa { kv_heads, .. } => kv_heads,
            Attention::Mla { .. } => 1,
        }
    }

    /// Whether `layer` (0-based) uses experts rather than a dense feed-forward layer.
    pub(crate) fn is_moe_layer(&self, layer: u32) -> bool {
        self.moe.is_some_and(|m| layer >= m.leading_dense_layers)
    }
}

impl Model {
    /// The Hugging Face page of a repository.
    pub(crate) fn hf_url(repo: &str) -> String {
        format!("https://huggingface.co/{repo}")
    }

    /// Whether the DeepSeek model overview lists this model.
    pub fn in_overview(&self) -> bool {
        self.seed.is_some()
    }

    /// Release as the overview gives it, else the year of the public record.
    pub(crate) fn release_display(&self) -> String {
        match self.seed.as_ref().and_then(|s| s.release.as_ref()) {
            Some(r) => r.clone(),
            None => self.released.chars().take(4).collect(),
        }
    }

    /// Total parameters as the overview gives them, else from the exact count (`671B`, `8.2B`).
    pub(crate) fn size_display(&self) -> String {
        match &self.seed {
            Some(s) => s.parameter_size.clone(),
            None => params_label(self.params_total),
        }
    }

    /// Active parameters as the overview gives them, else from the exact count.
    pub(crate) fn active_display(&self) -> String {
        match &self.seed {
            Some(s) => s
                .activation_parameters
                .clone()
                .unwrap_or_else(|| s.parameter_size.clone()),
            None => params_label(self.params_active),
        }
    }

    /// Key features or the distill notes (overview), else the summary of a family model.
    pub fn features_display(&self) -> &str {
        self.seed
            .as_ref()
            .and_then(|s| s.key_features.as_deref().or(s.notes.as_deref()))
            .or(self.summary.as_deref())
            .unwrap_or("")
    }
}

/// A parameter count as the overview writes them: whole billions from 100B up (`671B`), one
/// decimal below unless it is zero (`15.7B`, `8.2B`, `37B`).
fn params_label(n: u64) -> String {
    let b = n as f64 / 1e9;
    let digits = if b >= 100.0 {
        format!("{b:.0}")
    } else {
        format!("{b:.1}")
    };
    format!("{}B", digits.strip_suffix(".0").unwrap_or(&digits))
}
