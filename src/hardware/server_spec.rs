//! A GPU server being planned for vLLM or SGLang: `"8x H200"`, `"4x A100 40GB"`,
//! `"2 nodes x 8x H100 80GB, InfiniBand"`. The server planner (`estimate::server`) reads it; no
//! machine is probed, the figures are each GPU's as the engines see it.

use super::assume::Preset;
use regex::Regex;
use std::sync::LazyLock;

/// Bytes in a MiB.
const MIB: u64 = 1 << 20;

/// Most nodes and GPUs a spec may name (a planner, not a data-centre inventory).
pub const MAX_NODES: u32 = 64;
/// Most GPUs in one node.
pub const MAX_GPUS_PER_NODE: u32 = 16;

/// What a GPU can run natively, which decides the weight forms the engines accept on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum GpuGeneration {
    /// NVIDIA Ampere (A100, A800): BF16, INT8; no FP8 units.
    Ampere,
    /// NVIDIA Ada (L40S, RTX 4090, RTX 6000 Ada): FP8, no FP8 block GEMMs of DeepGEMM.
    Ada,
    /// NVIDIA Hopper (H100, H800, H200, H20): FP8, W4A8.
    Hopper,
    /// NVIDIA Blackwell (B200): FP8, NVFP4.
    Blackwell,
    /// AMD CDNA 3 (MI300X): FP8 (ROCm builds of both engines).
    Cdna3,
}

impl GpuGeneration {
    /// Whether the GPU multiplies in FP8 (compute capability 8.9 and up, or CDNA 3).
    pub fn has_fp8(self) -> bool {
        !matches!(self, Self::Ampere)
    }

    /// Whether it is an NVIDIA GPU (AWQ's Marlin kernels and INT8 W8A8 are CUDA kernels).
    pub fn is_nvidia(self) -> bool {
        !matches!(self, Self::Cdna3)
    }
}

/// One GPU model of the planner's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ServerGpu {
    /// Its name, e.g. `H100 80GB`.
    pub name: &'static str,
    /// Memory the engines see (`torch.cuda.mem_get_info` total), in bytes.
    pub memory_bytes: u64,
    /// What it runs natively.
    pub generation: GpuGeneration,
    /// Whether its GPUs in one node talk over NVLink / Infinity Fabric (else PCIe).
    pub nvlink: bool,
    /// Where the memory figure comes from.
    pub source: &'static str,
}

impl ServerGpu {
    /// Memory in MiB, the unit SGLang's defaults are written in.
    pub fn memory_mib(&self) -> u64 {
        self.memory_bytes / MIB
    }
}

const fn gpu(
    name: &'static str,
    mib: u64,
    generation: GpuGeneration,
    nvlink: bool,
    source: &'static str,
) -> ServerGpu {
    ServerGpu {
        name,
        memory_bytes: mib * MIB,
        generation,
        nvlink,
        source,
    }
}

/// The GPUs a spec may name: `(words that select it, the GPU)`, the first match wins, so a
/// variant with its memory ("A100 40GB") comes before the default one.
const GPUS: &[(&[&str], ServerGpu)] = &[
    (
        &["h100"],
        gpu(
            "H100 80GB",
            81_121,
            GpuGeneration::Hopper,
            true,
            "vLLM's memory profile on an H100 80GB: total_gpu_memory 79.22 GiB (vllm-project/vllm#10511)",
        ),
    ),
    (
        &["h800"],
        gpu(
            "H800 80GB",
            81_121,
            GpuGeneration::Hopper,
            true,
            "the H100's 80 GB board (H800 differs in NVLink bandwidth only); vllm-project/vllm#10511",
        ),
    ),
    (
        &["h200"],
        gpu(
            "H200 141GB",
            143_771,
            GpuGeneration::Hopper,
            true,
            "nvidia-smi on an H200: 143771MiB (sgl-project/sglang#3196, vllm-project/recipes#381)",
        ),
    ),
    (
        &["h20"],
        gpu(
            "H20 96GB",
            97_871,
            GpuGeneration::Hopper,
            true,
            "nvidia-smi on an H20 96GB: 97871MiB",
        ),
    ),
    (
        &["b200"],
        gpu(
            "B200 180GB",
            183_359,
            GpuGeneration::Blackwell,
            true,
            "nvidia-smi on a B200: 183359MiB",
        ),
    ),
    (
        &["a100", "40"],
        gpu(
            "A100 40GB",
            40_960,
            GpuGeneration::Ampere,
            true,
            "nvidia-smi on an A100-SXM4-40GB: 40960MiB",
        ),
    ),
    (
        &["a100"],
        gpu(
            "A100 80GB",
            81_920,
            GpuGeneration::Ampere,
            true,
            "nvidia-smi on an A100-SXM4-80GB: 81920MiB",
        ),
    ),
    (
        &["a800"],
        gpu(
            "A800 80GB",
            81_920,
            GpuGeneration::Ampere,
            true,
            "the A100 80GB board (A800 differs in NVLink bandwidth only)",
        ),
    ),
    (
        &["l40s"],
        gpu(
            "L40S 48GB",
            46_068,
            GpuGeneration::Ada,
            false,
            "nvidia-smi on an L40S: 46068MiB",
        ),
    ),
    (
        &["mi300x"],
        gpu(
            "MI300X 192GB",
            196_592,
            GpuGeneration::Cdna3,
            true,
            "rocm-smi on an MI300X: 191.98 GiB",
        ),
    ),
    (
        &["6000", "ada"],
        gpu(
            "RTX 6000 Ada 48GB",
            49_140,
            GpuGeneration::Ada,
            false,
            "nvidia-smi on an RTX 6000 Ada: 49140MiB",
        ),
    ),
    (
        &["4090"],
        gpu(
            "RTX 4090 24GB",
            24_564,
            GpuGeneration::Ada,
            false,
            "nvidia-smi on an RTX 4090: 24564MiB",
        ),
    ),
];

