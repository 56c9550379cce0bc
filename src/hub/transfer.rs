//! Downloading one remote GGUF (all its parts) into the Hugging Face cache: continued from the
//! bytes already on disk with an HTTP range (after a dropped connection, a closed app or a
//! reboot), retried with back-off, checked against the Hub's SHA-256 before it is renamed into
//! place, stopped by [`Control`] between two buffers, and paused with a message — nothing lost —
//! when the disk fills. A part being written is locked, so two seekdecks never write one file.

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use fs4::FileExt;
use sha2::{Digest, Sha256};

use super::cache_layout::RepoCache;
use super::http::{Http, HubError};
use super::pipeline::{pump, Hooks, Partial, Pumped, WriteFailure};
use super::repo::{RemoteGguf, RemotePart};

/// Bytes read and written at a time.
const BUFFER_BYTES: usize = 1 << 20;
/// Free space kept on the disk beyond the file itself.
const SPARE_BYTES: u64 = 64 << 20;

/// A download's figures, shared with whoever shows it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Bytes of the whole model on disk and verified or being written.
    pub done: AtomicU64,
    /// Bytes of the whole model.
    pub total: AtomicU64,
    /// True while the bytes of an earlier attempt are hashed before continuing.
    pub checking: AtomicBool,
    /// Attempts that failed and were retried, in this run.
    pub retries: AtomicU64,
}

/// What the owner of a download wants of it now.
#[derive(Debug, Default)]
pub struct Control(AtomicU8);

const RUN: u8 = 0;
const PAUSE: u8 = 1;
const CANCEL: u8 = 2;

impl Control {
    /// Stop soon, keep the bytes.
    pub fn pause(&self) {
        self.0.store(PAUSE, Ordering::Relaxed);
    }

    /// Stop soon, delete the bytes.
    pub fn cancel(&self) {
        self.0.store(CANCEL, Ordering::Relaxed);
    }

    /// Go on (a paused download is started again by its owner).
    pub fn run(&self) {
        self.0.store(RUN, Ordering::Relaxed);
    }

    fn stop(&self) -> Option<TransferEnd> {
        match self.0.load(Ordering::Relaxed) {
            PAUSE => Some(TransferEnd::Paused),
            CANCEL => Some(TransferEnd::Cancelled),
            _ => None,
        }
    }
}

/// How a download that did not fail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferEnd {
    /// Every part verified and in place; the path of part 1.
    Done(PathBuf),
    /// Paused; the bytes stay for the next start.
    Paused,
    /// Cancelled; the partial part was deleted.
    Cancelled,
}

/// Why a download stopped without finishing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// The Hub failed in a way retrying did not mend, or cannot mend.
    #[error("{0}")]
    Hub(#[from] HubError),
    /// The bytes are not the file the Hub describes; the partial file was deleted.
    #[error("{file}: downloaded bytes do not match the Hub's SHA-256 (expected {expected}, got {got}); the partial file was deleted")]
    HashMismatch {
        /// The part.
        file: String,
        /// The Hub's hash.
        expected: String,
        /// The bytes' hash.
        got: String,
    },
    /// Not enough room; the bytes so far are kept.
    #[error("the disk is full: {need} more needed in {folder}, {free} free — free some space and resume", need = crate::format::format_bytes(*need), free = crate::format::format_bytes(*free))]
    DiskFull {
        /// Bytes still to write, plus the spare kept.
        need: u64,
        /// Bytes free.
        free: u64,
        /// The cache folder.
        folder: String,
    },
    /// Another process is writing the same file.
    #[error("{0} is being downloaded by another seekdeck")]
    Busy(String),
    /// Writing to this PC failed.
    #[error("cannot write {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The system's message.
        message: String,
    },
}

impl TransferError {
    /// Whether the download can be resumed as it is (the bytes so far are kept).
    pub fn keeps_bytes(&self) -> bool {
        !matches!(self, Self::HashMismatch { .. })
    }
}

