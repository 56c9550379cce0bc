//! Conversations, independent of the window: the messages and their statistics ([`Conversation`]),
//! the reasoning part of R1-style answers ([`thinking`]), saving and restoring ([`store`]) and
//! Markdown export ([`export`]), the sampling a conversation starts with ([`defaults`]).

pub mod defaults;
pub(crate) mod export;
pub mod store;
pub mod thinking;

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::engine::protocol::{FinishReason, GenerationStats, SamplingParams, TemplateMessage};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// What the person typed.
    User,
    /// What the model answered (reasoning included, split when shown).
    Assistant,
}

/// One message. An assistant's `text` is kept whole, reasoning included, as the model wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Author.
    pub role: Role,
    /// The message as written or streamed so far.
    pub text: String,
    /// For answers: counts and speeds.
    #[serde(default)]
    pub stats: Option<GenerationStats>,
    /// For answers: why generation ended (`None` while streaming).
    #[serde(default)]
    pub finish: Option<FinishReason>,
    /// For answers that failed: the error shown under them.
    #[serde(default)]
    pub error: Option<String>,
}

impl ChatMessage {
    /// A message from the person.
    pub fn user(text: &str) -> Self {
        Self {
            role: Role::User,
            text: text.to_owned(),
            stats: None,
            finish: None,
            error: None,
        }
    }

    /// An empty answer about to stream.
    pub fn pending_answer() -> Self {
        Self {
            role: Role::Assistant,
            text: String::new(),
            stats: None,
            finish: None,
            error: None,
        }
    }
}

/// A conversation with one model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conversation {
    /// Stable id, also the file name.
    pub id: String,
    /// Title (the first question, shortened).
    pub title: String,
    /// Seconds since 1970 when it started.
    pub created_unix: u64,
    /// The model file it was held with.
    pub model_file: Option<PathBuf>,
    /// The served model it was held with ("model on server"; never the server's key).
    pub model_server: Option<String>,
    /// The system prompt.
    pub system_prompt: String,
    /// Sampling settings.
    pub sampling: SamplingParams,
    /// Whether answers start with a reasoning part (R1 and its distills).
    pub reasoning: bool,
    /// The messages, oldest first.
    pub messages: Vec<ChatMessage>,
}

impl Default for Conversation {
    fn default() -> Self {
        Self::new(None, SamplingParams::default(), false)
    }
}

/// Longest title kept, in characters.
const TITLE_CHARS: usize = 60;

