//! A dense model's compute buffer (llama, qwen2, qwen3 with flash attention, on one device) by
//! replaying ggml-alloc's graph allocator (`ggml_gallocr_alloc_graph_impl`) over llama.cpp's graph
//! of one micro-batch: whether an activation lands in a hole or at the buffer's end decides, at
//! some contexts and not others, whether the buffer keeps one more residual-sized block — no
//! closed formula follows that, the replay does. The tensor sequence is llama.cpp's
//! (`src/models/llama.cpp`, `qwen2.cpp`, `qwen3.cpp`, `build_attn` with flash attention, the
//! inputs of `llama-graph.cpp`), as `GGML_SCHED_DEBUG=2` prints it; the rules are ggml-alloc's:
//! inputs first in the order the graph first uses them, a node reuses a parent of the same size
//! in place when its op allows it and the parent has no other child and no view, a tensor is freed
//! when its last child (and its last view's last child) has run, the output is never freed.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::catalog::{Architecture, Attention};
use crate::estimate::dyn_alloc::{Allocator, Place};

/// What a tensor of the replay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An input: allocated before every node, freed after its last use.
    Input,
    /// A node with memory of its own (or its parent's, in place).
    Own,
    /// A view of tensor `0` (its base, never a view itself): no memory.
    View(usize),
    /// A view of memory the replay does not own (a cache row set): no memory.
    Outside,
}

/// One tensor: its bytes, what it is, the tensors it reads, whether its op may run in place
/// (ggml's `ggml_op_can_inplace`).
#[derive(Debug)]
struct Tensor {
    bytes: u64,
    kind: Kind,
    srcs: Vec<usize>,
    inplace: bool,
}

/// The graph being built: tensors in the order llama.cpp adds them to the graph.
#[derive(Debug, Default)]
struct Graph {
    t: Vec<Tensor>,
}

impl Graph {
    fn add(&mut self, bytes: u64, kind: Kind, srcs: &[usize], inplace: bool) -> usize {
        self.t.push(Tensor {
            bytes,
            kind,
            srcs: srcs.to_vec(),
            inplace,
        });
        self.t.len() - 1
    }
    fn input(&mut self, bytes: u64) -> usize {
        self.add(bytes, Kind::Input, &[], false)
    }
    fn op(&mut self, bytes: u64, srcs: &[usize]) -> usize {
        self.add(bytes, Kind::Own, srcs, false)
    }
    fn in_place(&mut self, bytes: u64, srcs: &[usize]) -> usize {
        self.add(bytes, Kind::Own, srcs, true)
    }
    fn view(&mut self, of: usize) -> usize {
        let base = match self.t[of].kind {
            Kind::View(base) => base,
            _ => of,
        };
        self.add(0, Kind::View(base), &[of], false)
    }
    fn outside(&mut self, srcs: &[usize]) -> usize {
        self.add(0, Kind::Outside, srcs, false)
    }
}

/// The widths the graph needs, in bytes per micro-batch.
struct Widths {
    /// The residual stream, `4·u·n_embd`.
    residual: u64,
    /// The queries (and the attention output), `4·u·n_head·head_dim`.
    queries: u64,
    /// The keys or the values of the micro-batch, `4·u·n_kv_head·head_dim`.
    kv: u64,
    /// One feed-forward projection, `4·u·n_ff`.
    ffn: u64,
}

/// llama.cpp's compute buffer for a dense model at `ctx` tokens (padded) and micro-batch `u`
/// with flash attention; `None` for MLA and mixture-of-experts models. Remembered: the table, the
/// curve and the placement searches ask for the same few shapes again.
pub(crate) fn dense_compute(arch: &Architecture, ctx: u64, u: u64) -> Option<u64> {
    type Key = (u32, u64, u64, u32, u32, u64, bool, bool, u64, u64);
    static MEMO: OnceLock<Mutex<HashMap<Key, Option<u64>>>> = OnceLock::new();
    let key = (
        arch.layers,
        arch.hidden_size,
        arch.ffn_size,
        arch.heads,
        arch.kv_heads(),
        arch.vocab_size,
        arch.qkv_bias,
        arch.qk_norm,
        ctx,
        u,
    );
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(&hit) = memo.lock().ok().as_ref().and_then(|m| m.get(&key)) {
        return hit;
    }
    let bytes = replayed(arch, ctx, u);
    if let Ok(mut m) = memo.lock() {
        m.insert(key, bytes);
    }
    bytes
}

