//! What every HTTP client of seekdeck (the Hugging Face Hub, OpenAI-compatible servers) says when
//! a connection cannot be made: one home for the words, so "connection refused" reads the same
//! beside a model card and in the chat pane.

/// The host (and port) of `url`, for messages.
pub fn host_of(url: &str) -> String {
    url.split("://")
        .nth(1)
        .unwrap_or(url)
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Why no connection was made to `url`, in words — `None` when `e` is not a failure to connect
/// (the connection was made and broke, or the URL is unusable).
pub fn connect_failure(e: &ureq::Error, url: &str) -> Option<String> {
    match e {
        // A server that closes or garbles an https handshake (most often: it speaks plain http).
        ureq::Error::Io(io)
            if url.starts_with("https://")
                && matches!(
                    io.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
                ) =>
        {
            Some(format!(
                "TLS failed: the server did not complete a TLS handshake ({io}) — does it speak plain http?"
            ))
        }
        ureq::Error::HostNotFound => Some("no such host (DNS)".to_owned()),
        ureq::Error::ConnectionFailed => Some("connection refused".to_owned()),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => Some(format!("TLS failed: {e}")),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            Some("connection refused".to_owned())
        }
        // The system resolver's words ("failed to lookup address information: Name or service
        // not known") reach ureq as an I/O error.
        ureq::Error::Io(io) if io.to_string().contains("lookup address") => {
            Some("no such host (DNS)".to_owned())
        }
        ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            Some(format!("no answer to the connection ({e})"))
        }
        _ => None,
    }
}

/// Whether `e` is a URL ureq cannot use.
pub fn is_bad_url(e: &ureq::Error) -> bool {
    matches!(e, ureq::Error::BadUri(_) | ureq::Error::Http(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(host_of("https://huggingface.co/api/x"), "huggingface.co");
        assert_eq!(host_of("http://127.0.0.1:8080/v1"), "127.0.0.1:8080");
        assert_eq!(host_of("nonsense"), "nonsense");
    }
}
