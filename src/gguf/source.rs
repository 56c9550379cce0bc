//! Where a GGUF header's bytes come from: a local file, or ranges of a remote one (a download's
//! file, read before it is downloaded). The header reader ([`super::read`]) asks a source for the
//! bytes at an offset and keeps what it gets as its window; each source decides how far to read
//! ahead.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

/// Bytes read at a time from a local file: a syscall per 256 KiB of header.
const WINDOW_BYTES: usize = 1 << 18;

/// A source of header bytes.
pub trait HeaderSource {
    /// The whole file's length in bytes.
    fn file_len(&self) -> u64;
    /// Replaces `buf` with the bytes from `offset` on: at least `want` of them (fewer only at the
    /// end of the file); the source chooses how much more to read ahead.
    fn read_at(&mut self, offset: u64, want: usize, buf: &mut Vec<u8>) -> io::Result<()>;
}

/// A local file, read [`WINDOW_BYTES`] at a time.
pub struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    /// Opens `path`.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Self { file, len })
    }
}

impl HeaderSource for FileSource {
    fn file_len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, want: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        let n = want
            .max(WINDOW_BYTES)
            .min(usize::try_from(self.len.saturating_sub(offset)).unwrap_or(usize::MAX));
        buf.resize(n, 0);
        self.file.seek(SeekFrom::Start(offset))?;
        self.file.read_exact(buf)
    }
}

/// Bytes already in memory (a fuzzer's input, a test's file).
pub struct BytesSource<'a>(pub &'a [u8]);

impl HeaderSource for BytesSource<'_> {
    fn file_len(&self) -> u64 {
        self.0.len() as u64
    }

    fn read_at(&mut self, offset: u64, want: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let end = start
            .saturating_add(want.max(WINDOW_BYTES))
            .min(self.0.len());
        buf.clear();
        buf.extend_from_slice(&self.0[start..end]);
        Ok(())
    }
}

impl<S: HeaderSource + ?Sized> HeaderSource for &mut S {
    fn file_len(&self) -> u64 {
        (**self).file_len()
    }

    fn read_at(&mut self, offset: u64, want: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        (**self).read_at(offset, want, buf)
    }
}

/// Most bytes a [`RangeSource`] asks for in all: the largest real headers (a 256k-token
/// vocabulary) are about 20 MB; a remote header claiming more is refused, not fetched.
pub const MAX_REMOTE_HEADER_BYTES: u64 = 256 << 20;

/// A file read by ranges through `fetch` (an HTTP range request, for a download): the first
/// request asks for `first_guess` bytes, each later one for twice the last, so a header of any
/// size takes a few requests and at most about twice its own bytes — never the weights behind it,
/// and never more than [`MAX_REMOTE_HEADER_BYTES`] in all, whatever the header claims.
pub struct RangeSource<F> {
    len: u64,
    next_size: u64,
    fetch: F,
    limit: u64,
    /// Bytes asked for so far.
    pub requested_bytes: u64,
    /// Requests made so far.
    pub requests: u32,
}

impl<F: FnMut(Range<u64>) -> io::Result<Vec<u8>>> RangeSource<F> {
    /// A file of `len` bytes whose ranges `fetch` returns, read from `first_guess` bytes on.
    pub fn new(len: u64, first_guess: u64, fetch: F) -> Self {
        Self {
            len,
            next_size: first_guess.max(1),
            fetch,
            limit: MAX_REMOTE_HEADER_BYTES,
            requested_bytes: 0,
            requests: 0,
        }
    }

    /// The same, asking for at most `limit` bytes in all.
    pub fn with_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }
}

impl<F: FnMut(Range<u64>) -> io::Result<Vec<u8>>> HeaderSource for RangeSource<F> {
    fn file_len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, want: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        let size = self.next_size.max(want as u64);
        let end = offset.saturating_add(size).min(self.len);
        // What the header needs must fit; the read-ahead is trimmed to what is left.
        let left = self.limit.saturating_sub(self.requested_bytes);
        if want as u64 > left {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the header needs more than {} MiB: not a header seekdeck reads remotely",
                    self.limit >> 20
                ),
            ));
        }
        let end = end.min(offset.saturating_add(left.max(want as u64)));
        let bytes = (self.fetch)(offset..end)?;
        // An answer of another length than asked is a server not honouring the range.
        if bytes.len() as u64 != end - offset {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("asked for bytes {offset}..{end}, got {} bytes", bytes.len()),
            ));
        }
        self.requests += 1;
        self.requested_bytes += end - offset;
        self.next_size = size.saturating_mul(2);
        *buf = bytes;
        Ok(())
    }
}
