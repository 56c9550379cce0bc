//! Reading catalog files: the embedded `catalog/deepseek.ron`, then the user's own files, merged by id.
//!
//! A file that does not parse is reported with its path, line, column and the offending field, and
//! skipped; an entry that does not validate is reported with its name and skipped. Loading never fails
//! as a whole: the app starts with every entry that is sound.

use std::path::{Path, PathBuf};

use super::validate::validate_model;
use super::{CatalogFile, Model};

/// The catalog shipped with seekdeck.
pub const EMBEDDED_CATALOG: &str = include_str!("../../catalog/deepseek.ron");

/// Name under which the embedded catalog is reported.
pub(crate) const EMBEDDED_NAME: &str = "catalog/deepseek.ron (built in)";

/// A problem found while loading the catalog, for the catalog panel and the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogIssue {
    /// The file is not valid RON for the catalog's format.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        /// The file's path.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What is wrong, naming the field where RON knows it.
        message: String,
    },
    /// The file could not be read.
    #[error("{file}: cannot read: {message}")]
    Read {
        /// The file's path.
        file: String,
        /// The I/O error.
        message: String,
    },
    /// An entry parsed but describes an impossible model.
    #[error("{file}: model \"{model}\" rejected: {message}")]
    Invalid {
        /// The file's path.
        file: String,
        /// The entry's name (or id).
        model: String,
        /// What is impossible about it.
        message: String,
    },
}

/// The merged catalog and what went wrong on the way.
#[derive(Debug, Clone, Default)]
pub struct LoadedCatalog {
    /// Valid models, in catalog order (user additions at the end).
    pub models: Vec<Model>,
    /// Problems to show to the user; each names its file.
    pub issues: Vec<CatalogIssue>,
    /// User files that were read successfully.
    pub user_files: Vec<PathBuf>,
}

/// Parses one catalog file's text. `file` names it in messages. Optional fields may be written
/// with or without `Some(…)`, so files written before `seed` became optional still read.
pub fn parse_catalog(text: &str, file: &str) -> Result<CatalogFile, CatalogIssue> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str::<CatalogFile>(text)
        .map_err(|e| CatalogIssue::Parse {
            file: file.to_owned(),
            line: e.span.start.line,
            column: e.span.start.col,
            message: e.code.to_string(),
        })
}

/// Loads the embedded catalog plus every `*.ron` file in `user_dir` (sorted by name).
pub fn load_catalog(user_dir: Option<&Path>) -> LoadedCatalog {
    let mut out = LoadedCatalog::default();
    merge_text(&mut out, EMBEDDED_CATALOG, EMBEDDED_NAME);
    if let Some(dir) = user_dir {
        for path in user_catalog_files(dir) {
            let name = path.display().to_string();
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    if merge_text(&mut out, &text, &name) {
                        out.user_files.push(path);
                    }
                }
                Err(e) => out.issues.push(CatalogIssue::Read {
                    file: name,
                    message: e.to_string(),
                }),
            }
        }
    }
    out
}

/// The `*.ron` files of a folder, sorted; an absent folder has none.
fn user_catalog_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron") && p.is_file())
        .collect();
    files.sort();
    files
}

/// Parses `text` and merges its valid entries into `out`; returns whether the file parsed.
fn merge_text(out: &mut LoadedCatalog, text: &str, file: &str) -> bool {
    let parsed = match parse_catalog(text, file) {
        Ok(p) => p,
        Err(issue) => {
            out.issues.push(issue);
            return false;
        }
    };
    for model in parsed.models {
        if let Err(message) = validate_model(&model) {
            let issue = CatalogIssue::Invalid {
                file: file.to_owned(),
                model: if model.name.is_empty() {
                    model.id.clone()
                } else {
                    model.name.clone()
                },
                message,
            };
            out.issues.push(issue);
            continue;
        }
        match out.models.iter_mut().find(|m| m.id == model.id) {
            Some(existing) => *existing = model,
            None => out.models.push(model),
        }
    }
    true
}