/// [`dense_compute`], replayed.
fn replayed(arch: &Architecture, ctx: u64, u: u64) -> Option<u64> {
    let head_dim = match arch.attention {
        Attention::Mha { head_dim } | Attention::Gqa { head_dim, .. } => head_dim,
        Attention::Mla { .. } => return None,
    };
    if arch.moe.is_some() || arch.indexer.is_some() {
        return None;
    }
    let w = Widths {
        residual: 4 * u * arch.hidden_size,
        queries: 4 * u * u64::from(arch.heads) * head_dim,
        kv: 4 * u * u64::from(arch.kv_heads()) * head_dim,
        ffn: 4 * u * arch.ffn_size,
    };
    let mut g = Graph::default();
    // llama.cpp's inputs, in the order the graph finds them (`build_inp_embd` adds the three
    // ways in — token ids, embeddings, a mix of both — to every graph, `ggml_build_forward_select`,
    // so the embeddings input is allocated though nothing reads it, and stays).
    let tokens = g.input(4 * u);
    g.input(w.residual);
    let mixed_tokens = g.input(4 * u);
    let mixed_slots = g.input(8 * u);
    let mixed_embd = g.input(w.residual);
    let pos = g.input(4 * u);
    let k_idxs = g.input(8 * u);
    let v_idxs = g.input(8 * u);
    let mask = g.input(2 * u * ctx);
    let out_ids = g.input(4 * u);
    let mut x = g.op(w.residual, &[tokens]);
    // The mixed way: token rows set into a copy of the embeddings; nothing reads the result, so
    // the copy stays allocated to the end.
    let rows = g.op(w.residual, &[mixed_tokens]);
    let copy = g.op(w.residual, &[mixed_embd]);
    g.add(0, Kind::View(copy), &[rows, mixed_slots, copy], false);
    let inputs = Inputs {
        pos,
        k_idxs,
        v_idxs,
        mask,
    };
    for il in 0..arch.layers {
        let last = (il + 1 == arch.layers).then_some(out_ids);
        x = block(&mut g, arch, &w, x, &inputs, last);
    }
    let norm = g.in_place(w.residual, &[x]);
    let result_norm = g.in_place(w.residual, &[norm]);
    let logits = g.op(4 * u * arch.vocab_size, &[result_norm]);
    Some(replay(&g, logits))
}

/// The inputs every block reads.
struct Inputs {
    pos: usize,
    k_idxs: usize,
    v_idxs: usize,
    mask: usize,
}

/// One transformer block on the residual `x`; the last one (`out_ids`) keeps only the outputs'
/// rows before its feed-forward. Returns the block's output.
fn block(
    g: &mut Graph,
    arch: &Architecture,
    w: &Widths,
    x: usize,
    inp: &Inputs,
    out_ids: Option<usize>,
) -> usize {
    let norm = g.in_place(w.residual, &[x]);
    let attn_norm = g.in_place(w.residual, &[norm]);
    // Queries, values, keys: llama.cpp adds them to the graph in this order (`build_attn`).
    let projection = |g: &mut Graph, bytes: u64| {
        let p = g.op(bytes, &[attn_norm]);
        if arch.qkv_bias {
            g.in_place(bytes, &[p])
        } else {
            p
        }
    };
    let q = projection(g, w.queries);
    let q = rope_input(g, arch, w.queries, q);
    let q = g.in_place(w.queries, &[q, inp.pos]);
    let v = projection(g, w.kv);
    let v = g.view(v);
    let k = projection(g, w.kv);
    let k = rope_input(g, arch, w.kv, k);
    let k = g.in_place(w.kv, &[k, inp.pos]);
    let k = g.view(k);
    g.outside(&[k, inp.k_idxs]);
    let v = g.view(v);
    g.outside(&[v, inp.v_idxs]);
    let q = g.view(q);
    let attn = g.op(w.queries, &[q, inp.mask]);
    let attn = g.view(attn);
    let out = g.op(w.residual, &[attn]);
    let ffn_inp = match out_ids {
        Some(ids) => {
            let rows = g.op(w.residual, &[out, ids]);
            let skip = g.op(w.residual, &[x, ids]);
            g.in_place(w.residual, &[rows, skip])
        }
        None => g.in_place(w.residual, &[out, x]),
    };
    let norm = g.in_place(w.residual, &[ffn_inp]);
    let ffn_norm = g.in_place(w.residual, &[norm]);
    let gate = g.op(w.ffn, &[ffn_norm]);
    let up = g.op(w.ffn, &[ffn_norm]);
    let act = g.op(w.ffn, &[gate, up]);
    let down = g.op(w.residual, &[act]);
    g.in_place(w.residual, &[down, ffn_inp])
}

