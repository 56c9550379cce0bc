//! The reasoning part of an answer. DeepSeek-R1 and its distills write `<think>…</think>` before
//! the answer; their templates often open the `<think>` themselves, so the text the model writes
//! starts inside it. DeepSeek's template keeps only what follows the last `</think>` in the
//! history; [`split`] does the same for display and history.

/// An answer split into its reasoning and the answer proper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    /// The reasoning, without the tags, if there is any.
    pub thinking: Option<&'a str>,
    /// The answer after the reasoning.
    pub answer: &'a str,
    /// Whether the reasoning is still open (streaming, no `</think>` yet).
    pub thinking_open: bool,
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// Splits `text`. `reasoning_model`: text before any `</think>` counts as reasoning even without
/// an opening tag, and an answer with no `</think>` yet is all reasoning in progress.
pub fn split(text: &str, reasoning_model: bool) -> Split<'_> {
    let trimmed = text.trim_start();
    let starts_open = trimmed.starts_with(OPEN);
    if !reasoning_model && !starts_open {
        return Split {
            thinking: None,
            answer: text,
            thinking_open: false,
        };
    }
    let body = if starts_open {
        &trimmed[OPEN.len()..]
    } else {
        text
    };
    match body.rfind(CLOSE) {
        Some(end) => Split {
            thinking: Some(body[..end].trim()),
            answer: body[end + CLOSE.len()..].trim_start(),
            thinking_open: false,
        },
        None => Split {
            thinking: Some(body.trim()),
            answer: "",
            thinking_open: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_untagged_and_streaming() {
        let s = split("<think>\nLet me add.\n</think>\n\nIt is 4.", false);
        assert_eq!(s.thinking, Some("Let me add."));
        assert_eq!(s.answer, "It is 4.");
        assert!(!s.thinking_open);
        let s = split("Let me add.\n</think>\n\nIt is 4.", true);
        assert_eq!((s.thinking, s.answer), (Some("Let me add."), "It is 4."));
        let s = split("Let me a", true);
        assert_eq!(
            (s.thinking, s.answer, s.thinking_open),
            (Some("Let me a"), "", true)
        );
        let s = split("Plain answer", false);
        assert_eq!((s.thinking, s.answer), (None, "Plain answer"));
        let s = split("<think>still going", false);
        assert!(s.thinking_open);
    }
}
