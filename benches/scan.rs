//! `make bench-scan`: how fast "On this PC" fills. Fifty GGUF files with the header of a real
//! DeepSeek-R1-Distill-Qwen-7B (its tensor list and a 152,064-token vocabulary with 151,387
//! merges: 5.9 MB of header each; the weights left sparse) are scanned three ways, each compared
//! with reading the same header bytes straight from the page cache, as `cat` would:
//! - headers read (no header cache): what a first start or a changed folder costs;
//! - a restart: the header cache loaded from disk and every file found unchanged;
//! - one file changed since: read again, the rest remembered.
//!
//! Then the same with the page cache dropped before each measurement (cold: the headers come from
//! the disk), where the machine allows it (root: `/proc/sys/vm/drop_caches`).
//!
//! The files are written once into `target/bench-scan` (sparse: a few MB on disk each).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use seekdeck::catalog::builtin_model;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::tensors::MlaLayout;
use seekdeck::gguf::read::GgufHeader;
use seekdeck::gguf::shape::shape_only_builder;
use seekdeck::gguf::write::MetaValue;
use seekdeck::local::{scan_roots, HeaderCache, Root, Source};

const FILES: usize = 50;
const ROUNDS: usize = 7;

fn write_files(dir: &Path) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = (0..FILES)
        .map(|i| {
            dir.join(format!(
                "DeepSeek-R1-Distill-Qwen-7B-copy{i:02}-Q4_K_M.gguf"
            ))
        })
        .collect();
    if paths.iter().all(|p| p.exists()) {
        return paths;
    }
    std::fs::create_dir_all(dir).unwrap();
    let model = builtin_model("deepseek-r1-distill-qwen-7b").unwrap();
    let mut b = shape_only_builder(&model, Quant::Q4_K_M, MlaLayout::Split);
    // Token strings of a byte-level BPE vocabulary's lengths (mostly 3-10 bytes).
    let tokens: Vec<String> = (0..152_064).map(|i| format!("Ġtok{i}")).collect();
    let merges: Vec<String> = (0..151_387).map(|i| format!("Ġt ok{i}")).collect();
    b.kv("tokenizer.ggml.tokens", MetaValue::StrArray(tokens))
        .kv("tokenizer.ggml.merges", MetaValue::StrArray(merges))
        .kv(
            "tokenizer.ggml.token_type",
            MetaValue::I32Array(vec![1; 152_064]),
        );
    for p in &paths {
        b.write_shape_only(p).unwrap();
    }
    paths
}

/// The header bytes of each file read into memory, as `cat` would copy them.
fn read_header_bytes(paths: &[PathBuf], header_bytes: u64) -> Duration {
    let started = Instant::now();
    let mut buf = vec![0u8; header_bytes as usize];
    for p in paths {
        std::fs::File::open(p)
            .unwrap()
            .read_exact(&mut buf)
            .unwrap();
    }
    started.elapsed()
}

/// Empties the page cache; false where that is not allowed.
fn drop_page_cache() -> bool {
    let _ = std::process::Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "1").is_ok()
}

/// Times `f` with the page cache dropped first.
fn cold(f: impl FnOnce()) -> Duration {
    drop_page_cache();
    let started = Instant::now();
    f();
    started.elapsed()
}

/// The three figures both conditions measure: the plain read, the scan reading headers, the scan
/// after a restart.
fn report(raw: Duration, uncached: Duration, restart: Duration) {
    println!("  reading the header bytes (as cat would)  {:>9}", ms(raw));
    println!(
        "  scan, headers read (no header cache)     {:>9}  ({:.0} headers/s; {:.2}x the plain read)",
        ms(uncached),
        FILES as f64 / uncached.as_secs_f64(),
        uncached.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "  scan after a restart, nothing changed    {:>9}  (header cache)",
        ms(restart)
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo test --all-targets` runs bench targets without `--bench`: only `cargo bench` measures.
    if !std::env::args().any(|a| a == "--bench") {
        println!("scan benchmark: run it with `cargo bench --bench scan` (make bench-scan)");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-scan");
    let paths = write_files(&dir.join("models"));
    let header_bytes = GgufHeader::read(&paths[0]).unwrap().data_offset;
    let roots = vec![Root {
        source: Source::UserFolder,
        path: dir.join("models"),
    }];
    let models = seekdeck::catalog::builtin_catalog_models();
    let cache_file = dir.join("header-cache.json");
    // Warm the page cache.
    read_header_bytes(&paths, header_bytes);

    let (mut raw, mut uncached, mut restart, mut one_changed) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        raw.push(read_header_bytes(&paths, header_bytes));

        let started = Instant::now();
        let found = scan_roots(&roots, &models, &mut HeaderCache::default());
        uncached.push(started.elapsed());
        assert_eq!(found.len(), FILES);
        assert!(found.iter().all(|m| m.info.is_ok()));

        let _ = std::fs::remove_file(&cache_file);
        let mut cache = HeaderCache::load(Some(cache_file.clone()));
        scan_roots(&roots, &models, &mut cache);
        cache.save();
        let started = Instant::now();
        let mut cache = HeaderCache::load(Some(cache_file.clone()));
        let again = scan_roots(&roots, &models, &mut cache);
        cache.save();
        restart.push(started.elapsed());
        assert_eq!(again.len(), FILES);

        // Touch one file: a new modification time.
        let f = std::fs::File::options()
            .write(true)
            .open(&paths[7])
            .unwrap();
        f.set_modified(std::time::SystemTime::now()).unwrap();
        let started = Instant::now();
        let mut cache = HeaderCache::load(Some(cache_file.clone()));
        scan_roots(&roots, &models, &mut cache);
        cache.save();
        one_changed.push(started.elapsed());
    }
    let (raw, uncached, restart, one_changed) = (
        median(raw),
        median(uncached),
        median(restart),
        median(one_changed),
    );
    println!(
        "{FILES} files, {:.1} MB of header each, median of {ROUNDS} rounds, page cache warm:",
        header_bytes as f64 / 1e6
    );
    report(raw, uncached, restart);
    println!(
        "  scan after a restart, one file changed   {:>9}",
        ms(one_changed)
    );

    if !drop_page_cache() {
        println!("cold: the page cache cannot be dropped here (needs root); skipped");
        return;
    }
    let (mut raw, mut uncached, mut restart) = (vec![], vec![], vec![]);
    for _ in 0..3 {
        raw.push(cold(|| {
            read_header_bytes(&paths, header_bytes);
        }));
        uncached.push(cold(|| {
            scan_roots(&roots, &models, &mut HeaderCache::default());
        }));
        restart.push(cold(|| {
            let mut cache = HeaderCache::load(Some(cache_file.clone()));
            scan_roots(&roots, &models, &mut cache);
        }));
    }
    println!("page cache dropped before each (median of 3):");
    report(median(raw), median(uncached), median(restart));
}
