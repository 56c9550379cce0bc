//! "Get a GGUF": each card's list of remote files with this PC's verdict (asked of the Hub on a
//! `hub-lister` thread when the card's section is opened; verdicts recomputed here when the
//! machine or context changes, which costs no request), the repositories the user added, and the
//! download queue with each job's speed and time left. A download that finishes asks for a
//! rescan, so the file appears in "On this PC" with Launch.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::Instant;

use crate::hardware::HardwareSnapshot;
use crate::hub::queue::JobView;
use crate::hub::repo::valid_repo_id;
use crate::hub::{
    recommend, survey, Downloads, FileChoice, Http, HubConfig, JobState, RemoteGguf, RemoteHeaders,
    TransferSettings,
};

/// A card's remote files.
#[derive(Debug, Clone)]
pub enum RemoteList {
    /// The Hub is being asked.
    Loading,
    /// What it answered.
    Ready {
        /// Every file with its verdict.
        choices: Vec<FileChoice>,
        /// The recommended one.
        best: Option<usize>,
        /// Repositories that could not be listed, in words.
        failed: Vec<String>,
    },
}

/// Speed of a running download, smoothed.
#[derive(Debug, Clone, Copy)]
struct Rate {
    at: Instant,
    done: u64,
    bytes_per_sec: f64,
}

/// A download as the panel shows it.
#[derive(Debug, Clone)]
pub struct DownloadRow {
    /// The job and its figures.
    pub view: JobView,
    /// Bytes per second, when running.
    pub bytes_per_sec: Option<f64>,
}

impl DownloadRow {
    /// Seconds left at the current speed.
    pub fn seconds_left(&self) -> Option<u64> {
        let speed = self.bytes_per_sec.filter(|s| *s > 1.0)?;
        Some((self.view.total.saturating_sub(self.view.done) as f64 / speed) as u64)
    }
}

type ListAnswer = (String, RemoteListAnswer);

/// What a lister thread sends back.
struct RemoteListAnswer {
    files: Vec<(
        RemoteGguf,
        Result<crate::local::GgufInfo, crate::hub::RemoteInfoError>,
    )>,
    failed: Vec<String>,
}

/// The Hub side of the window.
pub struct HubState {
    config: Option<HubConfig>,
    headers_file: Option<PathBuf>,
    downloads: Option<Downloads>,
    queue_file: Option<PathBuf>,
    notify: std::sync::Arc<dyn Fn() + Send + Sync>,
    lists: HashMap<String, RemoteList>,
    /// The machine and context the lists' verdicts are for.
    judged_for: Option<(u32, HardwareSnapshot)>,
    /// The repository id being typed, and why it is not one.
    pub repo_typed: (String, Option<String>),
    sender: Sender<ListAnswer>,
    receiver: Receiver<ListAnswer>,
    rates: HashMap<u64, Rate>,
    finished: HashSet<u64>,
    /// Keys of the listed files already in the cache (checked when a list arrives and when a
    /// download finishes, not per frame).
    cached: HashSet<String>,
    /// Rows of the download panel, refreshed each frame from the queue.
    pub rows: Vec<DownloadRow>,
}

