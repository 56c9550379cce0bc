//! Downloads against a real HTTP server on loopback (`support::hub_server`): listing, remote
//! verdicts, and every fault the Hub and the network produce, each with its outcome — resumed,
//! retried, restarted, reported, cancelled — and the verdict before a download equal to the one
//! after it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use seekdeck::catalog::Architecture;
use seekdeck::estimate::quant::GgmlType;
use seekdeck::hardware::assume::parse_assume;
use seekdeck::hub::{
    download, list_repo, recommend, Control, Downloads, FileChoice, Http, HubConfig, HubError,
    JobState, Progress, RemoteGguf, RemoteHeaders, RetryPolicy, TransferEnd, TransferError,
    TransferSettings,
};
use seekdeck::local::{scan_roots, HeaderCache, Root, Source};
use support::hub_server::{Faults, HubServer, COMMIT};
use support::tiny::{tiny_architecture, write_random_model, write_random_model_split};

const REPO: &str = "test/DeepSeek-R1-Distill-Qwen-7B-GGUF";

/// A few-MB model: the toy architecture made wider, Q8_0.
fn arch() -> Architecture {
    Architecture {
        hidden_size: 256,
        ffn_size: 512,
        layers: 4,
        ..tiny_architecture("qwen2")
    }
}

struct Setup {
    server: HubServer,
    dir: tempfile::TempDir,
}

impl Setup {
    /// A server with one single-file model (Q8_0) and one split in two parts (Q4_0).
    fn new() -> Self {
        let server = HubServer::start();
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(&src).unwrap();
        write_random_model(&src.join("m.gguf"), &arch(), "", GgmlType::Q8_0);
        server.add_local_file(REPO, "model-Q8_0.gguf", &src.join("m.gguf"));
        for (i, p) in write_random_model_split(&src, "model-Q4_0", &arch(), GgmlType::Q4_0, 2)
            .iter()
            .enumerate()
        {
            server.add_local_file(
                REPO,
                &format!("Q4_0/model-Q4_0-{:05}-of-00002.gguf", i + 1),
                p,
            );
        }
        server.add_file(REPO, "README.md", b"# a model".to_vec());
        Self { server, dir }
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("hub")
    }

    fn config(&self) -> HubConfig {
        HubConfig::at(self.server.url.clone(), self.cache())
    }

    fn http(&self) -> Http {
        Http::with_stall_timeout(&self.config(), Duration::from_secs(2))
    }

    fn file(&self, name: &str) -> RemoteGguf {
        let listing = list_repo(&self.http(), REPO).unwrap();
        listing
            .files
            .into_iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{name} listed"))
    }

    fn download(&self, file: &RemoteGguf) -> Result<TransferEnd, TransferError> {
        self.download_with(file, fast())
    }

    fn download_with(
        &self,
        file: &RemoteGguf,
        settings: TransferSettings,
    ) -> Result<TransferEnd, TransferError> {
        download(
            &self.http(),
            &self.cache(),
            file,
            &Progress::default(),
            &Control::default(),
            settings,
        )
    }

    /// The `.incomplete` file of `file`'s first part.
    fn incomplete_of(&self, file: &RemoteGguf) -> PathBuf {
        self.cache()
            .join("models--test--DeepSeek-R1-Distill-Qwen-7B-GGUF/blobs")
            .join(format!("{}.incomplete", file.parts[0].sha256))
    }

    fn incomplete_files(&self) -> Vec<PathBuf> {
        walk(&self.cache())
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "incomplete"))
            .collect()
    }
}

fn fast() -> TransferSettings {
    TransferSettings {
        retry: RetryPolicy {
            attempts: 4,
            first_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        },
        ..TransferSettings::default()
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.path().to_path_buf())
        .collect()
}

fn assert_done_and_verified(s: &Setup, file: &RemoteGguf, end: TransferEnd) {
    let TransferEnd::Done(path) = end else {
        panic!("not done: {end:?}")
    };
    assert!(path.starts_with(
        s.cache()
            .join("models--test--DeepSeek-R1-Distill-Qwen-7B-GGUF/snapshots")
            .join(COMMIT)
    ));
    for part in &file.parts {
        let at = s
            .cache()
            .join("models--test--DeepSeek-R1-Distill-Qwen-7B-GGUF/snapshots")
            .join(COMMIT)
            .join(&part.path);
        let bytes = std::fs::read(&at).unwrap();
        assert_eq!(bytes.len() as u64, part.bytes);
        assert_eq!(s.server.sha256(REPO, &part.path), part.sha256);
    }
    assert!(s.incomplete_files().is_empty());
}