/// Every GPU model the planner knows, in the table's order.
pub fn known_gpus() -> impl Iterator<Item = ServerGpu> {
    GPUS.iter().map(|(_, g)| *g)
}

/// How the nodes of a multi-node server are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Interconnect {
    /// InfiniBand (or RoCE): fast enough for tensor parallelism across nodes.
    InfiniBand,
    /// Plain Ethernet: pipeline or data parallelism across nodes, never tensor parallelism.
    Ethernet,
}

impl Interconnect {
    /// As written in a spec.
    pub fn label(self) -> &'static str {
        match self {
            Self::InfiniBand => "InfiniBand",
            Self::Ethernet => "Ethernet",
        }
    }
}

/// A parsed server spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ServerSpec {
    /// Nodes (machines).
    pub nodes: u32,
    /// GPUs in each node.
    pub gpus_per_node: u32,
    /// The GPU model (the same in every node).
    pub gpu: ServerGpu,
    /// How the nodes are linked (one node: unused).
    pub interconnect: Interconnect,
    /// Whether the interconnect was named (else InfiniBand is assumed for several nodes).
    pub interconnect_named: bool,
}

impl ServerSpec {
    /// GPUs in all nodes.
    pub fn total_gpus(&self) -> u32 {
        self.nodes * self.gpus_per_node
    }

    /// The spec written back in the planner's words, e.g. `2 nodes × 8× H100 80GB, InfiniBand`.
    pub fn label(&self) -> String {
        let one_node = format!("{}× {}", self.gpus_per_node, self.gpu.name);
        if self.nodes == 1 {
            one_node
        } else {
            format!(
                "{} nodes × {one_node}, {}{}",
                self.nodes,
                self.interconnect.label(),
                if self.interconnect_named {
                    ""
                } else {
                    " (assumed)"
                }
            )
        }
    }
}

/// The common servers: the issue's list, and the rest of SGLang's DeepSeek hardware table.
pub const SERVER_PRESETS: [Preset; 14] = [
    Preset {
        label: "8× H200",
        spec: "8x H200",
    },
    Preset {
        label: "8× H100",
        spec: "8x H100",
    },
    Preset {
        label: "2 nodes × 8× H100",
        spec: "2 nodes x 8x H100, InfiniBand",
    },
    Preset {
        label: "4 nodes × 8× A100 80GB",
        spec: "4 nodes x 8x A100 80GB, InfiniBand",
    },
    Preset {
        label: "4× A100 40GB",
        spec: "4x A100 40GB",
    },
    Preset {
        label: "2× H100",
        spec: "2x H100",
    },
    Preset {
        label: "8× MI300X",
        spec: "8x MI300X",
    },
    Preset {
        label: "8× L40S",
        spec: "8x L40S",
    },
    Preset {
        label: "8× B200",
        spec: "8x B200",
    },
    Preset {
        label: "2 nodes × 8× H200",
        spec: "2 nodes x 8x H200, InfiniBand",
    },
    Preset {
        label: "2 nodes × 8× A100 80GB",
        spec: "2 nodes x 8x A100 80GB, InfiniBand",
    },
    Preset {
        label: "4 nodes × 8× L40S",
        spec: "4 nodes x 8x L40S, InfiniBand",
    },
    Preset {
        label: "4× H200",
        spec: "4x H200",
    },
    Preset {
        label: "8× A100 80GB",
        spec: "8x A100 80GB",
    },
];

/// A server spec that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read server spec \"{spec}\": {reason} (examples: \"8x H200\", \"4x A100 40GB\", \"2 nodes x 8x H100 80GB, InfiniBand\")")]
pub struct ServerSpecError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

