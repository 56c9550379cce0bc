//! The folders the user added to the scan, kept in `folders.ron` in seekdeck's config folder so
//! the window and `seekdeck scan` see the same list. Written atomically (temp file + rename).

use std::path::{Path, PathBuf};

use super::locations::{Root, Source};

/// The file holding the list, if the platform has a config folder.
pub(crate) fn folders_file() -> Option<PathBuf> {
    crate::paths::config_dir().map(|d| d.join("folders.ron"))
}

/// Reads the list; a missing file is an empty list, a damaged one is reported and treated as empty.
pub fn load_folders(file: &Path) -> Vec<PathBuf> {
    match std::fs::read_to_string(file) {
        Ok(text) => ron::from_str(&text).unwrap_or_else(|e| {
            tracing::warn!("{}: {e}; the added folders are ignored", file.display());
            Vec::new()
        }),
        Err(_) => Vec::new(),
    }
}

/// Writes the list atomically.
pub fn save_folders(file: &Path, folders: &[PathBuf]) -> std::io::Result<()> {
    let text = ron::ser::to_string_pretty(folders, ron::ser::PrettyConfig::default())
        .map_err(std::io::Error::other)?;
    crate::paths::write_atomically(file, text.as_bytes())
}

/// The user's folders as scan roots.
pub(crate) fn user_folder_roots(folders: &[PathBuf]) -> Vec<Root> {
    folders
        .iter()
        .map(|p| Root {
            source: Source::UserFolder,
            path: p.clone(),
        })
        .collect()
}
