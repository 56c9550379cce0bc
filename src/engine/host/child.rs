//! The engine host's own side (`seekdeck engine-host --rpc HOST:PORT,…`): checks and adds the
//! workers, then runs the ordinary engine thread, reading requests from stdin and writing events
//! to stdout, one JSON line each. If a worker goes away, llama.cpp's RPC client aborts this
//! process — which is why it is a process of its own: the window or the command line that
//! started it reads the end of its stdout and says which machine was lost.

use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::wire::{HostEvent, HostRequest};
use crate::engine::protocol::{Event, Request};
use crate::engine::worker::{self, Outbox};
use crate::estimate::placement::Placement;
use crate::hardware::rpc_probe::probe_worker;

/// How long a worker may take to answer the check before it is added.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest request line read (a conversation of a full long context is far below it).
const MAX_LINE_BYTES: usize = 64 << 20;

/// Runs the host on `endpoints` until stdin closes or `Shutdown`; `Err` says why it could not
/// start (a worker that does not answer, or answers another protocol version).
pub fn run_host(endpoints: &[String]) -> Result<(), String> {
    // llama.cpp aborts this process when a worker goes away: no core file of a process with a
    // model mapped (it can be gigabytes) in whatever folder the window was started from.
    #[cfg(unix)]
    if let Err(e) = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0) {
        tracing::warn!("engine host: core dumps stay on: {e}");
    }
    add_workers(endpoints)?;
    let (requests, request_rx) = mpsc::channel::<Request>();
    let (event_tx, events) = mpsc::channel::<Event>();
    let engine = std::thread::Builder::new()
        .name("llama-engine".into())
        .spawn(move || worker::run(&request_rx, &Outbox::new(event_tx, Arc::new(|| {}))))
        .map_err(|e| e.to_string())?;
    let writer = std::thread::Builder::new()
        .name("host-events".into())
        .spawn(move || write_events(&events))
        .map_err(|e| e.to_string())?;
    // The flag of the load or answer in progress, which `Cancel` sets.
    let mut current = Arc::new(AtomicBool::new(false));
    let mut reader = std::io::stdin().lock();
    let mut line = String::new();
    loop {
        line.clear();
        match reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64)
            .read_line(&mut line)
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Ok(wire) = serde_json::from_str::<HostRequest>(line.trim()) else {
            tracing::warn!("engine host: an unreadable request was ignored");
            continue;
        };
        if matches!(wire, HostRequest::Cancel) {
            current.store(true, Ordering::Relaxed);
            continue;
        }
        let request = engine_request(wire, &mut current);
        if matches!(request, Request::Shutdown) || requests.send(request).is_err() {
            break;
        }
    }
    let _ = requests.send(Request::Shutdown);
    let _ = engine.join();
    let _ = writer.join();
    Ok(())
}

/// Checks each worker (bounded, in plain Rust) and adds its devices as the ones loads use,
/// followed by this PC's own GPUs (llama.cpp's order, which the estimate follows).
fn add_workers(endpoints: &[String]) -> Result<(), String> {
    let mut devices = Vec::new();
    for endpoint in endpoints {
        probe_worker(endpoint, CHECK_TIMEOUT).map_err(|e| e.to_string())?;
        devices.extend(
            crate::llama::rpc::add_worker(endpoint).map_err(|e| format!("{endpoint}: {e}"))?,
        );
    }
    devices.extend(crate::llama::backend::local_gpu_indices());
    crate::llama::backend::use_cluster_devices(devices);
    Ok(())
}

/// Writes the engine's events to stdout, one JSON line each, until the engine ends.
fn write_events(events: &mpsc::Receiver<Event>) {
    let mut out = std::io::stdout().lock();
    while let Ok(event) = events.recv() {
        let Some(line) = HostEvent::from_event(event).and_then(|w| serde_json::to_string(&w).ok())
        else {
            continue;
        };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

/// The engine request a wire request stands for; a load or an answer gets a fresh cancel flag,
/// kept in `current` for the next `Cancel` (which the caller handles itself: it is no request).
fn engine_request(wire: HostRequest, current: &mut Arc<AtomicBool>) -> Request {
    match wire {
        HostRequest::Load {
            path,
            ctx_tokens,
            offload,
            settings,
        } => {
            *current = Arc::new(AtomicBool::new(false));
            Request::Load {
                path,
                ctx_tokens,
                placement: Placement {
                    offload,
                    split_limits: None,
                },
                settings,
                cancel: current.clone(),
            }
        }
        HostRequest::Generate {
            id,
            prompt,
            sampling,
        } => {
            *current = Arc::new(AtomicBool::new(false));
            Request::Generate {
                id,
                prompt,
                sampling,
                cancel: current.clone(),
            }
        }
        HostRequest::Unload => Request::Unload,
        HostRequest::Cancel | HostRequest::Shutdown => Request::Shutdown,
    }
}
