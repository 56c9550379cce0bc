//! Where other tools keep GGUF files: LM Studio, the Hugging Face cache, llama.cpp's cache,
//! Ollama's blob store and `~/models`, each honouring its tool's environment variable.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Which tool a folder (and the files found in it) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Source {
    /// LM Studio's models folder.
    LmStudio,
    /// The Hugging Face hub cache.
    HuggingFace,
    /// llama.cpp's download cache (`-hf`).
    LlamaCpp,
    /// Ollama's blob store, named through its manifests.
    Ollama,
    /// `~/models`.
    HomeModels,
    /// A folder the user added.
    UserFolder,
    /// A file opened or dropped on the window.
    Opened,
}

impl Source {
    /// Name shown in the "On this PC" list.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::LmStudio => "LM Studio",
            Self::HuggingFace => "Hugging Face cache",
            Self::LlamaCpp => "llama.cpp cache",
            Self::Ollama => "Ollama",
            Self::HomeModels => "~/models",
            Self::UserFolder => "your folder",
            Self::Opened => "opened",
        }
    }
}

/// A folder to scan and the tool it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// Which tool keeps its models here.
    pub source: Source,
    /// The folder searched.
    pub path: PathBuf,
}

/// The usual folders for `home` and an environment (`env("HF_HOME")` …), in a fixed order,
/// without duplicates. Folders that do not exist are kept: the scan skips them quietly.
pub fn default_roots(home: &Path, env: impl Fn(&str) -> Option<OsString>) -> Vec<Root> {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let cache = var("XDG_CACHE_HOME").unwrap_or_else(|| home.join(".cache"));
    let hf_hub = hf_hub_cache(home, &env);
    let mut roots = vec![
        (Source::LmStudio, home.join(".lmstudio/models")),
        (Source::LmStudio, home.join(".cache/lm-studio/models")),
        (Source::HuggingFace, hf_hub),
        (
            Source::LlamaCpp,
            var("LLAMA_CACHE").unwrap_or_else(|| cache.join("llama.cpp")),
        ),
    ];
    match var("OLLAMA_MODELS") {
        Some(dir) => roots.push((Source::Ollama, dir)),
        None => {
            roots.push((Source::Ollama, home.join(".ollama/models")));
            // The Linux installer's system service keeps its models here.
            roots.push((
                Source::Ollama,
                PathBuf::from("/usr/share/ollama/.ollama/models"),
            ));
        }
    }
    roots.push((Source::HomeModels, home.join("models")));
    let mut out: Vec<Root> = Vec::new();
    for (source, path) in roots {
        if !out.iter().any(|r| r.path == path) {
            out.push(Root { source, path });
        }
    }
    out
}

/// Hugging Face's home folder (`HF_HOME`, else `~/.cache/huggingface`): its `token` file.
pub fn hf_home(home: &Path, env: impl Fn(&str) -> Option<OsString>) -> PathBuf {
    let var = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("HF_HOME").unwrap_or_else(|| {
        var("XDG_CACHE_HOME")
            .unwrap_or_else(|| home.join(".cache"))
            .join("huggingface")
    })
}

/// Hugging Face's model cache (`HF_HUB_CACHE`, else `<HF_HOME>/hub`): where downloads go and
/// where Python tools and llama.cpp look.
pub fn hf_hub_cache(home: &Path, env: impl Fn(&str) -> Option<OsString>) -> PathBuf {
    match env("HF_HUB_CACHE").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => hf_home(home, env).join("hub"),
    }
}

/// [`default_roots`] for this user, from the real environment.
pub(crate) fn user_roots() -> Vec<Root> {
    directories::BaseDirs::new().map_or_else(Vec::new, |b| {
        default_roots(b.home_dir(), |k| std::env::var_os(k))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn environment_variables_move_the_caches() {
        let home = Path::new("/home/u");
        let plain = default_roots(home, |_| None);
        let hf = plain
            .iter()
            .find(|r| r.source == Source::HuggingFace)
            .unwrap();
        assert_eq!(hf.path, Path::new("/home/u/.cache/huggingface/hub"));
        let moved = default_roots(home, |k| match k {
            "HF_HOME" => Some("/data/hf".into()),
            "LLAMA_CACHE" => Some("/data/llama".into()),
            "OLLAMA_MODELS" => Some("/data/ollama".into()),
            _ => None,
        });
        let path_of = |s| {
            moved
                .iter()
                .filter(|r| r.source == s)
                .map(|r| r.path.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            path_of(Source::HuggingFace),
            [PathBuf::from("/data/hf/hub")]
        );
        assert_eq!(path_of(Source::LlamaCpp), [PathBuf::from("/data/llama")]);
        assert_eq!(path_of(Source::Ollama), [PathBuf::from("/data/ollama")]);
        let hub = default_roots(home, |k| (k == "HF_HUB_CACHE").then(|| "/hub".into()));
        assert!(hub.iter().any(|r| r.path == Path::new("/hub")));
    }
}
