//! Finds GGUF files under the scan roots: `*.gguf` anywhere below a folder (following the Hugging
//! Face cache's symlinks), Ollama's extension-less blobs named through its manifests, and split
//! files (`name-00001-of-00003.gguf`) gathered into one model. Reads nothing but directory entries
//! and Ollama's small manifest files; never fails as a whole.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use super::locations::{Root, Source};
use crate::gguf::names::{part_path, split_part};

/// Deepest folder level searched below a root (the HF cache needs 4).
const MAX_DEPTH: usize = 8;
/// Ollama's media type of the model weights layer.
const OLLAMA_MODEL_LAYER: &str = "application/vnd.ollama.image.model";

/// A model on disk before its header is read: one file, or every part of a split file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// The file (part 1 of a split model).
    pub path: PathBuf,
    /// All parts in order (just `path` for a single file).
    pub parts: Vec<PathBuf>,
    /// A split model's parts that are not on disk, as "2 of 3".
    pub missing_parts: Vec<String>,
    /// Name to show: the file name, or Ollama's `model:tag`.
    pub display_name: String,
    /// Where it was found.
    pub source: Source,
    /// Why the Ollama manifest that names this model cannot be trusted (then `path` is the
    /// manifest and `parts` is empty: nothing outside Ollama's blob store is ever opened for it).
    pub damaged_manifest: Option<String>,
}

/// Finds the models under every root, without duplicates (a file reached twice, e.g. through a
/// symlink, is listed once).
pub(crate) fn find_all(roots: &[Root]) -> Vec<FoundFile> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for root in roots {
        let found = if root.source == Source::Ollama {
            find_ollama(&root.path)
        } else {
            find_gguf_files(&root.path, root.source)
        };
        for f in found {
            let key = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
            if seen.insert(key) {
                out.push(f);
            }
        }
    }
    out
}

/// `*.gguf` files below `dir`, split parts gathered.
pub(crate) fn find_gguf_files(dir: &Path, source: Source) -> Vec<FoundFile> {
    let mut singles = Vec::new();
    // (folder, stem, total) → parts found, by number.
    let mut splits: BTreeMap<(PathBuf, String, u32), BTreeMap<u32, PathBuf>> = BTreeMap::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .max_depth(MAX_DEPTH)
        .sort_by_file_name();
    for entry in walker.into_iter().filter_map(Result::ok) {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !entry.file_type().is_file() || !name.to_ascii_lowercase().ends_with(".gguf") {
            continue;
        }
        match split_part(name) {
            Some((stem, no, total)) => {
                let folder = path.parent().unwrap_or(dir).to_path_buf();
                splits
                    .entry((folder, stem.to_owned(), total))
                    .or_default()
                    .insert(no, path.to_path_buf());
            }
            None => singles.push(FoundFile {
                path: path.to_path_buf(),
                parts: vec![path.to_path_buf()],
                missing_parts: Vec::new(),
                display_name: name.to_owned(),
                source,
                damaged_manifest: None,
            }),
        }
    }
    for ((folder, stem, total), parts) in splits {
        let missing_parts = (1..=total)
            .filter(|n| !parts.contains_key(n))
            .map(|n| format!("{n} of {total}"))
            .collect();
        let first = parts
            .get(&1)
            .cloned()
            .unwrap_or_else(|| part_path(&folder, &stem, 1, total));
        singles.push(FoundFile {
            path: first,
            parts: parts.into_values().collect(),
            missing_parts,
            display_name: format!("{stem}.gguf ({total} parts)"),
            source,
            damaged_manifest: None,
        });
    }
    singles
}

/// Ollama's models: each manifest (`manifests/<host>/<namespace>/<model>/<tag>`) names one blob
/// (`blobs/sha256-<hex>`, a GGUF without extension) as its weights.
pub(crate) fn find_ollama(root: &Path) -> Vec<FoundFile> {
    let manifests = root.join("manifests");
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(&manifests)
        .max_depth(MAX_DEPTH)
        .sort_by_file_name();
    for entry in walker.into_iter().filter_map(Result::ok) {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let Some(digest) = model_digest(&text) else {
            continue;
        };
        let name = ollama_name(
            entry
                .path()
                .strip_prefix(&manifests)
                .unwrap_or(entry.path()),
        );
        let (path, parts, damaged_manifest) = match blob_file_name(&digest) {
            Ok(file) => {
                let blob = root.join("blobs").join(file);
                (blob.clone(), vec![blob], None)
            }
            Err(why) => (entry.path().to_path_buf(), Vec::new(), Some(why)),
        };
        out.push(FoundFile {
            path,
            parts,
            missing_parts: Vec::new(),
            display_name: name,
            source: Source::Ollama,
            damaged_manifest,
        });
    }
    out
}

/// The blob file of a layer digest: `sha256:<64 hex digits>` → `sha256-<hex>`. Anything else is
/// refused: a manifest is outside input, and a digest like `sha256:../../x` would lead out of the
/// blob store.
pub(crate) fn blob_file_name(digest: &str) -> Result<String, String> {
    match digest.strip_prefix("sha256:") {
        Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(format!("sha256-{hex}"))
        }
        _ => {
            let shown: String = digest.chars().take(80).collect();
            Err(format!(
                "damaged Ollama manifest: its weights layer's digest {shown:?} is not sha256:<64 hex digits>"
            ))
        }
    }
}

/// The digest of the weights layer of an Ollama manifest.
pub(crate) fn model_digest(manifest: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(manifest).ok()?;
    json.get("layers")?
        .as_array()?
        .iter()
        .find(|l| l.get("mediaType").and_then(|m| m.as_str()) == Some(OLLAMA_MODEL_LAYER))?
        .get("digest")?
        .as_str()
        .map(str::to_owned)
}

/// `registry.ollama.ai/library/deepseek-r1/7b` → `deepseek-r1:7b`; other namespaces and hosts
/// are kept as Ollama shows them (`user/model:tag`, `host/user/model:tag`).
fn ollama_name(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [host, ns, model, tag] => {
            let prefix = match (host.as_str(), ns.as_str()) {
                ("registry.ollama.ai", "library") => String::new(),
                ("registry.ollama.ai", _) => format!("{ns}/"),
                _ => format!("{host}/{ns}/"),
            };
            format!("{prefix}{model}:{tag}")
        }
        _ => parts.join("/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sha256_digests_name_a_blob() {
        let hex = "a".repeat(64);
        assert_eq!(
            blob_file_name(&format!("sha256:{hex}")),
            Ok(format!("sha256-{hex}"))
        );
        for bad in [
            format!("sha256:../../../etc/{}", &hex[..50]),
            format!("sha256:{}/x", &hex[..62]),
            format!("sha512:{hex}"),
            "sha256:".to_owned(),
            format!("sha256:{hex}0"),
            format!("sha256:{}g", &hex[..63]),
        ] {
            let e = blob_file_name(&bad).unwrap_err();
            assert!(e.starts_with("damaged Ollama manifest"), "{e}");
        }
    }

    #[test]
    fn ollama_names() {
        let p = |s: &str| ollama_name(Path::new(s));
        assert_eq!(
            p("registry.ollama.ai/library/deepseek-r1/7b"),
            "deepseek-r1:7b"
        );
        assert_eq!(
            p("registry.ollama.ai/someone/ds/latest"),
            "someone/ds:latest"
        );
        assert_eq!(
            p("hf.co/unsloth/DeepSeek-R1-GGUF/Q4_K_M"),
            "hf.co/unsloth/DeepSeek-R1-GGUF:Q4_K_M"
        );
    }
}
