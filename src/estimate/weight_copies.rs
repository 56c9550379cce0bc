//! What llama.cpp's GPU copies of weights kept in RAM add to the GPU compute buffer. For prompt
//! batches (32 tokens or more) its scheduler multiplies a RAM-resident weight on the GPU
//! ("op offload", `ggml_backend_sched`): each copy is the input of its own graph split, allocated
//! by ggml-alloc when the split starts and freed after its multiplication. Where a copy lands —
//! in a hole, at the end of the buffer, or in a new chunk — decides the growth, so this replays
//! ggml-alloc's dynamic allocator (`ggml_dyn_tallocr_alloc`: best fit among inner free blocks,
//! else the chunk end that wastes least, else a new chunk) over one MoE block's copies and the
//! activations around them, block after block. A back-end's buffer limit splits the buffer into
//! chunks: Vulkan's 1 GiB suballocation block (ggml-vulkan's `suballocation_block_size`); CUDA
//! and Metal have none. Measured with the Vulkan back-end (`make accuracy-gpu`, and ggml-alloc's
//! own allocation log): DeepSeek-V2 Q4_K_M +1359.4 MiB (gate/up 675 MiB in the first chunk, the
//! 984 MiB down in a second), V3 Q4_K_M +4956 (2016 and 2940, each a chunk), V2 and V3 Q8_0 one
//! copy, V2-Lite +27.5 (its 187 MiB down where the logits will be) — all exact.

use crate::catalog::Architecture;
use crate::estimate::dyn_alloc::Allocator;

/// One weight copied to the GPU: which (its place in the block's graph), and its bytes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum CopyKind {
    /// Any other kept tensor (an `-ot` pattern's attention weight, say): copied and freed
    /// before the experts, its output not counted.
    Other,
    /// The routed experts' gate (`ffn_gate_exps`, or a fused `ffn_gate_up_exps`).
    Gate,
    /// The routed experts' up projection.
    Up,
    /// The routed experts' down projection.
    Down,
}

impl CopyKind {
    /// The kind of a tensor by its GGUF name.
    pub fn of_name(name: &str) -> Self {
        if name.contains(".ffn_gate_exps") || name.contains(".ffn_gate_up_exps") {
            Self::Gate
        } else if name.contains(".ffn_up_exps") {
            Self::Up
        } else if name.contains(".ffn_down_exps") {
            Self::Down
        } else {
            Self::Other
        }
    }
}

/// The copies of one block, in graph order (kind, bytes).
pub type BlockCopies = Vec<(CopyKind, u64)>;

/// The largest buffer the GPU back-end this build uses allocates, if it has a limit.
pub const fn gpu_buffer_chunk() -> Option<u64> {
    if cfg!(feature = "vulkan") {
        Some(1 << 30)
    } else {
        None
    }
}

/// What the router's outputs leave below the free end besides the mask and the residuals
/// (10 KiB in ggml-alloc's log at every model and context measured).
const ROUTER_BYTES: u64 = 10 << 10;

