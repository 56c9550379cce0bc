//! The chat half of the window, in three parts with one job each: the engine session
//! ([`ChatSession`]: model slot, generation), the conversations ([`Conversations`]: list, store,
//! notices) and the draft ([`Draft`]: what is being typed). This file holds what spans them:
//! asking a question, applying an answer's events to its conversation, the context meter.
//! Engine events are applied once per frame; nothing here waits on llama.cpp.

use std::path::Path;

pub use super::chat_session::{
    ChatSession, Generation, LaunchPlan, LoadStage, ModelState, Refusal,
};
pub use super::conversations::Conversations;
pub use super::draft::Draft;
use crate::chat::{ChatMessage, Conversation, Role};
use crate::engine::{EngineError, Event, FinishReason, ModelSource};

/// Chat state: the session, the conversations and the draft.
pub struct ChatState {
    /// The engine, the model slot and the generation in progress.
    pub session: ChatSession,
    /// The conversations: list, store, notices.
    pub conversations: Conversations,
    /// What is being typed.
    pub draft: Draft,
    /// Context the loaded model used for the open conversation, as last reported (none until
    /// an answer of this model in this conversation says so).
    meter_used: Option<u32>,
}

impl ChatState {
    /// Restores the conversations from `store`.
    pub fn new(store: Option<crate::chat::store::ConversationStore>) -> Self {
        Self {
            session: ChatSession::default(),
            conversations: Conversations::new(store),
            draft: Draft::default(),
            meter_used: None,
        }
    }

    /// The open conversation.
    pub fn conversation(&self) -> &Conversation {
        self.conversations.open()
    }

    /// The open conversation, to change.
    pub fn conversation_mut(&mut self) -> &mut Conversation {
        self.conversations.open_mut()
    }

    /// Whether a model is ready and idle.
    pub(crate) fn can_send(&self) -> bool {
        self.session.can_send()
    }

    /// Whether an answer is being written.
    pub(crate) fn busy(&self) -> bool {
        self.session.generation.is_some()
    }

    /// Starts loading `plan`; a fresh open conversation takes the model's recommended settings.
    pub fn launch(&mut self, plan: LaunchPlan, notify: impl Fn() + Send + Sync + 'static) {
        let label = ModelSource::File(plan.path.clone()).label();
        self.session.launch(plan, notify);
        self.adopt_model_defaults(&label);
    }

    /// A new model starts a new conversation: a conversation held with another model stays in
    /// the list (picking it there continues it with the new model), and the notice says so. A
    /// fresh open conversation takes the model's recommended settings.
    fn adopt_model_defaults(&mut self, model_label: &str) {
        let open = self.conversation();
        let held_with = open
            .model_file
            .as_ref()
            .map(|p| p.display().to_string())
            .or_else(|| open.model_server.clone());
        if let Some(previous) = held_with.filter(|h| h != model_label && !open.messages.is_empty())
        {
            self.conversations.save_open();
            self.conversations.start_new(self.session.model_defaults.1);
            self.conversations.notices.push(format!(
                "{model_label} starts a new conversation; the one with {previous} is kept in the \
                 list — open it there to continue it with this model."
            ));
        }
        if self.conversation().messages.is_empty() {
            let (sampling, reasoning) = self.session.model_defaults;
            let c = self.conversation_mut();
            c.sampling = sampling;
            c.reasoning = reasoning;
        }
    }

    /// Puts a served model in the slot; a fresh open conversation takes `defaults` (sampling,
    /// reasoning).
    pub fn connect(
        &mut self,
        server: crate::engine::RemoteServer,
        model: &str,
        defaults: (crate::engine::SamplingParams, bool),
        notify: impl Fn() + Send + Sync + 'static,
    ) {
        let label = ModelSource::Server {
            server: server.name.clone(),
            base_url: server.base_url.clone(),
            model: model.to_owned(),
        }
        .label();
        self.session.connect(server, model, defaults, notify);
        self.adopt_model_defaults(&label);
    }

    /// Sends the draft as the next question.
    pub(crate) fn send_draft(&mut self) {
        let text = self.draft.text.trim().to_owned();
        if text.is_empty() || !self.can_send() {
            return;
        }
        self.draft.text.clear();
        self.conversation_mut().push_user(&text);
        self.start_generation();
    }

    /// Asks for an answer to the open conversation as it stands.
    fn start_generation(&mut self) {
        if !self.can_send() {
            return;
        }
        let source = self.session.loaded_source().cloned();
        let (history, sampling, id) = {
            let c = self.conversation_mut();
            c.messages.push(ChatMessage::pending_answer());
            match source {
                Some(ModelSource::File(path)) => {
                    c.model_file = Some(path);
                    c.model_server = None;
                }
                Some(served @ ModelSource::Server { .. }) => {
                    c.model_file = None;
                    c.model_server = Some(served.label());
                }
                None => {}
            }
            (c.history(), c.sampling, c.id.clone())
        };
        self.session.start(history, sampling, id);
    }

    /// Stops the answer being written (takes effect within one token).
    pub fn stop(&mut self) {
        self.session.stop();
    }

