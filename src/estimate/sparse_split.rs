//! DeepSeek-V3.2's compute buffer on one device of a split (several GPUs, or RPC workers), by
//! replaying ggml-alloc over the device's part of llama.cpp's graph. Its sparse attention makes
//! one zero-filled top-k tensor per block — graph leaves, all allocated when the device's part
//! starts and freed block by block — so the free space below each block's queries shifts, and
//! the 128 MiB flash-attention output lands either in a hole of exactly its size or at the
//! buffer's end. No closed formula follows that; the replay does, event for event: the tensor
//! sequence below is llama.cpp's (`src/models/deepseek32.cpp`, `build_attn` for DSA, the
//! scheduler's input copies), read from ggml-alloc's allocation log of dry runs over loopback
//! RPC workers and equal to it, allocation by allocation, in every shape `make
//! accuracy-cluster` checks (every block on two or three workers, this PC keeping half, the
//! experts or the first half's experts in this PC's RAM, at 8K and 32K tokens) and with this PC
//! keeping one dense block or four blocks.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::catalog::{Architecture, Attention};
use crate::estimate::dyn_alloc::{Allocator, Place};

/// Where a device's part of the graph sits, which decides what it copies in and frees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct DevicePart {
    /// Its blocks (first, count; at least one).
    pub first: u32,
    pub count: u32,
    /// It holds the output layer.
    pub output: bool,
    /// The block before its first ran on this PC's CPU (which holds blocks).
    pub after_this_pc: bool,
    /// Copies of the graph's inputs: 4 when llama.cpp pipelines micro-batches (every block
    /// offloaded, no tensor overrides), else 1.
    pub copies: u32,
    /// The routed experts of blocks below this run on this PC's CPU.
    pub moe_in_ram: u32,
    /// The back-end's largest buffer, if it has a limit (Vulkan's 1 GiB).
    pub chunk: Option<u64>,
}

/// A tensor of the replay: its name and, for per-block or per-copy ones, an index.
type Key = (&'static str, u32);

/// The allocator and what is live in it (a few dozen tensors: a list beats hashing).
struct Trace {
    alloc: Allocator,
    live: Vec<(Key, Place, u64)>,
    /// The block after whose experts' copy out_ids is copied in (see [`last_cpu_expert`]).
    out_ids_after: Option<u32>,
}

impl Trace {
    fn a(&mut self, key: Key, bytes: u64) {
        let place = self.alloc.alloc(bytes);
        self.live.push((key, place, bytes));
    }

    fn f(&mut self, key: Key) {
        if let Some(i) = self.live.iter().rposition(|(k, _, _)| *k == key) {
            let (_, place, bytes) = self.live.swap_remove(i);
            self.alloc.free(place, bytes);
        }
    }
}

/// The model's widths the replay needs, in bytes per micro-batch token where they size a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Widths {
    embd: u64,
    heads: u64,
    q_lora: u64,
    kv_lora: u64,
    rope: u64,
    nope: u64,
    v_head: u64,
    index_heads: u64,
    index_dim: u64,
    top_k: u64,
    experts: u64,
    used: u64,
    expert_ffn: u64,
    shared_ffn: u64,
    dense_ffn: u64,
    dense_blocks: u32,
    vocab: u64,
}

impl Widths {
    fn of(arch: &Architecture) -> Option<Self> {
        let (
            Some(ix),
            Some(m),
            Attention::Mla {
                q_lora_rank: Some(q_lora),
                kv_lora_rank,
                qk_rope_head_dim,
                qk_nope_head_dim,
                v_head_dim,
            },
        ) = (arch.indexer, arch.moe, arch.attention)
        else {
            return None;
        };
        Some(Self {
            embd: arch.hidden_size,
            heads: u64::from(arch.heads),
            q_lora,
            kv_lora: kv_lora_rank,
            rope: qk_rope_head_dim,
            nope: qk_nope_head_dim,
            v_head: v_head_dim,
            index_heads: u64::from(ix.heads),
            index_dim: ix.head_dim,
            top_k: u64::from(ix.top_k),
            experts: u64::from(m.routed_experts),
            used: u64::from(m.experts_per_token),
            expert_ffn: m.expert_ffn_size,
            shared_ffn: m.expert_ffn_size * u64::from(m.shared_experts),
            dense_ffn: arch.ffn_size,
            dense_blocks: m.leading_dense_layers,
            vocab: arch.vocab_size,
        })
    }
}

