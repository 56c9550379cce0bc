//! llama.cpp's check of the open card's GPU placement, on a build with a GPU back-end: a
//! `split-checker` thread writes the model's shape-only GGUF (a few MB, no weights) and lets
//! llama.cpp place the card's suggestion for the machine shown, live or "What if…" (`split_check`;
//! a `no_alloc` dry run does not depend on the card's free memory). Without a GPU back-end the
//! thread finds no device, says so once and ends, and the card shows the estimate alone.

use std::collections::HashMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;

use crate::catalog::Model;
use crate::estimate::placement::Offload;
use crate::estimate::placement::SplitLimits;
use crate::estimate::quant::Quant;
use crate::gguf::shape::with_shape_only;
use crate::llama::backend::gpu_devices;
use crate::llama::split_search::{check_split, SplitCheck};
use crate::llama::LlamaError;

/// One placement to check: a catalog model at a quantization and context, for a budget.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CheckKey {
    /// Catalog id.
    pub model_id: String,
    /// Quantization.
    pub quant: Quant,
    /// Context length.
    pub ctx_tokens: u32,
    /// The budget and layer count.
    pub limits: SplitLimits,
    /// The estimate's placement.
    pub estimated: Offload,
    /// The card's launch settings.
    pub settings: crate::estimate::launch_settings::LaunchSettings,
}

/// Where a check stands.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckState {
    /// Sent to the checker.
    Pending,
    /// llama.cpp's answer, or why it could not give one.
    Done(Result<SplitCheck, LlamaError>),
}

enum Reply {
    Devices(Vec<String>),
    Checked(CheckKey, Result<SplitCheck, LlamaError>),
}

/// The checks asked for and their answers.
pub struct CardChecks {
    /// The GPU llama.cpp can use (the first), once the checker knows.
    pub device: Option<String>,
    states: HashMap<CheckKey, CheckState>,
    jobs: Option<Sender<(CheckKey, Box<Model>)>>,
    replies: Option<Receiver<Reply>>,
    thread: Option<JoinHandle<()>>,
}

impl CardChecks {
    /// No checker (tests, or a window that does not want one).
    pub fn none() -> Self {
        Self {
            device: None,
            states: HashMap::new(),
            jobs: None,
            replies: None,
            thread: None,
        }
    }

    /// Starts the checker thread; `notify` wakes the window when an answer arrives. The thread
    /// ends when the job channel closes (dropping this), after the check in progress, and
    /// removes its scratch folder; the drop joins it.
    pub fn spawn(notify: impl Fn() + Send + 'static) -> Self {
        let (job_tx, job_rx) = mpsc::channel::<(CheckKey, Box<Model>)>();
        let (reply_tx, reply_rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("split-checker".into())
            .spawn(move || {
                let devices = gpu_devices();
                let none = devices.is_empty();
                if reply_tx.send(Reply::Devices(devices)).is_err() || none {
                    return;
                }
                notify();
                let scratch = std::env::temp_dir()
                    .join(format!("seekdeck-split-check-{}", std::process::id()));
                for (key, model) in job_rx {
                    let result = check_model(&key, &model, &scratch);
                    if reply_tx.send(Reply::Checked(key, result)).is_err() {
                        break;
                    }
                    notify();
                }
                let _ = std::fs::remove_dir_all(&scratch);
            });
        match spawned {
            Ok(thread) => Self {
                device: None,
                states: HashMap::new(),
                jobs: Some(job_tx),
                replies: Some(reply_rx),
                thread: Some(thread),
            },
            Err(e) => {
                tracing::warn!("the split checker thread did not start: {e}");
                Self::none()
            }
        }
    }

    /// Takes the checker's answers.
    pub(crate) fn drain(&mut self) {
        let Some(replies) = &self.replies else { return };
        for reply in replies.try_iter() {
            match reply {
                Reply::Devices(devices) => {
                    self.device = devices.into_iter().next();
                    if self.device.is_none() {
                        self.jobs = None;
                    }
                }
                Reply::Checked(key, result) => {
                    self.states.insert(key, CheckState::Done(result));
                }
            }
        }
    }

    /// Asks for `key` unless it was asked before or there is no GPU to check on.
    pub(crate) fn request(&mut self, key: CheckKey, model: &Model) {
        if self.device.is_none() || self.states.contains_key(&key) {
            return;
        }
        let Some(jobs) = &self.jobs else { return };
        if jobs.send((key.clone(), Box::new(model.clone()))).is_ok() {
            self.states.insert(key, CheckState::Pending);
        }
    }

    /// Where the check of `key` stands (none when it was not asked for).
    pub fn state(&self, key: &CheckKey) -> Option<&CheckState> {
        self.states.get(key)
    }

    /// Records an answer directly (tests, and checks made elsewhere).
    pub fn record(&mut self, device: &str, key: CheckKey, state: CheckState) {
        self.device = Some(device.to_owned());
        self.states.insert(key, state);
    }
}

impl Drop for CardChecks {
    fn drop(&mut self) {
        drop(self.jobs.take());
        drop(self.replies.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Writes the shape-only file of `model`, lets llama.cpp check the placement, removes the file.
fn check_model(
    key: &CheckKey,
    model: &Model,
    scratch: &std::path::Path,
) -> Result<SplitCheck, LlamaError> {
    with_shape_only(model, key.quant, scratch, |path| {
        check_split(
            path,
            key.ctx_tokens,
            key.estimated,
            key.limits,
            &key.settings,
        )
    })
}
