//! How fast this PC reads its RAM: a model writing an answer reads every active weight once per
//! token, so this bandwidth, not the core count, bounds its speed on the CPU. No operating system
//! reports it; a short read of a buffer far larger than any cache, with every core, does. It takes
//! about half a second of all cores, so it is measured once per machine and remembered in the data
//! folder (`ram-bandwidth.ron`, keyed by core count and RAM size; delete it to measure again).

use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The buffer read: larger than the last-level cache of any desktop or server CPU.
const BUFFER_BYTES: usize = 256 << 20;
/// Passes over the buffer at least; the fastest counts.
const PASSES: usize = 5;
/// Passes at most: more are made while the best keeps improving (a start-up that shares the cores
/// with a scan or a first frame measured 11 GB/s one time and 17 the next).
const MAX_PASSES: usize = 25;
/// "Still improving": a pass more than this much faster than the best before it.
const IMPROVING: f64 = 0.02;

/// What the remembered figure was measured on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Remembered {
    /// Logical cores.
    cores: usize,
    /// Total RAM in bytes.
    ram_bytes: u64,
    /// The measured bandwidth, bytes per second.
    bytes_per_sec: u64,
}

/// This PC's RAM read bandwidth in bytes per second (`ram_bytes` is its total RAM): remembered,
/// or measured at the first call of the process and remembered; none when the buffer cannot be
/// allocated.
pub(crate) fn ram_bandwidth(ram_bytes: u64) -> Option<u64> {
    static MEASURED: OnceLock<Option<u64>> = OnceLock::new();
    *MEASURED.get_or_init(|| {
        let file = crate::paths::data_dir().map(|d| d.join("ram-bandwidth.ron"));
        remembered_or_measured(file.as_deref(), ram_bytes, measure)
    })
}

/// The figure in `file` when it was measured on this machine, else `measure()`'s, written there.
fn remembered_or_measured(
    file: Option<&Path>,
    ram_bytes: u64,
    measure: impl FnOnce() -> Option<u64>,
) -> Option<u64> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A damaged or foreign file is measured over; it is a few dozen bytes.
    let remembered = file
        .and_then(|f| std::fs::read_to_string(f).ok())
        .filter(|text| text.len() < 4096)
        .and_then(|text| ron::from_str::<Remembered>(&text).ok())
        .filter(|r| r.cores == cores && r.ram_bytes == ram_bytes && r.bytes_per_sec > 0);
    if let Some(r) = remembered {
        return Some(r.bytes_per_sec);
    }
    let bytes_per_sec = measure()?;
    if let Some(f) = file {
        let record = Remembered {
            cores,
            ram_bytes,
            bytes_per_sec,
        };
        if let Ok(text) = ron::to_string(&record) {
            if let Err(e) = crate::paths::write_atomically(f, text.as_bytes()) {
                tracing::debug!("cannot remember the RAM bandwidth in {}: {e}", f.display());
            }
        }
    }
    Some(bytes_per_sec)
}

fn measure() -> Option<u64> {
    let words = BUFFER_BYTES / std::mem::size_of::<u64>();
    let mut buffer: Vec<u64> = Vec::new();
    buffer.try_reserve_exact(words).ok()?;
    buffer.extend((0..words as u64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = words.div_ceil(threads);
    let mut best = f64::MAX;
    let mut checksum = 0u64;
    let mut since_improved = 0;
    for pass in 0..MAX_PASSES {
        if pass >= PASSES && since_improved >= PASSES {
            break;
        }
        let started = Instant::now();
        checksum ^= std::thread::scope(|s| {
            let handles: Vec<_> = buffer
                .chunks(chunk)
                .map(|part| s.spawn(move || sum(part)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(0))
                .fold(0, u64::wrapping_add)
        });
        let secs = started.elapsed().as_secs_f64();
        if secs < best * (1.0 - IMPROVING) {
            since_improved = 0;
        } else {
            since_improved += 1;
        }
        best = best.min(secs);
    }
    // The checksum keeps the reads from being optimised away.
    std::hint::black_box(checksum);
    (best > 0.0).then(|| (BUFFER_BYTES as f64 / best) as u64)
}

/// Sums in sixteen independent lanes, so the loop is bound by memory, not by addition chains
/// (vectorised by the compiler; measured 12.6-16.8 GB/s on 2 EPYC cores, as llama.cpp reads).
fn sum(words: &[u64]) -> u64 {
    let mut lanes = [0u64; 16];
    let mut blocks = words.chunks_exact(16);
    for block in &mut blocks {
        for (lane, w) in lanes.iter_mut().zip(block) {
            *lane = lane.wrapping_add(*w);
        }
    }
    let rest: u64 = blocks.remainder().iter().fold(0, |a, w| a.wrapping_add(*w));
    lanes.iter().fold(rest, |a, l| a.wrapping_add(*l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_every_word() {
        let words: Vec<u64> = (1..=40).collect();
        assert_eq!(sum(&words), 820);
    }

    #[test]
    fn a_measurement_is_plausible() {
        // Any machine reads RAM at less than 10 TB/s, and even an unoptimised test build of this
        // loop beside other tests at more than 100 MB/s (release builds: 12-17 GB/s on 2 cores).
        let bw = measure().expect("measured");
        assert!((100_000_000..10_000_000_000_000).contains(&bw), "{bw}");
    }

    #[test]
    fn a_figure_is_measured_once_per_machine_and_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ram-bandwidth.ron");
        let first = remembered_or_measured(Some(&file), 64 << 30, || Some(42));
        assert_eq!(first, Some(42));
        let again = remembered_or_measured(Some(&file), 64 << 30, || panic!("measured twice"));
        assert_eq!(again, Some(42));
        // Other RAM: another machine, measured again.
        assert_eq!(
            remembered_or_measured(Some(&file), 32 << 30, || Some(7)),
            Some(7)
        );
        std::fs::write(&file, "not ron at all").unwrap();
        assert_eq!(
            remembered_or_measured(Some(&file), 32 << 30, || Some(9)),
            Some(9)
        );
    }
}
