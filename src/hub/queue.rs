//! The download queue: files wait their turn, one downloads at a time on the `hub-download`
//! thread, each can be paused, resumed or cancelled, and the queue is kept in the data folder
//! (atomically, on every change of state) so a closed app or a reboot picks it up where it was —
//! the bytes themselves stay in the cache's `.incomplete` files.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

use super::cache_layout::RepoCache;
use super::http::Http;
use super::repo::RemoteGguf;
use super::transfer::{self, Control, Progress, TransferEnd, TransferError, TransferSettings};

/// A queue file larger than this is not read.
const MAX_QUEUE_BYTES: u64 = 16 << 20;

/// Where a download is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    /// Waiting its turn.
    Queued,
    /// Downloading now.
    Running,
    /// Stopped with its bytes kept; the reason when it was not the user (a full disk).
    Paused(Option<String>),
    /// Given up on (the reason); Resume tries again from the bytes kept.
    Failed(String),
    /// Verified and in place: part 1's path.
    Done(PathBuf),
}

/// One file to download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadJob {
    /// Its number in this queue.
    pub id: u64,
    /// What to download.
    pub file: RemoteGguf,
    /// Where it is.
    pub state: JobState,
}

/// A job as a viewer sees it: with its live figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    /// The job.
    pub job: DownloadJob,
    /// Bytes done (for a running job: live).
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
    /// Hashing the bytes of an earlier attempt before continuing.
    pub checking: bool,
    /// Failed attempts retried so far in this run.
    pub retries: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct QueueFile {
    next_id: u64,
    jobs: Vec<DownloadJob>,
}

struct Running {
    id: u64,
    progress: Arc<Progress>,
    control: Arc<Control>,
}

struct Shared {
    queue: QueueFile,
    running: Option<Running>,
    shutdown: bool,
    file: Option<PathBuf>,
    /// Bytes on disk of each job not running: read when a job is loaded or added and when it
    /// stops, so a viewer drawing the list never touches the disk.
    known_done: std::collections::HashMap<u64, u64>,
}

impl Shared {
    fn save(&self) {
        if let Some(file) = &self.file {
            if let Err(e) = crate::paths::write_json_file(file, &self.queue) {
                tracing::warn!("cannot keep the download queue in {}: {e}", file.display());
            }
        }
    }

    fn job(&mut self, id: u64) -> Option<&mut DownloadJob> {
        self.queue.jobs.iter_mut().find(|j| j.id == id)
    }
}

type SharedState = Arc<(Mutex<Shared>, Condvar)>;

/// The queue and its download thread. Dropping it pauses the running download (kept as queued,
/// so the next start resumes it) and joins the thread.
pub struct Downloads {
    shared: SharedState,
    http: Http,
    cache: PathBuf,
    thread: Option<JoinHandle<()>>,
}

impl Downloads {
    /// The queue kept in `queue_file` (none: not kept), downloading into the cache `cache`
    /// through `http`; `notify` is called after every change of state.
    pub fn start(
        http: Http,
        cache: PathBuf,
        settings: TransferSettings,
        queue_file: Option<PathBuf>,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let mut queue: QueueFile = queue_file
            .as_deref()
            .and_then(|f| crate::paths::read_json_file(f, MAX_QUEUE_BYTES))
            .unwrap_or_default();
        // What was running when the app stopped goes on; what was done is history.
        queue.jobs.retain(|j| !matches!(j.state, JobState::Done(_)));
        for j in &mut queue.jobs {
            if j.state == JobState::Running {
                j.state = JobState::Queued;
            }
        }
        queue.next_id = queue
            .next_id
            .max(queue.jobs.iter().map(|j| j.id + 1).max().unwrap_or(0));
        let known_done = queue
            .jobs
            .iter()
            .map(|j| (j.id, on_disk(&cache, &j.file)))
            .collect();
        let shared: SharedState = Arc::new((
            Mutex::new(Shared {
                queue,
                running: None,
                shutdown: false,
                file: queue_file,
                known_done,
            }),
            Condvar::new(),
        ));
        let thread = {
            let (shared, http, cache) = (shared.clone(), http.clone(), cache.clone());
            std::thread::Builder::new()
                .name("hub-download".to_owned())
                .spawn(move || work(&shared, &http, &cache, settings, &notify))
                .map_err(|e| tracing::error!("cannot start the download thread: {e}"))
                .ok()
        };
        Self {
            shared,
            http,
            cache,
            thread,
        }
    }

    /// `downloads.json` in the data folder.
    pub fn user_file() -> Option<PathBuf> {
        crate::paths::data_dir().map(|d| d.join("downloads.json"))
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self, shared: &Shared) {
        shared.save();
        self.shared.1.notify_all();
    }

    /// Queues `file` (a file already queued, running or paused keeps its job); its id.
    pub fn add(&self, file: RemoteGguf) -> u64 {
        let mut s = self.lock();
        let key = file.key();
        if let Some(j) = s
            .queue
            .jobs
            .iter_mut()
            .find(|j| j.file.key() == key && !matches!(j.state, JobState::Done(_)))
        {
            if matches!(j.state, JobState::Paused(_) | JobState::Failed(_)) {
                j.state = JobState::Queued;
            }
            let id = j.id;
            self.changed(&s);
            return id;
        }
        let id = s.queue.next_id;
        s.queue.next_id += 1;
        let done = on_disk(&self.cache, &file);
        s.known_done.insert(id, done);
        s.queue.jobs.push(DownloadJob {
            id,
            file,
            state: JobState::Queued,
        });
        self.changed(&s);
        id
    }

