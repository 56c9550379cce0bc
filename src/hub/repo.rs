//! A repository's GGUF files, as the Hub lists them (`/api/models/<repo>/revision/main?blobs=true`:
//! the commit, and each file's size and LFS SHA-256). Everything in the answer is checked before it
//! becomes a path or a URL: repository ids, file paths (no `..`, no absolute paths), hashes and
//! commits of the right form; split files (`-00001-of-00003`) become one entry when every part is
//! there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::http::{Http, HubError};
use crate::gguf::names::split_part;

/// Longest file path accepted from the Hub.
const MAX_PATH_CHARS: usize = 1024;
/// Most files of a repository looked at.
const MAX_FILES: usize = 20_000;

/// One part of a remote GGUF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePart {
    /// Path inside the repository (`Q4_K_M/m-00001-of-00002.gguf`).
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The Hub's LFS SHA-256 of its contents (64 lowercase hex digits).
    pub sha256: String,
}

/// A GGUF model on the Hub: one file, or every part of a split one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteGguf {
    /// `owner/name`.
    pub repo: String,
    /// The commit the listing saw (40 hex digits); downloads take the files of this commit.
    pub commit: String,
    /// Name shown: the file name, or a split model's `stem.gguf (N parts)`.
    pub name: String,
    /// Its parts, part 1 first.
    pub parts: Vec<RemotePart>,
}

impl RemoteGguf {
    /// Bytes of all parts.
    pub fn bytes(&self) -> u64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// The URL of `part` at the listed commit.
    pub fn url(&self, endpoint: &str, part: &RemotePart) -> String {
        format!(
            "{endpoint}/{}/resolve/{}/{}",
            self.repo,
            self.commit,
            encode_path(&part.path)
        )
    }

    /// A stable key: repository and first part's path.
    pub fn key(&self) -> String {
        format!(
            "{}/{}",
            self.repo,
            self.parts.first().map_or("", |p| p.path.as_str())
        )
    }
}

/// What a repository offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoListing {
    /// `owner/name`.
    pub repo: String,
    /// The commit listed.
    pub commit: String,
    /// Its GGUF models.
    pub files: Vec<RemoteGguf>,
    /// Files left out and why (a split model with parts missing, a file without a hash, a path
    /// that cannot be a file name here).
    pub skipped: Vec<String>,
}

#[derive(Deserialize)]
struct ModelInfo {
    sha: Option<String>,
    #[serde(default)]
    siblings: Vec<Sibling>,
}

#[derive(Deserialize)]
struct Sibling {
    rfilename: String,
    size: Option<u64>,
    lfs: Option<Lfs>,
}

#[derive(Deserialize)]
struct Lfs {
    sha256: String,
    size: u64,
}

/// Lists `repo`'s GGUF files through `http`.
pub fn list_repo(http: &Http, repo: &str) -> Result<RepoListing, HubError> {
    if !valid_repo_id(repo) {
        return Err(HubError::Malformed(format!(
            "\"{repo}\" is not a repository id (owner/name of letters, digits, '.', '-', '_')"
        )));
    }
    let url = format!(
        "{}/api/models/{repo}/revision/main?blobs=true",
        http.endpoint()
    );
    parse_listing(repo, &http.get_bytes(&url, repo)?)
}

/// A model-info answer's bytes as a listing (what [`list_repo`] does with the Hub's answer).
pub(crate) fn parse_listing(repo: &str, bytes: &[u8]) -> Result<RepoListing, HubError> {
    let info: ModelInfo = serde_json::from_slice(bytes)
        .map_err(|e| HubError::Malformed(format!("{repo}: not the JSON the Hub sends ({e})")))?;
    listing_from(repo, info)
}

