//! The conversations: the list (newest first), the open one, the store they are saved in, and the
//! notices about saving, deleting and exporting them. Knows nothing of the engine.

use std::path::Path;

use crate::chat::store::ConversationStore;
use crate::chat::{ChatMessage, Conversation, Role};

/// A conversation emptied or deleted, kept so the user can take it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    /// Where it was in the list.
    pub index: usize,
    /// The conversation as it was.
    pub conversation: Conversation,
    /// Deleted (else emptied).
    pub deleted: bool,
}

/// The conversations and where they are kept.
pub struct Conversations {
    /// The last conversation emptied or deleted, until it is taken back or another one goes.
    pub removed: Option<Removed>,
    /// Every conversation, newest first; never empty.
    pub list: Vec<Conversation>,
    /// Index of the open conversation.
    pub current: usize,
    /// Messages for the user (store problems, save failures).
    pub notices: Vec<String>,
    store: Option<ConversationStore>,
}

impl Conversations {
    /// Restores the conversations from `store` (damaged files are set aside and reported).
    pub fn new(store: Option<ConversationStore>) -> Self {
        let mut notices = Vec::new();
        let mut list = Vec::new();
        if let Some(s) = &store {
            let loaded = s.load_all();
            for p in &loaded.problems {
                tracing::warn!("{p}");
            }
            notices.extend(loaded.problems);
            list = loaded.conversations;
        }
        if list.is_empty() {
            list.push(Conversation::default());
        }
        Self {
            removed: None,
            list,
            current: 0,
            notices,
            store,
        }
    }

    /// The open conversation.
    pub fn open(&self) -> &Conversation {
        &self.list[self.current.min(self.list.len() - 1)]
    }

    /// The open conversation, to change.
    pub(crate) fn open_mut(&mut self) -> &mut Conversation {
        let i = self.current.min(self.list.len() - 1);
        &mut self.list[i]
    }

    /// Opens a new, empty conversation with the open one's settings (system prompt and sampling:
    /// what the pane shows carries over) and `reasoning` (the loaded model's); keeps an empty
    /// open conversation instead of stacking another.
    pub(crate) fn start_new(&mut self, reasoning: bool) {
        if self.open().messages.is_empty() {
            return;
        }
        let open = self.open();
        let mut c = Conversation::new(None, open.sampling, reasoning);
        c.system_prompt = open.system_prompt.clone();
        self.list.insert(0, c);
        self.current = 0;
    }

    /// Empties the open conversation (keeps its settings) and saves it; [`Self::undo`] takes it
    /// back.
    pub(crate) fn clear_open(&mut self) {
        if self.open().messages.is_empty() {
            return;
        }
        self.removed = Some(Removed {
            index: self.current,
            conversation: self.open().clone(),
            deleted: false,
        });
        let c = self.open_mut();
        c.messages.clear();
        c.title.clear();
        self.save_open();
    }

    /// Takes back the last conversation emptied or deleted, and saves it again.
    pub(crate) fn undo(&mut self) {
        let Some(r) = self.removed.take() else {
            return;
        };
        let id = r.conversation.id.clone();
        if r.deleted {
            let at = r.index.min(self.list.len());
            // The empty conversation put in place of the last one deleted is not worth keeping.
            if self.list.len() == 1 && self.list[0].messages.is_empty() {
                self.list.clear();
            }
            self.list.insert(at.min(self.list.len()), r.conversation);
            self.current = at.min(self.list.len() - 1);
        } else if let Some(i) = self.list.iter().position(|c| c.id == id) {
            self.list[i] = r.conversation;
            self.current = i;
        }
        self.save_by_id(&id);
    }

    /// Deletes conversation `index` and its file.
    pub(crate) fn delete(&mut self, index: usize) {
        if index >= self.list.len() {
            return;
        }
        let c = self.list.remove(index);
        self.removed = Some(Removed {
            index,
            conversation: c.clone(),
            deleted: true,
        });
        if let Some(s) = &self.store {
            if let Err(e) = s.delete(&c.id) {
                self.notices
                    .push(format!("Could not delete the conversation file: {e}"));
            }
        }
        if self.list.is_empty() {
            self.list.push(Conversation::default());
        }
        self.current = self.current.min(self.list.len() - 1);
    }

    /// Saves the open conversation and opens conversation `index`; `false` if there is none.
    pub(crate) fn select(&mut self, index: usize) -> bool {
        if index >= self.list.len() {
            return false;
        }
        self.save_open();
        self.current = index;
        true
    }

    /// Saves the open conversation (if it has messages).
    pub(crate) fn save_open(&mut self) {
        let c = self.open().clone();
        self.save(&c);
    }

    /// Saves conversation `id` (if it has messages).
    pub(crate) fn save_by_id(&mut self, id: &str) {
        if let Some(c) = self.list.iter().find(|c| c.id == id).cloned() {
            self.save(&c);
        }
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

    /// Writes conversation `id` as Markdown to `path`.
    pub(crate) fn export(&mut self, id: &str, path: &Path) {
        let Some(c) = self.list.iter().find(|c| c.id == id) else {
            return;
        };
        let text = crate::chat::export::to_markdown(c);
        match crate::paths::write_atomically(path, text.as_bytes()) {
            Ok(()) => self
                .notices
                .push(format!("Exported to {}.", path.display())),
            Err(e) => self
                .notices
                .push(format!("Export to {} failed: {e}", path.display())),
        }
    }

    /// The answer being written at the end of conversation `id`.
    pub fn pending_answer(&mut self, id: &str) -> Option<&mut ChatMessage> {
        self.list
            .iter_mut()
            .find(|c| c.id == id)?
            .messages
            .last_mut()
            .filter(|m| m.role == Role::Assistant)
    }
}
