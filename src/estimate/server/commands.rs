//! The commands that start a planned layout: one per node (`vllm serve` or SGLang's
//! `launch_server`), the steps before them (Ray, a conversion), the environment, a `docker run`
//! line per node, and the base URL the chat pane connects to. Every memory setting the plan
//! assumed is pinned on the command line, so the server starts as planned whatever the
//! engine version's defaults.

use super::layout::Engine;
use super::{LayoutPlan, ServerPlan, Verdict};
use crate::catalog::Model;
use crate::estimate::server::engine_memory::KvDtype;
use crate::estimate::server::weights::WeightForm;
use crate::hardware::server_spec::GpuGeneration;

/// vLLM's default port.
pub const VLLM_PORT: u16 = 8000;
/// SGLang's default port.
pub const SGLANG_PORT: u16 = 30000;

/// How to start one layout.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Commands {
    /// Environment to set on every node first (`NAME=value`, with why).
    pub env: Vec<(String, String)>,
    /// Steps before the servers (a conversion; Ray on every node).
    pub prepare: Vec<String>,
    /// The server command of each node, node 0 (the head) first.
    pub nodes: Vec<String>,
    /// The same as `docker run` lines, node 0 first (empty when no image is named for the GPU).
    pub docker: Vec<String>,
    /// The OpenAI-compatible base URL the server answers on.
    pub base_url: String,
}

impl Commands {
    /// The environment, the steps before, and each node's command as one shell text (a
    /// `# node k` line before each when there are several).
    pub fn shell_text(&self) -> String {
        let mut text = String::new();
        for (name, why) in &self.env {
            text.push_str(&format!("export {name}   # {why}\n"));
        }
        for step in &self.prepare {
            text.push_str(&format!("# before: {step}\n"));
        }
        for (k, cmd) in self.nodes.iter().enumerate() {
            if self.nodes.len() > 1 {
                text.push_str(&format!("# node {k}\n"));
            }
            text.push_str(cmd);
            text.push('\n');
        }
        text
    }

    /// [`Self::shell_text`] and the `docker run` lines, what Copy puts on the clipboard.
    pub fn copy_text(&self) -> String {
        let mut all = self.shell_text();
        if !self.docker.is_empty() {
            all.push_str("\n# with Docker\n");
            all.push_str(&self.docker.join("\n"));
        }
        all
    }
}

/// The context the command asks for: the plan's, or what the cache holds rounded down to
/// 1024 tokens when that is shorter.
fn context_flag(plan: &ServerPlan, lp: &LayoutPlan) -> u64 {
    match lp.verdict {
        Verdict::ShortContext { max_context } => max_context / 1024 * 1024,
        _ => plan.ctx,
    }
}

fn is_deepseek_arch(model: &Model) -> bool {
    model.architecture.gguf_architecture.starts_with("deepseek")
}

/// The commands for `lp`, or `None` when the layout does not start. `head` is node 0's address
/// as the other nodes reach it (`$HEAD_IP` when not known).
pub fn commands(
    model: &Model,
    plan: &ServerPlan,
    lp: &LayoutPlan,
    head: Option<&str>,
) -> Option<Commands> {
    let checkpoint = plan.checkpoint.as_ref().ok()?;
    if !lp.verdict.starts() {
        return None;
    }
    let nodes = plan.spec.nodes;
    let head_addr = head.unwrap_or("$HEAD_IP").to_owned();
    let mut env = Vec::new();
    if nodes > 1 && head.is_none() {
        env.push((
            "HEAD_IP=<address of node 0>".to_owned(),
            "the other nodes reach node 0 at this address".to_owned(),
        ));
    }
    if nodes > 1 {
        // SGLang's multi-node notes (benchmark/deepseek_v3/README.md): name the interface when a
        // node has several, or startup hangs.
        for var in ["NCCL_SOCKET_IFNAME", "GLOO_SOCKET_IFNAME"] {
            env.push((
                format!("{var}=<network interface between the nodes, e.g. eth0>"),
                "needed when a node has several network interfaces".to_owned(),
            ));
        }
    }
    let mut prepare: Vec<String> = checkpoint.prepare.iter().cloned().collect();
    let l = lp.layout;
    let port = match l.engine {
        Engine::Vllm => VLLM_PORT,
        Engine::Sglang => SGLANG_PORT,
    };
    let flags = engine_flags(model, plan, lp, checkpoint, port);
    let (node_cmds, docker_entry) = match l.engine {
        Engine::Vllm => vllm_nodes(
            &checkpoint.path,
            &flags,
            lp,
            nodes,
            plan.spec.gpus_per_node,
            &head_addr,
            &mut env,
            &mut prepare,
        ),
        Engine::Sglang => sglang_nodes(&checkpoint.path, &flags, nodes, &head_addr),
    };
    let docker = docker_lines(l.engine, plan.spec.gpu.generation, &docker_entry);
    let host = if nodes > 1 || head.is_some() {
        head_addr.as_str()
    } else {
        "localhost"
    };
    Some(Commands {
        env,
        prepare,
        nodes: node_cmds,
        docker,
        base_url: format!("http://{host}:{port}/v1"),
    })
}