/// The compute buffer of a device holding `part` of a sparse-attention (V3.2) model, at `ctx`
/// tokens (padded) and micro-batch `u`, with flash attention; `None` for other models.
pub(crate) fn device_compute(
    arch: &Architecture,
    ctx: u64,
    u: u64,
    part: DevicePart,
) -> Option<u64> {
    let w = Widths::of(arch)?;
    if part.count == 0 {
        return None;
    }
    // A plan tries every layer count, and the smallest-cluster search every cluster size: the
    // same parts recur, and each replay is a few thousand allocations.
    type Memo = HashMap<(Widths, DevicePart, u64, u64), u64>;
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    let memo = MEMO.get_or_init(Mutex::default);
    let key = (w, part, ctx, u);
    if let Some(bytes) = memo.lock().ok().and_then(|m| m.get(&key).copied()) {
        return Some(bytes);
    }
    let bytes = replay(&w, ctx, u, part);
    if let Ok(mut m) = memo.lock() {
        if m.len() >= 4096 {
            m.clear();
        }
        m.insert(key, bytes);
    }
    Some(bytes)
}

/// The replay itself: the device's part of the graph, allocation by allocation.
fn replay(w: &Widths, ctx: u64, u: u64, part: DevicePart) -> u64 {
    let blocks: Vec<u32> = (part.first..part.first + part.count).collect();
    let mut t = Trace {
        alloc: Allocator::new(part.chunk.unwrap_or(u64::MAX / 4)),
        live: Vec::new(),
        out_ids_after: last_cpu_expert(w, part, &blocks),
    };
    let prev = prologue(&mut t, w, ctx, u, part, &blocks);
    let prev = blocks.iter().enumerate().fold(prev, |prev, (n, &b)| {
        block(
            &mut t,
            w,
            ctx,
            u,
            part,
            (b, n == 0, n + 1 == blocks.len()),
            prev,
        )
    });
    if part.output {
        t.a(("result", 0), 4 * u * w.vocab);
    } else {
        // The next block's first norm runs here before its copy leaves.
        t.a(("next_norm", 0), 4 * u * w.embd);
        t.f(("next_norm", 0));
        t.f(prev);
    }
    t.alloc.peak()
}

/// The device's first allocations: the top-k leaves, the copies of the graph's inputs and of
/// the tensors crossing from the device before; returns the residual its first block adds to.
fn prologue(t: &mut Trace, w: &Widths, ctx: u64, u: u64, part: DevicePart, blocks: &[u32]) -> Key {
    let e4 = 4 * u * w.embd;
    let leaf = 4 * u * ctx.min(w.top_k);
    let mask = 2 * u * ctx;
    let pipelined = part.copies > 1;
    let first = part.first == 0;
    let dense_before = part.first <= w.dense_blocks;
    let leaves = |t: &mut Trace| blocks.iter().for_each(|&b| t.a(("leaf", b), leaf));
    if !pipelined {
        leaves(t);
    }
    let each = |t: &mut Trace, name: &'static str, bytes: u64| {
        (0..part.copies).for_each(|c| t.a((name, c), bytes));
    };
    if first {
        each(t, "mixed_embd", e4);
        each(t, "mixed_rows", e4);
        each(t, "mixed_slots", 4096);
        each(t, "embd", e4);
    } else if part.after_this_pc {
        // This PC ran the previous block up to its feed-forward outputs (routed and shared
        // experts', or a dense block's one): they and its residual come.
        t.a(("in_moe_out", 0), e4);
        if !dense_before {
            t.a(("in_shexp", 0), e4);
        }
        t.a(("in_ffn_inp", 0), e4);
    } else {
        each(t, "in_norm", e4);
    }
    each(t, "pos", 2048);
    each(t, "k_rot", 65536);
    each(t, "k_idxs", 4096);
    each(t, "k_idxs_lid", 4096);
    each(t, "kq_mask", mask);
    each(t, "kq_mask_lid", mask);
    let prev = if first {
        if pipelined {
            leaves(t);
        }
        t.a(("dup", 0), e4);
        if !pipelined {
            t.f(("mixed_embd", 0));
            t.f(("mixed_rows", 0));
            t.f(("mixed_slots", 0));
        }
        ("embd", 0)
    } else if part.after_this_pc {
        if !dense_before {
            t.f(("in_shexp", 0));
        }
        t.f(("in_ffn_inp", 0));
        ("in_moe_out", 0)
    } else {
        each(t, "in_l_out", e4);
        ("in_l_out", 0)
    };
    // out_ids comes with the inputs of the device's last graph split: after the last block
    // before its final one whose experts ran on this PC's CPU, if any.
    if part.output && !first && t.out_ids_after.is_none() {
        each(t, "out_ids", 2048);
    }
    if pipelined && !first {
        leaves(t);
    }
    prev
}

