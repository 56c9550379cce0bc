//! The chat half of the window: the engine handle, the loaded model's state, the conversations
//! and the generation in progress. Engine events are applied here, once per frame; nothing here
//! waits on llama.cpp.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::chat::store::ConversationStore;
use crate::chat::{ChatMessage, Conversation, Role};
use crate::engine::{
    Engine, EngineError, Event, FinishReason, LoadedModel, Prompt, Request, SamplingParams,
};

/// The model slot.
#[derive(Debug, Clone)]
pub enum ModelState {
    /// Nothing loaded.
    Empty,
    /// Loading, with llama.cpp's progress.
    Loading {
        /// The file.
        path: PathBuf,
        /// Name shown.
        name: String,
        /// 0 to 1.
        progress: f32,
        /// Set to abort the load.
        cancel: Arc<AtomicBool>,
        /// When the load started.
        started: Instant,
        /// llama.cpp's dry runs are checking the GPU split.
        checking_split: bool,
    },
    /// Ready to chat.
    Loaded {
        /// What the engine reported.
        info: LoadedModel,
        /// Name shown.
        name: String,
    },
}

/// What "Launch" needs to know about a file.
#[derive(Debug, Clone)]
pub struct LaunchPlan {
    /// The file.
    pub path: PathBuf,
    /// Name shown.
    pub name: String,
    /// Context length.
    pub ctx_tokens: u32,
    /// GPU layers and experts-in-RAM.
    pub offload: crate::fit::Offload,
    /// What llama.cpp's check of `offload` is held to (none without a GPU).
    pub split_limits: Option<crate::split_check::SplitLimits>,
    /// Sampling settings for new conversations (the catalog's recommendation).
    pub sampling: SamplingParams,
    /// Whether answers start with reasoning.
    pub reasoning: bool,
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
    /// Engine id.
    pub id: u64,
    /// Set to stop.
    pub cancel: Arc<AtomicBool>,
    /// The conversation it writes into.
    pub conversation_id: String,
}

/// Chat state.
pub struct ChatState {
    engine: Option<Engine>,
    /// The model slot.
    pub model: ModelState,
    /// The last load failure, shown until the next launch.
    pub load_error: Option<String>,
    /// A launch waiting for "Launch anyway".
    pub refusal: Option<Refusal>,
    /// Conversations, newest first.
    pub conversations: Vec<Conversation>,
    /// Index of the open conversation.
    pub current: usize,
    /// The message being typed.
    pub draft: String,
    /// A question being edited: (message index, new text).
    pub editing: Option<(usize, String)>,
    /// The generation in progress.
    pub generation: Option<Generation>,
    /// The last answer ran out of context.
    pub context_full: bool,
    /// Messages for the user (store problems, save failures).
    pub notices: Vec<String>,
    /// Sampling and reasoning of the loaded model, for new conversations.
    pub model_defaults: (SamplingParams, bool),
    store: Option<ConversationStore>,
    next_id: u64,
}

impl ChatState {
    /// Restores the conversations from `store` (damaged files are set aside and reported).
    pub fn new(store: Option<ConversationStore>) -> Self {
        let mut notices = Vec::new();
        let mut conversations = Vec::new();
        if let Some(s) = &store {
            let loaded = s.load_all();
            for p in &loaded.problems {
                tracing::warn!("{p}");
            }
            notices.extend(loaded.problems);
            conversations = loaded.conversations;
        }
        if conversations.is_empty() {
            conversations.push(Conversation::default());
        }
        Self {
            engine: None,
            model: ModelState::Empty,
            load_error: None,
            refusal: None,
            conversations,
            current: 0,
            draft: String::new(),
            editing: None,
            generation: None,
            context_full: false,
            notices,
            model_defaults: (SamplingParams::default(), false),
            store,
            next_id: 1,
        }
    }

    /// The open conversation.
    pub fn conversation(&self) -> &Conversation {
        &self.conversations[self.current.min(self.conversations.len() - 1)]
    }

    /// The open conversation, to change.
    pub fn conversation_mut(&mut self) -> &mut Conversation {
        let i = self.current.min(self.conversations.len() - 1);
        &mut self.conversations[i]
    }

    /// Whether a model is ready and idle.
    pub fn can_send(&self) -> bool {
        matches!(self.model, ModelState::Loaded { .. }) && self.generation.is_none()
    }

