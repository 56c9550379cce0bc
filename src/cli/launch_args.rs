//! llama.cpp's launch flags, by its own names, for `fit` and `chat`: the cache types, flash
//! attention, batch sizes, experts and tensors kept in RAM, threads, mmap/mlock — turned into the
//! one [`LaunchSettings`] the estimate and the engine share.

use clap::Args;

use super::common::{usage_error, CliError};
use crate::catalog::Architecture;
use crate::estimate::kv_cache::{CacheType, FlashAttn};
use crate::estimate::launch_settings::{LaunchSettings, MoeOffload, SplitMode, TensorSplit};
use crate::estimate::tensor_override::TensorOverride;

/// The flags; each left out keeps llama.cpp's default. llama.cpp's short forms (`-ot`, `-ctk`, …)
/// are accepted too ([`llama_short_flags`]).
#[derive(Debug, Args, Clone, Default)]
pub struct LaunchArgs {
    /// K cache type: f32, f16 (llama.cpp's default), bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1.
    #[arg(long = "cache-type-k", value_name = "TYPE", value_parser = parse_cache_type)]
    pub cache_type_k: Option<CacheType>,
    /// V cache type (the same names); a quantized one needs flash attention.
    #[arg(long = "cache-type-v", value_name = "TYPE", value_parser = parse_cache_type)]
    pub cache_type_v: Option<CacheType>,
    /// Flash attention: auto (llama.cpp's default), on, off.
    #[arg(long = "flash-attn", value_name = "on|off|auto", value_parser = parse_flash_attn)]
    pub flash_attn: Option<FlashAttn>,
    /// Logical batch: the most prompt tokens handed to llama.cpp at once (default 2048).
    #[arg(long = "batch-size", short = 'b', value_name = "N")]
    pub batch_size: Option<u32>,
    /// Micro-batch: the tokens computed together, which sizes the compute buffer (default 512).
    #[arg(long = "ubatch-size", value_name = "N")]
    pub ubatch_size: Option<u32>,
    /// Keep every routed expert of an MoE model in RAM, the rest on the GPU.
    #[arg(long = "cpu-moe", conflicts_with = "n_cpu_moe")]
    pub cpu_moe: bool,
    /// Keep the routed experts of the first N blocks in RAM (`fit` lists the N that fits).
    #[arg(long = "n-cpu-moe", value_name = "N")]
    pub n_cpu_moe: Option<u32>,
    /// Keep the tensors whose names match PATTERN in RAM, e.g. blk\.(1[0-9])\.ffn_.*_exps=CPU
    /// (repeatable).
    #[arg(long = "override-tensor", value_name = "PATTERN=CPU", value_parser = TensorOverride::parse)]
    pub override_tensor: Vec<TensorOverride>,
    /// Threads for generation (default: as many as the process may use).
    #[arg(long = "threads", value_name = "N")]
    pub threads: Option<u32>,
    /// Read the file into memory instead of mapping it.
    #[arg(long = "no-mmap")]
    pub no_mmap: bool,
    /// Lock the weights in RAM so the system never swaps them out.
    #[arg(long = "mlock")]
    pub mlock: bool,
    /// Several GPUs: layer (llama.cpp's default: whole layers per GPU), none (everything on the
    /// main GPU), row (refused: llama.cpp splits rows only on SYCL, which no build here has).
    #[arg(long = "split-mode", value_name = "layer|none|row", value_parser = parse_split_mode)]
    pub split_mode: Option<SplitMode>,
    /// The GPU that holds everything with --split-mode none.
    #[arg(long = "main-gpu", value_name = "N")]
    pub main_gpu: Option<u32>,
    /// Proportions of the layers per GPU, e.g. 3,1 (default: by free memory).
    #[arg(long = "tensor-split", value_name = "N,N,…", value_parser = TensorSplit::parse)]
    pub tensor_split: Option<TensorSplit>,
}

impl LaunchArgs {
    /// The settings the flags give.
    pub fn settings(&self) -> LaunchSettings {
        let d = LaunchSettings::default();
        LaunchSettings {
            cache_type_k: self.cache_type_k.unwrap_or(d.cache_type_k),
            cache_type_v: self.cache_type_v.unwrap_or(d.cache_type_v),
            flash_attn: self.flash_attn.unwrap_or(d.flash_attn),
            batch: self.batch_size.unwrap_or(d.batch),
            ubatch: self.ubatch_size.unwrap_or(d.ubatch),
            moe: match (self.cpu_moe, self.n_cpu_moe) {
                (true, _) => MoeOffload::AllInRam,
                (false, Some(n)) => MoeOffload::FirstLayers(n),
                (false, None) => MoeOffload::Auto,
            },
            overrides: self.override_tensor.clone(),
            threads: self.threads,
            mmap: !self.no_mmap,
            mlock: self.mlock,
            split_mode: self.split_mode.unwrap_or_default(),
            main_gpu: self.main_gpu.unwrap_or(0),
            tensor_split: self.tensor_split.clone().unwrap_or_default(),
        }
    }

    /// The settings, checked against the model and a machine with `gpus` GPUs as llama.cpp
    /// checks them (exit code 2 when refused, with its reason); what has no effect is said on
    /// stderr, and the settings are taken.
    pub fn checked(&self, arch: &Architecture, gpus: usize) -> Result<LaunchSettings, CliError> {
        let s = self.settings();
        s.check(arch)
            .and_then(|()| s.check_devices(gpus))
            .map_err(|why| usage_error(format!("llama.cpp refuses these settings: {why}")))?;
        for note in s.no_effect(arch, gpus) {
            eprintln!("note: {note}");
        }
        Ok(s)
    }
}

/// llama.cpp's several-letter short flags (`-ot`, `-ctk`, `-ctv`, `-fa`, `-ub`, `-ncmoe`,
/// `-cmoe`, `-sm`, `-mg`, `-ts`), which clap cannot take as short flags, as their long names; every other argument
/// as it is. So a llama-server command line's flags can be pasted after `seekdeck fit MODEL`.
pub fn llama_short_flags(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    const SHORT: [(&str, &str); 10] = [
        ("-ot", "--override-tensor"),
        ("-ctk", "--cache-type-k"),
        ("-ctv", "--cache-type-v"),
        ("-fa", "--flash-attn"),
        ("-ub", "--ubatch-size"),
        ("-ncmoe", "--n-cpu-moe"),
        ("-cmoe", "--cpu-moe"),
        ("-sm", "--split-mode"),
        ("-mg", "--main-gpu"),
        ("-ts", "--tensor-split"),
    ];
    args.into_iter()
        .map(|a| {
            SHORT
                .iter()
                .find(|(short, _)| a.to_str() == Some(short))
                .map_or(a, |(_, long)| (*long).into())
        })
        .collect()
}

fn parse_split_mode(s: &str) -> Result<SplitMode, String> {
    SplitMode::parse(s).ok_or_else(|| format!("\"{s}\" is not layer, none or row"))
}

fn parse_cache_type(s: &str) -> Result<CacheType, String> {
    CacheType::parse(s).ok_or_else(|| {
        let all: Vec<&str> = CacheType::ALL.iter().map(|t| t.label()).collect();
        format!("unknown cache type \"{s}\" (one of {})", all.join(", "))
    })
}

fn parse_flash_attn(s: &str) -> Result<FlashAttn, String> {
    FlashAttn::parse(s).ok_or_else(|| format!("\"{s}\" is not on, off or auto"))
}
