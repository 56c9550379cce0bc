//! What the user is typing: the message box and a question being edited. Kept apart from the
//! conversations so that switching or clearing a conversation never touches unsent text.

/// The message being typed and the edit in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// The message box.
    pub text: String,
    /// A question being edited: (message index, new text).
    pub editing: Option<(usize, String)>,
}
