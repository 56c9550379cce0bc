//! The caller's side of an engine host: an [`Engine`] whose model lives in a child process
//! (`seekdeck engine-host`) that has the other machines' workers as devices. Requests go to the
//! child's stdin and events come back from its stdout, so the caller uses it like any engine; when
//! the child ends without being asked (llama.cpp aborts it when a worker goes away), the caller
//! gets one `Failed` naming the machine that no longer answers, then `Unloaded`.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::wire::{HostEvent, HostRequest};
use crate::engine::protocol::{EngineError, Event, LoadedModel, ModelSource, Request};
use crate::engine::Engine;
use crate::hardware::rpc_probe::probe_worker;

/// How often a cancel flag is looked at while a load or an answer runs.
const CANCEL_POLL: Duration = Duration::from_millis(50);
/// Lines of the child's stderr kept to explain its end.
const STDERR_LINES: usize = 20;
/// The longest event line read (a piece is a few characters; a chat template can be long).
const MAX_LINE_BYTES: u64 = 16 << 20;

/// What the two bridge threads share.
#[derive(Default)]
struct Shared {
    /// The generation being answered, for the failure a lost machine causes.
    generation: Mutex<Option<u64>>,
    /// The file being loaded or loaded, for the `Loaded` event.
    path: Mutex<PathBuf>,
    /// Set once the caller asked the child to end.
    shutting_down: AtomicBool,
    /// Set once the child's stdout ended: it serves no more.
    ended: Arc<AtomicBool>,
    /// The child's last lines on stderr.
    stderr: Mutex<VecDeque<String>>,
}

impl Engine {
    /// Starts an engine host: `exe engine-host --rpc ENDPOINTS` (`exe` is seekdeck itself), whose
    /// loads place their offloaded layers on the workers at `endpoints`. `notify` runs after every
    /// event.
    pub fn spawn_host(
        exe: &Path,
        endpoints: &[String],
        notify: impl Fn() + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let mut child = Command::new(exe)
            .args(["engine-host", "--rpc", &endpoints.join(",")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => return Err(std::io::Error::other("the engine host has no pipes")),
            };
        let shared = Arc::new(Shared::default());
        let ended = shared.ended.clone();
        let (req_tx, req_rx) = mpsc::channel::<Request>();
        let (ev_tx, ev_rx) = mpsc::channel::<Event>();
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(notify);
        let errors = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("host-stderr".into())
                .spawn(move || {
                    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                        tracing::debug!(target: "seekdeck::engine_host", "{line}");
                        let mut kept = shared.stderr.lock().unwrap_or_else(|e| e.into_inner());
                        if kept.len() == STDERR_LINES {
                            kept.pop_front();
                        }
                        kept.push_back(line);
                    }
                })?
        };
        let events = {
            let shared = shared.clone();
            let endpoints = endpoints.to_vec();
            std::thread::Builder::new()
                .name("host-events".into())
                .spawn(move || read_events(stdout, &ev_tx, &notify, &shared, &endpoints))?
        };
        let thread = std::thread::Builder::new()
            .name("host-requests".into())
            .spawn(move || {
                write_requests(&req_rx, stdin, &shared);
                let _ = wait_briefly(&mut child);
                let _ = events.join();
                let _ = errors.join();
            })?;
        Ok(Self::from_parts(req_tx, ev_rx, thread, ended))
    }
}

/// Sends the caller's requests to the child until `Shutdown` or the caller is gone; turns a set
/// cancel flag into one `Cancel` line.
fn write_requests(requests: &Receiver<Request>, mut stdin: ChildStdin, shared: &Shared) {
    let mut watching: Option<Arc<AtomicBool>> = None;
    let send = |stdin: &mut ChildStdin, r: &HostRequest| {
        serde_json::to_string(r).ok().is_some_and(|line| {
            writeln!(stdin, "{line}")
                .and_then(|()| stdin.flush())
                .is_ok()
        })
    };
    loop {
        let request = match requests.recv_timeout(CANCEL_POLL) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout) => {
                if watching.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)) {
                    watching = None;
                    if !send(&mut stdin, &HostRequest::Cancel) {
                        return;
                    }
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => Request::Shutdown,
        };
        let wire = match request {
            Request::Load {
                path,
                ctx_tokens,
                placement,
                settings,
                cancel,
            } => {
                watching = Some(cancel);
                *shared.path.lock().unwrap_or_else(|e| e.into_inner()) = path.clone();
                HostRequest::Load {
                    path,
                    ctx_tokens,
                    offload: placement.offload,
                    settings,
                }
            }
            Request::Generate {
                id,
                prompt,
                sampling,
                cancel,
            } => {
                watching = Some(cancel);
                *shared.generation.lock().unwrap_or_else(|e| e.into_inner()) = Some(id);
                HostRequest::Generate {
                    id,
                    prompt,
                    sampling,
                }
            }
            Request::Unload => HostRequest::Unload,
            // A served model is never asked of a host: the caller starts an in-process engine.
            Request::Connect { .. } => continue,
            Request::Shutdown => {
                shared.shutting_down.store(true, Ordering::Relaxed);
                let _ = send(&mut stdin, &HostRequest::Shutdown);
                return;
            }
        };
        if !send(&mut stdin, &wire) {
            return;
        }
    }
}