/// What RoPE reads: the projection reshaped to heads, RMS-normalised per head first on Qwen3.
fn rope_input(g: &mut Graph, arch: &Architecture, bytes: u64, projection: usize) -> usize {
    let heads = g.view(projection);
    if arch.qk_norm {
        let norm = g.in_place(bytes, &[heads]);
        g.in_place(bytes, &[norm])
    } else {
        heads
    }
}

/// ggml-alloc over `g` (`output` never freed): the buffer's size.
fn replay(g: &Graph, output: usize) -> u64 {
    let n = g.t.len();
    let mut alloc = Allocator::new(u64::MAX);
    let mut place: Vec<Option<Place>> = vec![None; n];
    let mut own = vec![false; n];
    let mut children = vec![0u32; n];
    let mut views = vec![0u32; n];
    for (i, t) in g.t.iter().enumerate() {
        if t.kind == Kind::Input {
            place[i] = Some(alloc.alloc(t.bytes));
            own[i] = true;
        }
    }
    for t in &g.t {
        if let Kind::View(base) = t.kind {
            views[base] += 1;
        }
        for &s in &t.srcs {
            children[s] += 1;
        }
    }
    for (i, t) in g.t.iter().enumerate() {
        if t.kind != Kind::Own {
            // Inputs are placed; views and outside rows take no memory.
        } else if let Some(p) = t.srcs.iter().copied().find(|&p| {
            t.inplace
                && own[p]
                && p != output
                && g.t[p].bytes == t.bytes
                && children[p] == 1
                && views[p] == 0
        }) {
            place[i] = place[p];
            own[p] = false;
            own[i] = true;
        } else {
            place[i] = Some(alloc.alloc(t.bytes));
            own[i] = true;
        }
        for &s in &t.srcs {
            children[s] -= 1;
            if children[s] != 0 || views[s] != 0 {
                continue;
            }
            let freed = match g.t[s].kind {
                Kind::View(base) => {
                    views[base] -= 1;
                    (views[base] == 0 && children[base] == 0 && own[base]).then_some(base)
                }
                _ => own[s].then_some(s),
            };
            if let Some(f) = freed.filter(|&f| f != output) {
                if let Some(at) = place[f] {
                    alloc.free(at, g.t[f].bytes);
                }
                own[f] = false;
            }
        }
    }
    alloc.peak()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;

    const MIB: u64 = 1 << 20;

    /// llama.cpp's own figures (dry runs of the shape-only files, `examples/dry_run_log`, u = 512):
    /// the buffer keeps a residual-sized block more only in a band of contexts, which the replay
    /// finds — R1-Distill-Qwen-7B 340.02 MiB at 8K (no extra block), 371.02 at 32K (one), 460.02
    /// at 128K (none); DeepSeek 67B 284.02 at 4K; R1-Distill-Qwen-1.5B 315.8 at 4K.
    #[test]
    fn the_replay_gives_llama_cpps_figures() {
        // In MiB to two decimals, as llama.cpp prints them.
        let at = |id: &str, ctx: u64| {
            let a = builtin_model(id).unwrap().architecture;
            format!(
                "{:.2}",
                dense_compute(&a, ctx, 512).unwrap() as f64 / MIB as f64
            )
        };
        let qwen7 = "deepseek-r1-distill-qwen-7b";
        assert_eq!(at(qwen7, 8192), "340.02");
        assert_eq!(at(qwen7, 32768), "371.02");
        assert_eq!(at(qwen7, 131_072), "460.02");
        assert_eq!(at("deepseek-llm-67b", 4096), "284.02");
        assert_eq!(at("deepseek-r1-distill-qwen-1.5b", 4096), "315.77");
        // MLA and mixture-of-experts models are not this graph.
        assert!(dense_compute(
            &builtin_model("deepseek-v2-lite").unwrap().architecture,
            4096,
            512
        )
        .is_none());
    }
}
