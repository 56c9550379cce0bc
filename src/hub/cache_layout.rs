//! The Hugging Face cache layout downloads are written in, as huggingface_hub writes it:
//! `models--owner--name/blobs/<sha256>` holds each file once, `snapshots/<commit>/<path>` links
//! to it (relative symlinks), `refs/main` names the commit. A download grows as
//! `blobs/<sha256>.incomplete` and is renamed only once verified, so no tool — nor seekdeck's
//! own scanner, which looks for `*.gguf` — ever sees half a file.

use std::io;
use std::path::{Path, PathBuf};

use super::repo::RemotePart;

/// One repository's folder in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoCache {
    folder: PathBuf,
}

impl RepoCache {
    /// `repo`'s folder under the cache `root`.
    pub fn new(root: &Path, repo: &str) -> Self {
        Self {
            folder: root.join(format!("models--{}", repo.replace('/', "--"))),
        }
    }

    /// The repository's folder.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// A verified file's contents.
    pub fn blob(&self, sha256: &str) -> PathBuf {
        self.folder.join("blobs").join(sha256)
    }

    /// A download in progress.
    pub fn incomplete(&self, sha256: &str) -> PathBuf {
        self.folder
            .join("blobs")
            .join(format!("{sha256}.incomplete"))
    }

    /// Where `path` of `commit` appears.
    pub fn snapshot(&self, commit: &str, path: &str) -> PathBuf {
        let mut p = self.folder.join("snapshots").join(commit);
        p.extend(path.split('/'));
        p
    }

    /// Whether `part` is in place: its snapshot entry leads to a file of its size.
    pub fn has(&self, commit: &str, part: &RemotePart) -> bool {
        std::fs::metadata(self.snapshot(commit, &part.path))
            .is_ok_and(|m| m.is_file() && m.len() == part.bytes)
    }

    /// Whether the blob of `part` is already here (downloaded under another commit or path).
    pub fn has_blob(&self, part: &RemotePart) -> bool {
        std::fs::metadata(self.blob(&part.sha256)).is_ok_and(|m| m.len() == part.bytes)
    }

    /// Makes `path` of `commit` lead to the blob of `part` and records `commit` as `refs/main`;
    /// returns the snapshot path.
    pub fn link(&self, commit: &str, part: &RemotePart) -> io::Result<PathBuf> {
        let at = self.snapshot(commit, &part.path);
        if let Some(dir) = at.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match std::fs::remove_file(&at) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        place(
            &self.blob(&part.sha256),
            &at,
            part.path.matches('/').count(),
        )?;
        crate::paths::write_readable_atomically(
            &self.folder.join("refs").join("main"),
            commit.as_bytes(),
        )?;
        Ok(at)
    }
}

/// A relative symlink from `at` (`snapshots/<commit>/` plus `depth` folders) to `blob`.
#[cfg(unix)]
fn place(blob: &Path, at: &Path, depth: usize) -> io::Result<()> {
    let mut target = PathBuf::from("../".repeat(depth + 2));
    target.push("blobs");
    target.push(blob.file_name().unwrap_or_default());
    std::os::unix::fs::symlink(target, at)
}

/// Where symlinks need privileges, a hard link, else a copy (as huggingface_hub falls back).
#[cfg(not(unix))]
fn place(blob: &Path, at: &Path, _depth: usize) -> io::Result<()> {
    std::fs::hard_link(blob, at).or_else(|_| std::fs::copy(blob, at).map(|_| ()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_verified_blob_appears_under_its_snapshot_path() {
        let dir = tempfile::tempdir().unwrap();
        let cache = RepoCache::new(dir.path(), "o/r");
        let part = RemotePart {
            path: "Q4/m.gguf".to_owned(),
            bytes: 3,
            sha256: "ab".repeat(32),
        };
        std::fs::create_dir_all(cache.blob(&part.sha256).parent().unwrap()).unwrap();
        std::fs::write(cache.blob(&part.sha256), b"abc").unwrap();
        let commit = "c".repeat(40);
        assert!(!cache.has(&commit, &part));
        let at = cache.link(&commit, &part).unwrap();
        assert_eq!(
            at,
            dir.path()
                .join(format!("models--o--r/snapshots/{commit}/Q4/m.gguf"))
        );
        assert_eq!(std::fs::read(&at).unwrap(), b"abc");
        assert!(cache.has(&commit, &part));
        assert_eq!(
            std::fs::read_to_string(cache.folder().join("refs/main")).unwrap(),
            commit
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(cache.folder().join("refs/main"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o777,
                0o644,
                "others read a shared cache, as huggingface_hub writes it"
            );
        }
        // Linking again replaces the entry.
        cache.link(&commit, &part).unwrap();
        assert!(cache.has(&commit, &part));
    }
}
