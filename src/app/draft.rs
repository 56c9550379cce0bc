//! What the user is typing: the message box and a question being edited. Kept apart from the
//! conversations so that switching or clearing a conversation never touches unsent text.

/// The most characters the message box holds: 1M characters is about 250K tokens, twice the
/// longest context of any DeepSeek model, and still drawn in a frame; a longer paste is cut here
/// and said so, instead of freezing the window while egui lays out megabytes of text.
pub const MAX_DRAFT_CHARS: usize = 1 << 20;

/// The message being typed and the edit in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    /// The message box.
    pub text: String,
    /// A question being edited: (message index, new text).
    pub editing: Option<(usize, String)>,
    /// Set when a paste was longer than [`MAX_DRAFT_CHARS`]: its length in characters.
    pub cut_paste: Option<usize>,
}