/// How failed requests are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Failed attempts in a row (without a byte of progress) before giving up.
    pub attempts: u32,
    /// The first wait; each later one doubles.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 8,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    fn delay(&self, failures: u32) -> Duration {
        let doubled = self
            .first_delay
            .saturating_mul(1 << failures.saturating_sub(1).min(16));
        doubled.min(self.max_delay)
    }
}

/// How downloads retry and watch the disk.
#[derive(Debug, Clone, Copy)]
pub struct TransferSettings {
    /// Retries of failed requests.
    pub retry: RetryPolicy,
    /// Free bytes on the disk holding a folder (`fs4::available_space`; tests give a fake disk).
    pub free_space: fn(&Path) -> io::Result<u64>,
    /// Free space is checked again after this many bytes written.
    pub space_check_every: u64,
}

impl Default for TransferSettings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            free_space: |dir| fs4::available_space(dir),
            space_check_every: 256 << 20,
        }
    }
}

/// Downloads every part of `gguf` not yet in the cache at `cache_root`.
pub fn download(
    http: &Http,
    cache_root: &Path,
    gguf: &RemoteGguf,
    progress: &Progress,
    control: &Control,
    settings: TransferSettings,
) -> Result<TransferEnd, TransferError> {
    let cache = RepoCache::new(cache_root, &gguf.repo);
    progress.total.store(gguf.bytes(), Ordering::Relaxed);
    let mut before = 0;
    for part in &gguf.parts {
        if !cache.has(&gguf.commit, part) {
            if !cache.has_blob(part) {
                let job = PartJob {
                    http,
                    url: gguf.url(http.endpoint(), part),
                    part,
                    incomplete: cache.incomplete(&part.sha256),
                    before,
                    progress,
                    control,
                    settings,
                };
                match job.run()? {
                    None => {}
                    Some(end) => return Ok(end),
                }
                std::fs::rename(&job.incomplete, cache.blob(&part.sha256))
                    .map_err(|e| io_error(&job.incomplete, &e))?;
            }
            cache
                .link(&gguf.commit, part)
                .map_err(|e| io_error(&cache.snapshot(&gguf.commit, &part.path), &e))?;
        }
        before += part.bytes;
        progress.done.store(before, Ordering::Relaxed);
    }
    let first = gguf.parts.first().map_or_else(
        || cache.folder().to_path_buf(),
        |p| cache.snapshot(&gguf.commit, &p.path),
    );
    Ok(TransferEnd::Done(first))
}

/// One part's bytes into its `.incomplete` file.
struct PartJob<'a> {
    http: &'a Http,
    url: String,
    part: &'a RemotePart,
    incomplete: PathBuf,
    /// Bytes of the earlier parts, for the progress figure.
    before: u64,
    progress: &'a Progress,
    control: &'a Control,
    settings: TransferSettings,
}

