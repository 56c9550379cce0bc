//! Per-user folders (through the `directories` crate): user catalog files, added scan folders,
//! conversations; and the one way seekdeck writes such files (atomically).

use std::path::PathBuf;

/// The platform's project directories for seekdeck, if the OS has a home directory.
fn dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "seekdeck")
}

/// Folder whose `*.ron` files add to or override the built-in catalog
/// (`~/.config/seekdeck/catalog` on Linux). `SEEKDECK_CONFIG_DIR` replaces the config folder.
pub fn user_catalog_dir() -> Option<PathBuf> {
    config_dir().map(|d| d.join("catalog"))
}

/// seekdeck's config folder.
pub(crate) fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SEEKDECK_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs().map(|d| d.config_dir().to_path_buf())
}

/// seekdeck's data folder (`~/.local/share/seekdeck` on Linux). `SEEKDECK_DATA_DIR` replaces it.
pub(crate) fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SEEKDECK_DATA_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs().map(|d| d.data_dir().to_path_buf())
}

/// Writes `bytes` to `path` so that a crash leaves either the old file or the new one, never a
/// mix: a temporary file in the same folder, synced, then renamed over the target. The file is
/// the user's alone (0600 where modes exist).
pub(crate) fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    write_file_atomically(path, bytes, false)
}

/// As [`write_atomically`], for a file other users may read: mode 0644, as huggingface_hub
/// writes the files of a shared Hugging Face cache.
pub(crate) fn write_readable_atomically(
    path: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    write_file_atomically(path, bytes, true)
}

fn write_file_atomically(
    path: &std::path::Path,
    bytes: &[u8],
    readable: bool,
) -> std::io::Result<()> {
    use std::io::Write;
    let folder = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(folder)?;
    let mut tmp = tempfile::NamedTempFile::new_in(folder)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    if readable {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = readable;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The JSON value in `path`, when the file exists, is at most `max_bytes` and parses; a damaged
/// file is logged at debug level and treated as absent (caches and queues are rebuilt, never
/// trusted).
pub(crate) fn read_json_file<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    max_bytes: u64,
) -> Option<T> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.len() > max_bytes {
        tracing::debug!("ignoring {}: larger than {max_bytes} bytes", path.display());
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    serde_json::from_slice(&bytes)
        .map_err(|e| tracing::debug!("ignoring a damaged {}: {e}", path.display()))
        .ok()
}

/// `value` as JSON in `path`, written atomically.
pub(crate) fn write_json_file<T: serde::Serialize>(
    path: &std::path::Path,
    value: &T,
) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    write_atomically(path, &bytes)
}