impl Conversation {
    /// A new, empty conversation.
    pub fn new(model_file: Option<PathBuf>, sampling: SamplingParams, reasoning: bool) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            id: format!("{}-{:09}", now.as_secs(), now.subsec_nanos()),
            title: String::new(),
            created_unix: now.as_secs(),
            model_file,
            model_server: None,
            system_prompt: String::new(),
            sampling,
            reasoning,
            messages: Vec::new(),
        }
    }

    /// Adds the person's message (the first one names the conversation).
    pub fn push_user(&mut self, text: &str) {
        if self.title.is_empty() {
            // Control characters and direction overrides would garble the picker: spaces.
            let line: String = text
                .lines()
                .next()
                .unwrap_or_default()
                .chars()
                .map(|c| {
                    if c.is_control()
                        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
                    {
                        ' '
                    } else {
                        c
                    }
                })
                .collect();
            let line = line.trim();
            self.title = if line.chars().count() > TITLE_CHARS {
                format!("{}…", line.chars().take(TITLE_CHARS).collect::<String>())
            } else {
                line.to_owned()
            };
        }
        self.messages.push(ChatMessage::user(text));
    }

    /// What is sent to the model — the one history rule of the window and `seekdeck chat`: the
    /// system prompt, then the turns that were answered, each question followed by its answer with
    /// the reasoning part left out (as DeepSeek's own template does, and as DeepSeek's API demands:
    /// it refuses earlier reasoning in input). A turn that failed or gave no answer text (an
    /// error, a Stop during thinking) stays visible in the conversation but is left out here with
    /// its question, so the roles always alternate (DeepSeek's API refuses two user messages in a
    /// row). The question being asked — a last user message with no answer yet — ends the list.
    pub fn history(&self) -> Vec<TemplateMessage> {
        let mut out = Vec::new();
        if !self.system_prompt.trim().is_empty() {
            out.push(TemplateMessage::new("system", &self.system_prompt));
        }
        // The answer being written (asked for after its question was added) is not history.
        let pending = self.messages.last().is_some_and(|m| {
            m.role == Role::Assistant
                && m.finish.is_none()
                && m.error.is_none()
                && m.text.is_empty()
        });
        let messages = &self.messages[..self.messages.len() - usize::from(pending)];
        let mut question: Option<&str> = None;
        for m in messages {
            match m.role {
                // A question still waiting here was never answered: the newer one replaces it.
                Role::User => question = Some(&m.text),
                Role::Assistant => {
                    let answer = thinking::split(&m.text, self.reasoning).answer.trim();
                    if let Some(q) = question.take() {
                        if m.error.is_none() && !answer.is_empty() {
                            out.push(TemplateMessage::new("user", q));
                            // NUL characters a model wrote are no part of the answer.
                            out.push(TemplateMessage::new("assistant", &answer.replace('\0', "")));
                        }
                    }
                }
            }
        }
        if let (Some(q), Some(Role::User)) = (question, messages.last().map(|m| m.role)) {
            out.push(TemplateMessage::new("user", q));
        }
        out
    }

    /// Adds a finished answer (the CLI's turn; the window streams into a pending answer instead).
    pub fn push_answer(&mut self, text: &str, finish: FinishReason, stats: GenerationStats) {
        self.messages.push(ChatMessage {
            text: text.to_owned(),
            stats: Some(stats),
            finish: Some(finish),
            ..ChatMessage::pending_answer()
        });
    }

    /// Removes the last answer (for "Regenerate"); `true` if the conversation now ends with a
    /// question.
    pub(crate) fn drop_last_answer(&mut self) -> bool {
        if self
            .messages
            .last()
            .is_some_and(|m| m.role == Role::Assistant)
        {
            self.messages.pop();
        }
        self.messages.last().is_some_and(|m| m.role == Role::User)
    }

    /// Replaces message `index` (a question) with `text` and forgets everything after it
    /// ("edit and resend").
    pub(crate) fn edit_user_message(&mut self, index: usize, text: &str) -> bool {
        match self.messages.get_mut(index) {
            Some(m) if m.role == Role::User => {
                m.text = text.to_owned();
                self.messages.truncate(index + 1);
                true
            }
            _ => false,
        }
    }

    /// Drops the oldest question and its answer (to make room in a full context); `false` when
    /// fewer than two turns remain.
    pub(crate) fn drop_oldest_turn(&mut self) -> bool {
        let turns = self
            .messages
            .iter()
            .filter(|m| m.role == Role::User)
            .count();
        if turns < 2 {
            return false;
        }
        let next_user = self
            .messages
            .iter()
            .skip(1)
            .position(|m| m.role == Role::User)
            .map_or(self.messages.len(), |p| p + 1);
        self.messages.drain(..next_user);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> ChatMessage {
        ChatMessage {
            text: text.into(),
            finish: Some(FinishReason::EndOfTurn),
            ..ChatMessage::pending_answer()
        }
    }

    #[test]
    fn a_title_never_carries_control_or_direction_characters() {
        let mut c = Conversation::new(None, SamplingParams::default(), false);
        let typed = "\u{1b}[31mred\u{0}\tq\u{202e}evil\rx\nsecond line";
        c.push_user(typed);
        assert_eq!(c.title, "[31mred  q evil x");
        assert!(!c.title.chars().any(char::is_control));
        assert_eq!(
            c.messages[0].text, typed,
            "the message itself is kept as typed"
        );
    }

    #[test]
    fn history_leaves_out_reasoning_and_failed_answers() {
        let mut c = Conversation::new(None, SamplingParams::default(), true);
        c.system_prompt = "Be brief.".into();
        c.push_user("2+2?");
        c.messages.push(answer("Adding.\n</think>\n\n4"));
        c.push_user("and 3+3?");
        c.messages.push(ChatMessage {
            error: Some("context full".into()),
            ..answer("")
        });
        c.push_user("4+4?");
        let h = c.history();
        let roles: Vec<&str> = h.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(h[2].content, "4");
        assert_eq!(
            h[3].content, "4+4?",
            "the failed turn's question is left out"
        );
        assert_eq!(c.title, "2+2?");
    }

    /// Every failure the window meets — an error, a Stop during thinking, an empty answer, a
    /// question never answered — leaves roles that alternate user/assistant.
    #[test]
    fn roles_always_alternate() {
        let mut c = Conversation::new(None, SamplingParams::default(), true);
        c.push_user("hello");
        c.messages.push(ChatMessage {
            error: Some("429".into()),
            ..answer("")
        });
        c.push_user("hi");
        c.messages.push(answer("<think>still thinking")); // stopped during thinking
        c.push_user("test");
        c.push_user("test rate"); // sent again before any answer
        c.messages.push(answer("</think>ok"));
        c.push_user("next");
        let h = c.history();
        let roles: Vec<&str> = h.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["user", "assistant", "user"]);
        assert_eq!(
            (h[0].content.as_str(), h[1].content.as_str()),
            ("test rate", "ok")
        );
        // Asked for: the pending answer is pushed before the history is read.
        c.messages.push(ChatMessage::pending_answer());
        assert_eq!(c.history().last().map(|m| m.content.as_str()), Some("next"));
        c.messages.pop();
        c.messages.push(answer(""));
        assert!(
            c.history().is_empty() || c.history().last().is_some_and(|m| m.role == "assistant"),
            "an empty last answer drops its question"
        );
    }

    #[test]
    fn regenerate_edit_and_drop_oldest() {
        let mut c = Conversation::default();
        c.push_user("one");
        c.messages.push(answer("1"));
        c.push_user("two");
        c.messages.push(answer("2"));
        assert!(c.drop_last_answer());
        assert_eq!(c.messages.len(), 3);
        assert!(c.edit_user_message(0, "uno"));
        assert_eq!(c.messages.len(), 1);
        assert_eq!(c.messages[0].text, "uno");
        assert!(!c.edit_user_message(5, "x"));
        c.messages.push(answer("1"));
        c.push_user("two");
        c.messages.push(answer("2"));
        assert!(c.drop_oldest_turn());
        assert_eq!(c.messages[0].text, "two");
        assert!(!c.drop_oldest_turn());
    }
}
