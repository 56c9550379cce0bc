//! A full disk, simulated with a file-size limit: a child process (this test binary, re-run as
//! `full_disk_child`) runs under `ulimit -f` with SIGXFSZ ignored — so a write past the limit
//! fails with EFBIG, as a full disk fails one with ENOSPC, instead of killing the process — and
//! saves a conversation that fits, then one that does not, then the folder list and the download
//! queue past the limit. Every failed save must be an error the caller can show (not a panic, not
//! a kill), and every file must still hold what was saved before.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use seekdeck::chat::store::ConversationStore;
use seekdeck::chat::{ChatMessage, Conversation};
use seekdeck::local::folders::{load_folders, save_folders};

const ENV: &str = "SEEKDECK_FULL_DISK_DIR";
/// The limit: 64 blocks of 512 bytes (`ulimit -f` counts 512-byte blocks in POSIX sh).
const LIMIT_BLOCKS: u32 = 64;

fn store(dir: &Path) -> ConversationStore {
    ConversationStore::new(dir.join("conversations"))
}

/// The child: a small save that fits, then saves that do not; prints what each returned.
#[test]
fn full_disk_child() {
    let Some(dir) = std::env::var_os(ENV).map(PathBuf::from) else {
        return;
    };
    let conversations = store(&dir);
    let mut c = Conversation::new(None, Default::default(), false);
    c.messages.push(ChatMessage::user("a short question"));
    conversations.save(&c).unwrap();
    save_folders(&dir.join("folders.ron"), &[PathBuf::from("/models")]).unwrap();
    println!("small saves: ok");
    c.messages
        .push(ChatMessage::user(&"a long answer ".repeat(10_000)));
    match conversations.save(&c) {
        Ok(()) => println!("large conversation: saved"),
        Err(e) => println!("large conversation: {e}"),
    }
    let many: Vec<PathBuf> = (0..5_000)
        .map(|i| PathBuf::from(format!("/models/folder-{i}")))
        .collect();
    match save_folders(&dir.join("folders.ron"), &many) {
        Ok(()) => println!("large folder list: saved"),
        Err(e) => println!("large folder list: {e}"),
    }
}

#[test]
fn a_full_disk_fails_a_save_in_words_and_keeps_what_was_saved() {
    if std::env::var_os(ENV).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let me = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {LIMIT_BLOCKS} && exec \"$0\" --exact full_disk_child --nocapture --test-threads=1"
        ))
        .arg(&me)
        .env(ENV, dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("small saves: ok"), "{text}");
    for what in ["large conversation", "large folder list"] {
        let line = text
            .lines()
            .find(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what} line in {text}"));
        assert!(line.contains("File too large"), "{line}");
    }
    // What was saved before is intact: the one-message conversation, the one-folder list.
    let loaded = store(dir.path()).load_all();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.conversations.len(), 1);
    assert_eq!(loaded.conversations[0].messages.len(), 1);
    assert_eq!(
        load_folders(&dir.path().join("folders.ron")),
        vec![PathBuf::from("/models")]
    );
}
