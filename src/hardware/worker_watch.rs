//! Live readings of other machines' workers, for the window's "Other machines" list: a named
//! thread reads each endpoint with [`probe_worker`] about every two seconds (at once when the
//! list changes) and sends a reading when it changed at the precision shown, then wakes the
//! window. Dropping the [`WorkerWatch`] closes its channel, which ends the thread.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::rpc_probe::{probe_worker, ProbeError, WorkerReading};

/// How often every worker is read.
const WATCH_INTERVAL: Duration = Duration::from_secs(2);
/// How long one worker may take to answer.
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// A free-memory change smaller than this is not news (the list shows 0.1 GiB steps).
const CHANGE_THRESHOLD_BYTES: u64 = 128 << 20;

/// What one worker said, or why it said nothing.
pub type WorkerResult = Result<WorkerReading, ProbeError>;

/// Handle to the watching thread.
pub struct WorkerWatch {
    /// `(endpoint, reading)` whenever a worker's reading changed.
    pub readings: Receiver<(String, WorkerResult)>,
    endpoints: Option<Sender<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerWatch {
    /// Starts watching `endpoints`; `on_change` runs after each reading sent.
    pub fn spawn(
        endpoints: Vec<String>,
        on_change: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel();
        let (list_tx, list_rx) = mpsc::channel::<Vec<String>>();
        let thread = std::thread::Builder::new()
            .name("worker-watch".into())
            .spawn(move || {
                let mut list = endpoints;
                let mut last: HashMap<String, WorkerResult> = HashMap::new();
                loop {
                    for endpoint in &list {
                        let reading = probe_worker(endpoint, PROBE_TIMEOUT);
                        if last
                            .get(endpoint)
                            .is_some_and(|l| same_reading(l, &reading))
                        {
                            continue;
                        }
                        if tx.send((endpoint.clone(), reading.clone())).is_err() {
                            return;
                        }
                        on_change();
                        last.insert(endpoint.clone(), reading);
                    }
                    match list_rx.recv_timeout(WATCH_INTERVAL) {
                        Ok(new) => {
                            last.retain(|e, _| new.contains(e));
                            list = new;
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })?;
        Ok(Self {
            readings: rx,
            endpoints: Some(list_tx),
            thread: Some(thread),
        })
    }

    /// Watches `endpoints` from now on (read at once).
    pub fn set(&self, endpoints: Vec<String>) {
        if let Some(tx) = &self.endpoints {
            let _ = tx.send(endpoints);
        }
    }
}

impl Drop for WorkerWatch {
    fn drop(&mut self) {
        drop(self.endpoints.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether two readings look the same in the list: the same error, or the same devices with free
/// memory within [`CHANGE_THRESHOLD_BYTES`].
fn same_reading(a: &WorkerResult, b: &WorkerResult) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => {
            x.version == y.version
                && x.devices.len() == y.devices.len()
                && x.devices.iter().zip(&y.devices).all(|(d, e)| {
                    d.total_bytes == e.total_bytes
                        && d.free_bytes.abs_diff(e.free_bytes) < CHANGE_THRESHOLD_BYTES
                })
        }
        (Err(x), Err(y)) => x == y,
        _ => false,
    }
}
