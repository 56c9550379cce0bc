//! Where API keys are kept: the operating system's keyring (macOS Keychain, Windows Credential
//! Manager, the Secret Service of GNOME Keyring or KWallet) through the `keyring` crate; where
//! there is none (a headless Linux box, a container), a file only the user can read
//! (`server-keys.json` in the config folder, mode 0600). Never in conversations, logs or exports.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The keyring's service name for seekdeck's entries.
const SERVICE: &str = "seekdeck";
const MAX_FILE_BYTES: u64 = 1 << 20;
/// Longest key accepted.
pub const MAX_KEY_CHARS: usize = 4096;

/// Where a key ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlace {
    /// The operating system's keyring.
    Keyring,
    /// The fallback file (the keyring's failure in words).
    File {
        /// The file.
        path: PathBuf,
        /// Why the keyring was not used.
        keyring_problem: String,
    },
}

impl std::fmt::Display for KeyPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Keyring => write!(f, "the key is kept in the system keyring"),
            Self::File {
                path,
                keyring_problem,
            } => write!(
                f,
                "the key is kept in {} (readable only by you): no system keyring ({keyring_problem})",
                path.display()
            ),
        }
    }
}

/// The keys of the saved servers, by server name.
#[derive(Debug, Clone)]
pub struct KeyStore {
    file: Option<PathBuf>,
    use_keyring: bool,
}

impl KeyStore {
    /// The fallback file in the config folder.
    pub fn user_file() -> Option<PathBuf> {
        crate::paths::config_dir().map(|d| d.join("server-keys.json"))
    }

    /// Keys in the keyring when `use_keyring`, else (or where there is none) in `file`; with
    /// neither, keys are not kept.
    pub fn new(file: Option<PathBuf>, use_keyring: bool) -> Self {
        Self { file, use_keyring }
    }

    /// Keys in `file` only (tests, and machines where the keyring must not be touched).
    pub fn file_only(file: PathBuf) -> Self {
        Self::new(Some(file), false)
    }

    /// Keeps `key` for `server`.
    pub fn set(&self, server: &str, key: &str) -> Result<KeyPlace, String> {
        if key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
            return Err(
                "that is not an API key (control characters, or over 4096 characters)".into(),
            );
        }
        let keyring_problem = if self.use_keyring {
            match keyring::Entry::new(SERVICE, server).and_then(|e| e.set_password(key)) {
                Ok(()) => {
                    // A stale copy in the file would shadow nothing, but need not linger.
                    self.edit_file(|keys| {
                        keys.remove(server);
                    })?;
                    return Ok(KeyPlace::Keyring);
                }
                Err(e) => e.to_string(),
            }
        } else {
            "not used".to_owned()
        };
        let path = self.edit_file(|keys| {
            keys.insert(server.to_owned(), key.to_owned());
        })?;
        Ok(KeyPlace::File {
            path,
            keyring_problem,
        })
    }

    /// The key kept for `server`, if any.
    pub fn get(&self, server: &str) -> Option<String> {
        if self.use_keyring {
            if let Ok(key) = keyring::Entry::new(SERVICE, server).and_then(|e| e.get_password()) {
                return Some(key);
            }
        }
        self.read_file().remove(server)
    }

    /// Forgets `server`'s key wherever it is.
    pub fn delete(&self, server: &str) {
        if self.use_keyring {
            if let Ok(entry) = keyring::Entry::new(SERVICE, server) {
                let _ = entry.delete_credential();
            }
        }
        if let Err(e) = self.edit_file(|keys| {
            keys.remove(server);
        }) {
            tracing::warn!("{e}");
        }
    }

    fn read_file(&self) -> BTreeMap<String, String> {
        self.file
            .as_deref()
            .and_then(|p| crate::paths::read_json_file(p, MAX_FILE_BYTES))
            .unwrap_or_default()
    }

    /// Changes the file's keys and writes it back, readable only by the user; returns its path.
    fn edit_file(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Result<PathBuf, String> {
        let Some(path) = &self.file else {
            return Err("no config folder to keep the key in".into());
        };
        let mut keys = self.read_file();
        let before = keys.clone();
        change(&mut keys);
        if keys == before && !path.exists() {
            return Ok(path.clone());
        }
        write_private(path, &keys)
            .map_err(|e| format!("the key could not be saved to {}: {e}", path.display()))?;
        Ok(path.clone())
    }
}

/// Why `key` cannot be an API key, if it cannot (control characters, over 4096 characters).
pub fn check_key(key: &str) -> Result<(), String> {
    if key.chars().count() > MAX_KEY_CHARS || key.chars().any(char::is_control) {
        return Err("that is not an API key (control characters, or over 4096 characters)".into());
    }
    Ok(())
}

/// Writes `keys` to `path` atomically; the temporary file is created 0600 (tempfile's mode), and
/// the mode is set again in case the folder's defaults differ.
fn write_private(path: &Path, keys: &BTreeMap<String, String>) -> std::io::Result<()> {
    crate::paths::write_json_file(path, keys)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_are_private_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server-keys.json");
        let store = KeyStore::file_only(path.clone());
        let place = store.set("box", "sk-123").unwrap();
        assert!(matches!(place, KeyPlace::File { .. }));
        assert_eq!(store.get("box").as_deref(), Some("sk-123"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        store.delete("box");
        assert_eq!(store.get("box"), None);
        assert!(store.set("box", "bad\nkey").is_err());
    }
}