fn listing_from(repo: &str, info: ModelInfo) -> Result<RepoListing, HubError> {
    let commit = info
        .sha
        .filter(|c| is_hex(c, 40))
        .ok_or_else(|| HubError::Malformed(format!("{repo}: the Hub gave no commit id")))?;
    let mut skipped = Vec::new();
    let mut singles = Vec::new();
    // (folder, stem, total) → parts by number.
    let mut splits: BTreeMap<(String, String, u32), BTreeMap<u32, RemotePart>> = BTreeMap::new();
    for s in info.siblings.into_iter().take(MAX_FILES) {
        if !s.rfilename.to_ascii_lowercase().ends_with(".gguf") {
            continue;
        }
        if !valid_path(&s.rfilename) {
            skipped.push(format!(
                "{}: not a path seekdeck writes",
                s.rfilename.escape_debug()
            ));
            continue;
        }
        let Some(lfs) = s.lfs.filter(|l| is_hex(&l.sha256, 64)) else {
            skipped.push(format!(
                "{}: the Hub gives no SHA-256 to verify it",
                s.rfilename
            ));
            continue;
        };
        if s.size.is_some_and(|size| size != lfs.size) {
            skipped.push(format!("{}: the Hub gives two sizes", s.rfilename));
            continue;
        }
        let part = RemotePart {
            path: s.rfilename.clone(),
            bytes: lfs.size,
            sha256: lfs.sha256.to_ascii_lowercase(),
        };
        let (folder, name) = s.rfilename.rsplit_once('/').unwrap_or(("", &s.rfilename));
        match split_part(name) {
            Some((stem, no, total)) => {
                splits
                    .entry((folder.to_owned(), stem.to_owned(), total))
                    .or_default()
                    .insert(no, part);
            }
            None => singles.push(RemoteGguf {
                repo: repo.to_owned(),
                commit: commit.clone(),
                name: name.to_owned(),
                parts: vec![part],
            }),
        }
    }
    for ((_, stem, total), parts) in splits {
        if parts.len() as u32 != total {
            skipped.push(format!(
                "{stem}.gguf: {} of its {total} parts are listed",
                parts.len()
            ));
            continue;
        }
        singles.push(RemoteGguf {
            repo: repo.to_owned(),
            commit: commit.clone(),
            name: format!("{stem}.gguf ({total} parts)"),
            parts: parts.into_values().collect(),
        });
    }
    singles.sort_by(|a, b| a.bytes().cmp(&b.bytes()).then(a.name.cmp(&b.name)));
    Ok(RepoListing {
        repo: repo.to_owned(),
        commit,
        files: singles,
        skipped,
    })
}

/// `owner/name`, each of letters, digits, `.`, `-`, `_`, neither `.` nor `..`.
pub fn valid_repo_id(id: &str) -> bool {
    let mut segments = id.split('/');
    let (Some(owner), Some(name), None) = (segments.next(), segments.next(), segments.next())
    else {
        return false;
    };
    [owner, name].iter().all(|s| {
        !s.is_empty()
            && s.len() <= 96
            && *s != "."
            && *s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    })
}

/// A relative path of plain segments: no `..`, no absolute path, no backslash or control
/// character — it becomes a path under the cache folder.
pub(crate) fn valid_path(path: &str) -> bool {
    path.len() <= MAX_PATH_CHARS
        && !path.starts_with('/')
        && path.split('/').all(|s| {
            !s.is_empty()
                && s != "."
                && s != ".."
                && !s.chars().any(|c| c == '\\' || c == ':' || c.is_control())
        })
}

/// `n` hex digits.
pub(crate) fn is_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Percent-encodes each segment of a repository path.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn info(json: &str) -> ModelInfo {
        serde_json::from_str(json).unwrap()
    }

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn split_parts_become_one_model_and_incomplete_sets_are_said() {
        let file = |p: &str| {
            format!(r#"{{"rfilename":"{p}","size":10,"lfs":{{"sha256":"{SHA}","size":10}}}}"#)
        };
        let json = format!(
            r#"{{"sha":"{COMMIT}","siblings":[{},{},{},{},{},{{"rfilename":"README.md"}}]}}"#,
            file("Q2/m-00001-of-00002.gguf"),
            file("Q2/m-00002-of-00002.gguf"),
            file("Q4/m-00001-of-00002.gguf"),
            file("one.gguf"),
            file("../evil.gguf"),
        );
        let l = listing_from("o/r", info(&json)).unwrap();
        let names: Vec<_> = l.files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["one.gguf", "m.gguf (2 parts)"]);
        assert_eq!(l.files[1].parts.len(), 2);
        assert_eq!(l.files[1].bytes(), 20);
        assert!(l.skipped.iter().any(|s| s.contains("1 of its 2 parts")));
        assert!(l.skipped.iter().any(|s| s.contains("evil")));
    }

    #[test]
    fn answers_without_commit_or_hash_are_refused() {
        assert!(listing_from("o/r", info(r#"{"siblings":[]}"#)).is_err());
        let l = listing_from(
            "o/r",
            info(&format!(
                r#"{{"sha":"{COMMIT}","siblings":[{{"rfilename":"a.gguf","size":5}}]}}"#
            )),
        )
        .unwrap();
        assert!(l.files.is_empty());
        assert!(l.skipped[0].contains("no SHA-256"));
    }

    #[test]
    fn ids_and_paths_are_checked() {
        assert!(valid_repo_id("unsloth/DeepSeek-R1-GGUF"));
        for bad in ["", "a", "a/b/c", "../x", "a/..", "a b/c", "a/b?x"] {
            assert!(!valid_repo_id(bad), "{bad}");
        }
        assert!(valid_path("Q4_K_M/DeepSeek-R1-Q4_K_M-00001-of-00009.gguf"));
        for bad in [
            "/etc/x.gguf",
            "a/../b.gguf",
            "a//b.gguf",
            "a\\b.gguf",
            "C:x.gguf",
            "./a.gguf",
        ] {
            assert!(!valid_path(bad), "{bad}");
        }
        assert_eq!(encode_path("a b/c%.gguf"), "a%20b/c%25.gguf");
    }
}