    /// Starts loading `plan` (replacing any loaded model).
    pub fn launch(&mut self, plan: LaunchPlan, notify: impl Fn() + Send + 'static) {
        self.refusal = None;
        self.load_error = None;
        self.stop();
        if self.engine.is_none() {
            match Engine::spawn(notify) {
                Ok(e) => self.engine = Some(e),
                Err(e) => {
                    self.load_error = Some(format!("The engine thread did not start: {e}"));
                    return;
                }
            }
        }
        let cancel = Arc::new(AtomicBool::new(false));
        self.model_defaults = (plan.sampling, plan.reasoning);
        self.send(Request::Load {
            path: plan.path.clone(),
            ctx_tokens: plan.ctx_tokens,
            offload: plan.offload,
            split_limits: plan.split_limits,
            cancel: cancel.clone(),
        });
        self.model = ModelState::Loading {
            path: plan.path,
            name: plan.name,
            progress: 0.0,
            cancel,
            started: Instant::now(),
            checking_split: false,
        };
        let fresh = self.conversation().messages.is_empty();
        if fresh {
            let (sampling, reasoning) = self.model_defaults;
            let c = self.conversation_mut();
            c.sampling = sampling;
            c.reasoning = reasoning;
        }
    }

    /// Aborts a load in progress.
    pub fn cancel_load(&mut self) {
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

    /// Sends the draft as the next question.
    pub fn send_draft(&mut self) {
        let text = self.draft.trim().to_owned();
        if text.is_empty() || !self.can_send() {
            return;
        }
        self.draft.clear();
        self.conversation_mut().push_user(&text);
        self.start_generation();
    }

    /// Asks for an answer to the conversation as it stands.
    fn start_generation(&mut self) {
        if !self.can_send() {
            return;
        }
        self.context_full = false;
        let id = self.next_id;
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        let (history, sampling, conversation_id) = {
            let c = self.conversation_mut();
            c.messages.push(ChatMessage::pending_answer());
            (c.history(), c.sampling, c.id.clone())
        };
        if let ModelState::Loaded { info, .. } = &self.model {
            let path = info.path.clone();
            self.conversation_mut().model_file = Some(path);
        }
        self.generation = Some(Generation {
            id,
            cancel: cancel.clone(),
            conversation_id,
        });
        self.send(Request::Generate {
            id,
            prompt: Prompt::Chat(history),
            sampling,
            cancel,
        });
    }

    /// Stops the answer being written (takes effect within one token).
    pub fn stop(&mut self) {
        if let Some(g) = &self.generation {
            g.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Writes the last answer again.
    pub fn regenerate(&mut self) {
        if self.can_send() && self.conversation_mut().drop_last_answer() {
            self.start_generation();
        }
    }

    /// Sends the edited question, forgetting what followed it.
    pub fn resend_edit(&mut self) {
        let Some((index, text)) = self.editing.take() else {
            return;
        };
        if self.can_send()
            && self
                .conversation_mut()
                .edit_user_message(index, text.trim())
        {
            self.start_generation();
        }
    }

    /// Drops the oldest turn and asks again (the answer to "context full").
    pub fn drop_oldest_and_retry(&mut self) {
        if !self.can_send() {
            return;
        }
        let c = self.conversation_mut();
        if c.messages.last().is_some_and(|m| m.role == Role::Assistant) {
            c.messages.pop();
        }
        let dropped = c.drop_oldest_turn();
        if dropped {
            self.start_generation();
        } else {
            self.notices
                .push("Only one question is left: it does not fit this context. Start a new conversation or launch with a longer context.".into());
        }
    }

    /// Opens a new, empty conversation.
    pub fn new_conversation(&mut self) {
        if self.generation.is_some() {
            return;
        }
        self.context_full = false;
        self.editing = None;
        if self.conversation().messages.is_empty() {
            return; // already a fresh one
        }
        let (sampling, reasoning) = self.model_defaults;
        let mut c = Conversation::new(None, sampling, reasoning);
        c.system_prompt = self.conversation().system_prompt.clone();
        self.conversations.insert(0, c);
        self.current = 0;
        self.context_full = false;
        self.editing = None;
    }

    /// Empties the open conversation (keeps its settings).
    pub fn clear(&mut self) {
        if self.generation.is_some() {
            return;
        }
        let c = self.conversation_mut();
        c.messages.clear();
        c.title.clear();
        self.context_full = false;
        self.save_current();
    }

    /// Deletes conversation `index`.
    pub fn delete(&mut self, index: usize) {
        if self.generation.is_some() || index >= self.conversations.len() {
            return;
        }
        let c = self.conversations.remove(index);
        if let Some(s) = &self.store {
            if let Err(e) = s.delete(&c.id) {
                self.notices
                    .push(format!("Could not delete the conversation file: {e}"));
            }
        }
        if self.conversations.is_empty() {
            self.conversations.push(Conversation::default());
        }
        self.current = self.current.min(self.conversations.len() - 1);
    }

    /// Switches to conversation `index`.
    pub fn select(&mut self, index: usize) {
        if self.generation.is_none() && index < self.conversations.len() {
            self.save_current();
            self.current = index;
            self.context_full = false;
            self.editing = None;
        }
    }

    /// Saves the open conversation (if it has messages).
    pub fn save_current(&mut self) {
        let c = self.conversation().clone();
        self.save(&c);
    }

    fn save(&mut self, c: &Conversation) {
        if c.messages.is_empty() {
            return;
        }
        if let Some(s) = &self.store {
            if let Err(e) = s.save(c) {
                self.notices.push(format!(
                    "The conversation could not be saved in {}: {e}",
                    s.dir().display()
                ));
            }
        }
    }

    /// Writes a conversation as Markdown to `path`.
    pub fn export(&mut self, id: &str, path: &Path) {
        let Some(c) = self.conversations.iter().find(|c| c.id == id) else {
            return;
        };
        let text = crate::chat::export::to_markdown(c);
        if let Err(e) = crate::paths::write_atomically(path, text.as_bytes()) {
            self.notices
                .push(format!("Export to {} failed: {e}", path.display()));
        }
    }

    /// Applies the engine's events; `true` if anything changed.
    pub fn drain_engine(&mut self) -> bool {
        let Some(engine) = &self.engine else {
            return false;
        };
        let events: Vec<Event> = engine.events.try_iter().collect();
        let changed = !events.is_empty();
        for e in events {
            self.apply_event(e);
        }
        changed
    }

    fn apply_event(&mut self, event: Event) {
        match event {
            Event::CheckingSplit => {
                if let ModelState::Loading { checking_split, .. } = &mut self.model {
                    *checking_split = true;
                }
            }
            Event::Progress(p) => {
                if let ModelState::Loading {
                    progress,
                    checking_split,
                    ..
                } = &mut self.model
                {
                    *progress = p;
                    *checking_split = false;
                }
            }
            Event::Loaded(info) => {
                let name = match &self.model {
                    ModelState::Loading { name, .. } => name.clone(),
                    _ => info.path.display().to_string(),
                };
                tracing::info!("loaded {} in {:.1} s", info.path.display(), info.load_secs);
                self.model = ModelState::Loaded { info, name };
            }
            Event::Unloaded => self.model = ModelState::Empty,
            Event::Failed { id: None, error } => {
                self.model = ModelState::Empty;
                self.load_error = match error {
                    EngineError::Cancelled => None,
                    e => Some(e.to_string()),
                };
            }
            Event::Piece { id, text } => {
                if let Some(m) = self.answer_of(id) {
                    m.text.push_str(&text);
                }
            }
            Event::Finished { id, reason, stats } => {
                if let Some(m) = self.answer_of(id) {
                    m.stats = Some(stats);
                    m.finish = Some(reason);
                }
                self.context_full = reason == FinishReason::ContextFull;
                self.finish_generation(id);
            }
            Event::Failed {
                id: Some(id),
                error,
            } => {
                self.context_full = matches!(error, EngineError::ContextFull { .. });
                if let Some(m) = self.answer_of(id) {
                    m.error = Some(error.to_string());
                }
                self.finish_generation(id);
            }
        }
    }

    fn answer_of(&mut self, id: u64) -> Option<&mut ChatMessage> {
        let g = self.generation.as_ref().filter(|g| g.id == id)?;
        let conv = self
            .conversations
            .iter_mut()
            .find(|c| c.id == g.conversation_id)?;
        conv.messages
            .last_mut()
            .filter(|m| m.role == Role::Assistant)
    }

    fn finish_generation(&mut self, id: u64) {
        let Some(g) = self.generation.take_if(|g| g.id == id) else {
            return;
        };
        if let Some(c) = self
            .conversations
            .iter()
            .find(|c| c.id == g.conversation_id)
            .cloned()
        {
            self.save(&c);
        }
    }

    /// (context used, context size) after the last answer, for the context meter.
    pub fn context_use(&self) -> Option<(u32, u32)> {
        let ModelState::Loaded { info, .. } = &self.model else {
            return None;
        };
        let used = self
            .conversation()
            .messages
            .iter()
            .rev()
            .find_map(|m| m.stats)
            .map_or(0, |s| s.ctx_used_tokens);
        Some((used, info.ctx_tokens))
    }
}
