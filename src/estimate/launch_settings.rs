//! The llama.cpp settings a power user launches with — cache types, flash attention, batch sizes,
//! experts kept in RAM by count, tensor overrides, threads, mmap/mlock — as one value the
//! estimate, the command line, the window and the engine share. Each setting keeps llama.cpp's
//! own flag name ([`LaunchSettings::flags`]) and is checked the way llama.cpp checks it
//! ([`LaunchSettings::check`]), so what seekdeck estimates is what llama.cpp would be told.

use serde::{Deserialize, Serialize};

use super::compute_buffer::{ComputeSettings, UBATCH_TOKENS};
use super::kv_cache::{CacheType, FlashAttn, KvSettings};
use super::tensor_override::TensorOverride;
use crate::catalog::Architecture;

/// llama.cpp's default logical batch (`n_batch`).
pub const DEFAULT_BATCH: u32 = 2048;
/// The largest batch or micro-batch seekdeck passes on (llama-server accepts any; beyond this the
/// compute buffer alone outgrows every card).
pub const MAX_BATCH: u32 = 65_536;
/// The most threads seekdeck passes on.
pub const MAX_THREADS: u32 = 1024;
/// The most tensor overrides one launch takes.
pub const MAX_OVERRIDES: usize = 32;

/// Why `--split-mode row` is refused in every build: the llama.cpp seekdeck runs splits rows
/// only on its SYCL (and Hexagon) back-ends — CUDA's row split gave way to `--split-mode tensor`,
/// which llama.cpp does not run for DeepSeek's architectures — and llama-cpp-2 builds neither;
/// on the devices it does build llama.cpp stops the load with the words quoted here.
pub const ROW_SPLIT_REFUSED: &str = "--split-mode row: the llama.cpp seekdeck runs splits rows \
     only on its SYCL back-end, which seekdeck's builds (CPU, CUDA, Vulkan, Metal, RPC) do not \
     include; on these devices llama.cpp stops with \"does not support split buffers\". Use layer";

/// Where the routed experts of an MoE model go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum MoeOffload {
    /// seekdeck's plan: every layer on the GPU if it fits, else all routed experts in RAM when
    /// the rest fits, else whole layers.
    #[default]
    Auto,
    /// Every routed expert in RAM (`--cpu-moe`).
    AllInRam,
    /// The routed experts of the first N blocks in RAM (`--n-cpu-moe N`).
    FirstLayers(u32),
}

/// How llama.cpp spreads a model over several GPUs of one PC (`--split-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum SplitMode {
    /// Whole layers per GPU, in proportion to the tensor split (llama.cpp's default).
    #[default]
    Layer,
    /// Everything on the main GPU.
    None,
    /// Each matrix's rows across the GPUs: refused, see [`ROW_SPLIT_REFUSED`].
    Row,
}

impl SplitMode {
    /// llama.cpp's word.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Layer => "layer",
            Self::None => "none",
            Self::Row => "row",
        }
    }

    /// Parses `layer`, `none`, `row`.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Layer, Self::None, Self::Row]
            .into_iter()
            .find(|m| m.label().eq_ignore_ascii_case(s.trim()))
    }
}

/// A `--tensor-split` ratio ("3,1", "0.6,0.4"), kept in thousandths so it compares exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TensorSplit(pub Vec<u32>);

