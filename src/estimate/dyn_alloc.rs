//! ggml-alloc's dynamic allocator (`ggml_dyn_tallocr`), replayed: where a compute tensor lands
//! — in a hole, at a chunk's end, or in a new chunk — decides how large llama.cpp's compute
//! buffer grows, and some buffers can only be sized exactly by replaying their tensors in graph
//! order (`weight_copies`, `sparse_split`). Checked against ggml-alloc's own allocation log.

/// ggml-alloc's alignment of compute tensors on GPU back-ends (every size replayed here is a
/// multiple of it, so the CPU and RPC back-ends' smaller alignment gives the same offsets).
const ALIGN: u64 = 256;

/// A tensor's place: its chunk and offset.
pub(crate) type Place = (usize, u64);

/// One chunk of the dynamic allocator: its free blocks by offset (the last one is the chunk's
/// end) and the most it has used.
#[derive(Debug)]
struct Chunk {
    free: Vec<(u64, u64)>,
    max: u64,
}

/// ggml-alloc's `ggml_dyn_tallocr`: best fit among inner free blocks, else the chunk end that
/// wastes least, else a new chunk of at most `chunk_size` bytes (the back-end's buffer limit).
#[derive(Debug)]
pub(crate) struct Allocator {
    chunks: Vec<Chunk>,
    chunk_size: u64,
}

impl Allocator {
    /// An empty allocator whose chunks hold at most `chunk_size` bytes.
    pub(crate) fn new(chunk_size: u64) -> Self {
        Self::with_used(0, 0, chunk_size)
    }

    /// An allocator whose first `live` bytes are taken and whose buffer already measures `max`.
    pub(crate) fn with_used(live: u64, max: u64, chunk_size: u64) -> Self {
        Self {
            chunks: vec![Chunk {
                free: vec![(live, chunk_size.saturating_sub(live))],
                max,
            }],
            chunk_size,
        }
    }

    /// The buffer's size: every chunk's high-water mark.
    pub(crate) fn peak(&self) -> u64 {
        self.chunks.iter().map(|c| c.max).sum()
    }

    /// Places `size` bytes.
    pub(crate) fn alloc(&mut self, size: u64) -> Place {
        let size = size.div_ceil(ALIGN) * ALIGN;
        // Best fit among the free blocks before each chunk's last; a later chunk's fit wins.
        let mut pick: Option<(usize, usize)> = None;
        for (c, chunk) in self.chunks.iter().enumerate() {
            let inner = chunk.free.len().saturating_sub(1);
            let best = chunk.free[..inner]
                .iter()
                .enumerate()
                .filter(|(_, b)| b.1 >= size)
                .min_by_key(|(i, b)| (b.1, std::cmp::Reverse(*i)));
            if let Some((i, _)) = best {
                pick = Some((c, i));
            }
        }
        if pick.is_none() {
            // A chunk's end: the one that fits without growing and wastes least, else the one
            // that grows least.
            let mut best_reuse = i64::MIN;
            for (c, chunk) in self.chunks.iter().enumerate() {
                let Some(&(offset, free)) = chunk.free.last() else {
                    continue;
                };
                let reuse = chunk.max as i64 - offset as i64 - size as i64;
                let better =
                    (best_reuse < 0 && reuse > best_reuse) || (reuse >= 0 && reuse < best_reuse);
                if free >= size && better {
                    pick = Some((c, chunk.free.len() - 1));
                    best_reuse = reuse;
                }
            }
        }
        let (c, i) = pick.unwrap_or_else(|| {
            self.chunks.push(Chunk {
                free: vec![(0, size.max(self.chunk_size))],
                max: 0,
            });
            (self.chunks.len() - 1, 0)
        });
        let chunk = &mut self.chunks[c];
        let offset = chunk.free[i].0;
        chunk.free[i].0 += size;
        chunk.free[i].1 -= size;
        if chunk.free[i].1 == 0 {
            chunk.free.remove(i);
        }
        chunk.max = chunk.max.max(offset + size);
        (c, offset)
    }

    /// Gives back the `size` bytes at `place`, merged with the free blocks beside them.
    pub(crate) fn free(&mut self, (c, offset): Place, size: u64) {
        let size = size.div_ceil(ALIGN) * ALIGN;
        let free = &mut self.chunks[c].free;
        let at = free.partition_point(|b| b.0 < offset);
        free.insert(at, (offset, size));
        if at + 1 < free.len() && free[at].0 + free[at].1 == free[at + 1].0 {
            free[at].1 += free[at + 1].1;
            free.remove(at + 1);
        }
        if at > 0 && free[at - 1].0 + free[at - 1].1 == free[at].0 {
            free[at - 1].1 += free[at].1;
            free.remove(at);
        }
    }
}
