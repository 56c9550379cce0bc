//! Runs scans off the UI thread: each request gets a short-lived named thread that reads headers
//! and sends its result back, then wakes the window. Full scans carry a generation, so a scan that
//! ends after a newer one started is recognised as stale by the receiver. Dropping the scanner
//! joins the threads still running (each ends by itself when its scan is done).

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use crate::catalog::Model;

use super::header_cache::HeaderCache;
use super::{inspect_path, scan_roots, LocalModel, Root};

/// What a finished scan found.
#[derive(Debug, Clone)]
pub enum ScanResult {
    /// Everything under the roots (replaces the previous full scan), from scan `generation`.
    Full {
        /// The number [`Scanner::scan`] returned for this scan.
        generation: u64,
        /// What it found.
        found: Vec<LocalModel>,
    },
    /// One opened or dropped file (added to the list).
    Single(Box<LocalModel>),
}

/// Starts scans and collects their results.
pub struct Scanner {
    tx: Sender<ScanResult>,
    /// Results, in the order scans finish.
    pub results: Receiver<ScanResult>,
    notify: std::sync::Arc<dyn Fn() + Send + Sync>,
    header_cache: Option<PathBuf>,
    generation: u64,
    threads: Vec<JoinHandle<()>>,
}

impl Scanner {
    /// A scanner whose finished scans call `notify` (e.g. `ctx.request_repaint()`) and remember
    /// the headers they read in `header_cache` ([`HeaderCache`]; none: not remembered).
    pub fn new(header_cache: Option<PathBuf>, notify: impl Fn() + Send + Sync + 'static) -> Self {
        let (tx, results) = mpsc::channel();
        Self {
            tx,
            results,
            notify: std::sync::Arc::new(notify),
            header_cache,
            generation: 0,
            threads: Vec::new(),
        }
    }

    /// Scans `roots` in the background; returns the scan's generation (newer scans, larger).
    pub fn scan(&mut self, roots: Vec<Root>, models: Vec<Model>) -> u64 {
        self.generation += 1;
        let generation = self.generation;
        let cache_file = self.header_cache.clone();
        self.run(move || {
            let mut cache = HeaderCache::load(cache_file);
            let found = scan_roots(&roots, &models, &mut cache);
            cache.save();
            ScanResult::Full { generation, found }
        });
        generation
    }

    /// The generation of the newest full scan started.
    pub(crate) fn latest_generation(&self) -> u64 {
        self.generation
    }

    /// Reads one file in the background.
    pub(crate) fn inspect(&mut self, path: PathBuf, models: Vec<Model>) {
        self.run(move || ScanResult::Single(Box::new(inspect_path(&path, &models))));
    }

    /// A sender into the result channel, for tests that deliver results in a chosen order.
    #[cfg(test)]
    pub(crate) fn sender(&self) -> Sender<ScanResult> {
        self.tx.clone()
    }

    fn run(&mut self, job: impl FnOnce() -> ScanResult + Send + 'static) {
        self.threads.retain(|t| !t.is_finished());
        let tx = self.tx.clone();
        let notify = self.notify.clone();
        let spawned = std::thread::Builder::new()
            .name("model-scanner".into())
            .spawn(move || {
                let _ = tx.send(job());
                notify();
            });
        match spawned {
            Ok(t) => self.threads.push(t),
            Err(e) => tracing::error!("the model scanner thread did not start: {e}"),
        }
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
