//! A response body into a part file at network speed: this thread reads the connection while a
//! second one writes and hashes (SHA-256 runs at ~1.5 GB/s, the disk at its own pace), and a
//! third asks the disk to flush every 128 MiB, so the fsync before the file is renamed into
//! place has only the tail left to write. The file only ever holds bytes that were written whole
//! and hashed: a failed write is cut back to the last good byte.

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::mpsc::{channel, sync_channel};

use sha2::{Digest, Sha256};

/// Bytes read from the network at a time.
const BUFFER_BYTES: usize = 1 << 20;
/// Buffers in flight between reader and writer.
const BUFFERS: usize = 8;
/// The disk is asked to flush after this many bytes written.
const FLUSH_EVERY: u64 = 128 << 20;

/// The part file being written and what is known of it.
pub(super) struct Partial {
    /// The `.incomplete` file.
    pub file: File,
    /// Bytes in it, all hashed.
    pub have: u64,
    /// SHA-256 of those bytes.
    pub hasher: Sha256,
}

impl Partial {
    /// Empties the file: the bytes in it are not a prefix of the part.
    pub fn restart(&mut self) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.have = 0;
        self.hasher = Sha256::new();
        Ok(())
    }
}

/// How a body ended.
pub(super) enum Pumped {
    /// The server closed the body (all of it, or early: the caller compares `have`).
    Ended,
    /// `stop` asked to stop.
    Stopped,
    /// Reading the network failed.
    ReadFailed(io::Error),
    /// The server sent more than `limit` bytes.
    TooLong,
    /// Writing failed (the file was cut back to the last good byte), or `check` refused.
    WriteFailed(WriteFailure),
}

/// Why the writer stopped.
pub(super) enum WriteFailure {
    /// The system's error.
    Io(io::Error),
    /// `check` said no (the disk is filling).
    Refused,
}

/// What the pump asks of its owner between buffers.
pub(super) struct Hooks<'a> {
    /// Whether to stop reading (pause, cancel).
    pub stop: &'a (dyn Fn() -> bool + Sync),
    /// Called with `have` after each buffer written.
    pub written: &'a (dyn Fn(u64) + Sync),
    /// Called with `have` every `check_every` bytes; false stops the writer (full disk).
    pub check: &'a (dyn Fn(u64) -> bool + Sync),
    /// Bytes between two `check`s.
    pub check_every: u64,
}

/// Copies `body` into `partial` until it ends, `limit` bytes are reached or a hook stops it.
pub(super) fn pump(
    body: &mut dyn Read,
    partial: &mut Partial,
    limit: u64,
    hooks: &Hooks<'_>,
) -> Pumped {
    let flusher_file = partial.file.try_clone().ok();
    let (full_tx, full_rx) = sync_channel::<Vec<u8>>(BUFFERS);
    let (empty_tx, empty_rx) = channel::<Vec<u8>>();
    for _ in 0..BUFFERS {
        let _ = empty_tx.send(vec![0; BUFFER_BYTES]);
    }
    let mut sent = partial.have;
    std::thread::scope(|scope| {
        let (flush_tx, flush_rx) = channel::<()>();
        if let Some(file) = flusher_file {
            let _ = std::thread::Builder::new()
                .name("hub-flush".to_owned())
                .spawn_scoped(scope, move || {
                    while flush_rx.recv().is_ok() {
                        let _ = file.sync_data();
                    }
                });
        }
        let writer = std::thread::Builder::new()
            .name("hub-write".to_owned())
            .spawn_scoped(scope, move || {
                write_all(partial, full_rx, empty_tx, flush_tx, hooks)
            });
        let Ok(writer) = writer else {
            return Pumped::WriteFailed(WriteFailure::Io(io::Error::other(
                "cannot start the writer thread",
            )));
        };
        let read = loop {
            if (hooks.stop)() {
                break Pumped::Stopped;
            }
            let Ok(mut buf) = empty_rx.recv() else {
                break Pumped::Ended; // the writer stopped: its reason wins below
            };
            buf.resize(BUFFER_BYTES, 0);
            let n = match body.read(&mut buf) {
                Ok(0) => break Pumped::Ended,
                Ok(n) => n,
                Err(e) => break Pumped::ReadFailed(e),
            };
            if sent + n as u64 > limit {
                break Pumped::TooLong;
            }
            sent += n as u64;
            buf.truncate(n);
            if full_tx.send(buf).is_err() {
                break Pumped::Ended;
            }
        };
        drop(full_tx);
        match writer.join() {
            Ok(Some(failure)) => Pumped::WriteFailed(failure),
            Ok(None) => read,
            Err(_) => Pumped::WriteFailed(WriteFailure::Io(io::Error::other("the writer failed"))),
        }
    })
}

/// The writer thread: each buffer written whole and hashed, in order; `None` when all were.
fn write_all(
    partial: &mut Partial,
    full: std::sync::mpsc::Receiver<Vec<u8>>,
    empty: std::sync::mpsc::Sender<Vec<u8>>,
    flush: std::sync::mpsc::Sender<()>,
    hooks: &Hooks<'_>,
) -> Option<WriteFailure> {
    let (mut since_flush, mut since_check) = (0u64, 0u64);
    for buf in full {
        if let Err(e) = partial.file.write_all(&buf) {
            // Keep exactly the bytes known good; a partial write is cut off.
            let _ = partial.file.set_len(partial.have);
            return Some(WriteFailure::Io(e));
        }
        partial.hasher.update(&buf);
        partial.have += buf.len() as u64;
        (hooks.written)(partial.have);
        since_flush += buf.len() as u64;
        since_check += buf.len() as u64;
        if since_flush >= FLUSH_EVERY {
            since_flush = 0;
            let _ = flush.send(());
        }
        if since_check >= hooks.check_every {
            since_check = 0;
            if !(hooks.check)(partial.have) {
                return Some(WriteFailure::Refused);
            }
        }
        let _ = empty.send(buf);
    }
    None
}
