//! The engine side of the chat: the engine handle (started at the first launch), the model slot
//! (empty, loading, loaded), a refused launch, the generation in progress and the loaded model's
//! defaults. It turns launches and questions into engine requests and model events into state;
//! what an answer writes into a conversation is [`super::chat_state`]'s business.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::engine::{
    Engine, EngineError, Event, LoadedModel, ModelSource, Prompt, RemoteServer, Request,
    SamplingParams, TemplateMessage,
};

/// The model slot.
#[derive(Debug, Clone)]
pub enum ModelState {
    /// Nothing loaded.
    Empty,
    /// Loading, with llama.cpp's progress.
    Loading {
        /// The GGUF being loaded (part 1 of a split model), or the server connected to.
        source: ModelSource,
        /// The file's name as "On this PC" lists it, or "model on server".
        name: String,
        /// 0 to 1.
        progress: f32,
        /// Set to abort the load.
        cancel: Arc<AtomicBool>,
        /// When the load started.
        started: Instant,
        /// What the load is doing now.
        stage: LoadStage,
    },
    /// Ready to chat.
    Loaded {
        /// What the engine reported.
        info: LoadedModel,
        /// The file's name as "On this PC" lists it, or "model on server".
        name: String,
    },
}

/// What a load is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadStage {
    /// llama.cpp's dry runs are checking the GPU split (nothing allocated yet).
    CheckingSplit,
    /// llama.cpp is reading the file (progress events come).
    Reading,
    /// A first run reads the weights into memory (llama.cpp's warm-up; no progress events).
    WarmingUp,
}

/// What "Launch" needs to know about a file.
#[derive(Debug, Clone)]
pub struct LaunchPlan {
    /// The GGUF to load (part 1 of a split model).
    pub path: PathBuf,
    /// The file's name as "On this PC" lists it.
    pub name: String,
    /// Context the load creates, after the one context rule.
    pub ctx_tokens: u32,
    /// GPU layers and experts-in-RAM.
    pub placement: crate::estimate::placement::Placement,
    /// llama.cpp's settings for the load (the model's "Advanced" part).
    pub settings: crate::estimate::launch_settings::LaunchSettings,
    /// Sampling settings for new conversations (the catalog's recommendation).
    pub sampling: SamplingParams,
    /// Whether answers start with reasoning.
    pub reasoning: bool,
    /// The estimate's (VRAM, RAM) for the file, given back to the machine's reading while it is
    /// loaded, since launching another model unloads it first.
    pub footprint: (u64, u64),
    /// Other machines' workers the model is split across (`host:port`); empty: this PC alone.
    pub workers: Vec<String>,
    /// The weight bytes the load sends to each of them, by the plan.
    pub sending: Vec<(String, u64)>,
}

/// A launch the estimate advises against, waiting for the user's decision.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The launch, as it would run.
    pub plan: LaunchPlan,
    /// Why, in words.
    pub reason: String,
}

/// The generation in progress.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The id the engine's events for this generation carry.
    pub id: u64,
    /// Set to stop.
    pub cancel: Arc<AtomicBool>,
    /// The conversation it writes into.
    pub conversation_id: String,
    /// When it was asked for.
    pub started: Instant,
    /// When its first piece arrived.
    pub first_piece_at: Option<Instant>,
    /// Tokens generated so far (from the engine's pieces).
    pub generated_tokens: u32,
    /// Context in use after the last piece.
    pub ctx_used_tokens: u32,
}

impl Generation {
    /// Tokens per second so far, after the first token (as the final statistics count them);
    /// none before the second token.
    pub fn live_tokens_per_sec(&self, now: Instant) -> Option<f64> {
        let first = self.first_piece_at?;
        let secs = now.duration_since(first).as_secs_f64();
        (self.generated_tokens > 1 && secs > 0.0)
            .then(|| f64::from(self.generated_tokens - 1) / secs)
    }
}

/// The engine, the model slot and the generation in progress.
pub struct ChatSession {
    engine: Option<Engine>,
    /// The workers the running engine holds its model across (empty: an in-process engine).
    engine_workers: Vec<String>,
    /// What the load in progress sends to each other machine (`host:port`, weight bytes).
    pub sending: Vec<(String, u64)>,
    /// seekdeck's own executable, which a launch across machines starts as `engine-host`.
    pub(crate) host_exe: Option<PathBuf>,
    /// The model slot.
    pub model: ModelState,
    /// The last load failure, shown until the next launch.
    pub load_error: Option<String>,
    /// A launch waiting for "Launch anyway".
    pub refusal: Option<Refusal>,
    /// The generation in progress.
    pub generation: Option<Generation>,
    /// The last answer ran out of context.
    pub context_full: bool,
    /// Sampling and reasoning of the loaded model, for new conversations.
    pub model_defaults: (SamplingParams, bool),
    /// The launched file's estimated (VRAM, RAM), from its launch plan.
    launched_footprint: (u64, u64),
    /// The llama.cpp settings the file was launched with.
    pub launched_settings: crate::estimate::launch_settings::LaunchSettings,
    /// One of llama.cpp's built-in chat formats chosen in place of the loaded model's own
    /// template after that template failed; `None` uses the model's template.
    pub chat_format: Option<String>,
    /// The last answer failed in the model's chat template (the pane offers a built-in format).
    pub template_failed: bool,
    /// Why the loaded model runs on the CPU alone, when llama.cpp has no GPU back-end (no GPU
    /// module, no driver), in words a user can act on.
    pub cpu_only_reason: Option<String>,
    next_id: u64,
}