impl PartJob<'_> {
    /// Writes and verifies the part; `Some` when it was paused or cancelled first.
    fn run(&self) -> Result<Option<TransferEnd>, TransferError> {
        let io = |e: io::Error| io_error(&self.incomplete, &e);
        if let Some(dir) = self.incomplete.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.incomplete)
            .map_err(io)?;
        if FileExt::try_lock(&file).is_err() {
            return Err(TransferError::Busy(self.part.path.clone()));
        }
        let mut partial = Partial {
            have: file.metadata().map_err(io)?.len(),
            file,
            hasher: Sha256::new(),
        };
        if partial.have > self.part.bytes {
            partial.restart().map_err(io)?;
        }
        if let Some(end) = self.hash_existing(&mut partial).map_err(io)? {
            return self.finish_stopped(partial, end);
        }
        let mut failures = 0u32;
        while partial.have < self.part.bytes {
            if let Some(end) = self.control.stop() {
                return self.finish_stopped(partial, end);
            }
            self.check_space(partial.have)?;
            let at_start = partial.have;
            let attempt = self.fetch(&mut partial);
            let progressed = partial.have > at_start;
            match attempt {
                Ok(Some(end)) => return self.finish_stopped(partial, end),
                Ok(None) if partial.have == self.part.bytes => {}
                Ok(None) => {
                    failures = self.failed(
                        failures,
                        progressed,
                        &HubError::Broken(
                            "the server closed the connection before the end of the file"
                                .to_owned(),
                        ),
                    )?
                }
                Err(Failure::Hub(HubError::RangeNotSatisfiable { .. })) => {
                    // The bytes on disk are not a prefix the server knows: start this part over.
                    partial.restart().map_err(io)?;
                    failures = self.failed(
                        failures,
                        false,
                        &HubError::RangeNotSatisfiable { from: at_start },
                    )?;
                }
                Err(Failure::Hub(e)) if e.is_retryable() => {
                    failures = self.failed(failures, progressed, &e)?;
                }
                Err(Failure::Hub(e)) => return Err(TransferError::Hub(e)),
                Err(Failure::Local(e)) => return Err(e),
            }
            if failures > 0 && partial.have < self.part.bytes {
                if let Some(end) = self.wait(failures) {
                    return self.finish_stopped(partial, end);
                }
            }
        }
        partial.file.sync_all().map_err(io)?;
        let Partial { file, hasher, .. } = partial;
        drop(file);
        let got = hex(&hasher.finalize());
        if got != self.part.sha256 {
            let _ = std::fs::remove_file(&self.incomplete);
            return Err(TransferError::HashMismatch {
                file: self.part.path.clone(),
                expected: self.part.sha256.clone(),
                got,
            });
        }
        Ok(None)
    }

    /// Counts a failed attempt (a fresh count when bytes came in); gives up past the policy.
    fn failed(&self, failures: u32, progressed: bool, e: &HubError) -> Result<u32, TransferError> {
        let failures = if progressed { 1 } else { failures + 1 };
        self.progress.retries.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            "download of {} interrupted ({e}); attempt {failures}",
            self.part.path
        );
        if failures > self.settings.retry.attempts {
            return Err(TransferError::Hub(e.clone()));
        }
        Ok(failures)
    }

    /// Waits before the next attempt, watching for pause and cancel.
    fn wait(&self, failures: u32) -> Option<TransferEnd> {
        let until = Instant::now() + self.settings.retry.delay(failures);
        while Instant::now() < until {
            if let Some(end) = self.control.stop() {
                return Some(end);
            }
            std::thread::sleep(
                Duration::from_millis(20).min(
                    self.settings
                        .retry
                        .first_delay
                        .max(Duration::from_millis(1)),
                ),
            );
        }
        None
    }

    /// Hashes the bytes an earlier attempt left, so the final hash covers the whole file.
    fn hash_existing(&self, partial: &mut Partial) -> io::Result<Option<TransferEnd>> {
        if partial.have == 0 {
            return Ok(None);
        }
        self.progress.checking.store(true, Ordering::Relaxed);
        partial.file.seek(SeekFrom::Start(0))?;
        let mut buf = vec![0; BUFFER_BYTES];
        let mut left = partial.have;
        while left > 0 {
            if let Some(end) = self.control.stop() {
                self.progress.checking.store(false, Ordering::Relaxed);
                return Ok(Some(end));
            }
            let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            partial.file.read_exact(&mut buf[..n])?;
            partial.hasher.update(&buf[..n]);
            left -= n as u64;
        }
        self.progress.checking.store(false, Ordering::Relaxed);
        self.progress
            .done
            .store(self.before + partial.have, Ordering::Relaxed);
        Ok(None)
    }

    /// One request from `partial.have` on, its bytes written as they come.
    fn fetch(&self, partial: &mut Partial) -> Result<Option<TransferEnd>, Failure> {
        let response = self.http.get(&self.url, partial.have, &self.part.path)?;
        let io = |e: io::Error| Failure::Local(io_error(&self.incomplete, &e));
        if partial.have > 0 {
            match response.status().as_u16() {
                206 if content_range_start(&response) == Some(partial.have) => {}
                // The whole file (the range ignored) or another range: take it from the start.
                200 => partial.restart().map_err(io)?,
                _ => {
                    return Err(Failure::Hub(HubError::RangeNotSatisfiable {
                        from: partial.have,
                    }))
                }
            }
        }
        partial
            .file
            .seek(SeekFrom::Start(partial.have))
            .map_err(io)?;
        let mut body = response.into_body().into_reader();
        let refused = std::sync::Mutex::new(None);
        let hooks = Hooks {
            stop: &|| self.control.stop().is_some(),
            written: &|have| {
                self.progress
                    .done
                    .store(self.before + have, Ordering::Relaxed);
            },
            check: &|have| match self.check_space(have) {
                Ok(()) => true,
                Err(e) => {
                    *refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    false
                }
            },
            check_every: self.settings.space_check_every,
        };
        match pump(&mut body, partial, self.part.bytes, &hooks) {
            Pumped::Ended => Ok(None),
            Pumped::Stopped => Ok(self.control.stop()),
            Pumped::ReadFailed(e) => Err(Failure::Hub(HubError::Broken(e.to_string()))),
            Pumped::TooLong => Err(Failure::Hub(HubError::Malformed(format!(
                "the server sent more than the {} bytes of {}",
                self.part.bytes, self.part.path
            )))),
            Pumped::WriteFailed(WriteFailure::Refused) => Err(Failure::Local(
                refused
                    .into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .unwrap_or_else(|| self.disk_full(partial.have)),
            )),
            Pumped::WriteFailed(WriteFailure::Io(e)) => Err(Failure::Local(match e.kind() {
                io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                    self.disk_full(partial.have)
                }
                _ => io_error(&self.incomplete, &e),
            })),
        }
    }

    fn check_space(&self, have: u64) -> Result<(), TransferError> {
        let dir = self.incomplete.parent().unwrap_or(Path::new("."));
        match (self.settings.free_space)(dir) {
            Ok(free) if free < self.part.bytes - have + SPARE_BYTES => {
                Err(TransferError::DiskFull {
                    need: self.part.bytes - have + SPARE_BYTES,
                    free,
                    folder: dir.display().to_string(),
                })
            }
            _ => Ok(()),
        }
    }

    fn disk_full(&self, have: u64) -> TransferError {
        let dir = self.incomplete.parent().unwrap_or(Path::new("."));
        TransferError::DiskFull {
            need: self.part.bytes - have,
            free: (self.settings.free_space)(dir).unwrap_or(0),
            folder: dir.display().to_string(),
        }
    }

    /// A paused part keeps its bytes; a cancelled one is deleted.
    fn finish_stopped(
        &self,
        partial: Partial,
        end: TransferEnd,
    ) -> Result<Option<TransferEnd>, TransferError> {
        let _ = partial.file.sync_all();
        drop(partial);
        if end == TransferEnd::Cancelled {
            let _ = std::fs::remove_file(&self.incomplete);
        }
        Ok(Some(end))
    }
}

/// A failed attempt: the Hub's side (maybe retried) or this PC's (not).
enum Failure {
    Hub(HubError),
    Local(TransferError),
}

impl From<HubError> for Failure {
    fn from(e: HubError) -> Self {
        Self::Hub(e)
    }
}

/// The first byte of a 206's `Content-Range: bytes a-b/c`.
fn content_range_start(response: &ureq::http::Response<ureq::Body>) -> Option<u64> {
    let v = response.headers().get("content-range")?.to_str().ok()?;
    v.strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

fn io_error(path: &Path, e: &io::Error) -> TransferError {
    TransferError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_its_cap() {
        let r = RetryPolicy::default();
        let secs: Vec<u64> = (1..=7).map(|f| r.delay(f).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30]);
    }
}