/// `[N nodes x] [M x] GPU`; `None` only if the pattern failed to compile, which the tests rule out.
static SHAPE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?P<nodes>\d{1,3})\s*(?:nodes?\s*)?[x×*]\s*)?(?:(?P<gpus>\d{1,3})\s*[x×*]\s*)?(?P<gpu>[a-z0-9 ./-]+)$",
    )
    .ok()
});

/// Parses a server spec; every mistake is one sentence with examples.
pub fn parse_server_spec(spec: &str) -> Result<ServerSpec, ServerSpecError> {
    let err = |reason: String| ServerSpecError {
        spec: spec.chars().take(120).collect(),
        reason,
    };
    if spec.len() > 200 {
        return Err(err("longer than 200 characters".into()));
    }
    let lower = spec.trim().to_ascii_lowercase();
    let (shape, link) = match lower.split_once(',') {
        Some((s, l)) => (s.trim(), Some(l.trim())),
        None => (lower.as_str(), None),
    };
    let caps = SHAPE
        .as_ref()
        .and_then(|re| re.captures(shape))
        .ok_or_else(|| err("write it as [N nodes x] COUNTx GPU".into()))?;
    let number = |name: &str| {
        caps.name(name)
            .map(|m| m.as_str().parse::<u32>().unwrap_or(0))
    };
    let (nodes, gpus) = match (number("nodes"), number("gpus")) {
        (Some(n), Some(g)) => (n, g),
        (Some(g), None) => (1, g),
        (None, _) => (1, 1),
    };
    if nodes == 0 || gpus == 0 {
        return Err(err("a count of 0".into()));
    }
    if nodes > MAX_NODES || gpus > MAX_GPUS_PER_NODE {
        return Err(err(format!(
            "at most {MAX_NODES} nodes of {MAX_GPUS_PER_NODE} GPUs"
        )));
    }
    let name = caps.name("gpu").map_or("", |m| m.as_str()).trim();
    let gpu = GPUS
        .iter()
        .find(|(words, _)| words.iter().all(|w| name.contains(w)))
        .map(|(_, g)| *g)
        .ok_or_else(|| {
            let names: Vec<&str> = known_gpus().map(|g| g.name).collect();
            err(format!("no GPU \"{name}\" (known: {})", names.join(", ")))
        })?;
    let interconnect = match link {
        None => Interconnect::InfiniBand,
        Some(l)
            if ["infiniband", "ib", "roce", "nvlink"]
                .iter()
                .any(|w| l.contains(w)) =>
        {
            Interconnect::InfiniBand
        }
        Some(l) if l.contains("ethernet") || l.contains("gbe") => Interconnect::Ethernet,
        Some(l) => {
            return Err(err(format!(
                "no interconnect \"{l}\" (InfiniBand, RoCE or Ethernet)"
            )))
        }
    };
    Ok(ServerSpec {
        nodes,
        gpus_per_node: gpus,
        gpu,
        interconnect,
        interconnect_named: link.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issues_examples_parse() {
        let s = parse_server_spec("2 nodes x 8x H100 80GB, InfiniBand").unwrap();
        assert_eq!((s.nodes, s.gpus_per_node, s.gpu.name), (2, 8, "H100 80GB"));
        assert!(s.interconnect_named);
        let s = parse_server_spec("8x H200").unwrap();
        assert_eq!(
            (s.nodes, s.gpus_per_node, s.gpu.memory_mib()),
            (1, 8, 143_771)
        );
        let s = parse_server_spec("4x A100 40GB").unwrap();
        assert_eq!(s.gpu.name, "A100 40GB");
        assert_eq!(
            parse_server_spec("2x8x A100").unwrap().gpu.name,
            "A100 80GB"
        );
        assert_eq!(parse_server_spec("H100").unwrap().total_gpus(), 1);
        assert_eq!(
            parse_server_spec("2 nodes x 8x L40S, 100GbE")
                .unwrap()
                .interconnect,
            Interconnect::Ethernet
        );
    }

    #[test]
    fn every_preset_parses() {
        for p in SERVER_PRESETS {
            parse_server_spec(p.spec).unwrap_or_else(|e| panic!("{}: {e}", p.spec));
        }
    }

    #[test]
    fn mistakes_are_one_sentence() {
        for bad in [
            "8x V100",
            "0x H100",
            "99 nodes x 8x H100",
            "8x H100, carrier pigeon",
            "",
            "x",
        ] {
            let e = parse_server_spec(bad).unwrap_err().to_string();
            assert!(e.contains("examples"), "{bad}: {e}");
        }
        assert!(parse_server_spec(&"8x H100 ".repeat(40)).is_err());
    }
}