/// The flags every node's command shares: the layout, the context and memory share the plan
/// assumed, the cache type, the quantization the checkpoint needs, R1's reasoning parser.
fn engine_flags(
    model: &Model,
    plan: &ServerPlan,
    lp: &LayoutPlan,
    checkpoint: &super::weights::Checkpoint,
    port: u16,
) -> Vec<String> {
    let l = lp.layout;
    let ctx = context_flag(plan, lp);
    let fp8_kv = plan.kv == KvDtype::Fp8;
    let mut flags = Vec::new();
    match l.engine {
        Engine::Vllm => {
            flags.push(format!("--tensor-parallel-size {}", l.tp));
            if l.pp > 1 {
                flags.push(format!("--pipeline-parallel-size {}", l.pp));
            }
            if l.dp > 1 {
                flags.push(format!("--data-parallel-size {}", l.dp));
            }
            if l.ep > 1 {
                flags.push("--enable-expert-parallel".into());
            }
            flags.push(format!("--max-model-len {ctx}"));
            flags.push(format!("--gpu-memory-utilization {}", lp.budget.fraction));
            if fp8_kv {
                flags.push("--kv-cache-dtype fp8".into());
            }
            if plan.form == WeightForm::Fp8OnLoad {
                flags.push("--quantization fp8".into());
            }
            if model.reasoning {
                flags.push("--reasoning-parser deepseek_r1".into());
            }
        }
        Engine::Sglang => {
            flags.push(format!("--tp {}", l.tp));
            if l.dp_attention {
                flags.push(format!("--dp {} --enable-dp-attention", l.dp));
            } else if l.dp > 1 {
                flags.push(format!("--dp {}", l.dp));
            }
            if l.ep > 1 {
                flags.push(format!("--ep-size {}", l.ep));
            }
            if l.pp > 1 {
                flags.push(format!("--pp-size {}", l.pp));
            }
            flags.push(format!("--context-length {ctx}"));
            flags.push(format!("--mem-fraction-static {}", lp.budget.fraction));
            if fp8_kv {
                flags.push("--kv-cache-dtype fp8_e4m3".into());
            }
            if let Some(q) = checkpoint.sglang_quantization {
                flags.push(format!("--quantization {q}"));
            }
            if model.reasoning {
                flags.push("--reasoning-parser deepseek-r1".into());
            }
        }
    }
    if is_deepseek_arch(model) {
        flags.push("--trust-remote-code".into());
    }
    flags.push(format!("--host 0.0.0.0 --port {port}"));
    flags
}