#[test]
fn a_repository_lists_its_ggufs_with_split_parts_as_one() {
    let s = Setup::new();
    let listing = list_repo(&s.http(), REPO).unwrap();
    assert_eq!(listing.commit, COMMIT);
    let names: Vec<&str> = listing.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"model-Q8_0.gguf"));
    assert!(names.contains(&"model-Q4_0.gguf (2 parts)"));
}

#[test]
fn the_verdict_before_a_download_is_the_verdict_after_it() {
    let s = Setup::new();
    let http = s.http();
    let hw = parse_assume("8GiB GPU, 32GiB RAM").unwrap();
    let listing = list_repo(&http, REPO).unwrap();
    let mut headers = RemoteHeaders::load(None);
    let choices: Vec<FileChoice> = listing
        .files
        .iter()
        .map(|f| FileChoice::new(f.clone(), headers.info(&http, f), 4096, &hw))
        .collect();
    // Only headers were read: a few range requests, far fewer bytes than the files.
    let total: u64 = listing.files.iter().map(RemoteGguf::bytes).sum();
    assert!(headers.requests >= 3, "one request a part at least");
    for c in &choices {
        assert!(c.report.is_some(), "{:?}", c.problem());
    }
    let best = recommend(&choices).expect("something fits");
    assert_eq!(
        choices[best].quant_label(),
        "Q8_0",
        "the most bits per weight that fits the GPU"
    );
    for f in &listing.files {
        assert_done_and_verified(&s, f, s.download(f).unwrap());
    }
    let roots = [Root {
        source: Source::HuggingFace,
        path: s.cache(),
    }];
    let local = scan_roots(&roots, &[], &mut HeaderCache::default());
    assert_eq!(local.len(), 2, "both files appear as models on this PC");
    for c in &choices {
        let on_disk = local
            .iter()
            .find(|l| l.found.parts.len() == c.file.parts.len())
            .unwrap();
        assert_eq!(on_disk.info.as_ref().unwrap(), c.info.as_ref().unwrap());
        assert_eq!(on_disk.estimate(4096, &hw), c.report);
    }
    assert!(
        headers.requested_bytes < total,
        "{} of {total}",
        headers.requested_bytes
    );
}

#[test]
fn remote_headers_are_remembered_by_content() {
    let s = Setup::new();
    let file = s.dir.path().join("hub-headers.json");
    let f = s.file("model-Q8_0.gguf");
    let mut headers = RemoteHeaders::load(Some(file.clone()));
    let info = headers.info(&s.http(), &f).unwrap();
    headers.save();
    let mut again = RemoteHeaders::load(Some(file));
    assert_eq!(again.info(&s.http(), &f).unwrap(), info);
    assert_eq!(again.requests, 0, "read from the cache");
}

#[test]
fn a_connection_dropped_mid_file_is_resumed_with_a_range_and_the_hash_holds() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    let size = f.bytes();
    // Dropped three times, at bytes chosen over the file.
    let cuts = [size / 7, size / 3, 12_345];
    s.server.set_faults(Faults {
        drop_after: cuts.to_vec(),
        ..Faults::default()
    });
    let end = s.download(&f).unwrap();
    assert_done_and_verified(&s, &f, end);
    let ranges: Vec<Option<String>> = s
        .server
        .file_requests()
        .iter()
        .map(|r| r.range.clone())
        .collect();
    assert_eq!(ranges.len(), 4, "{ranges:?}");
    assert_eq!(ranges[0], None);
    assert_eq!(
        ranges[1].as_deref(),
        Some(format!("bytes={}-", cuts[0]).as_str())
    );
    assert_eq!(
        ranges[2].as_deref(),
        Some(format!("bytes={}-", cuts[0] + cuts[1]).as_str())
    );
}

