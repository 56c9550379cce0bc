//! Crash safety: a child process (this test binary, re-run as `storm_child`) saves a conversation,
//! the added-folders list and the download queue in a loop, each generation one step larger, and
//! prints each generation once all three are written. The parent kills it with SIGKILL at random
//! moments, 200 times, each time continuing from what is on disk; after every kill each file must
//! parse and hold the last printed generation or the one after it — never less, never garbage.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use seekdeck::chat::store::ConversationStore;
use seekdeck::chat::{ChatMessage, Conversation};
use seekdeck::hub::{Downloads, Http, HubConfig, RemoteGguf, RemotePart, TransferSettings};
use seekdeck::local::folders::{load_folders, save_folders};

const KILLS: u32 = 200;
const ENV: &str = "SEEKDECK_STORM_DIR";

fn conversations(dir: &Path) -> ConversationStore {
    ConversationStore::new(dir.join("conversations"))
}

/// What is on disk: (messages in the conversation, folders, queued downloads).
fn state(dir: &Path) -> (usize, usize, usize) {
    let loaded = conversations(dir).load_all();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let messages = loaded.conversations.first().map_or(0, |c| c.messages.len());
    let folders = load_folders(&dir.join("folders.ron")).len();
    let queue = dir.join("downloads.json");
    let jobs = if queue.exists() {
        let text = std::fs::read_to_string(&queue).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("queue damaged ({e}): {text}"));
        v["jobs"].as_array().unwrap().len()
    } else {
        0
    };
    (messages, folders, jobs)
}

fn remote(i: usize) -> RemoteGguf {
    RemoteGguf {
        repo: "storm/repo".to_owned(),
        commit: "0".repeat(40),
        name: format!("m{i}.gguf"),
        parts: vec![RemotePart {
            path: format!("m{i}.gguf"),
            bytes: 1,
            sha256: format!("{i:064x}"),
        }],
    }
}

/// The generation a line of the child's output confirms (libtest may print its own words first
/// on the same line).
fn generation_in(line: &str) -> Option<usize> {
    line.split_whitespace().last()?.parse().ok()
}

/// The child: writes generation after generation until killed.
#[test]
fn storm_child() {
    let Some(dir) = std::env::var_os(ENV).map(PathBuf::from) else {
        return;
    };
    let (messages, folders, _) = state(&dir);
    let mut generation = messages.max(folders);
    let store = conversations(&dir);
    let mut conversation = store
        .load_all()
        .conversations
        .into_iter()
        .next()
        .unwrap_or_else(|| Conversation::new(None, Default::default(), false));
    // Nothing to download from: the queue only records (the thread is paused at once below).
    let config = HubConfig::at("http://127.0.0.1:9", dir.join("hub"));
    let downloads = Downloads::start(
        Http::new(&config),
        config.cache.clone(),
        TransferSettings::default(),
        Some(dir.join("downloads.json")),
        || {},
    );
    // A run killed between the folder list and the queue left the queue one behind: catch up.
    let queued: Vec<String> = downloads.jobs().iter().map(|j| j.job.file.key()).collect();
    for i in 1..=generation {
        if !queued.contains(&remote(i).key()) {
            let id = downloads.add(remote(i));
            downloads.pause(id);
        }
    }
    loop {
        generation += 1;
        conversation.messages.truncate(generation - 1);
        conversation.messages.push(ChatMessage::user(&format!(
            "message {generation} {}",
            "x".repeat(64)
        )));
        store.save(&conversation).unwrap();
        let list: Vec<PathBuf> = (0..generation)
            .map(|i| PathBuf::from(format!("/f/{i}")))
            .collect();
        save_folders(&dir.join("folders.ron"), &list).unwrap();
        let id = downloads.add(remote(generation));
        downloads.pause(id);
        println!("{generation}");
    }
}

#[test]
fn two_hundred_kills_lose_nothing_written() {
    if std::env::var_os(ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let started = Instant::now();
    let mut files_checked = 0;
    let mut generation = 0;
    for _ in 0..KILLS {
        // Before this run: every file holds at least `floor`; the child goes on from `start`.
        let (m, f, j) = state(dir.path());
        let (floor, start) = (m.min(f).min(j), m.max(f));
        let mut child = Command::new(&me)
            .args(["--exact", "storm_child", "--nocapture", "--test-threads=1"])
            .env(ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // A random moment: after 1-4 printed generations plus 0-15 ms.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let wanted = 1 + (rng % 4) as usize;
        let extra = Duration::from_micros(rng % 15_000);
        let mut lines = BufReader::new(stdout).lines();
        let mut printed = Vec::new();
        while printed.len() < wanted {
            match lines.next() {
                Some(Ok(l)) => printed.extend(generation_in(&l)),
                _ => break,
            }
        }
        std::thread::sleep(extra);
        child.kill().unwrap();
        child.wait().unwrap();
        printed.extend(
            lines
                .map_while(Result::ok)
                .filter_map(|l| generation_in(&l)),
        );
        // Printed means all three were written: nothing may hold less, nor more than one ahead.
        let confirmed = printed.iter().copied().max().unwrap_or(floor).max(floor);
        let attempted = printed.iter().copied().max().unwrap_or(start).max(start) + 1;
        let (messages, folders, jobs) = state(dir.path());
        files_checked += 3;
        for (what, n) in [
            ("messages", messages),
            ("folders", folders),
            ("queued downloads", jobs),
        ] {
            assert!(
                (confirmed..=attempted).contains(&n),
                "{what}: {n} on disk, generation {confirmed} was confirmed, {attempted} attempted"
            );
        }
        generation = messages.max(folders);
    }
    let confirmed = generation;
    println!(
        "{KILLS} SIGKILLs in {:.1} s, {files_checked} files checked after them, none lost or damaged; generation {confirmed} reached",
        started.elapsed().as_secs_f64()
    );
}
