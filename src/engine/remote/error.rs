//! What can go wrong with an OpenAI-compatible server, worded for the person in the chat pane:
//! each failure says what happened and, where there is one, what to do.

/// A failure talking to a server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// Not a URL seekdeck can use.
    #[error("\"{0}\" is not a server address: give one like http://127.0.0.1:8080 or https://api.example.com/v1")]
    BadUrl(String),
    /// No connection: refused, no such host, TLS failure.
    #[error("cannot reach {host}: {reason}")]
    Unreachable {
        /// The host asked.
        host: String,
        /// What went wrong, in words.
        reason: String,
    },
    /// 401 or 403.
    #[error(
        "{server} refused the API key (HTTP {status}){}: change the key with the server's Edit… (or --api-key-env on the command line)",
        detail_suffix(detail)
    )]
    BadKey {
        /// The server's name.
        server: String,
        /// 401 or 403.
        status: u16,
        /// The server's own message.
        detail: String,
    },
    /// 404, or a model the server does not list.
    #[error("{server} does not serve \"{model}\"{}", detail_suffix(detail))]
    UnknownModel {
        /// The server's name.
        server: String,
        /// The model asked for.
        model: String,
        /// The server's own message, or the models it does serve.
        detail: String,
    },
    /// 429.
    #[error("{server} asks to slow down (HTTP 429){}{}", retry_after_s.map(|s| format!(", try again in {s} s")).unwrap_or_default(), detail_suffix(detail))]
    RateLimited {
        /// The server's name.
        server: String,
        /// The server's `Retry-After`, in seconds.
        retry_after_s: Option<u64>,
        /// The server's own message.
        detail: String,
    },
    /// The conversation is longer than the served model's context.
    #[error("the conversation is longer than the model's context on {server}: {detail} — start a new conversation or drop the oldest turns")]
    ContextExceeded {
        /// The server's name.
        server: String,
        /// The server's own message.
        detail: String,
    },
    /// 5xx.
    #[error("{server} failed (HTTP {status}){}", detail_suffix(detail))]
    Server {
        /// The server's name.
        server: String,
        /// The status.
        status: u16,
        /// The server's own message.
        detail: String,
    },
    /// Any other refusal (400 and the like).
    #[error(
        "{server} refused the request (HTTP {status}){}",
        detail_suffix(detail)
    )]
    Refused {
        /// The server's name.
        server: String,
        /// The status.
        status: u16,
        /// The server's own message.
        detail: String,
    },
    /// The server reported an error inside the stream.
    #[error("{server} stopped the answer: {detail}")]
    InStream {
        /// The server's name.
        server: String,
        /// The server's own message.
        detail: String,
    },
    /// The stream ended (or broke) before the answer did.
    #[error(
        "the connection to {server} was cut off mid-answer ({reason}); the partial answer is kept"
    )]
    CutOff {
        /// The server's name.
        server: String,
        /// What the connection said, if anything.
        reason: String,
    },
    /// Nothing arrived for too long.
    #[error("{server} sent nothing for {secs} s; the partial answer is kept")]
    Stalled {
        /// The server's name.
        server: String,
        /// The silence that was waited out.
        secs: u64,
    },
    /// The address answers, but not as an OpenAI-compatible API does: a web page (a gateway's
    /// sign-in page, a proxy's), or 404 where the model list should be (a wrong base path).
    #[error("{url} is not an OpenAI-compatible API: {what}{}", hint_suffix(hint))]
    NotAnApi {
        /// The address asked.
        url: String,
        /// What came back instead, in words.
        what: String,
        /// What to try, if anything.
        hint: String,
    },
    /// Bytes that are not what an OpenAI-compatible server sends.
    #[error("{server} sent something that is not an OpenAI-compatible answer: {detail}")]
    Malformed {
        /// The server's name.
        server: String,
        /// What was wrong.
        detail: String,
    },
}

fn hint_suffix(hint: &str) -> String {
    wrapped(" — ", hint, "")
}

fn detail_suffix(detail: &str) -> String {
    wrapped(": ", detail, "")
}

/// `text` between `before` and `after`; nothing when `text` is empty (a server's message that
/// said nothing adds no empty punctuation).
pub(super) fn wrapped(before: &str, text: &str, after: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{before}{text}{after}")
    }
}