#[test]
fn server_errors_and_rate_limits_are_retried() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    s.server.set_faults(Faults {
        server_errors: 2,
        rate_limited: 1,
        ..Faults::default()
    });
    let end = s.download(&f).unwrap();
    assert_done_and_verified(&s, &f, end);
    assert_eq!(s.server.file_requests().len(), 4);
}

#[test]
fn too_many_failures_give_up_with_the_reason_and_keep_the_bytes() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    // An earlier attempt left the first 1000 bytes; now the server only fails.
    let incomplete = s.incomplete_of(&f);
    std::fs::create_dir_all(incomplete.parent().unwrap()).unwrap();
    let source = std::fs::read(s.dir.path().join("src/m.gguf")).unwrap();
    std::fs::write(&incomplete, &source[..1000]).unwrap();
    s.server.set_faults(Faults {
        server_errors: 100,
        ..Faults::default()
    });
    let err = s.download(&f).unwrap_err();
    assert_eq!(err, TransferError::Hub(HubError::Server { status: 503 }));
    assert!(err.to_string().contains("503"));
    assert!(err.keeps_bytes());
    assert_eq!(std::fs::metadata(&incomplete).unwrap().len(), 1000);
    assert_eq!(
        s.server.file_requests().len(),
        5,
        "the first try and 4 retries"
    );
}

#[test]
fn a_stale_range_answered_416_restarts_that_file() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    // Bytes of another file left under this one's name.
    let incomplete = s.incomplete_of(&f);
    std::fs::create_dir_all(incomplete.parent().unwrap()).unwrap();
    std::fs::write(&incomplete, vec![7u8; 5000]).unwrap();
    s.server.set_faults(Faults {
        range_not_satisfiable: 1,
        ..Faults::default()
    });
    let end = s.download(&f).unwrap();
    assert_done_and_verified(&s, &f, end);
    let ranges: Vec<_> = s
        .server
        .file_requests()
        .iter()
        .map(|r| r.range.clone())
        .collect();
    assert_eq!(ranges, [Some("bytes=5000-".to_owned()), None]);
}

#[test]
fn a_server_that_ignores_the_range_is_read_from_the_start() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    s.server.set_faults(Faults {
        drop_after: vec![100_000],
        ignore_range: 1,
        ..Faults::default()
    });
    let end = s.download(&f).unwrap();
    assert_done_and_verified(&s, &f, end);
}

#[test]
fn wrong_bytes_are_reported_and_the_partial_file_removed() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    s.server.set_faults(Faults {
        wrong_bytes: true,
        ..Faults::default()
    });
    let err = s.download(&f).unwrap_err();
    assert!(
        matches!(&err, TransferError::HashMismatch { file, .. } if file == "model-Q8_0.gguf"),
        "{err:?}"
    );
    assert!(err.to_string().contains("do not match the Hub's SHA-256"));
    assert!(s.incomplete_files().is_empty());
    let ggufs: Vec<_> = walk(&s.cache())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".gguf"))
        .collect();
    assert!(ggufs.is_empty(), "nothing half-written appears: {ggufs:?}");
}