/// How much the copies of `blocks` (each block's kept tensors in graph order) add to a GPU
/// compute buffer of `compute_bytes`, at micro-batch `ubatch` and `ctx` tokens, on a back-end
/// whose buffers hold at most `chunk` bytes (`None`: no limit).
///
/// When the experts run, the buffer holds the attention mask (`ctx × ubatch`, f16) and four
/// residual-sized tensors below the free end (`2·u·ctx + 16·u·n_embd` + 10 KiB, ggml-alloc's
/// log); each
/// expert multiplication writes `4·u·n_used·n_ff` (gate, up, their SwiGLU) or `4·u·n_used·n_embd`
/// (down) bytes.
pub fn copies_growth(
    arch: &Architecture,
    compute_bytes: u64,
    ubatch: u32,
    ctx: u32,
    blocks: &[BlockCopies],
    chunk: Option<u64>,
) -> u64 {
    if blocks.iter().all(Vec::is_empty) {
        return 0;
    }
    let u = u64::from(ubatch.max(1));
    let live = 2 * u * u64::from(ctx) + 16 * u * arch.hidden_size + ROUTER_BYTES;
    let (ff_out, down_out) = arch.moe.map_or((0, 0), |m| {
        let used = u64::from(m.experts_per_token);
        (
            4 * u * used * m.expert_ffn_size,
            4 * u * used * arch.hidden_size,
        )
    });
    let chunk_size = chunk.unwrap_or(u64::MAX / 4);
    let mut a = Allocator::with_used(live, compute_bytes, chunk_size);
    for block in blocks.iter().filter(|b| !b.is_empty()) {
        let size_of = |k: CopyKind| block.iter().find(|(kind, _)| *kind == k).map(|c| c.1);
        for &(_, bytes) in block.iter().filter(|(k, _)| *k == CopyKind::Other) {
            let at = a.alloc(bytes);
            a.free(at, bytes);
        }
        if arch.moe.is_none() {
            continue;
        }
        // gate and up: the copy, the product, the copy freed.
        let mut outs = Vec::new();
        for kind in [CopyKind::Gate, CopyKind::Up] {
            let copy = size_of(kind).map(|b| (a.alloc(b), b));
            outs.push(a.alloc(ff_out));
            if let Some((at, b)) = copy {
                a.free(at, b);
            }
        }
        let swiglu = a.alloc(ff_out);
        for at in outs {
            a.free(at, ff_out);
        }
        let copy = size_of(CopyKind::Down).map(|b| (a.alloc(b), b));
        let out = a.alloc(down_out);
        if let Some((at, b)) = copy {
            a.free(at, b);
        }
        a.free(swiglu, ff_out);
        a.free(out, down_out);
    }
    a.peak().saturating_sub(compute_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;

    const MIB: u64 = 1 << 20;

    fn experts(g: u64, u: u64, d: u64) -> BlockCopies {
        vec![(CopyKind::Gate, g), (CopyKind::Up, u), (CopyKind::Down, d)]
    }

    /// The Vulkan back-end's buffers as ggml-alloc's log gives them (`--cpu-moe`, micro-batch
    /// 512): each chunk's extent, from the buffer without copies.
    #[test]
    fn vulkan_chunks_as_measured() {
        let v2 = builtin_model("deepseek-v2").unwrap().architecture;
        let v3 = builtin_model("deepseek-v3").unwrap().architecture;
        let lite = builtin_model("deepseek-v2-lite").unwrap().architecture;
        let gib = Some(1 << 30);
        let b = |mib_100: u64| mib_100 * MIB / 100;
        // V2 Q4_K_M, 8192 tokens (llama.cpp 384.01 → 1743.38 MiB): gate and up (Q4_K,
        // 707788800 bytes) at 50341888 in the first chunk, their products after them (first
        // chunk 795879424 bytes), the Q6_K down (1032192000) alone in a second.
        let q4 = experts(707_788_800, 707_788_800, 1_032_192_000);
        let grown = copies_growth(&v2, b(38401), 512, 8192, std::slice::from_ref(&q4), gib);
        assert_eq!(grown, 795_879_424 + 1_032_192_000 - b(38401));
        // At 32768 tokens the mask moves them 24 MiB up (408.01 → 1767.38).
        let grown = copies_growth(&v2, b(40801), 512, 32768, &[q4], gib);
        assert_eq!(grown, 795_879_424 + (24 << 20) + 1_032_192_000 - b(40801));
        // V2 Q8_0: three 1336934400-byte copies share one new chunk (384.01 → 1659.01).
        let q8 = experts(1_336_934_400, 1_336_934_400, 1_336_934_400);
        assert_eq!(
            copies_growth(&v2, b(38401), 512, 8192, &[q8], gib),
            1_336_934_400
        );
        // V3 Q4_K_M: gate/up 2113929216 in one new chunk, down 3082813440 in another
        // (400.01 → 5356.01).
        let v3q4 = experts(2_113_929_216, 2_113_929_216, 3_082_813_440);
        assert_eq!(
            copies_growth(&v3, b(40001), 512, 8192, &[v3q4], gib),
            2_113_929_216 + 3_082_813_440
        );
        // V2-Lite Q4_K_M (224.01 → 251.51): the 196083712-byte down copy at 42477568 in the
        // first chunk, its product after it.
        let lq4 = experts(103_809_024, 103_809_024, 196_083_712);
        let grown = copies_growth(&lite, b(22401), 512, 8192, &[lq4], gib);
        assert_eq!(
            grown,
            42_477_568 + 196_083_712 + 4 * 512 * 6 * 2048 - b(22401)
        );
    }

    #[test]
    fn without_a_buffer_limit_the_copies_share_one_buffer() {
        // CUDA: no chunks, so V3's down copy starts where the gate's product ended.
        let v3 = builtin_model("deepseek-v3").unwrap().architecture;
        let v3q4 = experts(2_113_929_216, 2_113_929_216, 3_082_813_440);
        let grown = copies_growth(&v3, 400 * MIB, 512, 8192, &[v3q4], None);
        assert!(grown < 3_082_813_440, "{grown}");
        assert!(grown > 3_082_813_440 - 400 * MIB);
        // No copies, no growth.
        assert_eq!(copies_growth(&v3, 400 * MIB, 512, 8192, &[vec![]], None), 0);
    }
}
