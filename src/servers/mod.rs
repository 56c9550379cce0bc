//! The OpenAI-compatible servers the user has connected to, remembered across runs
//! (`servers.json` in the config folder: names, addresses and the last model picked — never a
//! key; keys live in [`keys`]).

pub mod keys;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::remote::{normalize_base_url, RemoteError};

/// Most servers remembered (a damaged or hostile file cannot make the list unbounded).
pub const MAX_SERVERS: usize = 64;
/// Longest server name.
pub const MAX_NAME_CHARS: usize = 60;
const MAX_FILE_BYTES: u64 = 1 << 20;

/// A remembered server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedServer {
    /// The name the user gave it (unique in the list).
    pub name: String,
    /// Its base URL (normalized, ending in `/v1` unless a path was given).
    pub base_url: String,
    /// Whether a key was stored for it.
    #[serde(default)]
    pub has_key: bool,
    /// The model picked last, offered first next time.
    #[serde(default)]
    pub last_model: Option<String>,
}

impl SavedServer {
    /// A server named `name` at `address`, both checked: the name is trimmed, without control
    /// characters, at most [`MAX_NAME_CHARS`]; empty, it becomes the address's host.
    pub fn new(name: &str, address: &str) -> Result<Self, RemoteError> {
        let base_url = normalize_base_url(address)?;
        let cleaned: String = name
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_NAME_CHARS)
            .collect();
        let cleaned = cleaned.trim();
        let name = if cleaned.is_empty() {
            crate::net::host_of(&base_url)
        } else {
            cleaned.to_owned()
        };
        Ok(Self {
            name,
            base_url,
            has_key: false,
            last_model: None,
        })
    }
}

/// The remembered servers and the file they live in.
#[derive(Debug, Clone, Default)]
pub struct ServerList {
    path: Option<PathBuf>,
    /// The servers, in the order they were added.
    pub servers: Vec<SavedServer>,
}

impl ServerList {
    /// The list in `path` (`None`: not remembered, for tests); a missing, damaged or oversized
    /// file is an empty list (the damaged one is left in place for the user and logged).
    pub fn load(path: Option<PathBuf>) -> Self {
        let mut servers: Vec<SavedServer> = path
            .as_deref()
            .and_then(|p| crate::paths::read_json_file(p, MAX_FILE_BYTES))
            .unwrap_or_default();
        servers.retain(|s| {
            normalize_base_url(&s.base_url).is_ok_and(|u| u == s.base_url)
                && !s.name.trim().is_empty()
                && s.name.chars().count() <= MAX_NAME_CHARS
        });
        servers.truncate(MAX_SERVERS);
        Self { path, servers }
    }

    /// The list's file in the config folder.
    pub fn user_file() -> Option<PathBuf> {
        crate::paths::config_dir().map(|d| d.join("servers.json"))
    }

    /// The file it is kept in.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Adds `server`, replacing one of the same name; `false` when the list is full.
    pub fn put(&mut self, server: SavedServer) -> bool {
        if let Some(old) = self.servers.iter_mut().find(|s| s.name == server.name) {
            *old = server;
            return true;
        }
        if self.servers.len() >= MAX_SERVERS {
            return false;
        }
        self.servers.push(server);
        true
    }

    /// The server named `name`.
    pub fn get(&self, name: &str) -> Option<&SavedServer> {
        self.servers.iter().find(|s| s.name == name)
    }

    /// Forgets the server named `name`.
    pub fn remove(&mut self, name: &str) {
        self.servers.retain(|s| s.name != name);
    }

    /// Remembers `model` as `name`'s last pick.
    pub fn set_last_model(&mut self, name: &str, model: &str) {
        if let Some(s) = self.servers.iter_mut().find(|s| s.name == name) {
            s.last_model = Some(model.to_owned());
        }
    }

    /// Writes the list (atomically).
    pub fn save(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        crate::paths::write_json_file(path, &self.servers).map_err(|e| {
            format!(
                "the server list could not be saved to {}: {e}",
                path.display()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_addresses_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("servers.json");
        let mut list = ServerList::load(Some(path.clone()));
        assert!(list.servers.is_empty());
        let s = SavedServer::new("  GPU box\u{7}  ", "10.0.0.5:8000").unwrap();
        assert_eq!(
            (s.name.as_str(), s.base_url.as_str()),
            ("GPU box", "http://10.0.0.5:8000/v1")
        );
        assert_eq!(
            SavedServer::new("", "https://api.deepseek.com")
                .unwrap()
                .name,
            "api.deepseek.com"
        );
        assert!(SavedServer::new("x", "ftp://nope").is_err());
        assert!(list.put(s));
        list.set_last_model("GPU box", "deepseek-r1");
        list.save().unwrap();
        let again = ServerList::load(Some(path.clone()));
        assert_eq!(again.servers, list.servers);
        std::fs::write(&path, b"{not json").unwrap();
        assert!(ServerList::load(Some(path)).servers.is_empty());
    }
}
