//! Remembers what each GGUF file's header said, across runs: a folder of big models is read once,
//! and a restart with nothing changed reads no header at all. Keyed by each part's path, size and
//! modification time and by the reader's version, so a changed, replaced or re-downloaded file is
//! read again. Kept as JSON in the data folder, written atomically; a damaged or foreign cache
//! file is ignored and rebuilt, never trusted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::file_info::GgufInfo;
use super::problem::FileProblem;

/// Changes whenever what is cached would be read differently: the reader, [`GgufInfo`], or
/// seekdeck's version.
const CACHE_VERSION: &str = concat!("2/", env!("CARGO_PKG_VERSION"));
/// A cache file larger than this is not read (thousands of models take a few MB).
const MAX_CACHE_BYTES: u64 = 64 << 20;

/// One part of a model as it was on disk when its header was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    path: PathBuf,
    bytes: u64,
    modified_ns: u128,
}

impl Stamp {
    /// The part as it is now; none when it cannot be read.
    fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        let modified_ns = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(Self {
            path: path.to_path_buf(),
            bytes: meta.len(),
            modified_ns,
        })
    }
}

/// What one model's header(s) said.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    parts: Vec<Stamp>,
    info: Result<GgufInfo, FileProblem>,
}

/// The file's contents.
#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    version: String,
    entries: Vec<Entry>,
}

/// The remembered headers, by the model's first part.
#[derive(Debug, Default)]
pub struct HeaderCache {
    file: Option<PathBuf>,
    entries: HashMap<PathBuf, Entry>,
    changed: bool,
}

impl HeaderCache {
    /// The cache kept in `file` (none: remember nothing beyond this value's life).
    pub fn load(file: Option<PathBuf>) -> Self {
        let entries = file
            .as_deref()
            .and_then(read_cache_file)
            .map(|c| {
                c.entries
                    .into_iter()
                    .filter_map(|e| Some((e.parts.first()?.path.clone(), e)))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            file,
            entries,
            changed: false,
        }
    }

    /// Where the window and the command line keep it: `header-cache.json` in the data folder.
    pub fn user_file() -> Option<PathBuf> {
        crate::paths::data_dir().map(|d| d.join("header-cache.json"))
    }

    /// What the headers of `parts` say: remembered when every part is as it was, else `read()`
    /// and remembered.
    pub(crate) fn info(
        &mut self,
        parts: &[PathBuf],
        read: impl FnOnce() -> Result<GgufInfo, FileProblem>,
    ) -> Result<GgufInfo, FileProblem> {
        let stamps: Option<Vec<Stamp>> = parts.iter().map(|p| Stamp::of(p)).collect();
        let Some(stamps) = stamps.filter(|s| !s.is_empty()) else {
            return read();
        };
        if let Some(e) = self.entries.get(&stamps[0].path) {
            if e.parts == stamps {
                return e.info.clone();
            }
        }
        let info = read();
        // A file that could not be opened may be there in a moment (a copy in progress): only
        // what the header itself says is remembered.
        let lasting = !matches!(
            &info,
            Err(FileProblem::Header {
                error: crate::gguf::read::HeaderError::Io(_)
                    | crate::gguf::read::HeaderError::Missing,
                ..
            })
        );
        if lasting {
            self.entries.insert(
                stamps[0].path.clone(),
                Entry {
                    parts: stamps,
                    info: info.clone(),
                },
            );
            self.changed = true;
        }
        info
    }

    /// Writes the cache when something new was learned, dropping models whose first part is
    /// gone. Failing to write only costs the next start a re-read.
    pub fn save(&mut self) {
        let Some(file) = self.file.as_deref() else {
            return;
        };
        let before = self.entries.len();
        self.entries.retain(|path, _| path.exists());
        if !self.changed && self.entries.len() == before {
            return;
        }
        let mut entries: Vec<Entry> = self.entries.values().cloned().collect();
        entries.sort_by(|a, b| a.parts[0].path.cmp(&b.parts[0].path));
        let contents = CacheFile {
            version: CACHE_VERSION.to_owned(),
            entries,
        };
        match crate::paths::write_json_file(file, &contents) {
            Ok(()) => self.changed = false,
            Err(e) => tracing::debug!("cannot keep the header cache in {}: {e}", file.display()),
        }
    }
}

/// The cache file's contents, when it is one of this version and within bounds.
fn read_cache_file(file: &Path) -> Option<CacheFile> {
    crate::paths::read_json_file::<CacheFile>(file, MAX_CACHE_BYTES)
        .filter(|c| c.version == CACHE_VERSION)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::cell::Cell;

    use super::*;
    use crate::gguf::read::HeaderError;

    /// A cache over one model file in a temporary folder, and a reader that counts its reads.
    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("m.gguf");
        std::fs::write(&model, b"GGUF, as far as this test cares").unwrap();
        let cache = dir.path().join("data").join("header-cache.json");
        (dir, model, cache)
    }