impl HubState {
    /// The Hub at `config` (none: the section says the Hub is not set up), remote headers kept in
    /// `headers_file`, the queue in `queue_file`.
    pub fn new(
        config: Option<HubConfig>,
        headers_file: Option<PathBuf>,
        queue_file: Option<PathBuf>,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Self {
        let (sender, receiver) = channel();
        let mut state = Self {
            config,
            headers_file,
            downloads: None,
            queue_file,
            notify: std::sync::Arc::new(notify),
            lists: HashMap::new(),
            judged_for: None,
            repo_typed: (String::new(), None),
            sender,
            receiver,
            rates: HashMap::new(),
            finished: HashSet::new(),
            cached: HashSet::new(),
            rows: Vec::new(),
        };
        // Downloads left queued by the last run go on.
        if state
            .queue_file
            .as_deref()
            .is_some_and(std::path::Path::exists)
        {
            state.start_queue();
        }
        state
    }

    /// The Hub's address, for the section's wording; none when there is no Hub to ask (tests
    /// without one, or `HF_HUB_OFFLINE`).
    pub fn endpoint(&self) -> Option<&str> {
        self.config
            .as_ref()
            .filter(|c| !c.offline)
            .map(|c| c.endpoint.as_str())
    }

    /// Whether `HF_HUB_OFFLINE` turned the Hub off.
    pub fn offline(&self) -> bool {
        self.config.as_ref().is_some_and(|c| c.offline)
    }

    fn start_queue(&mut self) -> Option<&Downloads> {
        if self.downloads.is_none() {
            let config = self.config.as_ref().filter(|c| !c.offline)?;
            let notify = self.notify.clone();
            self.downloads = Some(Downloads::start(
                Http::new(config),
                config.cache.clone(),
                TransferSettings::default(),
                self.queue_file.clone(),
                move || notify(),
            ));
        }
        self.downloads.as_ref()
    }

    /// The list of `model_id`'s files, if asked for.
    pub fn list(&self, model_id: &str) -> Option<&RemoteList> {
        self.lists.get(model_id)
    }

    /// Asks the Hub for the files of `repos` (the catalog's and the added ones) for `model_id`.
    pub(crate) fn ask(&mut self, model_id: &str, repos: Vec<String>) {
        let Some(config) = self.config.clone().filter(|c| !c.offline) else {
            return;
        };
        self.lists.insert(model_id.to_owned(), RemoteList::Loading);
        let (sender, notify, id, headers_file) = (
            self.sender.clone(),
            self.notify.clone(),
            model_id.to_owned(),
            self.headers_file.clone(),
        );
        // Ends by itself once the Hub answered or its requests timed out; not joined, as a
        // blocking request cannot be interrupted (the window may close meanwhile).
        let spawned = std::thread::Builder::new()
            .name("hub-lister".to_owned())
            .spawn(move || {
                let http = Http::new(&config);
                let mut headers = RemoteHeaders::load(headers_file);
                let found = survey(&http, &mut headers, &repos);
                headers.save();
                let failed = found
                    .failed
                    .iter()
                    .map(|(r, e)| {
                        let e = e.to_string();
                        if e.contains(r.as_str()) {
                            e
                        } else {
                            format!("{r}: {e}")
                        }
                    })
                    .collect();
                let _ = sender.send((
                    id,
                    RemoteListAnswer {
                        files: found.files,
                        failed,
                    },
                ));
                notify();
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot ask the Hub: {e}");
        }
    }

    /// The typed repository id, taken out of the field when it is one; else the field keeps it
    /// and says why.
    pub(crate) fn take_typed_repo(&mut self) -> Option<String> {
        let typed = self.repo_typed.0.trim().to_owned();
        if valid_repo_id(&typed) {
            self.repo_typed = (String::new(), None);
            Some(typed)
        } else {
            self.repo_typed.1 = Some(format!(
                "\"{typed}\" is not a repository id (owner/name, e.g. unsloth/DeepSeek-R1-GGUF)"
            ));
            None
        }
    }

    /// Queues a download.
    pub(crate) fn download(&mut self, file: RemoteGguf) {
        if let Some(d) = self.start_queue() {
            d.add(file);
        }
    }

    /// Pauses, resumes or cancels job `id`.
    pub(crate) fn control(&mut self, id: u64, action: DownloadAction) {
        if let Some(d) = &self.downloads {
            match action {
                DownloadAction::Pause => d.pause(id),
                DownloadAction::Resume => d.resume(id),
                DownloadAction::Cancel => d.cancel(id),
            }
        }
    }

    /// Takes in the listers' answers and the queue's state; true when a download finished
    /// since the last call (the caller rescans).
    pub(crate) fn drain(&mut self, ctx_tokens: u32, hw: &HardwareSnapshot) -> bool {
        let mut arrived = false;
        while let Ok((id, answer)) = self.receiver.try_recv() {
            arrived = true;
            let choices: Vec<FileChoice> = answer
                .files
                .into_iter()
                .map(|(f, info)| FileChoice::new(f, info, ctx_tokens, hw))
                .collect();
            self.lists.insert(
                id,
                RemoteList::Ready {
                    best: recommend(&choices),
                    choices,
                    failed: answer.failed,
                },
            );
        }
        self.rejudge(ctx_tokens, hw);
        let finished = self.refresh_rows();
        if arrived || finished {
            self.check_cache();
        }
        finished
    }

    fn check_cache(&mut self) {
        let Some(config) = &self.config else {
            return;
        };
        self.cached = self
            .lists
            .values()
            .filter_map(|l| match l {
                RemoteList::Ready { choices, .. } => Some(choices),
                RemoteList::Loading => None,
            })
            .flatten()
            .filter(|c| {
                let cache = crate::hub::cache_layout::RepoCache::new(&config.cache, &c.file.repo);
                c.file.parts.iter().all(|p| cache.has(&c.file.commit, p))
            })
            .map(|c| c.file.key())
            .collect();
    }

    /// Verdicts again when the machine or the context changed (no request: headers are kept).
    fn rejudge(&mut self, ctx_tokens: u32, hw: &HardwareSnapshot) {
        if self
            .judged_for
            .as_ref()
            .is_some_and(|(c, h)| *c == ctx_tokens && h == hw)
        {
            return;
        }
        for list in self.lists.values_mut() {
            if let RemoteList::Ready { choices, best, .. } = list {
                for c in choices.iter_mut() {
                    c.reestimate(ctx_tokens, hw);
                }
                *best = recommend(choices);
            }
        }
        self.judged_for = Some((ctx_tokens, hw.clone()));
    }

    fn refresh_rows(&mut self) -> bool {
        let Some(d) = &self.downloads else {
            return false;
        };
        let now = Instant::now();
        let mut finished = false;
        self.rows = d
            .jobs()
            .into_iter()
            .map(|view| {
                let id = view.job.id;
                if matches!(view.job.state, JobState::Done(_)) && self.finished.insert(id) {
                    finished = true;
                }
                let bytes_per_sec = (view.job.state == JobState::Running && !view.checking)
                    .then(|| {
                        let rate = self.rates.entry(id).or_insert(Rate {
                            at: now,
                            done: view.done,
                            bytes_per_sec: 0.0,
                        });
                        let dt = now.duration_since(rate.at).as_secs_f64();
                        if dt >= 0.5 {
                            let now_rate = view.done.saturating_sub(rate.done) as f64 / dt;
                            rate.bytes_per_sec = if rate.bytes_per_sec == 0.0 {
                                now_rate
                            } else {
                                0.7 * rate.bytes_per_sec + 0.3 * now_rate
                            };
                            rate.at = now;
                            rate.done = view.done;
                        }
                        rate.bytes_per_sec
                    })
                    .filter(|s| *s > 0.0);
                DownloadRow {
                    view,
                    bytes_per_sec,
                }
            })
            .collect();
        finished
    }

    /// Whether a download runs or waits (the window redraws its progress twice a second).
    pub fn active(&self) -> bool {
        self.downloads.as_ref().is_some_and(Downloads::active)
    }

    /// The queue's job for `file`, if any.
    pub fn job_for(&self, file: &RemoteGguf) -> Option<&DownloadRow> {
        let key = file.key();
        self.rows
            .iter()
            .rev()
            .find(|r| r.view.job.file.key() == key)
    }

    /// Whether `file` is already in the cache.
    pub fn in_cache(&self, file: &RemoteGguf) -> bool {
        self.cached.contains(&file.key())
    }
}

/// What the user does to a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadAction {
    /// Stop, keep the bytes.
    Pause,
    /// Go on.
    Resume,
    /// Stop, delete the bytes.
    Cancel,
}
