//! `make bench-download`: downloads and remote verdicts against the loopback Hub of the tests
//! (`tests/support/hub_server.rs`).
//! - Throughput: a 1 GiB file downloaded by seekdeck (written, SHA-256 checked, flushed to disk,
//!   moved into the Hugging Face cache layout) against `curl -L -o` of the same URL, and against
//!   curl followed by `sync FILE` (the same durability), alternating, medians of 5.
//! - Listing: a repository of 30 GGUFs with the header of a real DeepSeek-R1-Distill-Qwen-7B
//!   (5.9 MB each, the vocabulary included) listed and every file given this PC's verdict — first
//!   with nothing remembered (every header read by range requests), then with the headers cached.
//!
//! The 30 header files are written once into `target/bench-download` (sparse).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/hub_server.rs"]
mod hub_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use seekdeck::catalog::builtin_model;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::tensors::MlaLayout;
use seekdeck::gguf::shape::shape_only_builder;
use seekdeck::gguf::write::MetaValue;
use seekdeck::hardware::assume::parse_assume;
use seekdeck::hub::{
    download, survey, Control, FileChoice, Http, HubConfig, Progress, RemoteHeaders, TransferEnd,
    TransferSettings,
};

const BIG_BYTES: usize = 1 << 30;
const ROUNDS: usize = 5;
const LISTED: usize = 30;
const REPO: &str = "bench/DeepSeek-R1-Distill-Qwen-7B-GGUF";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

fn header_files(dir: &Path) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = (0..LISTED)
        .map(|i| dir.join(format!("DeepSeek-R1-Distill-Qwen-7B-v{i:02}-Q4_K_M.gguf")))
        .collect();
    if paths.iter().all(|p| p.exists()) {
        return paths;
    }
    std::fs::create_dir_all(dir).unwrap();
    let model = builtin_model("deepseek-r1-distill-qwen-7b").unwrap();
    for (i, p) in paths.iter().enumerate() {
        let mut b = shape_only_builder(&model, Quant::Q4_K_M, MlaLayout::Split);
        let tokens: Vec<String> = (0..152_064).map(|t| format!("Ġtok{t}")).collect();
        let merges: Vec<String> = (0..151_387).map(|m| format!("Ġt ok{m}")).collect();
        b.kv("tokenizer.ggml.tokens", MetaValue::StrArray(tokens))
            .kv("tokenizer.ggml.merges", MetaValue::StrArray(merges))
            .kv("general.name", MetaValue::Str(format!("copy {i}")));
        b.write_shape_only(p).unwrap();
    }
    paths
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let server = hub_server::HubServer::start();
    let work = tempfile::tempdir().unwrap();
    let config = HubConfig::at(server.url.clone(), work.path().join("hub"));
    let http = Http::new(&config);
    throughput(&server, &config, &http, work.path());
    listing(&server, &http, work.path());
}

/// 1 GiB by seekdeck and by curl, alternating.
fn throughput(server: &hub_server::HubServer, config: &HubConfig, http: &Http, work: &Path) {
    server.add_file(REPO, "big.gguf", random_bytes(BIG_BYTES));
    let listing = seekdeck::hub::list_repo(http, REPO).unwrap();
    let big = listing
        .files
        .iter()
        .find(|f| f.name == "big.gguf")
        .unwrap()
        .clone();
    let url = big.url(&server.url, &big.parts[0]);
    let (mut ours, mut curl, mut curl_synced) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let run_ours = |ours: &mut Vec<Duration>| {
            let _ = std::fs::remove_dir_all(&config.cache);
            let t = Instant::now();
            let end = download(
                http,
                &config.cache,
                &big,
                &Progress::default(),
                &Control::default(),
                TransferSettings::default(),
            )
            .unwrap();
            ours.push(t.elapsed());
            assert!(matches!(end, TransferEnd::Done(_)));
        };
        let run_curl = |curl: &mut Vec<Duration>, curl_synced: &mut Vec<Duration>| {
            let out = work.join("curl.gguf");
            let t = Instant::now();
            let status = Command::new("curl")
                .args(["-sSL", "-o"])
                .arg(&out)
                .arg(&url)
                .status()
                .expect("curl on PATH");
            curl.push(t.elapsed());
            assert!(status.success());
            // The same durability as seekdeck, which flushes a verified file before it is
            // renamed into place.
            assert!(Command::new("sync").arg(&out).status().unwrap().success());
            curl_synced.push(t.elapsed());
            let _ = std::fs::remove_file(out);
        };
        if round % 2 == 0 {
            run_ours(&mut ours);
            run_curl(&mut curl, &mut curl_synced);
        } else {
            run_curl(&mut curl, &mut curl_synced);
            run_ours(&mut ours);
        }
    }
    let mb_s = |d: Duration| BIG_BYTES as f64 / d.as_secs_f64() / 1e6;
    let (o, c, cs) = (median(ours), median(curl), median(curl_synced));
    println!(
        "download 1 GiB: seekdeck {:.0} MB/s (SHA-256 checked, flushed to disk, in the cache layout); \
         curl {:.0} MB/s — ratio {:.2}; curl + fsync {:.0} MB/s — ratio {:.2}",
        mb_s(o),
        mb_s(c),
        c.as_secs_f64() / o.as_secs_f64(),
        mb_s(cs),
        cs.as_secs_f64() / o.as_secs_f64()
    );
}

/// 30 remote files listed with a verdict each: headers read, then remembered.
fn listing(server: &hub_server::HubServer, http: &Http, work: &Path) {
    let dir = PathBuf::from("target/bench-download");
    for p in header_files(&dir) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        server.add_disk_file_unhashed(REPO, &name, &p);
    }
    let hw = parse_assume("24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s").unwrap();
    let repos = vec![REPO.to_owned()];
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    let (mut requests, mut bytes) = (0, 0);
    for _ in 0..ROUNDS {
        let headers_file = work.join("hub-headers.json");
        let _ = std::fs::remove_file(&headers_file);
        for (times, fresh) in [(&mut cold, true), (&mut warm, false)] {
            let t = Instant::now();
            let mut headers = RemoteHeaders::load(Some(headers_file.clone()));
            let found = survey(http, &mut headers, &repos);
            let choices: Vec<FileChoice> = found
                .files
                .into_iter()
                .map(|(f, info)| FileChoice::new(f, info, 8192, &hw))
                .collect();
            headers.save();
            times.push(t.elapsed());
            assert_eq!(
                choices.iter().filter(|c| c.report.is_some()).count(),
                LISTED
            );
            if fresh {
                requests = headers.requests;
                bytes = headers.requested_bytes;
            }
        }
    }
    println!(
        "list + verdict {LISTED} remote files: {:.0} ms with every header read ({requests} range requests, {:.0} MB), {:.0} ms with the headers cached",
        median(cold).as_secs_f64() * 1e3,
        bytes as f64 / 1e6,
        median(warm).as_secs_f64() * 1e3
    );
}
