//! The "On this PC" state: the models found, the scan in progress, the folders the user added,
//! and files opened or dropped on the window.

use std::path::PathBuf;

use crate::catalog::Model;
use crate::local::folders::{load_folders, save_folders, user_folder_roots};
use crate::local::scanner::{ScanResult, Scanner};
use crate::local::{LocalModel, Root};

/// Models on this PC and how they were found.
pub struct LocalState {
    /// Everything found, scanned files first, then opened ones.
    pub models: Vec<LocalModel>,
    /// Files opened or dropped this session (kept across rescans).
    pub opened: Vec<LocalModel>,
    /// A scan is running.
    pub scanning: bool,
    /// The usual places (tests pass their own).
    pub default_roots: Vec<Root>,
    /// Folders the user added.
    pub folders: Vec<PathBuf>,
    /// Where `folders` is saved (`None`: not saved).
    pub folders_file: Option<PathBuf>,
    /// The last problem saving the folder list, shown once.
    pub notice: Option<String>,
    /// Counts changes of `models`, so views computed from it know when to recompute.
    pub version: u64,
    scanner: Scanner,
}

impl LocalState {
    /// State with the given roots; the added folders are read from `folders_file`.
    pub fn new(
        default_roots: Vec<Root>,
        folders_file: Option<PathBuf>,
        header_cache: Option<PathBuf>,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let folders = folders_file
            .as_deref()
            .map(load_folders)
            .unwrap_or_default();
        Self {
            models: Vec::new(),
            opened: Vec::new(),
            scanning: false,
            default_roots,
            folders,
            folders_file,
            notice: None,
            version: 0,
            scanner: Scanner::new(header_cache, notify),
        }
    }

    /// Every root: the usual places and the user's folders.
    pub fn roots(&self) -> Vec<Root> {
        let mut roots = self.default_roots.clone();
        roots.extend(user_folder_roots(&self.folders));
        roots
    }

    /// Starts a background scan of every root.
    pub(crate) fn rescan(&mut self, catalog: &[Model]) {
        self.scanning = true;
        self.scanner.scan(self.roots(), catalog.to_vec());
    }

    /// Reads one file in the background and adds it.
    pub(crate) fn open_file(&mut self, path: PathBuf, catalog: &[Model]) {
        self.scanner.inspect(path, catalog.to_vec());
    }

    /// Adds a folder (remembered) and rescans.
    pub fn add_folder(&mut self, folder: PathBuf, catalog: &[Model]) {
        if !self.folders.contains(&folder) {
            self.folders.push(folder);
            self.save_folders();
        }
        self.rescan(catalog);
    }

    /// Forgets a folder and rescans.
    pub(crate) fn remove_folder(&mut self, folder: &PathBuf, catalog: &[Model]) {
        self.folders.retain(|f| f != folder);
        self.save_folders();
        self.rescan(catalog);
    }

    fn save_folders(&mut self) {
        if let Some(file) = &self.folders_file {
            if let Err(e) = save_folders(file, &self.folders) {
                self.notice = Some(format!("The folder list could not be saved: {e}"));
            }
        }
    }

    /// Takes finished scans. Returns `true` if the list changed.
    pub(crate) fn drain(&mut self) -> bool {
        let mut changed = false;
        while let Ok(result) = self.scanner.results.try_recv() {
            match result {
                ScanResult::Full { generation, found } => {
                    // A scan overtaken by a newer one (a folder added meanwhile) is stale.
                    if generation < self.scanner.latest_generation() {
                        continue;
                    }
                    self.scanning = false;
                    self.models = found;
                    changed = true;
                }
                ScanResult::Single(one) => {
                    changed = true;
                    let one = *one;
                    self.opened.retain(|m| m.found.path != one.found.path);
                    self.opened.push(one);
                }
            }
        }
        if changed {
            let opened = self
                .opened
                .iter()
                .filter(|o| !self.models.iter().any(|m| m.found.path == o.found.path))
                .cloned()
                .collect::<Vec<_>>();
            self.models
                .retain(|m| m.found.source != crate::local::Source::Opened);
            self.models.extend(opened);
            self.version += 1;
        }
        changed
    }

    /// The model at `path`, if listed.
    pub(crate) fn by_path(&self, path: &std::path::Path) -> Option<&LocalModel> {
        self.models.iter().find(|m| m.found.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::{FileProblem, FoundFile, Source};

    fn found(name: &str) -> LocalModel {
        let path = PathBuf::from(format!("/m/{name}.gguf"));
        LocalModel {
            found: FoundFile {
                path: path.clone(),
                parts: vec![path],
                missing_parts: Vec::new(),
                display_name: format!("{name}.gguf"),
                source: Source::UserFolder,
                damaged_manifest: None,
            },
            info: Err(FileProblem::NoArchitecture),
            catalog_match: None,
        }
    }

    #[test]
    fn a_scan_that_ends_after_a_newer_one_is_dropped() {
        let mut local = LocalState::new(Vec::new(), None, None, || {});
        local.rescan(&[]);
        local.rescan(&[]);
        // Let the two real (empty) scans finish, then deliver the race by hand: the newer scan's
        // result first, the older one's after it.
        while local.scanning {
            local.drain();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let tx = local.scanner.sender();
        let newest = local.scanner.latest_generation();
        tx.send(ScanResult::Full {
            generation: newest,
            found: vec![found("new")],
        })
        .unwrap();
        tx.send(ScanResult::Full {
            generation: newest - 1,
            found: vec![found("old")],
        })
        .unwrap();
        local.drain();
        let names: Vec<_> = local
            .models
            .iter()
            .map(|m| m.found.display_name.as_str())
            .collect();
        assert_eq!(names, ["new.gguf"]);
        assert!(!local.scanning);
    }
}
