//! Runs scans off the UI thread: each request gets a short-lived named thread that reads headers
//! and sends its result back, then wakes the window.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};

use crate::catalog::Model;

use super::{inspect_path, scan_roots, LocalModel, Root};

/// What a finished scan found.
#[derive(Debug, Clone)]
pub enum ScanResult {
    /// Everything under the roots (replaces the previous full scan).
    Full(Vec<LocalModel>),
    /// One opened or dropped file (added to the list).
    Single(Box<LocalModel>),
}

/// Starts scans and collects their results.
pub struct Scanner {
    tx: Sender<ScanResult>,
    /// Results, in the order scans finish.
    pub results: Receiver<ScanResult>,
    notify: std::sync::Arc<dyn Fn() + Send + Sync>,
}

impl Scanner {
    /// A scanner whose finished scans call `notify` (e.g. `ctx.request_repaint()`).
    pub fn new(notify: impl Fn() + Send + Sync + 'static) -> Self {
        let (tx, results) = mpsc::channel();
        Self {
            tx,
            results,
            notify: std::sync::Arc::new(notify),
        }
    }

    /// Scans `roots` in the background.
    pub fn scan(&self, roots: Vec<Root>, models: Vec<Model>) {
        self.run(move || ScanResult::Full(scan_roots(&roots, &models)));
    }

    /// Reads one file in the background.
    pub fn inspect(&self, path: PathBuf, models: Vec<Model>) {
        self.run(move || ScanResult::Single(Box::new(inspect_path(&path, &models))));
    }

    fn run(&self, job: impl FnOnce() -> ScanResult + Send + 'static) {
        let tx = self.tx.clone();
        let notify = self.notify.clone();
        let spawned = std::thread::Builder::new()
            .name("model-scanner".into())
            .spawn(move || {
                let _ = tx.send(job());
                notify();
            });
        if let Err(e) = spawned {
            tracing::error!("the model scanner thread did not start: {e}");
        }
    }
}