impl Default for ChatSession {
    fn default() -> Self {
        Self {
            engine: None,
            engine_workers: Vec::new(),
            sending: Vec::new(),
            host_exe: None,
            model: ModelState::Empty,
            load_error: None,
            refusal: None,
            generation: None,
            context_full: false,
            cpu_only_reason: None,
            model_defaults: (SamplingParams::default(), false),
            launched_footprint: (0, 0),
            launched_settings: Default::default(),
            chat_format: None,
            template_failed: false,
            next_id: 1,
        }
    }
}

impl ChatSession {
    /// The other machines the engine holds its model across (empty: this PC alone, or no engine
    /// host running).
    pub(crate) fn engine_workers(&self) -> &[String] {
        match &self.engine {
            Some(e) if !e.ended() => &self.engine_workers,
            _ => &[],
        }
    }

    /// Whether a model is ready and idle.
    pub(crate) fn can_send(&self) -> bool {
        matches!(self.model, ModelState::Loaded { .. }) && self.generation.is_none()
    }

    /// Starts loading `plan` (replacing any loaded model); the engine thread starts at the first
    /// launch and wakes the window through `notify` after every event.
    pub fn launch(&mut self, plan: LaunchPlan, notify: impl Fn() + Send + Sync + 'static) {
        if !self.prepare(notify, &plan.workers) {
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        self.model_defaults = (plan.sampling, plan.reasoning);
        self.launched_footprint = plan.footprint;
        self.launched_settings = plan.settings.clone();
        self.sending = plan.sending;
        self.send(Request::Load {
            path: plan.path.clone(),
            ctx_tokens: plan.ctx_tokens,
            placement: plan.placement,
            settings: plan.settings.clone(),
            cancel: cancel.clone(),
        });
        self.model = ModelState::Loading {
            source: ModelSource::File(plan.path),
            name: plan.name,
            progress: 0.0,
            cancel,
            started: Instant::now(),
            stage: LoadStage::Reading,
        };
    }

    /// Puts `model` served by `server` in the slot (replacing any loaded model); `defaults` are
    /// the sampling and reasoning new conversations take.
    pub fn connect(
        &mut self,
        server: RemoteServer,
        model: &str,
        defaults: (SamplingParams, bool),
        notify: impl Fn() + Send + Sync + 'static,
    ) {
        if !self.prepare(notify, &[]) {
            return;
        }
        let cancel = Arc::new(AtomicBool::new(false));
        self.model_defaults = defaults;
        // A served model takes nothing of this PC's memory.
        self.launched_footprint = (0, 0);
        let source = ModelSource::Server {
            server: server.name.clone(),
            base_url: server.base_url.clone(),
            model: model.to_owned(),
        };
        self.send(Request::Connect {
            server,
            model: model.to_owned(),
            cancel: cancel.clone(),
        });
        self.model = ModelState::Loading {
            name: source.label(),
            source,
            progress: 0.0,
            cancel,
            started: Instant::now(),
            stage: LoadStage::Reading,
        };
    }

    /// Clears the last launch's outcome, stops any answer and starts the engine the launch needs
    /// if it is not running — the in-process thread for this PC alone, an engine host for a model
    /// across `workers` (a running engine of the other kind is shut down first, freeing its
    /// model); `false` when it could not start.
    fn prepare(&mut self, notify: impl Fn() + Send + Sync + 'static, workers: &[String]) -> bool {
        self.refusal = None;
        self.load_error = None;
        self.stop();
        if self.engine_workers != workers || self.engine.as_ref().is_some_and(Engine::ended) {
            self.engine = None;
        }
        if self.engine.is_none() {
            let started = if workers.is_empty() {
                Engine::spawn(notify)
            } else {
                self.host_exe
                    .clone()
                    .map_or_else(std::env::current_exe, Ok)
                    .and_then(|exe| Engine::spawn_host(&exe, workers, notify))
            };
            match started {
                Ok(e) => {
                    self.engine = Some(e);
                    self.engine_workers = workers.to_vec();
                }
                Err(e) => {
                    self.load_error = Some(format!("The engine did not start: {e}"));
                    return false;
                }
            }
        }
        true
    }

    /// Aborts a load in progress.
    pub(crate) fn cancel_load(&mut self) {
        if let ModelState::Loading { cancel, .. } = &self.model {
            cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Frees the model.
    pub fn unload(&mut self) {
        self.stop();
        self.send(Request::Unload);
    }

    fn send(&mut self, r: Request) {
        if let Some(e) = &self.engine {
            if !e.send(r) {
                self.load_error = Some("The engine thread has stopped; restart seekdeck.".into());
            }
        }
    }

    /// Asks the engine to answer `history` into conversation `conversation_id`; `false` when no
    /// model is ready or an answer is already being written.
    pub fn start(
        &mut self,
        history: Vec<TemplateMessage>,
        sampling: SamplingParams,
        conversation_id: String,
    ) -> bool {
        if !self.can_send() {
            return false;
        }
        self.context_full = false;
        self.template_failed = false;
        let id = self.next_id;
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.generation = Some(Generation {
            id,
            cancel: cancel.clone(),
            conversation_id,
            started: Instant::now(),
            first_piece_at: None,
            generated_tokens: 0,
            ctx_used_tokens: 0,
        });
        self.send(Request::Generate {
            id,
            prompt: match &self.chat_format {
                Some(format) => Prompt::ChatBuiltIn {
                    messages: history,
                    format: format.clone(),
                },
                None => Prompt::Chat(history),
            },
            sampling,
            cancel,
        });
        true
    }

    /// What is loaded, if anything.
    pub(crate) fn loaded_source(&self) -> Option<&ModelSource> {
        match &self.model {
            ModelState::Loaded { info, .. } => Some(&info.source),
            _ => None,
        }
    }

    /// Stops the answer being written (takes effect within one token).
    pub fn stop(&mut self) {
        if let Some(g) = &self.generation {
            g.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// The engine's events since the last call.
    pub(crate) fn take_events(&self) -> Vec<Event> {
        self.engine
            .as_ref()
            .map(|e| e.events.try_iter().collect())
            .unwrap_or_default()
    }

    /// Applies an event about the model slot (loading, loaded, unloaded, a failed load);
    /// `false` for generation events, which the caller applies.
    pub(crate) fn apply_model_event(&mut self, event: &Event) -> bool {
        match event {
            Event::CheckingSplit => {
                if let ModelState::Loading { stage, .. } = &mut self.model {
                    *stage = LoadStage::CheckingSplit;
                }
            }
            Event::Progress(p) => {
                if let ModelState::Loading {
                    progress, stage, ..
                } = &mut self.model
                {
                    *progress = *p;
                    *stage = LoadStage::Reading;
                }
            }
            Event::WarmingUp => {
                if let ModelState::Loading {
                    progress, stage, ..
                } = &mut self.model
                {
                    *progress = 1.0;
                    *stage = LoadStage::WarmingUp;
                }
            }
            Event::Loaded(info) => {
                let name = match &self.model {
                    ModelState::Loading { name, .. } => name.clone(),
                    _ => info.source.label(),
                };
                tracing::info!("loaded {} in {:.1} s", info.source.label(), info.load_secs);
                // A new model starts with its own template.
                self.chat_format = None;
                self.template_failed = false;
                self.cpu_only_reason = (info.source.file().is_some()
                    && info.offload.gpu_layers == 0
                    && self.engine_workers.is_empty())
                .then(|| crate::llama::backend::backend_report().why_cpu_only())
                .flatten();
                self.model = ModelState::Loaded {
                    info: info.clone(),
                    name,
                };
            }
            Event::Unloaded => self.model = ModelState::Empty,
            Event::Failed { id: None, error } => {
                self.model = ModelState::Empty;
                self.load_error = match error {
                    EngineError::Cancelled => None,
                    e => Some(e.to_string()),
                };
            }
            _ => return false,
        }
        true
    }

    /// The generation `id`, when it is the current one.
    pub(crate) fn current_generation(&self, id: u64) -> Option<&Generation> {
        self.generation.as_ref().filter(|g| g.id == id)
    }

    /// Counts a piece of generation `id` (when it is the current one).
    pub(crate) fn count_piece(&mut self, id: u64, generated_tokens: u32, ctx_used_tokens: u32) {
        if let Some(g) = self.generation.as_mut().filter(|g| g.id == id) {
            g.first_piece_at.get_or_insert_with(Instant::now);
            g.generated_tokens = generated_tokens;
            g.ctx_used_tokens = ctx_used_tokens;
        }
    }

    /// Ends generation `id`; returns the conversation it wrote into.
    pub fn finish(&mut self, id: u64) -> Option<String> {
        self.generation
            .take_if(|g| g.id == id)
            .map(|g| g.conversation_id)
    }

    /// The loaded model's estimated (VRAM, RAM), while one is loaded.
    pub fn loaded_footprint(&self) -> Option<(u64, u64)> {
        matches!(self.model, ModelState::Loaded { .. }).then_some(self.launched_footprint)
    }

    /// The loaded model's context size (none for a server that does not say).
    pub fn ctx_tokens(&self) -> Option<u32> {
        match &self.model {
            ModelState::Loaded { info, .. } => Some(info.ctx_tokens).filter(|&n| n > 0),
            _ => None,
        }
    }
}
