//! What a remote GGUF's header says, read before downloading: each part's header through HTTP
//! range requests ([`crate::gguf::source::RangeSource`]: 8 MiB for part 1, whose vocabulary makes
//! most of a header, 256 KiB for the others, doubling when more is needed) — never the weights.
//! Remembered by the parts' SHA-256s (content, not names), as JSON in the data folder, so a
//! repository listed again costs one API request.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::http::{Http, HubError};
use super::repo::RemoteGguf;
use crate::gguf::read::{GgufHeader, HeaderError};
use crate::gguf::source::RangeSource;
use crate::local::{FileProblem, GgufInfo};

/// First request for part 1: a 7B's header (its 152k-token vocabulary) is about 6 MB.
const FIRST_PART_GUESS: u64 = 8 << 20;
/// First request for the other parts of a split file (tensor names only).
const OTHER_PART_GUESS: u64 = 256 << 10;
/// Changes whenever what is cached would be read differently.
const CACHE_VERSION: &str = concat!("1/", env!("CARGO_PKG_VERSION"));
/// A cache file larger than this is not read.
const MAX_CACHE_BYTES: u64 = 64 << 20;

/// Why a remote file has no description.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemoteInfoError {
    /// The Hub could not be asked.
    #[error("{0}")]
    Hub(HubError),
    /// The header itself is unusable (not GGUF, corrupt, no architecture).
    #[error("{0}")]
    File(FileProblem),
}

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: String,
    entries: Vec<(String, Result<GgufInfo, FileProblem>)>,
}

/// Remote headers read so far, by content.
#[derive(Debug, Default)]
pub struct RemoteHeaders {
    file: Option<PathBuf>,
    entries: HashMap<String, Result<GgufInfo, FileProblem>>,
    changed: bool,
    /// Bytes asked of the servers by this value (a measure for the benchmark and the tests).
    pub requested_bytes: u64,
    /// Range requests made by this value.
    pub requests: u32,
}

impl RemoteHeaders {
    /// The cache kept in `file` (none: remember for this value's life only).
    pub fn load(file: Option<PathBuf>) -> Self {
        let entries = file
            .as_deref()
            .and_then(|f| crate::paths::read_json_file::<CacheFile>(f, MAX_CACHE_BYTES))
            .filter(|c| c.version == CACHE_VERSION)
            .map(|c| c.entries.into_iter().collect())
            .unwrap_or_default();
        Self {
            file,
            entries,
            ..Self::default()
        }
    }

    /// Where the window and the command line keep it: `hub-headers.json` in the data folder.
    pub fn user_file() -> Option<PathBuf> {
        crate::paths::data_dir().map(|d| d.join("hub-headers.json"))
    }

    /// What `gguf`'s header(s) say, remembered or read by ranges through `http`.
    pub fn info(&mut self, http: &Http, gguf: &RemoteGguf) -> Result<GgufInfo, RemoteInfoError> {
        if let Some(known) = self.cached(gguf) {
            return known;
        }
        let read = read_remote(http, gguf);
        self.add(gguf, read)
    }

    /// What is remembered of `gguf`, if anything.
    pub fn cached(&self, gguf: &RemoteGguf) -> Option<Result<GgufInfo, RemoteInfoError>> {
        self.entries
            .get(&content_key(gguf))
            .map(|known| known.clone().map_err(RemoteInfoError::File))
    }

    /// Takes in a [`read_remote`] done elsewhere (on another thread); what it found.
    pub fn add(
        &mut self,
        gguf: &RemoteGguf,
        read: RemoteRead,
    ) -> Result<GgufInfo, RemoteInfoError> {
        self.requests += read.requests;
        self.requested_bytes += read.requested_bytes;
        match &read.info {
            Ok(info) => self.remember(content_key(gguf), Ok(info.clone())),
            Err(RemoteInfoError::File(problem)) => {
                self.remember(content_key(gguf), Err(problem.clone()));
            }
            // A network failure says nothing lasting about the file.
            Err(RemoteInfoError::Hub(_)) => {}
        }
        read.info
    }

    fn remember(&mut self, key: String, info: Result<GgufInfo, FileProblem>) {
        self.entries.insert(key, info);
        self.changed = true;
    }

    /// Writes what was learned; failing to write only costs a re-read next time.
    pub fn save(&mut self) {
        let Some(file) = self.file.as_deref().filter(|_| self.changed) else {
            return;
        };
        let mut entries: Vec<_> = self
            .entries
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let contents = CacheFile {
            version: CACHE_VERSION.to_owned(),
            entries,
        };
        match crate::paths::write_json_file(file, &contents) {
            Ok(()) => self.changed = false,
            Err(e) => tracing::debug!("cannot keep remote headers in {}: {e}", file.display()),
        }
    }
}

/// One remote file's header(s) read, and what it cost.
#[derive(Debug)]
pub struct RemoteRead {
    /// The description, or why there is none.
    pub info: Result<GgufInfo, RemoteInfoError>,
    /// Range requests made.
    pub requests: u32,
    /// Bytes asked for.
    pub requested_bytes: u64,
}

/// Reads every part's header of `gguf` by ranges through `http` (no cache: see
/// [`RemoteHeaders`]).
pub fn read_remote(http: &Http, gguf: &RemoteGguf) -> RemoteRead {
    let mut read = RemoteRead {
        info: Err(RemoteInfoError::File(FileProblem::NoArchitecture)),
        requests: 0,
        requested_bytes: 0,
    };
    let mut headers = Vec::with_capacity(gguf.parts.len());
    for (i, part) in gguf.parts.iter().enumerate() {
        match read_part(http, gguf, i, &mut read) {
            Err(e) => {
                read.info = Err(RemoteInfoError::Hub(e));
                return read;
            }
            Ok(Ok(h)) => headers.push(h),
            Ok(Err(error)) => {
                read.info = Err(RemoteInfoError::File(FileProblem::Header {
                    part: (gguf.parts.len() > 1).then(|| part.path.clone()),
                    error,
                }));
                return read;
            }
        }
    }
    read.info =
        GgufInfo::from_headers(&headers).ok_or(RemoteInfoError::File(FileProblem::NoArchitecture));
    read
}

/// One part's header: a network failure is the outer error, a bad header the inner one.
fn read_part(
    http: &Http,
    gguf: &RemoteGguf,
    index: usize,
    read: &mut RemoteRead,
) -> Result<Result<GgufHeader, HeaderError>, HubError> {
    let part = &gguf.parts[index];
    let url = gguf.url(http.endpoint(), part);
    let failure: RefCell<Option<HubError>> = RefCell::new(None);
    let guess = if index == 0 {
        FIRST_PART_GUESS
    } else {
        OTHER_PART_GUESS
    };
    let mut source = RangeSource::new(part.bytes, guess, |range| {
        http.get_range(&url, range, &part.path).map_err(|e| {
            let message = e.to_string();
            *failure.borrow_mut() = Some(e);
            std::io::Error::other(message)
        })
    });
    let header = GgufHeader::read_from(&mut source);
    read.requested_bytes += source.requested_bytes;
    read.requests += source.requests;
    match failure.into_inner() {
        Some(e) => Err(e),
        None => Ok(header),
    }
}

/// The parts' hashes: the same bytes in any repository are the same header.
fn content_key(gguf: &RemoteGguf) -> String {
    gguf.parts
        .iter()
        .map(|p| p.sha256.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
