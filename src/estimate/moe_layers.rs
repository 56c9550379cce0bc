//! `--n-cpu-moe N` for every N: the routed experts of the first N blocks in RAM, everything else
//! on the GPU. Each N moves one block's experts (gigabytes for V3) from VRAM to RAM, so the N
//! that fits best — the smallest whose VRAM fits, the most experts on the GPU — is usually far
//! faster than `--cpu-moe`'s all-or-none. The rows the card and `seekdeck fit` show.

use serde::Serialize;

use super::memory::{in_ram_figures, MemoryBreakdown, WeightSplit};
use super::weight_copies::{copies_growth, gpu_buffer_chunk};
use crate::catalog::Architecture;
use crate::hardware::HardwareSnapshot;

/// VRAM and RAM with the experts of the first `n` blocks in RAM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MoeRow {
    /// `--n-cpu-moe n`.
    pub n: u32,
    /// VRAM needed (with the GPU copies of the kept experts for prompt batches).
    pub vram_bytes: u64,
    /// RAM needed (the kept experts and the token embeddings).
    pub ram_bytes: u64,
    /// Whether the machine holds it.
    pub fits: bool,
}

/// One row per `n` from 0 (every expert on the GPU) to the block count (every expert in RAM),
/// at `ctx` tokens and micro-batch `ubatch`.
pub fn n_cpu_moe_rows(
    arch: &Architecture,
    b: &MemoryBreakdown,
    split: &WeightSplit,
    hw: &HardwareSnapshot,
    ctx: u32,
    ubatch: u32,
) -> Vec<MoeRow> {
    let blocks = split.layer_bytes.len();
    let mut kept = 0;
    (0..=blocks)
        .map(|n| {
            if n > 0 {
                kept += split.expert_bytes[n - 1];
            }
            let staging = copies_growth(
                arch,
                b.compute_bytes,
                ubatch,
                ctx,
                split.expert_copies_of_first(n),
                gpu_buffer_chunk(),
            );
            let f = in_ram_figures(b, split, kept, staging, hw);
            MoeRow {
                n: n as u32,
                vram_bytes: f.vram_bytes,
                ram_bytes: f.ram_bytes,
                fits: f.fits,
            }
        })
        .collect()
}

/// The N that fits best: the smallest that fits (the most experts on the GPU).
pub fn best_n(rows: &[MoeRow]) -> Option<u32> {
    rows.iter().find(|r| r.fits).map(|r| r.n)
}

/// The rows around `n`: `radius` on each side, within the table.
pub fn rows_around(rows: &[MoeRow], n: u32, radius: u32) -> &[MoeRow] {
    let lo = n.saturating_sub(radius) as usize;
    let hi = ((n + radius) as usize + 1).min(rows.len());
    &rows[lo.min(hi)..hi]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;
    use crate::estimate::fit::{breakdown, estimate};
    use crate::estimate::quant::Quant;
    use crate::hardware::assume::parse_assume;

    #[test]
    fn each_block_moves_its_experts_to_ram() {
        let m = builtin_model("deepseek-v2-lite").unwrap();
        let (b, split) = breakdown(&m, Quant::Q8_0, 8192);
        let hw = parse_assume("8GiB GPU, 64GiB RAM").unwrap();
        let rows = n_cpu_moe_rows(&m.architecture, &b, &split, &hw, 8192, 512);
        assert_eq!(rows.len(), 28);
        // Block 0 is dense: N = 1 keeps nothing more than N = 0.
        assert_eq!(rows[0].vram_bytes, rows[1].vram_bytes);
        // Keeping block 1's experts moves their bytes to RAM and adds their GPU copies.
        let copies = crate::estimate::weight_copies::copies_growth(
            &m.architecture,
            b.compute_bytes,
            512,
            8192,
            split.expert_copies_of_first(2),
            crate::estimate::weight_copies::gpu_buffer_chunk(),
        );
        assert_eq!(
            rows[1].vram_bytes - rows[2].vram_bytes + copies,
            split.expert_bytes[1]
        );
        // N = all equals --cpu-moe's figures.
        let all = estimate(&m, Quant::Q8_0, 8192, &hw).experts_in_ram.unwrap();
        assert_eq!(rows[27].vram_bytes, all.vram_bytes);
        assert_eq!(rows[27].ram_bytes, all.ram_bytes);
        // 16.7 GiB of weights on an 8 GiB card: the best N keeps about half the experts here.
        let n = best_n(&rows).unwrap();
        assert!((10..20).contains(&n), "{n}");
        assert!(!rows[n as usize - 1].fits);
        assert_eq!(rows_around(&rows, n, 2).len(), 5);
        assert_eq!(rows_around(&rows, 0, 2).len(), 3);
        assert_eq!(rows_around(&rows, 27, 2).len(), 3);
    }
}