/// vLLM: one node; pipeline stages across nodes on Ray (`ray start` on each node, `vllm serve`
/// on the head); DP + EP across nodes with `--data-parallel-size-local` and `--headless`
/// workers (vLLM's data-parallel deployment guide).
#[allow(clippy::too_many_arguments)]
fn vllm_nodes(
    path: &str,
    common: &[String],
    lp: &LayoutPlan,
    nodes: u32,
    per_node: u32,
    head: &str,
    env: &mut Vec<(String, String)>,
    prepare: &mut Vec<String>,
) -> (Vec<String>, Vec<String>) {
    let serve = |extra: &str| format!("vllm serve {path} {}{extra}", common.join(" "));
    if nodes == 1 {
        let cmd = serve("");
        let args = format!("{path} {}", common.join(" "));
        return (vec![cmd], vec![args]);
    }
    if lp.layout.dp > 1 {
        let cmds: Vec<String> = (0..nodes)
            .map(|k| {
                let mut extra = format!(
                    " --data-parallel-size-local {per_node} --data-parallel-address {head} --data-parallel-rpc-port 13345"
                );
                if k > 0 {
                    extra.push_str(&format!(" --headless --data-parallel-start-rank {}", k * per_node));
                }
                serve(&extra)
            })
            .collect();
        let args = cmds
            .iter()
            .map(|c| c.trim_start_matches("vllm serve ").to_owned())
            .collect();
        return (cmds, args);
    }
    env.push((
        "VLLM_HOST_IP=<this node's address>".to_owned(),
        "Ray and NCCL advertise this address on each node".to_owned(),
    ));
    prepare.push("node 0: ray start --head --port=6379".to_owned());
    prepare.push(format!(
        "nodes 1–{}: ray start --address={head}:6379",
        nodes - 1
    ));
    let cmd = serve(" --distributed-executor-backend ray");
    let head_args = format!(
        "ray start --head --port=6379 && vllm serve {path} {} --distributed-executor-backend ray",
        common.join(" ")
    );
    let mut args = vec![head_args];
    args.extend((1..nodes).map(|_| format!("ray start --block --address={head}:6379")));
    (vec![cmd], args)
}

/// SGLang: the same command on every node with its `--node-rank` (SGLang's multi-node
/// examples: `--nnodes`, `--node-rank`, `--dist-init-addr HEAD:5000`).
fn sglang_nodes(
    path: &str,
    common: &[String],
    nodes: u32,
    head: &str,
) -> (Vec<String>, Vec<String>) {
    let cmds: Vec<String> = (0..nodes)
        .map(|k| {
            let multi = if nodes > 1 {
                format!(" --nnodes {nodes} --node-rank {k} --dist-init-addr {head}:5000")
            } else {
                String::new()
            };
            format!(
                "python3 -m sglang.launch_server --model-path {path} {}{multi}",
                common.join(" ")
            )
        })
        .collect();
    (cmds.clone(), cmds)
}

/// `docker run` per node: SGLang's `lmsysorg/sglang` image (its DeepSeek README), vLLM's
/// `vllm/vllm-openai` (entry point `vllm serve`) or, on AMD, `rocm/vllm`; a shell for vLLM's Ray
/// commands. SGLang's ROCm images are tagged per release: no line is written for them.
fn docker_lines(engine: Engine, gpu: GpuGeneration, entries: &[String]) -> Vec<String> {
    let amd = gpu == GpuGeneration::Cdna3;
    let devices = if amd {
        "--device=/dev/kfd --device=/dev/dri --group-add video"
    } else {
        "--gpus all"
    };
    let base = format!(
        "docker run {devices} --shm-size 32g --ipc=host --network=host -v ~/.cache/huggingface:/root/.cache/huggingface -e HF_TOKEN"
    );
    entries
        .iter()
        .filter_map(|entry| match engine {
            Engine::Sglang if amd => None,
            Engine::Sglang => Some(format!("{base} lmsysorg/sglang:latest {entry}")),
            Engine::Vllm => {
                let image = if amd {
                    "rocm/vllm:latest"
                } else {
                    "vllm/vllm-openai:latest"
                };
                if entry.starts_with("ray ") {
                    Some(format!(
                        "{base} --entrypoint /bin/bash {image} -c \"{entry}\""
                    ))
                } else if amd {
                    Some(format!("{base} {image} vllm serve {entry}"))
                } else {
                    Some(format!("{base} {image} {entry}"))
                }
            }
        })
        .collect()
}