/// The last block but the device's final one whose routed experts run on this PC's CPU.
fn last_cpu_expert(w: &Widths, part: DevicePart, blocks: &[u32]) -> Option<u32> {
    let before_last = &blocks[..blocks.len().saturating_sub(1)];
    before_last
        .iter()
        .copied()
        .filter(|&b| b >= w.dense_blocks && b < part.moe_in_ram)
        .max()
}

/// One block (`b`, whether it is the device's first and last) after the residual `prev`;
/// returns the block's output.
fn block(
    t: &mut Trace,
    w: &Widths,
    ctx: u64,
    u: u64,
    part: DevicePart,
    (b, first, last): (u32, bool, bool),
    prev: Key,
) -> Key {
    let pipelined = part.copies > 1;
    // The last block frees the inputs (when they are not pipelined copies) after their last use.
    let fin = last && !pipelined;
    let norm = if first && part.first > 0 && !part.after_this_pc && !pipelined {
        ("in_norm", 0) // the copied norm takes its weight in place
    } else {
        t.a(("attn_norm", b), 4 * u * w.embd);
        ("attn_norm", b)
    };
    attention(t, w, ctx, u, (b, fin), norm);
    t.a(("wo", b), 4 * u * w.embd);
    t.f(("fattn_cont", b));
    let mut ffn_inp = ("wo", b);
    let mut prev = Some(prev);
    if last && part.output {
        // The last layer keeps the output rows: both residuals through get_rows.
        t.a(("rows_cur", b), 4 * u * w.embd);
        t.f(("wo", b));
        t.a(("rows_inp", b), 4 * u * w.embd);
        prev.take().into_iter().for_each(|p| t.f(p));
        if !pipelined {
            t.f(("out_ids", 0));
        }
        t.f(("rows_inp", b));
        ffn_inp = ("rows_cur", b);
    }
    // The residual entering the device's first block is an input copy, kept when pipelined.
    let kept_input = first && pipelined;
    if let Some(p) = prev.filter(|_| !kept_input) {
        t.f(p);
    }
    let e4 = 4 * u * w.embd;
    t.a(("ffn_norm", b), e4);
    if b < w.dense_blocks {
        let names = ["gate", "up", "swiglu", "down"];
        let down = swiglu(t, (b, 4 * u * w.dense_ffn, e4), names);
        t.f(ffn_inp);
        return down;
    }
    experts(t, w, u, part, b);
    let names = ["sh_gate", "sh_up", "sh_swiglu", "sh_down"];
    let down = swiglu(t, (b, 4 * u * w.shared_ffn, e4), names);
    t.f(down);
    t.f(ffn_inp);
    ("moe_out", b)
}

