//! Where the Hub is and who asks: `HF_ENDPOINT`, the token (`HF_TOKEN`, else the file
//! `huggingface-cli login` writes) and the cache folder downloads go to (`HF_HUB_CACHE` /
//! `HF_HOME`), read the way huggingface's own tools read them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::local::locations::{hf_home, hf_hub_cache};

/// The public Hub.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// A token file longer than this is not a token.
const MAX_TOKEN_BYTES: u64 = 4096;

/// How to reach the Hub and where its files go.
#[derive(Clone)]
pub struct HubConfig {
    /// Base URL, no trailing slash.
    pub endpoint: String,
    /// Access token for gated or private repositories; never logged or shown.
    pub token: Option<String>,
    /// The Hugging Face cache (`…/huggingface/hub`).
    pub cache: PathBuf,
    /// `HF_HUB_OFFLINE` is set: the Hub is never asked.
    pub offline: bool,
}

impl std::fmt::Debug for HubConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubConfig")
            .field("endpoint", &self.endpoint)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("cache", &self.cache)
            .field("offline", &self.offline)
            .finish()
    }
}

impl HubConfig {
    /// A Hub at `endpoint` downloading into `cache`, without a token.
    pub fn at(endpoint: impl Into<String>, cache: PathBuf) -> Self {
        Self {
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
            token: None,
            cache,
            offline: false,
        }
    }

    /// From this process's environment and home folder.
    pub fn from_env() -> Self {
        let home = directories::BaseDirs::new()
            .map_or_else(|| PathBuf::from("."), |b| b.home_dir().to_path_buf());
        Self::from_vars(&home, |k| std::env::var_os(k))
    }

    /// From `home` and an environment.
    pub fn from_vars(home: &Path, env: impl Fn(&str) -> Option<OsString>) -> Self {
        let var = |k: &str| {
            env(k)
                .filter(|v| !v.is_empty())
                .and_then(|v| v.into_string().ok())
        };
        let endpoint = var("HF_ENDPOINT")
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
            .trim_end_matches('/')
            .to_owned();
        let token_file = var("HF_TOKEN_PATH")
            .map(PathBuf::from)
            .unwrap_or_else(|| hf_home(home, &env).join("token"));
        let token = var("HF_TOKEN")
            .or_else(|| read_token_file(&token_file))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_graphic()));
        let offline = var("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
        });
        Self {
            endpoint,
            token,
            cache: hf_hub_cache(home, &env),
            offline,
        }
    }
}

fn read_token_file(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > MAX_TOKEN_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_environment_moves_the_endpoint_token_and_cache() {
        let home = Path::new("/home/u");
        let c = HubConfig::from_vars(home, |_| None);
        assert_eq!(c.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(c.cache, Path::new("/home/u/.cache/huggingface/hub"));
        let c = HubConfig::from_vars(home, |k| match k {
            "HF_ENDPOINT" => Some("http://127.0.0.1:9/".into()),
            "HF_TOKEN" => Some(" hf_abc \n".into()),
            "HF_HOME" => Some("/data/hf".into()),
            _ => None,
        });
        assert_eq!(c.endpoint, "http://127.0.0.1:9");
        assert_eq!(c.token.as_deref(), Some("hf_abc"));
        assert_eq!(c.cache, Path::new("/data/hf/hub"));
        assert!(
            !format!("{c:?}").contains("hf_abc"),
            "the token is never printed"
        );
    }

    #[test]
    fn the_token_file_is_read_when_no_variable_is_set() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "hf_file\n").unwrap();
        let c = HubConfig::from_vars(Path::new("/nowhere"), |k| {
            (k == "HF_HOME").then(|| dir.path().as_os_str().to_owned())
        });
        assert_eq!(c.token.as_deref(), Some("hf_file"));
    }
}
