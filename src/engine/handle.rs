//! The caller's side of the engine thread: spawn it, send requests, read events; dropping the
//! handle sends `Shutdown` and joins the thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::protocol::{Event, Request};
use super::worker;

/// Threads llama.cpp computes with: `SEEKDECK_THREADS` if set, else the CPUs this process may use
/// (which respects affinity and container limits). llama.cpp's own default of 4 oversubscribes a
/// 2-core machine.
pub fn thread_count() -> i32 {
    std::env::var("SEEKDECK_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<i32>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(4, |n| n.get().min(64) as i32)
        })
}

/// Handle to the worker; dropping it shuts the worker down.
pub struct Engine {
    requests: Sender<Request>,
    /// Events from the worker.
    pub events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
    /// Set when an engine host's process has ended (`None`: an in-process engine).
    ended: Option<Arc<AtomicBool>>,
}

impl Engine {
    /// Starts the worker thread. `notify` runs after every event (e.g. `ctx.request_repaint()`).
    pub fn spawn(notify: impl Fn() + Send + Sync + 'static) -> std::io::Result<Self> {
        let (req_tx, req_rx) = mpsc::channel();
        let (ev_tx, ev_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("llama-engine".into())
            .spawn(move || {
                worker::run(
                    &req_rx,
                    &worker::Outbox::new(ev_tx, std::sync::Arc::new(notify)),
                )
            })?;
        Ok(Self {
            requests: req_tx,
            events: ev_rx,
            thread: Some(thread),
            ended: None,
        })
    }

    /// An engine from its channels and the thread that ends when it is dropped (an engine host's
    /// bridge, [`crate::engine::host`]).
    pub(crate) fn from_parts(
        requests: Sender<Request>,
        events: Receiver<Event>,
        thread: JoinHandle<()>,
        ended: Arc<AtomicBool>,
    ) -> Self {
        Self {
            requests,
            events,
            thread: Some(thread),
            ended: Some(ended),
        }
    }

    /// Whether the engine can no longer serve (an engine host whose process ended, e.g. when a
    /// machine it ran across was lost): the caller starts a new one.
    pub fn ended(&self) -> bool {
        self.ended
            .as_ref()
            .is_some_and(|e| e.load(Ordering::Relaxed))
    }

    /// Sends a request; `false` if the worker has ended.
    pub fn send(&self, request: Request) -> bool {
        self.requests.send(request).is_ok()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.requests.send(Request::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
