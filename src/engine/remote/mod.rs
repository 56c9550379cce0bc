//! The remote engine: a model served by an OpenAI-compatible server (vLLM, SGLang,
//! KTransformers, llama.cpp's llama-server, DeepSeek's API, a company gateway) behind the same
//! [`Request`](super::Request) / [`Event`](super::Event) protocol as the local llama.cpp engine, so
//! the chat pane, the conversation store, the statistics line and export do not know which one
//! answers. [`client`] speaks HTTP, [`sse`] reads the stream, [`wire`] its JSON, [`serve`] turns it
//! into engine events (reasoning in any of the three dialects becomes one `<think>` block).

pub mod client;
mod error;
pub mod serve;
pub mod sse;
pub mod wire;

pub use client::Client;
pub use error::RemoteError;
pub use wire::ServedModel;

/// Seconds without a byte before an answer counts as stalled: a large model's long prompt on a
/// slow server can take minutes before the first token.
pub const DEFAULT_STALL_SECS: u64 = 300;

/// The base URL the API's paths hang from: scheme `http` or `https` (`http://` is assumed when
/// none is given), no trailing slash, `/v1` added when the address has no path
/// (`http://127.0.0.1:8080` → `http://127.0.0.1:8080/v1`); a path given is kept as given
/// (`https://openrouter.ai/api/v1`). A pasted endpoint (`…/v1/chat/completions`, `…/v1/models`)
/// is cut back to its base.
pub fn normalize_base_url(input: &str) -> Result<String, RemoteError> {
    let bad = || RemoteError::BadUrl(input.chars().take(200).collect());
    let text = input.trim();
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let (scheme, rest) = with_scheme.split_once("://").ok_or_else(bad)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(bad());
    }
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    if host.is_empty() || host.contains(['@', '?', '#']) {
        return Err(bad());
    }
    let mut path = path.trim_end_matches('/').to_owned();
    for endpoint in ["/chat/completions", "/completions", "/models"] {
        if let Some(base) = path.strip_suffix(endpoint.trim_start_matches('/')) {
            path = base.trim_end_matches('/').to_owned();
        }
    }
    if path.contains(['?', '#']) {
        return Err(bad());
    }
    Ok(if path.is_empty() {
        format!("{scheme}://{host}/v1")
    } else {
        format!("{scheme}://{host}/{path}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            normalize_base_url("127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/v1"
        );
        assert_eq!(
            normalize_base_url("https://api.deepseek.com/").unwrap(),
            "https://api.deepseek.com/v1"
        );
        assert_eq!(
            normalize_base_url("https://openrouter.ai/api/v1").unwrap(),
            "https://openrouter.ai/api/v1"
        );
        assert_eq!(
            normalize_base_url("http://gpu:8000/v1/chat/completions").unwrap(),
            "http://gpu:8000/v1"
        );
        assert_eq!(
            normalize_base_url("HTTP://h/v1/models").unwrap(),
            "http://h/v1"
        );
        for bad in [
            "",
            "ftp://x",
            "http://",
            "a b",
            "http://u:p@h",
            "http://h/v1?x=1",
        ] {
            assert!(normalize_base_url(bad).is_err(), "{bad}");
        }
    }
}