impl TensorSplit {
    /// Parses llama.cpp's comma-separated proportions: at most 16, each from 0 to 1000 with at
    /// most three decimals, not all 0.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split([',', '/']).map(str::trim).collect();
        if parts.len() > 16 {
            return Err(format!("{} proportions: at most 16 GPUs", parts.len()));
        }
        let mut out = Vec::new();
        for p in parts {
            let v: f64 = p
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && (0.0..=1000.0).contains(v))
                .ok_or_else(|| format!("\"{p}\" is not a proportion from 0 to 1000"))?;
            out.push((v * 1000.0).round() as u32);
        }
        if out.iter().all(|&v| v == 0) {
            return Err("a tensor split needs a proportion above 0".to_owned());
        }
        Ok(Self(out))
    }

    /// llama.cpp's form: "3,1".
    pub fn label(&self) -> String {
        self.0
            .iter()
            .map(|&v| {
                let s = format!("{:.3}", f64::from(v) / 1000.0);
                s.trim_end_matches('0').trim_end_matches('.').to_owned()
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Every setting of a launch beyond the model, its quantization and the context length.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct LaunchSettings {
    /// K cache type (`--cache-type-k`).
    pub cache_type_k: CacheType,
    /// V cache type (`--cache-type-v`).
    pub cache_type_v: CacheType,
    /// Flash attention (`--flash-attn`).
    pub flash_attn: FlashAttn,
    /// Logical batch (`--batch-size`): the most prompt tokens handed to llama.cpp at once.
    pub batch: u32,
    /// Micro-batch (`--ubatch-size`): the tokens computed together; it sizes the compute buffer.
    pub ubatch: u32,
    /// Routed experts in RAM.
    pub moe: MoeOffload,
    /// Tensors kept in RAM by name (`--override-tensor PATTERN=CPU`). Read back leniently: a
    /// pattern that no longer passes the checks (a hand-edited or newer state file) is dropped
    /// with a warning instead of failing the whole remembered state.
    #[serde(deserialize_with = "overrides_that_pass")]
    pub overrides: Vec<TensorOverride>,
    /// Threads for generation (`--threads`); `None`: as many as the process may use.
    pub threads: Option<u32>,
    /// Map the file instead of reading it (`--no-mmap` when off).
    pub mmap: bool,
    /// Lock the weights in RAM (`--mlock`).
    pub mlock: bool,
    /// Several GPUs: how the model is spread over them (`--split-mode`).
    pub split_mode: SplitMode,
    /// The GPU that holds everything with `--split-mode none` (`--main-gpu`).
    pub main_gpu: u32,
    /// Proportions of the layers per GPU (`--tensor-split`); empty: by free memory.
    pub tensor_split: TensorSplit,
}

fn overrides_that_pass<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<TensorOverride>, D::Error> {
    let texts = Vec::<String>::deserialize(d)?;
    Ok(texts
        .into_iter()
        .filter_map(|t| {
            TensorOverride::parse(&t)
                .map_err(|why| tracing::warn!("a remembered tensor override was dropped: {why}"))
                .ok()
        })
        .collect())
}

impl Default for LaunchSettings {
    fn default() -> Self {
        Self {
            cache_type_k: CacheType::F16,
            cache_type_v: CacheType::F16,
            flash_attn: FlashAttn::Auto,
            batch: DEFAULT_BATCH,
            ubatch: UBATCH_TOKENS as u32,
            moe: MoeOffload::Auto,
            overrides: Vec::new(),
            threads: None,
            mmap: true,
            mlock: false,
            split_mode: SplitMode::Layer,
            main_gpu: 0,
            tensor_split: TensorSplit::default(),
        }
    }
}

impl LaunchSettings {
    /// The cache part.
    pub fn kv(&self) -> KvSettings {
        KvSettings {
            k: self.cache_type_k,
            v: self.cache_type_v,
            flash_attn: self.flash_attn,
        }
    }

    /// The micro-batch llama.cpp uses: never more than the batch (llama.cpp lowers it so).
    pub fn effective_ubatch(&self) -> u32 {
        self.ubatch.min(self.batch).max(1)
    }

    /// What sizes the compute buffer. Flash attention `auto` is on: every back-end seekdeck
    /// estimates for runs DeepSeek's attention fused (a quantized V cache even requires it).
    pub fn compute(&self) -> ComputeSettings {
        ComputeSettings {
            ubatch: self.effective_ubatch(),
            flash_attn: self.flash_attn != FlashAttn::Off,
        }
    }

    /// Whether every setting is llama.cpp's default.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Why llama.cpp would refuse these settings for a model of `arch`, in its words, or `Ok`.
    pub fn check(&self, arch: &Architecture) -> Result<(), String> {
        super::kv_cache::check(arch, &self.kv())?;
        for (name, v) in [("--batch-size", self.batch), ("--ubatch-size", self.ubatch)] {
            if v == 0 || v > MAX_BATCH {
                return Err(format!("{name} {v}: give 1 to {MAX_BATCH} tokens"));
            }
        }
        if let Some(t) = self.threads.filter(|&t| t == 0 || t > MAX_THREADS) {
            return Err(format!("--threads {t}: give 1 to {MAX_THREADS}"));
        }
        if self.split_mode == SplitMode::Row {
            return Err(ROW_SPLIT_REFUSED.to_owned());
        }
        if self.main_gpu > 15 {
            return Err(format!(
                "--main-gpu {}: llama.cpp takes at most 16 GPUs",
                self.main_gpu
            ));
        }
        if self.overrides.len() > MAX_OVERRIDES {
            return Err(format!(
                "{} tensor overrides: at most {MAX_OVERRIDES}",
                self.overrides.len()
            ));
        }
        Ok(())
    }

    /// What llama.cpp refuses on a machine with `gpus` GPUs, in its own words: `--main-gpu` past
    /// the last GPU with `--split-mode none` (`llama_model_load_from_file` logs "invalid value
    /// for main_gpu"). Everything else it takes.
    pub fn check_devices(&self, gpus: usize) -> Result<(), String> {
        if self.split_mode == SplitMode::None && gpus > 0 && self.main_gpu as usize >= gpus {
            return Err(format!(
                "invalid value for main_gpu: {} (available devices: {gpus})",
                self.main_gpu
            ));
        }
        Ok(())
    }

    /// The settings llama.cpp takes but that change nothing here, each in a sentence: expert
    /// flags on a model without routed experts (llama.cpp only adds tensor overrides that match
    /// nothing), `--n-cpu-moe` past the last block, `--main-gpu` without `--split-mode none`,
    /// `--tensor-split` proportions for GPUs the machine does not have (`gpus`).
    pub fn no_effect(&self, arch: &Architecture, gpus: usize) -> Vec<String> {
        let mut out = Vec::new();
        match self.moe {
            MoeOffload::AllInRam if arch.moe.is_none() => out.push(
                "--cpu-moe has no effect: this model has no routed experts (it is not a mixture of experts)".to_owned(),
            ),
            MoeOffload::FirstLayers(n) if arch.moe.is_none() => out.push(format!(
                "--n-cpu-moe {n} has no effect: this model has no routed experts (it is not a mixture of experts)"
            )),
            MoeOffload::FirstLayers(n) if n > arch.layers => out.push(format!(
                "--n-cpu-moe {n}: the model has {} blocks, so the routed experts of all of them stay in RAM (as --cpu-moe)",
                arch.layers
            )),
            _ => {}
        }
        if self.main_gpu != 0 && self.split_mode != SplitMode::None {
            out.push(format!(
                "--main-gpu {} has no effect without --split-mode none",
                self.main_gpu
            ));
        }
        let proportions = self.tensor_split.0.len();
        if gpus > 0 && proportions > gpus {
            out.push(format!(
                "--tensor-split {}: {} of its {proportions} proportions have no effect: this machine has {}",
                self.tensor_split.label(),
                proportions - gpus,
                crate::format::plural(gpus, "GPU")
            ));
        }
        out
    }

    /// llama.cpp's flags for the settings that differ from its defaults, as llama-server and
    /// llama-cli take them (`--cache-type-k q8_0 --flash-attn on --n-cpu-moe 10 …`).
    pub fn flags(&self) -> Vec<String> {
        let d = Self::default();
        let mut out = Vec::new();
        let mut push = |flag: &str, value: String| {
            out.push(flag.to_owned());
            if !value.is_empty() {
                out.push(value);
            }
        };
        if self.cache_type_k != d.cache_type_k {
            push("--cache-type-k", self.cache_type_k.label().to_owned());
        }
        if self.cache_type_v != d.cache_type_v {
            push("--cache-type-v", self.cache_type_v.label().to_owned());
        }
        if self.flash_attn != d.flash_attn {
            push("--flash-attn", self.flash_attn.label().to_owned());
        }
        if self.batch != d.batch {
            push("--batch-size", self.batch.to_string());
        }
        if self.ubatch != d.ubatch {
            push("--ubatch-size", self.ubatch.to_string());
        }
        match self.moe {
            MoeOffload::Auto => {}
            MoeOffload::AllInRam => push("--cpu-moe", String::new()),
            MoeOffload::FirstLayers(n) => push("--n-cpu-moe", n.to_string()),
        }
        for o in &self.overrides {
            push("--override-tensor", o.to_string());
        }
        if let Some(t) = self.threads {
            push("--threads", t.to_string());
        }
        if self.split_mode != d.split_mode {
            push("--split-mode", self.split_mode.label().to_owned());
        }
        if self.main_gpu != d.main_gpu {
            push("--main-gpu", self.main_gpu.to_string());
        }
        if !self.tensor_split.0.is_empty() {
            push("--tensor-split", self.tensor_split.label());
        }
        if !self.mmap {
            push("--no-mmap", String::new());
        }
        if self.mlock {
            push("--mlock", String::new());
        }
        out
    }

    /// The flags as one line, or "llama.cpp's defaults".
    pub fn summary(&self) -> String {
        let flags = self.flags();
        if flags.is_empty() {
            "llama.cpp's defaults".to_owned()
        } else {
            flags.join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;

    #[test]
    fn flags_are_llama_cpps_names_for_what_differs() {
        assert!(LaunchSettings::default().flags().is_empty());
        assert_eq!(LaunchSettings::default().summary(), "llama.cpp's defaults");
        let s = LaunchSettings {
            cache_type_k: CacheType::Q8_0,
            cache_type_v: CacheType::Q8_0,
            flash_attn: FlashAttn::On,
            ubatch: 256,
            moe: MoeOffload::FirstLayers(10),
            overrides: vec![TensorOverride::parse(r"blk\.(1|2)\.ffn_.*_exps=CPU").unwrap()],
            mmap: false,
            ..LaunchSettings::default()
        };
        assert_eq!(
            s.summary(),
            r"--cache-type-k q8_0 --cache-type-v q8_0 --flash-attn on --ubatch-size 256 --n-cpu-moe 10 --override-tensor blk\.(1|2)\.ffn_.*_exps=CPU --no-mmap"
        );
        assert_eq!(s.effective_ubatch(), 256);
        let big = LaunchSettings {
            batch: 128,
            ubatch: 512,
            ..LaunchSettings::default()
        };
        assert_eq!(big.effective_ubatch(), 128);
    }

    #[test]
    fn a_bad_remembered_override_is_dropped_not_the_settings() {
        let s: LaunchSettings =
            ron::from_str(r#"(ubatch: 256, overrides: ["exps=CPU", "x(=CPU", "(?i)a=CPU"])"#)
                .unwrap();
        assert_eq!(s.ubatch, 256);
        assert_eq!(
            s.overrides,
            vec![TensorOverride::parse("exps=CPU").unwrap()]
        );
    }

    /// Judged as llama.cpp judges them: it takes expert flags on a dense model and an
    /// `--n-cpu-moe` past the last block (they only add tensor overrides), refuses `--main-gpu`
    /// past the last GPU only with `--split-mode none`; what has no effect is said.
    #[test]
    fn settings_are_taken_or_refused_as_llama_cpp_does() {
        let dense = builtin_model("deepseek-r1-distill-qwen-7b")
            .unwrap()
            .architecture;
        let moe = builtin_model("deepseek-v2-lite").unwrap().architecture;
        let n = |n| LaunchSettings {
            moe: MoeOffload::FirstLayers(n),
            ..LaunchSettings::default()
        };
        assert!(n(4).check(&dense).is_ok());
        assert!(n(4).no_effect(&dense, 1)[0].contains("no routed experts"));
        assert!(n(4).check(&moe).is_ok());
        assert!(n(4).no_effect(&moe, 1).is_empty());
        assert!(n(28).check(&moe).is_ok());
        assert!(n(28).no_effect(&moe, 1)[0].contains("27 blocks"));
        let all = LaunchSettings {
            moe: MoeOffload::AllInRam,
            ..LaunchSettings::default()
        };
        assert!(all.check(&dense).is_ok());
        assert!(all.no_effect(&dense, 0)[0].starts_with("--cpu-moe has no effect"));
        let main5 = |split_mode| LaunchSettings {
            main_gpu: 5,
            split_mode,
            ..LaunchSettings::default()
        };
        assert_eq!(
            main5(SplitMode::None).check_devices(2).unwrap_err(),
            "invalid value for main_gpu: 5 (available devices: 2)"
        );
        assert!(main5(SplitMode::Layer).check_devices(2).is_ok());
        assert!(
            main5(SplitMode::Layer).no_effect(&dense, 2)[0].contains("--main-gpu 5 has no effect")
        );
        let three = LaunchSettings {
            tensor_split: TensorSplit::parse("3,1,1").unwrap(),
            ..LaunchSettings::default()
        };
        assert!(three.no_effect(&dense, 2)[0].contains("1 of its 3 proportions have no effect"));
        let ts = TensorSplit::parse("3, 1").unwrap();
        assert_eq!(ts.0, vec![3000, 1000]);
        assert_eq!(ts.label(), "3,1");
        assert_eq!(TensorSplit::parse("0.6,0.4").unwrap().label(), "0.6,0.4");
        assert!(TensorSplit::parse("0,0").is_err());
        assert!(TensorSplit::parse("a,1").is_err());
        assert!(TensorSplit::parse("1e9").is_err());
        let row = LaunchSettings {
            split_mode: SplitMode::Row,
            ..LaunchSettings::default()
        };
        assert_eq!(row.check(&dense).unwrap_err(), ROW_SPLIT_REFUSED);
        let zero = LaunchSettings {
            ubatch: 0,
            ..LaunchSettings::default()
        };
        assert!(zero
            .check(&dense)
            .unwrap_err()
            .starts_with("--ubatch-size 0"));
    }
}
