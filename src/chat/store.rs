//! Conversations on disk: one RON file per conversation in `<data dir>/conversations`, written
//! atomically (temporary file, sync, rename), so a crash during a save keeps the previous version.
//! A file that does not parse is renamed `*.ron.corrupt` (kept, never deleted) and reported.

use std::path::{Path, PathBuf};

use super::Conversation;

/// The folder of saved conversations.
#[derive(Debug, Clone)]
pub struct ConversationStore {
    dir: PathBuf,
}

/// What loading found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Conversations, newest first.
    pub conversations: Vec<Conversation>,
    /// One line per file that was set aside.
    pub problems: Vec<String>,
}

impl ConversationStore {
    /// A store in `dir` (created on first save).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The store in seekdeck's data folder, if the platform has one.
    pub(crate) fn user_default() -> Option<Self> {
        crate::paths::data_dir().map(|d| Self::new(d.join("conversations")))
    }

    /// The folder the conversation files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, id: &str) -> PathBuf {
        let safe: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{safe}.ron"))
    }

    /// Saves one conversation atomically.
    pub fn save(&self, c: &Conversation) -> std::io::Result<()> {
        let text = ron::ser::to_string_pretty(c, ron::ser::PrettyConfig::default())
            .map_err(std::io::Error::other)?;
        crate::paths::write_atomically(&self.file(&c.id), text.as_bytes())
    }

    /// Deletes one conversation's file.
    pub(crate) fn delete(&self, id: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.file(id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Loads every conversation; damaged files are set aside and reported.
    pub fn load_all(&self) -> Loaded {
        let mut out = Loaded::default();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("ron") {
                continue;
            }
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| ron::from_str::<Conversation>(&t).map_err(|e| e.to_string()));
            match parsed {
                Ok(c) => out.conversations.push(c),
                Err(e) => out.problems.push(set_aside(&path, &e)),
            }
        }
        out.conversations
            .sort_by(|a, b| b.created_unix.cmp(&a.created_unix).then(b.id.cmp(&a.id)));
        out
    }
}

/// Renames a damaged file to `*.corrupt` and says so.
fn set_aside(path: &Path, error: &str) -> String {
    let mut aside = path.as_os_str().to_owned();
    aside.push(".corrupt");
    let aside = PathBuf::from(aside);
    match std::fs::rename(path, &aside) {
        Ok(()) => format!(
            "{} could not be read ({error}); it was kept as {}",
            path.display(),
            aside.display()
        ),
        Err(e) => format!(
            "{} could not be read ({error}) nor set aside ({e})",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::chat::ChatMessage;

    #[test]
    fn saved_conversations_survive_an_interrupted_save_and_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = ConversationStore::new(dir.path().join("conversations"));
        let mut c = Conversation::default();
        c.push_user("first question");
        c.messages.push(ChatMessage {
            text: "an answer".into(),
            ..ChatMessage::pending_answer()
        });
        store.save(&c).unwrap();
        // A save killed before its rename leaves only a temporary file beside the saved one.
        std::fs::write(store.dir().join(".tmpAbC123"), "(id: \"half").unwrap();
        std::fs::write(
            store.dir().join("99-damaged.ron"),
            "(id: \"x\", messages: [",
        )
        .unwrap();
        let loaded = store.load_all();
        assert_eq!(loaded.conversations, vec![c.clone()]);
        assert_eq!(loaded.problems.len(), 1);
        assert!(store.dir().join("99-damaged.ron.corrupt").exists());
        // Saving again replaces the file whole.
        c.push_user("second question");
        store.save(&c).unwrap();
        assert_eq!(store.load_all().conversations, vec![c]);
    }
}