    /// Pauses job `id` (the running one stops after its current buffer).
    pub fn pause(&self, id: u64) {
        let mut s = self.lock();
        if let Some(r) = s.running.as_ref().filter(|r| r.id == id) {
            r.control.pause();
            return;
        }
        if let Some(j) = s.job(id).filter(|j| j.state == JobState::Queued) {
            j.state = JobState::Paused(None);
            self.changed(&s);
        }
    }

    /// Queues a paused or failed job again.
    pub fn resume(&self, id: u64) {
        let mut s = self.lock();
        if let Some(j) = s
            .job(id)
            .filter(|j| matches!(j.state, JobState::Paused(_) | JobState::Failed(_)))
        {
            j.state = JobState::Queued;
            self.changed(&s);
        }
    }

    /// Cancels job `id`: its partial bytes are deleted. A finished job is only removed from
    /// the list; its file stays.
    pub fn cancel(&self, id: u64) {
        let mut s = self.lock();
        if let Some(r) = s.running.as_ref().filter(|r| r.id == id) {
            r.control.cancel();
            return;
        }
        let Some(at) = s.queue.jobs.iter().position(|j| j.id == id) else {
            return;
        };
        let job = s.queue.jobs.remove(at);
        if !matches!(job.state, JobState::Done(_)) {
            let cache = RepoCache::new(&self.cache, &job.file.repo);
            for p in &job.file.parts {
                let _ = std::fs::remove_file(cache.incomplete(&p.sha256));
            }
        }
        self.changed(&s);
    }

    /// Every job, in queue order, with live figures.
    pub fn jobs(&self) -> Vec<JobView> {
        let s = self.lock();
        s.queue
            .jobs
            .iter()
            .map(|j| {
                let total = j.file.bytes();
                let live = s.running.as_ref().filter(|r| r.id == j.id);
                let done = match (&j.state, live) {
                    (_, Some(r)) => r.progress.done.load(std::sync::atomic::Ordering::Relaxed),
                    (JobState::Done(_), None) => total,
                    _ => s.known_done.get(&j.id).copied().unwrap_or(0),
                };
                JobView {
                    job: j.clone(),
                    done,
                    total,
                    checking: live.is_some_and(|r| {
                        r.progress
                            .checking
                            .load(std::sync::atomic::Ordering::Relaxed)
                    }),
                    retries: live.map_or(0, |r| {
                        r.progress
                            .retries
                            .load(std::sync::atomic::Ordering::Relaxed)
                    }),
                }
            })
            .collect()
    }

    /// Whether a download is running or waiting.
    pub fn active(&self) -> bool {
        self.lock()
            .queue
            .jobs
            .iter()
            .any(|j| matches!(j.state, JobState::Queued | JobState::Running))
    }

    /// The client downloads use.
    pub fn http(&self) -> &Http {
        &self.http
    }
}

impl Drop for Downloads {
    fn drop(&mut self) {
        {
            let mut s = self.lock();
            s.shutdown = true;
            if let Some(r) = &s.running {
                r.control.pause();
            }
            self.shared.1.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Bytes of `file` already on disk: whole parts in the cache and the `.incomplete` one.
fn on_disk(cache: &std::path::Path, file: &RemoteGguf) -> u64 {
    let c = RepoCache::new(cache, &file.repo);
    file.parts
        .iter()
        .map(|p| {
            if c.has_blob(p) {
                p.bytes
            } else {
                std::fs::metadata(c.incomplete(&p.sha256)).map_or(0, |m| m.len().min(p.bytes))
            }
        })
        .sum()
}

/// The download thread: takes the first queued job, downloads it, records how it ended.
fn work(
    shared: &SharedState,
    http: &Http,
    cache: &std::path::Path,
    settings: TransferSettings,
    notify: &(dyn Fn() + Send + Sync),
) {
    let (lock, wake) = &**shared;
    loop {
        let (id, file, progress, control) = {
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if s.shutdown {
                    return;
                }
                if s.queue.jobs.iter().any(|j| j.state == JobState::Queued) {
                    break;
                }
                s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
            }
            let Some(job) = s
                .queue
                .jobs
                .iter_mut()
                .find(|j| j.state == JobState::Queued)
            else {
                continue;
            };
            job.state = JobState::Running;
            let (id, file) = (job.id, job.file.clone());
            let progress = Arc::new(Progress::default());
            let control = Arc::new(Control::default());
            s.running = Some(Running {
                id,
                progress: progress.clone(),
                control: control.clone(),
            });
            s.save();
            (id, file, progress, control)
        };
        notify();
        let end = transfer::download(http, cache, &file, &progress, &control, settings);
        {
            let mut s = lock.lock().unwrap_or_else(|e| e.into_inner());
            s.running = None;
            // Read here, on the download thread, not by whoever draws the list.
            s.known_done.insert(id, on_disk(cache, &file));
            let shutdown = s.shutdown;
            let next = match end {
                Ok(TransferEnd::Done(path)) => Some(JobState::Done(path)),
                Ok(TransferEnd::Paused) if shutdown => Some(JobState::Queued),
                Ok(TransferEnd::Paused) => Some(JobState::Paused(None)),
                Ok(TransferEnd::Cancelled) => None,
                Err(e @ TransferError::DiskFull { .. }) => {
                    Some(JobState::Paused(Some(e.to_string())))
                }
                Err(e) => Some(JobState::Failed(e.to_string())),
            };
            match next {
                Some(state) => {
                    if let Some(j) = s.job(id) {
                        j.state = state;
                    }
                }
                None => s.queue.jobs.retain(|j| j.id != id),
            }
            s.save();
        }
        notify();
    }
}