/// Reads the child's events until its stdout ends; an end the caller did not ask for becomes a
/// failure naming the machine that no longer answers.
fn read_events(
    stdout: std::process::ChildStdout,
    out: &Sender<Event>,
    notify: &Arc<dyn Fn() + Send + Sync>,
    shared: &Shared,
    endpoints: &[String],
) {
    let send = |e: Event| {
        let ok = out.send(e).is_ok();
        notify();
        ok
    };
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        match std::io::Read::take(&mut reader, MAX_LINE_BYTES).read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Ok(wire) = serde_json::from_str::<HostEvent>(line.trim()) else {
            continue;
        };
        if matches!(
            wire,
            HostEvent::Finished { .. } | HostEvent::Failed { id: Some(_), .. }
        ) {
            *shared.generation.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        if !send(event_of(wire, shared)) {
            return;
        }
    }
    shared.ended.store(true, Ordering::Relaxed);
    if shared.shutting_down.load(Ordering::Relaxed) {
        return;
    }
    let id = shared
        .generation
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let last = shared
        .stderr
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .cloned();
    send(Event::Failed {
        id,
        error: EngineError::Cluster(lost_machine(endpoints, last.as_deref())),
    });
    send(Event::Unloaded);
}

/// An event as the caller's engine says it.
fn event_of(wire: HostEvent, shared: &Shared) -> Event {
    match wire {
        HostEvent::Progress(p) => Event::Progress(p),
        HostEvent::WarmingUp => Event::WarmingUp,
        HostEvent::Loaded {
            architecture,
            params,
            size_bytes,
            ctx_tokens,
            ctx_train_tokens,
            chat_template,
            load_secs,
            offload,
        } => Event::Loaded(LoadedModel {
            source: ModelSource::File(
                shared
                    .path
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone(),
            ),
            architecture,
            params,
            size_bytes,
            ctx_tokens,
            ctx_train_tokens,
            chat_template,
            load_secs,
            offload,
            split_check: None,
        }),
        HostEvent::Unloaded => Event::Unloaded,
        HostEvent::Piece {
            id,
            text,
            generated_tokens,
            ctx_used_tokens,
        } => Event::Piece {
            id,
            text,
            generated_tokens,
            ctx_used_tokens,
        },
        HostEvent::Finished { id, reason, stats } => Event::Finished { id, reason, stats },
        HostEvent::Failed { id, kind, message } => Event::Failed {
            id,
            error: kind.into_error(message),
        },
    }
}

/// Which machine was lost, in words: the first worker that no longer answers, else the child's
/// own last words.
fn lost_machine(endpoints: &[String], last_stderr: Option<&str>) -> String {
    for endpoint in endpoints {
        if let Err(e) = probe_worker(endpoint, Duration::from_secs(2)) {
            return format!(
                "lost the machine {endpoint} ({e}); the model ran across it and stopped. The conversation is kept: start that worker again and launch the model again."
            );
        }
    }
    format!(
        "the process running the model across {} ended{}; every machine still answers. Launch the model again.",
        endpoints.join(", "),
        last_stderr.map(|l| format!(" (llama.cpp: {l})")).unwrap_or_default()
    )
}

/// Waits for the child to end after `Shutdown`, killing it when it does not within a few
/// seconds (a load stuck in a worker that stopped answering).
fn wait_briefly(child: &mut Child) -> std::io::Result<()> {
    for _ in 0..100 {
        if child.try_wait()?.is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill()?;
    child.wait().map(|_| ())
}
