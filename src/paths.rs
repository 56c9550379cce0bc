//! Per-user folders (through the `directories` crate): where user catalog files live.

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
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SEEKDECK_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    dirs().map(|d| d.config_dir().to_path_buf())
}