#[test]
fn a_gated_repository_says_what_to_do_and_a_token_opens_it() {
    let s = Setup::new();
    s.server.set_faults(Faults {
        token: Some("hf_good".to_owned()),
        ..Faults::default()
    });
    let err = list_repo(&s.http(), REPO).unwrap_err();
    assert!(
        matches!(err, HubError::Gated { status: 401, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("HF_TOKEN"), "{err}");
    let with = |token: &str| {
        Http::new(&HubConfig {
            token: Some(token.to_owned()),
            ..s.config()
        })
    };
    let err = list_repo(&with("hf_bad"), REPO).unwrap_err();
    assert!(
        matches!(err, HubError::Gated { status: 403, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("token given was refused"), "{err}");
    let good = with("hf_good");
    let listing = list_repo(&good, REPO).unwrap();
    let f = listing.files[0].clone();
    let end = download(
        &good,
        &s.cache(),
        &f,
        &Progress::default(),
        &Control::default(),
        fast(),
    );
    assert!(matches!(end, Ok(TransferEnd::Done(_))), "{end:?}");
    // The token went to the Hub's resolve URL, not to the file server it redirected to.
    let seen = s.server.seen();
    assert!(seen
        .iter()
        .filter(|r| r.target.contains("/resolve/"))
        .all(|r| r.authorization.is_some()));
    assert!(seen
        .iter()
        .filter(|r| r.target.starts_with("/cdn/"))
        .all(|r| r.authorization.is_none()));
}

#[test]
fn unknown_repositories_and_files_are_404_in_words() {
    let s = Setup::new();
    let err = list_repo(&s.http(), "test/no-such-repo").unwrap_err();
    assert_eq!(
        err.to_string(),
        "test/no-such-repo is not on the Hub (HTTP 404)"
    );
    let f = s.file("model-Q8_0.gguf");
    s.server.set_faults(Faults {
        resolve_status: Some(404),
        ..Faults::default()
    });
    let err = s.download(&f).unwrap_err();
    assert!(
        matches!(err, TransferError::Hub(HubError::NotFound { .. })),
        "{err:?}"
    );
    let err = list_repo(&s.http(), "../etc").unwrap_err();
    assert!(err.to_string().contains("not a repository id"));
}

#[test]
fn an_unreachable_hub_says_so() {
    let config = HubConfig::at(
        "http://127.0.0.1:9".to_owned(),
        PathBuf::from("/nonexistent"),
    );
    let err = list_repo(&Http::new(&config), REPO).unwrap_err();
    assert!(
        err.to_string().starts_with("cannot reach 127.0.0.1:9"),
        "{err}"
    );
    assert!(err.is_retryable());
}

/// A download on its own thread, with its progress and control.
fn start_download(
    s: &Setup,
    f: &RemoteGguf,
) -> (
    Arc<Progress>,
    Arc<Control>,
    std::thread::JoinHandle<Result<TransferEnd, TransferError>>,
) {
    let progress = Arc::new(Progress::default());
    let control = Arc::new(Control::default());
    let (http, cache, f, p, c) = (
        s.http(),
        s.cache(),
        f.clone(),
        progress.clone(),
        control.clone(),
    );
    let worker = std::thread::Builder::new()
        .name("test-download".to_owned())
        .spawn(move || download(&http, &cache, &f, &p, &c, fast()))
        .unwrap();
    (progress, control, worker)
}

#[test]
fn a_slow_download_shows_progress_and_cancel_deletes_its_bytes() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    s.server.set_faults(Faults {
        slow: Some(Duration::from_millis(30)),
        ..Faults::default()
    });
    let (progress, control, worker) = start_download(&s, &f);
    let start = Instant::now();
    while progress.done.load(Ordering::Relaxed) < 200_000 {
        assert!(start.elapsed() < Duration::from_secs(20), "no progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(progress.total.load(Ordering::Relaxed), f.bytes());
    control.cancel();
    assert_eq!(worker.join().unwrap(), Ok(TransferEnd::Cancelled));
    assert!(s.incomplete_files().is_empty());
}

#[test]
fn pause_keeps_the_bytes_and_the_next_start_continues_from_them() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    s.server.set_faults(Faults {
        slow: Some(Duration::from_millis(20)),
        ..Faults::default()
    });
    let (progress, control, worker) = start_download(&s, &f);
    while progress.done.load(Ordering::Relaxed) < 300_000 {
        std::thread::sleep(Duration::from_millis(10));
    }
    control.pause();
    assert_eq!(worker.join().unwrap(), Ok(TransferEnd::Paused));
    let kept = std::fs::metadata(&s.incomplete_files()[0]).unwrap().len();
    assert!(kept >= 300_000);
    s.server.set_faults(Faults::default());
    assert_done_and_verified(&s, &f, s.download(&f).unwrap());
    let last = s.server.file_requests().last().unwrap().range.clone();
    assert_eq!(last, Some(format!("bytes={kept}-")));
}

#[test]
fn a_full_disk_pauses_with_a_message_and_loses_nothing() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    let full = TransferSettings {
        free_space: |_| Ok(10 << 20),
        ..fast()
    };
    let err = s.download_with(&f, full).unwrap_err();
    assert!(matches!(err, TransferError::DiskFull { .. }), "{err:?}");
    assert!(err.to_string().starts_with("the disk is full"), "{err}");
    assert!(err.keeps_bytes());
    // In the queue: paused with the message, resumed once there is room.
    let queue_file = s.dir.path().join("downloads.json");
    let downloads = Downloads::start(s.http(), s.cache(), full, Some(queue_file.clone()), || {});
    let id = downloads.add(f.clone());
    let state = wait_for(&downloads, id, |st| matches!(st, JobState::Paused(_)));
    assert!(
        matches!(&state, JobState::Paused(Some(m)) if m.contains("disk is full")),
        "{state:?}"
    );
    drop(downloads);
    let downloads = Downloads::start(s.http(), s.cache(), fast(), Some(queue_file), || {});
    downloads.resume(id);
    let state = wait_for(&downloads, id, |st| matches!(st, JobState::Done(_)));
    assert!(matches!(state, JobState::Done(_)));
}

fn wait_for(d: &Downloads, id: u64, done: impl Fn(&JobState) -> bool) -> JobState {
    let start = Instant::now();
    loop {
        if let Some(j) = d.jobs().into_iter().find(|j| j.job.id == id) {
            if done(&j.job.state) {
                return j.job.state;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "waited too long: {:?}",
            d.jobs()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_queue_survives_a_restart_mid_file() {
    let s = Setup::new();
    let f = s.file("model-Q4_0.gguf (2 parts)");
    s.server.set_faults(Faults {
        slow: Some(Duration::from_millis(20)),
        ..Faults::default()
    });
    let queue_file = s.dir.path().join("downloads.json");
    let downloads = Downloads::start(s.http(), s.cache(), fast(), Some(queue_file.clone()), || {});
    let id = downloads.add(f.clone());
    let start = Instant::now();
    while downloads.jobs()[0].done < 200_000 {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(downloads); // the app closes mid-file
    let saved = std::fs::read_to_string(&queue_file).unwrap();
    assert!(saved.contains("Queued"), "{saved}");
    s.server.set_faults(Faults::default());
    let downloads = Downloads::start(s.http(), s.cache(), fast(), Some(queue_file), || {});
    let state = wait_for(&downloads, id, |st| matches!(st, JobState::Done(_)));
    let JobState::Done(path) = state else {
        unreachable!()
    };
    assert!(path.ends_with("Q4_0/model-Q4_0-00001-of-00002.gguf"));
    assert_done_and_verified(&s, &f, TransferEnd::Done(path));
    assert!(
        s.server
            .file_requests()
            .iter()
            .any(|r| r.range.as_deref().is_some_and(|r| r != "bytes=0-")),
        "the restart continued with a range"
    );
}

/// `seekdeck get` against the loopback Hub, in a home of its own.
fn seekdeck_get(s: &Setup, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_seekdeck"));
    cmd.arg("--assume")
        .arg("8GiB GPU, 32GiB RAM")
        .arg("get")
        .arg("any")
        .arg("--repo")
        .arg(REPO)
        .args(args)
        .env("HF_ENDPOINT", &s.server.url)
        .env("HF_HOME", s.dir.path().join("hf"))
        .env_remove("HF_HUB_CACHE")
        .env_remove("HF_TOKEN")
        .env("SEEKDECK_DATA_DIR", s.dir.path().join("data"));
    cmd
}

#[test]
fn get_lists_the_files_with_their_verdicts() {
    let s = Setup::new();
    let out = seekdeck_get(&s, &["--list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let q8 = rows.iter().find(|r| r["quantization"] == "Q8_0").unwrap();
    assert_eq!(q8["verdict"], "fits on GPU");
    assert_eq!(q8["recommended"], true);
    let split = rows.iter().find(|r| r["quantization"] == "Q4_0").unwrap();
    assert_eq!(split["paths"].as_array().unwrap().len(), 2);
    let text = seekdeck_get(&s, &["--list"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("★ model-Q8_0.gguf"), "{text}");
}

#[test]
fn get_killed_mid_file_continues_where_it_stopped() {
    let s = Setup::new();
    s.server.set_faults(Faults {
        slow: Some(Duration::from_millis(40)),
        ..Faults::default()
    });
    let mut child = seekdeck_get(&s, &["--file", "model-Q8_0.gguf"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let blobs = s
        .dir
        .path()
        .join("hf/hub/models--test--DeepSeek-R1-Distill-Qwen-7B-GGUF/blobs");
    let start = Instant::now();
    let partial = loop {
        let found = std::fs::read_dir(&blobs)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.metadata().is_ok_and(|m| m.len() >= 300_000));
        if let Some(p) = found {
            break p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no bytes written"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let kept = std::fs::metadata(&partial).unwrap().len();
    s.server.set_faults(Faults::default());
    let out = seekdeck_get(&s, &["--file", "model-Q8_0.gguf"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Verified (SHA-256)"), "{stdout}");
    let last = s
        .server
        .file_requests()
        .last()
        .unwrap()
        .range
        .clone()
        .unwrap();
    let from: u64 = last
        .trim_start_matches("bytes=")
        .trim_end_matches('-')
        .parse()
        .unwrap();
    assert!(
        from >= kept.min(300_000),
        "continued from {from}, {kept} were kept"
    );
    let path = stdout.lines().next().unwrap();
    assert_eq!(
        std::fs::read(path).unwrap(),
        std::fs::read(s.dir.path().join("src/m.gguf")).unwrap()
    );
}

static SPACE_CHECKS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

#[test]
fn a_disk_that_fills_while_writing_pauses_and_the_bytes_so_far_are_kept() {
    let s = Setup::new();
    let f = s.file("model-Q8_0.gguf");
    // Room at the start; full at the first check while writing.
    let filling = TransferSettings {
        free_space: |_| {
            if SPACE_CHECKS.fetch_add(1, Ordering::SeqCst) == 0 {
                Ok(1 << 40)
            } else {
                Ok(1 << 20)
            }
        },
        space_check_every: 200_000,
        ..fast()
    };
    let err = s.download_with(&f, filling).unwrap_err();
    assert!(matches!(err, TransferError::DiskFull { .. }), "{err:?}");
    let kept = std::fs::metadata(&s.incomplete_files()[0]).unwrap().len();
    assert!(kept >= 200_000, "{kept}");
    assert_done_and_verified(&s, &f, s.download(&f).unwrap());
    let last = s.server.file_requests().last().unwrap().range.clone();
    assert_eq!(last, Some(format!("bytes={kept}-")));
}

#[test]
fn several_files_queue_up_and_each_can_be_paused_resumed_or_cancelled() {
    let s = Setup::new();
    let single = s.file("model-Q8_0.gguf");
    let split = s.file("model-Q4_0.gguf (2 parts)");
    s.server.set_faults(Faults {
        slow: Some(Duration::from_millis(30)),
        ..Faults::default()
    });
    let downloads = Downloads::start(s.http(), s.cache(), fast(), None, || {});
    let first = downloads.add(single.clone());
    let second = downloads.add(split.clone());
    assert_eq!(
        downloads.add(single.clone()),
        first,
        "a file queued twice is one job"
    );
    wait_for(&downloads, first, |st| *st == JobState::Running);
    let state_of = |id| {
        downloads
            .jobs()
            .into_iter()
            .find(|j| j.job.id == id)
            .map(|j| j.job.state)
    };
    assert_eq!(state_of(second), Some(JobState::Queued), "one at a time");
    // Pausing the running one lets the next start.
    while downloads.jobs()[0].done < 100_000 {
        std::thread::sleep(Duration::from_millis(10));
    }
    downloads.pause(first);
    wait_for(&downloads, first, |st| *st == JobState::Paused(None));
    wait_for(&downloads, second, |st| *st == JobState::Running);
    // Cancelling the running one deletes its bytes; the paused one keeps its own.
    while downloads.jobs()[1].done == 0 {
        std::thread::sleep(Duration::from_millis(10));
    }
    downloads.cancel(second);
    let start = Instant::now();
    while state_of(second).is_some() {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!s.incomplete_of(&split).exists());
    assert!(s.incomplete_of(&single).exists());
    s.server.set_faults(Faults::default());
    downloads.resume(first);
    wait_for(&downloads, first, |st| matches!(st, JobState::Done(_)));
    assert_done_and_verified(&s, &single, s.download(&single).unwrap());
}