    /// Writes the last answer again.
    pub(crate) fn regenerate(&mut self) {
        if self.can_send() && self.conversation_mut().drop_last_answer() {
            self.start_generation();
        }
    }

    /// Starts editing question `index` of the open conversation.
    pub(crate) fn start_edit(&mut self, index: usize) {
        let text = self
            .conversation()
            .messages
            .get(index)
            .map(|m| m.text.clone());
        self.draft.editing = text.map(|t| (index, t));
    }

    /// Sends the edited question, forgetting what followed it.
    pub(crate) fn resend_edit(&mut self) {
        let Some((index, text)) = self.draft.editing.take() else {
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
    pub(crate) fn drop_oldest_and_retry(&mut self) {
        if !self.can_send() {
            return;
        }
        let c = self.conversation_mut();
        if c.messages.last().is_some_and(|m| m.role == Role::Assistant) {
            c.messages.pop();
        }
        if c.drop_oldest_turn() {
            self.start_generation();
        } else {
            self.conversations.notices.push(
                "Only one question is left: it does not fit this context. Start a new conversation or launch with a longer context.".into(),
            );
        }
    }

    /// Opens a new, empty conversation (not while an answer is being written).
    pub fn new_conversation(&mut self) {
        if self.busy() {
            return;
        }
        self.session.context_full = false;
        self.draft.editing = None;
        self.meter_used = None;
        self.conversations.start_new(self.session.model_defaults.1);
    }

    /// Empties the open conversation (keeps its settings).
    pub fn clear(&mut self) {
        if self.busy() {
            return;
        }
        self.session.context_full = false;
        self.meter_used = None;
        self.conversations.clear_open();
    }

    /// Deletes conversation `index`.
    pub(crate) fn delete(&mut self, index: usize) {
        if !self.busy() {
            if index == self.conversations.current {
                self.meter_used = None;
            }
            self.conversations.delete(index);
        }
    }

    /// Switches to conversation `index`.
    pub(crate) fn select(&mut self, index: usize) {
        if !self.busy() && self.conversations.select(index) {
            self.session.context_full = false;
            self.draft.editing = None;
            self.meter_used = None;
        }
    }

    /// Saves the open conversation (if it has messages).
    pub(crate) fn save_current(&mut self) {
        self.conversations.save_open();
    }

    /// Writes a conversation as Markdown to `path`.
    pub(crate) fn export(&mut self, id: &str, path: &Path) {
        self.conversations.export(id, path);
    }

    /// Applies the engine's events; `true` if anything changed.
    pub(crate) fn drain_engine(&mut self) -> bool {
        let events = self.session.take_events();
        let changed = !events.is_empty();
        for e in events {
            self.apply_event(e);
        }
        changed
    }

    /// Applies one engine event: the model slot's to the session, an answer's to the
    /// conversation it writes into. Events of a generation that is no longer current are ignored.
    pub(crate) fn apply_event(&mut self, event: Event) {
        if matches!(event, Event::Loaded(_)) {
            // A new model has nothing of the conversation in its cache yet.
            self.meter_used = None;
        }
        if self.session.apply_model_event(&event) {
            return;
        }
        match event {
            Event::Piece {
                id,
                text,
                generated_tokens,
                ctx_used_tokens,
            } => {
                if self.session.current_generation(id).is_some() {
                    self.meter_used = Some(ctx_used_tokens);
                }
                self.session
                    .count_piece(id, generated_tokens, ctx_used_tokens);
                if let Some(m) = self.answer_of(id) {
                    m.text.push_str(&text);
                }
            }
            Event::Finished { id, reason, stats } => {
                if self.session.current_generation(id).is_some() && stats.ctx_used_tokens > 0 {
                    self.meter_used = Some(stats.ctx_used_tokens);
                }
                if let Some(m) = self.answer_of(id) {
                    m.stats = Some(stats);
                    m.finish = Some(reason);
                }
                self.session.context_full = reason == FinishReason::ContextFull;
                self.finish_generation(id);
            }
            Event::Failed {
                id: Some(id),
                error,
            } => {
                self.session.context_full = matches!(error, EngineError::ContextFull { .. });
                self.session.template_failed = matches!(error, EngineError::Template(_));
                if let Some(m) = self.answer_of(id) {
                    m.error = Some(error.to_string());
                }
                self.finish_generation(id);
            }
            _ => {}
        }
    }

    fn answer_of(&mut self, id: u64) -> Option<&mut ChatMessage> {
        let conversation = self.session.current_generation(id)?.conversation_id.clone();
        self.conversations.pending_answer(&conversation)
    }

    fn finish_generation(&mut self, id: u64) {
        if let Some(conversation) = self.session.finish(id) {
            self.conversations.save_by_id(&conversation);
        }
    }

    /// (context used, context size) for the context meter while a model is loaded: what the
    /// loaded model reported for the open conversation, live while an answer streams; the used
    /// part is unknown (`None`) until its first answer in this conversation.
    pub fn context_use(&self) -> Option<(Option<u32>, u32)> {
        let total = self.session.ctx_tokens()?;
        Some((self.meter_used, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{GenerationStats, LoadedModel};
    use crate::estimate::placement::Offload;

    fn loaded() -> LoadedModel {
        LoadedModel {
            source: ModelSource::File("m.gguf".into()),
            architecture: "llama".into(),
            params: 1,
            size_bytes: 1,
            ctx_tokens: 4096,
            ctx_train_tokens: 4096,
            chat_template: None,
            load_secs: 0.1,
            offload: Offload::default(),
            split_check: None,
        }
    }

    /// A chat with a model "loaded" by its event alone (no engine thread) and a question asked,
    /// with the id of the generation that answers it.
    fn asking() -> (ChatState, u64) {
        let mut chat = ChatState::new(None);
        chat.apply_event(Event::Loaded(loaded()));
        assert!(chat.can_send());
        chat.draft.text = "hello".into();
        chat.send_draft();
        let id = chat
            .session
            .generation
            .as_ref()
            .map(|g| g.id)
            .expect("asked");
        (chat, id)
    }

    #[test]
    fn load_events_drive_the_model_slot() {
        let mut chat = ChatState::new(None);
        chat.session.model = ModelState::Loading {
            source: ModelSource::File("m.gguf".into()),
            name: "M".into(),
            progress: 0.0,
            cancel: std::sync::Arc::default(),
            started: std::time::Instant::now(),
            stage: LoadStage::Reading,
        };
        chat.apply_event(Event::CheckingSplit);
        assert!(matches!(
            chat.session.model,
            ModelState::Loading {
                stage: LoadStage::CheckingSplit,
                ..
            }
        ));
        chat.apply_event(Event::Progress(0.5));
        assert!(matches!(
            chat.session.model,
            ModelState::Loading { progress, stage: LoadStage::Reading, .. } if progress == 0.5
        ));
        chat.apply_event(Event::WarmingUp);
        assert!(matches!(
            chat.session.model,
            ModelState::Loading { progress, stage: LoadStage::WarmingUp, .. } if progress == 1.0
        ));
        chat.apply_event(Event::Loaded(loaded()));
        assert!(matches!(chat.session.model, ModelState::Loaded { ref name, .. } if name == "M"));
        chat.apply_event(Event::Unloaded);
        assert!(matches!(chat.session.model, ModelState::Empty));
        chat.apply_event(Event::Failed {
            id: None,
            error: EngineError::Cancelled,
        });
        assert_eq!(
            chat.session.load_error, None,
            "a cancelled load is no failure"
        );
    }

    #[test]
    fn pieces_go_to_the_current_answer_and_stale_ones_are_dropped() {
        let (mut chat, id) = asking();
        chat.apply_event(Event::Piece {
            id,
            text: "Hi".into(),
            generated_tokens: 1,
            ctx_used_tokens: 11,
        });
        assert_eq!(
            chat.context_use(),
            Some((Some(11), 4096)),
            "the meter counts while streaming"
        );
        chat.apply_event(Event::Piece {
            id: id + 100,
            text: " stale".into(),
            generated_tokens: 9,
            ctx_used_tokens: 99,
        });
        let stats = GenerationStats {
            generated_tokens: 1,
            ctx_used_tokens: 12,
            ..GenerationStats::default()
        };
        chat.apply_event(Event::Finished {
            id,
            reason: FinishReason::EndOfTurn,
            stats,
        });
        let answer = chat.conversation().messages.last().expect("answer");
        assert_eq!(answer.text, "Hi");
        assert_eq!(answer.stats, Some(stats));
        assert!(!chat.busy());
        assert_eq!(chat.context_use(), Some((Some(12), 4096)));
        chat.apply_event(Event::Loaded(loaded()));
        assert_eq!(
            chat.context_use(),
            Some((None, 4096)),
            "a new model starts uncounted"
        );
        // A late piece of the finished generation changes nothing.
        chat.apply_event(Event::Piece {
            id,
            text: "late".into(),
            generated_tokens: 2,
            ctx_used_tokens: 13,
        });
        assert_eq!(
            chat.conversation().messages.last().map(|m| m.text.as_str()),
            Some("Hi")
        );
    }

    #[test]
    fn a_full_context_is_offered_and_a_new_conversation_clears_it() {
        let (mut chat, id) = asking();
        chat.apply_event(Event::Finished {
            id,
            reason: FinishReason::ContextFull,
            stats: GenerationStats::default(),
        });
        assert!(chat.session.context_full);
        chat.new_conversation();
        assert!(!chat.session.context_full);
        assert_eq!(chat.conversations.list.len(), 2);
        assert!(chat.conversation().messages.is_empty());
    }

    #[test]
    fn nothing_is_deleted_or_switched_while_an_answer_is_written() {
        let (mut chat, _) = asking();
        chat.conversations.list.push(Conversation::default());
        chat.delete(0);
        chat.select(1);
        assert_eq!(chat.conversations.list.len(), 2);
        assert_eq!(chat.conversations.current, 0);
    }
}