/// A SwiGLU feed-forward of block `b` (`ff` bytes wide, `out` bytes out) after the block's
/// `ffn_norm`, which it frees once gate and up have read it; returns its output.
fn swiglu(t: &mut Trace, (b, ff, out): (u32, u64, u64), names: [&'static str; 4]) -> Key {
    let [gate, up, act, down] = names;
    t.a((gate, b), ff);
    t.a((up, b), ff);
    t.f(("ffn_norm", b));
    t.a((act, b), ff);
    t.f((gate, b));
    t.f((up, b));
    t.a((down, b), out);
    t.f((act, b));
    (down, b)
}

/// The block's attention: the indexer's keys, the compressed queries, the cache's keys, the
/// indexer's scores and top-k, the mask it unmasks, flash attention and the value projection.
fn attention(t: &mut Trace, w: &Widths, ctx: u64, u: u64, (b, fin): (u32, bool), norm: Key) {
    let ik = 4 * u * w.index_dim;
    t.a(("ik", 1), ik);
    t.a(("ik", 2), ik);
    t.f(("ik", 1));
    t.a(("ik", 3), ik);
    t.f(("ik", 2));
    t.a(("ik", 4), ik);
    t.f(("ik", 3));
    t.f(("ik", 4));
    if fin {
        t.f(("k_idxs_lid", 0));
    }
    t.a(("qr", b), 4 * u * w.q_lora);
    t.a(("q", b), 4 * u * w.heads * (w.nope + w.rope));
    t.a(("q_absorbed", b), 4 * u * w.heads * w.kv_lora);
    t.a(("q_pe", b), 4 * u * w.heads * w.rope);
    t.f(("q", b));
    t.a(("qcur", b), 4 * u * w.heads * (w.kv_lora + w.rope));
    t.f(("q_absorbed", b));
    t.f(("q_pe", b));
    t.a(("kv_pe", b), 4 * u * (w.kv_lora + w.rope));
    t.a(("kv_norm", b), 4 * u * w.kv_lora);
    t.a(("k_pe", b), 4 * u * w.rope);
    t.f(("kv_pe", b));
    t.a(("kcur", b), 4 * u * (w.kv_lora + w.rope));
    t.f(("kv_norm", b));
    t.f(("k_pe", b));
    t.f(("kcur", b));
    if fin {
        t.f(("k_idxs", 0));
    }
    let iq = 4 * u * w.index_heads * w.index_dim;
    t.a(("iq", 1), iq);
    t.f(("qr", b));
    t.a(("iq", 2), iq);
    t.f(("iq", 1));
    if fin {
        t.f(("pos", 0));
    }
    t.a(("iq", 3), iq);
    if fin {
        t.f(("k_rot", 0));
    }
    t.f(("iq", 2));
    t.a(("iw", 1), 4 * u * w.index_heads);
    t.f(norm);
    t.a(("iw", 2), 4 * u * w.index_heads);
    t.f(("iw", 1));
    t.a(("scores", b), 4 * u * ctx);
    t.f(("iq", 3));
    t.f(("iw", 2));
    if fin {
        t.f(("kq_mask_lid", 0));
    }
    let top = 4 * u * ctx.min(w.top_k);
    t.a(("top_k", 1), top);
    t.f(("scores", b));
    t.a(("top_k", 2), top);
    t.f(("top_k", 1));
    let mask = 2 * u * ctx;
    t.a(("fill", b), mask);
    t.f(("leaf", b));
    t.f(("top_k", 2));
    // The unmasked rows added to the mask: in place on the mask's copy at its last use.
    let combined = if fin {
        t.f(("fill", b));
        ("kq_mask", 0)
    } else {
        t.a(("mask_add", b), mask);
        t.f(("fill", b));
        ("mask_add", b)
    };
    t.a(("fattn", b), 4 * u * w.heads * w.kv_lora);
    t.f(("qcur", b));
    t.f(combined);
    let v = 4 * u * w.heads * w.v_head;
    t.a(("fattn_v", b), v);
    t.f(("fattn", b));
    t.a(("fattn_cont", b), v);
    t.f(("fattn_v", b));
}

/// The routed experts of block `b` after its norm: the router (with its score-correction
/// bias), then the experts on this device, or their output copied back from this PC's CPU.
fn experts(t: &mut Trace, w: &Widths, u: u64, part: DevicePart, b: u32) {
    let router = 4 * u * w.experts;
    t.a(("logits", 1), router);
    t.a(("biased", 1), router);
    t.a(("argsort", 1), router);
    t.f(("biased", 1));
    t.a(("weights", 1), 4 * u * w.used);
    t.f(("logits", 1));
    t.a(("weights_sum", 1), 4 * u);
    t.a(("weights_norm", 1), 4 * u * w.used);
    t.f(("weights", 1));
    t.f(("weights_sum", 1));
    let down = 4 * u * w.used * w.embd;
    if b < part.moe_in_ram {
        t.f(("argsort", 1));
        t.a(("down", b), down);
        if part.output && t.out_ids_after == Some(b) {
            (0..part.copies).for_each(|c| t.a(("out_ids", c), 2048));
        }
        t.f(("weights_norm", 1));
    } else {
        let ff = 4 * u * w.used * w.expert_ffn;
        t.a(("gate", b), ff);
        t.a(("up", b), ff);
        t.a(("swiglu", b), ff);
        t.f(("gate", b));
        t.f(("up", b));
        t.a(("down", b), down);
        t.f(("swiglu", b));
        t.f(("argsort", 1));
        t.f(("weights_norm", 1));
    }
    t.a(("moe_out", b), 4 * u * w.embd);
    t.f(("down", b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;

    fn part(first: u32, count: u32) -> DevicePart {
        DevicePart {
            first,
            count,
            output: first + count == 61,
            after_this_pc: false,
            copies: 1,
            moe_in_ram: 0,
            chunk: None,
        }
    }

    /// Each device's compute buffer as llama.cpp's dry runs over loopback RPC workers report it
    /// (docs/accuracy-cluster.md), to the byte.
    #[test]
    fn v3_2_devices_as_llama_cpp_sizes_them() {
        let arch = builtin_model("deepseek-v3.2").unwrap().architecture;
        let at = |ctx: u64, p: DevicePart| device_compute(&arch, ctx, 512, p).unwrap();
        let near = |got: u64, want: f64| (got as f64 / 1_048_576.0 - want).abs() < 0.01;
        for (ctx, all, half, experts) in [
            (
                8192,
                (764.30, 674.30),
                (438.07, 438.07, 430.07),
                (532.08, 562.07),
            ),
            (
                32768,
                (1038.30, 964.30),
                (598.07, 584.07, 478.07),
                (692.08, 646.07),
            ),
        ] {
            // Every block on two workers: pipelined, four copies of the inputs.
            let piped = |p: DevicePart| DevicePart { copies: 4, ..p };
            assert!(near(at(ctx, piped(part(0, 31))), all.0), "{ctx}");
            assert!(near(at(ctx, piped(part(31, 30))), all.1), "{ctx}");
            // This PC keeps blocks 0–29; three workers the rest.
            let after = DevicePart {
                after_this_pc: true,
                ..part(30, 11)
            };
            assert!(near(at(ctx, after), half.0), "{ctx}");
            assert!(near(at(ctx, part(41, 11)), half.1), "{ctx}");
            assert!(near(at(ctx, part(52, 9)), half.2), "{ctx}");
            // Every routed expert in this PC's RAM.
            let kept = |p: DevicePart| DevicePart {
                moe_in_ram: 61,
                ..p
            };
            assert!(near(at(ctx, kept(part(0, 31))), experts.0), "{ctx}");
            assert!(near(at(ctx, kept(part(31, 30))), experts.1), "{ctx}");
        }
        // This PC keeps only block 0, a dense one: its output and residual cross, no shared
        // expert's (-ngl 61, 8K: 518.07 and 510.07 MiB).
        let after_dense = DevicePart {
            after_this_pc: true,
            ..part(1, 31)
        };
        assert!(near(at(8192, after_dense), 518.07));
        assert!(near(at(8192, part(32, 29)), 510.07));
    }

    #[test]
    fn other_models_are_not_replayed() {
        let v3 = builtin_model("deepseek-v3").unwrap().architecture;
        assert_eq!(device_compute(&v3, 8192, 512, part(0, 31)), None);
    }
}