    fn read_counting(
        reads: &Cell<u32>,
        answer: FileProblem,
    ) -> impl FnOnce() -> Result<GgufInfo, FileProblem> + '_ {
        move || {
            reads.set(reads.get() + 1);
            Err(answer)
        }
    }

    #[test]
    fn an_unchanged_file_is_read_once_across_runs_and_a_changed_one_again() {
        let (_dir, model, file) = setup();
        let reads = Cell::new(0);
        let parts = [model.clone()];
        let mut cache = HeaderCache::load(Some(file.clone()));
        let first = cache.info(&parts, read_counting(&reads, FileProblem::NoArchitecture));
        cache.save();
        // The next run: remembered, not read.
        let mut cache = HeaderCache::load(Some(file.clone()));
        let again = cache.info(&parts, read_counting(&reads, FileProblem::NoArchitecture));
        assert_eq!((reads.get(), &again), (1, &first));
        // Replaced by another file of another size: read again.
        std::fs::write(&model, b"GGUF, and now longer than before").unwrap();
        let mut cache = HeaderCache::load(Some(file.clone()));
        let changed = cache.info(
            &parts,
            read_counting(&reads, FileProblem::MissingParts(vec!["x".into()])),
        );
        assert_eq!(reads.get(), 2);
        assert_eq!(changed, Err(FileProblem::MissingParts(vec!["x".into()])));
        // Same size, new modification time: read again too.
        cache.save();
        let f = std::fs::File::options().write(true).open(&model).unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
            .unwrap();
        let mut cache = HeaderCache::load(Some(file));
        let _ = cache.info(&parts, read_counting(&reads, FileProblem::NoArchitecture));
        assert_eq!(reads.get(), 3);
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_ignored_and_rebuilt() {
        let (_dir, model, file) = setup();
        let parts = [model];
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        for damaged in [
            &b"{\"version\": \"1/0.1.0\", \"entries\": [{\"parts\": []"[..],
            b"\x00\xff not json",
            b"{\"version\": \"0/ancient\", \"entries\": []}",
            b"{\"version\": 7}",
        ] {
            std::fs::write(&file, damaged).unwrap();
            let reads = Cell::new(0);
            let mut cache = HeaderCache::load(Some(file.clone()));
            let _ = cache.info(&parts, read_counting(&reads, FileProblem::NoArchitecture));
            assert_eq!(
                reads.get(),
                1,
                "trusted {:?}",
                String::from_utf8_lossy(damaged)
            );
            cache.save();
            let mut rebuilt = HeaderCache::load(Some(file.clone()));
            let _ = rebuilt.info(&parts, read_counting(&reads, FileProblem::NoArchitecture));
            assert_eq!(reads.get(), 1, "not rebuilt");
        }
    }

    #[test]
    fn a_file_that_could_not_be_opened_is_not_remembered() {
        let (_dir, model, file) = setup();
        let reads = Cell::new(0);
        let parts = [model];
        let mut cache = HeaderCache::load(Some(file));
        let busy = FileProblem::Header {
            part: None,
            error: HeaderError::Io("permission denied".into()),
        };
        let _ = cache.info(&parts, read_counting(&reads, busy.clone()));
        let _ = cache.info(&parts, read_counting(&reads, busy));
        assert_eq!(reads.get(), 2);
    }

    #[test]
    fn models_whose_files_are_gone_are_forgotten() {
        let (_dir, model, file) = setup();
        let reads = Cell::new(0);
        let mut cache = HeaderCache::load(Some(file.clone()));
        let _ = cache.info(
            std::slice::from_ref(&model),
            read_counting(&reads, FileProblem::NoArchitecture),
        );
        cache.save();
        std::fs::remove_file(&model).unwrap();
        let mut cache = HeaderCache::load(Some(file.clone()));
        cache.save();
        assert!(HeaderCache::load(Some(file)).entries.is_empty());
    }
}
