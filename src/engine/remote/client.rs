//! The HTTP side of the remote engine (ureq, rustls): the model list and the streamed chat
//! request, the key sent only to the server it belongs to, every status turned into a
//! [`RemoteError`] in words, every answer bounded.

use std::time::Duration;

use serde_json::json;
use ureq::http::Response;
use ureq::{Body, BodyReader};

use super::error::RemoteError;
use super::sse::SseEvents;
use super::wire::{self, ServedModel};
use super::DEFAULT_STALL_SECS;
use crate::engine::protocol::{RemoteServer, SamplingParams, TemplateMessage};

/// Most bytes of a model list.
const MAX_LIST_BYTES: u64 = 4 << 20;
/// Most bytes of an error answer read for its message.
const MAX_ERROR_BYTES: u64 = 64 << 10;

/// A client of one server.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    /// For the model list: a server that does not list its models within this long will not
    /// (a question may legitimately wait minutes for its first token; a list may not).
    list_agent: ureq::Agent,
    server: RemoteServer,
}

/// How long a model list may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(30);

fn agent(stall: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(stall))
        .timeout_per_read(Some(stall))
        // A redirect could carry the key to another host: follow none.
        .max_redirects(0)
        // A new connection per request: servers close idle ones (llama-server after each
        // streamed answer), and a question sent on a closed pooled connection fails with
        // "peer disconnected" — a POST is not retried. A question a minute needs no pool.
        .max_idle_connections(0)
        .user_agent(concat!("seekdeck/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

impl Client {
    /// A client for `server`.
    pub fn new(server: &RemoteServer) -> Self {
        let stall = Duration::from_secs(stall_secs(server));
        Self {
            agent: agent(stall),
            list_agent: agent(stall.min(LIST_TIMEOUT)),
            server: server.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.server.base_url)
    }

    fn authorize<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.server.api_key {
            Some(key) => request.header("Authorization", format!("Bearer {key}")),
            None => request,
        }
    }

    /// The models the server serves (`GET /models`).
    pub fn models(&self) -> Result<Vec<ServedModel>, RemoteError> {
        let url = self.url("models");
        let response = self
            .authorize(self.list_agent.get(&url))
            .header("Accept", "application/json")
            .call()
            .map_err(|e| self.transport(&url, &e))?;
        let mut response = self.check(response, "")?;
        if let Some(what) = not_json(&response) {
            return Err(self.not_an_api(what));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_LIST_BYTES)
            .read_to_vec()
            .map_err(|e| self.malformed(format!("the model list could not be read: {e}")))?;
        wire::parse_models(&body).map_err(|e| self.malformed(e))
    }

    /// Asks for `model`'s streamed answer to `messages` (`POST /chat/completions`,
    /// `stream: true`, usage included) and returns its events once the server has accepted.
    pub fn chat(
        &self,
        model: &str,
        messages: &[TemplateMessage],
        sampling: &SamplingParams,
    ) -> Result<SseEvents<BodyReader<'static>>, RemoteError> {
        let body = json!({
            "model": model,
            "messages": messages
                .iter()
                .map(|m| json!({"role": m.role, "content": m.content}))
                .collect::<Vec<_>>(),
            "stream": true,
            "stream_options": {"include_usage": true},
            "temperature": decimal(sampling.temperature),
            "top_p": decimal(sampling.top_p),
            "min_p": decimal(sampling.min_p),
            "max_tokens": sampling.max_tokens,
            "seed": sampling.seed,
        });
        let url = self.url("chat/completions");
        let response = self
            .authorize(self.agent.post(&url))
            .header("Accept", "text/event-stream")
            .header("Content-Type", "application/json")
            .send(body.to_string().as_bytes())
            .map_err(|e| self.transport(&url, &e))?;
        let mut response = self.check(response, model)?;
        // A gateway's sign-in page or a proxy's answer arrives with 200 too: what is not an
        // event stream is said for what it is, not read as an answer that was cut off.
        let content_type = content_type(&response);
        if content_type.starts_with("text/html") {
            let body = read_bounded(&mut response);
            let page = wire::page_text(&String::from_utf8_lossy(&body)).unwrap_or_default();
            return Err(self.not_an_api(web_page_words(&content_type, &page)));
        }
        if content_type.starts_with("application/json") {
            let body = read_bounded(&mut response);
            return Err(self.malformed(format!(
                "a JSON answer where an event stream (stream: true) was asked for: {}",
                wire::error_message(&body)
            )));
        }
        Ok(SseEvents::new(response.into_body().into_reader()))
    }

    /// The address answered, but not as an API: what came back, and where the API may be.
    fn not_an_api(&self, what: String) -> RemoteError {
        let base = &self.server.base_url;
        let hint = if base.ends_with("/v1") {
            format!("check the address: an OpenAI-compatible API lists its models at {base}/models")
        } else {
            format!("OpenAI-compatible APIs usually live under /v1: try {base}/v1")
        };
        RemoteError::NotAnApi {
            url: base.clone(),
            what,
            hint,
        }
    }

    /// Seconds of silence after which an answer counts as stalled.
    pub fn stall_secs(&self) -> u64 {
        stall_secs(&self.server)
    }

    /// The server's name, for messages.
    pub fn name(&self) -> &str {
        &self.server.name
    }

    fn transport(&self, url: &str, e: &ureq::Error) -> RemoteError {
        if let Some(reason) = crate::net::connect_failure(e, url) {
            return RemoteError::Unreachable {
                host: crate::net::host_of(url),
                reason,
            };
        }
        if crate::net::is_bad_url(e) {
            return RemoteError::BadUrl(self.server.base_url.clone());
        }
        if let ureq::Error::Timeout(_) = e {
            return RemoteError::Stalled {
                server: self.server.name.clone(),
                secs: self.stall_secs(),
            };
        }
        // Broken before an answer began: nothing was cut off yet.
        RemoteError::Unreachable {
            host: crate::net::host_of(url),
            reason: e.to_string(),
        }
    }

    fn malformed(&self, detail: String) -> RemoteError {
        RemoteError::Malformed {
            server: self.server.name.clone(),
            detail,
        }
    }

    /// A 2xx answer, or the error its status and body say.
    fn check(
        &self,
        mut response: Response<Body>,
        model: &str,
    ) -> Result<Response<Body>, RemoteError> {
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let retry_after_s = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after_secs(v, std::time::SystemTime::now()));
        let html = content_type(&response).starts_with("text/html");
        let body = read_bounded(&mut response);
        let detail = wire::error_message(&body);
        let server = self.server.name.clone();
        let page = html || wire::is_html(&String::from_utf8_lossy(&body));
        if status == 404 && (model.is_empty() || page || is_plain_not_found(&detail)) {
            // No such path: the base address is wrong, not the model.
            return Err(self.not_an_api(format!(
                "HTTP 404{}",
                super::error::wrapped(" (", &detail, ")")
            )));
        }
        Err(match status {
            401 | 403 => RemoteError::BadKey {
                server,
                status,
                detail,
            },
            404 => RemoteError::UnknownModel {
                server,
                model: model.to_owned(),
                detail,
            },
            429 => RemoteError::RateLimited {
                server,
                retry_after_s,
                detail,
            },
            400 | 413 if wire::is_context_exceeded(&body) => {
                RemoteError::ContextExceeded { server, detail }
            }
            500..=599 if wire::is_context_exceeded(&body) => {
                RemoteError::ContextExceeded { server, detail }
            }
            500..=599 => RemoteError::Server {
                server,
                status,
                detail,
            },
            _ => RemoteError::Refused {
                server,
                status,
                detail,
            },
        })
    }
}

/// The answer's `Content-Type`, lower case, without parameters ("" when absent).
fn content_type(response: &Response<Body>) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

/// The first bytes of an answer that is read only for its words.
fn read_bounded(response: &mut Response<Body>) -> Vec<u8> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_ERROR_BYTES)
        .read_to_vec()
        .unwrap_or_default()
}

/// A 2xx answer to the model list that is a web page, in words (`None`: it may be JSON).
fn not_json(response: &Response<Body>) -> Option<String> {
    let content_type = content_type(response);
    content_type
        .starts_with("text/html")
        .then(|| web_page_words(&content_type, ""))
}

fn web_page_words(content_type: &str, page: &str) -> String {
    format!(
        "it answered with a web page ({content_type}){}",
        super::error::wrapped(": \"", page, "\"")
    )
}

/// A 404 whose message only says the path is unknown (llama-server's "File Not Found").
fn is_plain_not_found(detail: &str) -> bool {
    matches!(
        detail.trim().to_ascii_lowercase().as_str(),
        "" | "not found" | "file not found" | "404 not found" | "404 page not found"
    )
}

/// The decimal the user chose (0.6), not the f32's binary value widened (0.6000000238…).
fn decimal(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

/// `Retry-After` in seconds: a number of seconds, or an HTTP date (RFC 9110 allows both).
fn retry_after_secs(value: &str, now: std::time::SystemTime) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse() {
        return Some(secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).map_or(0, |d| d.as_secs()))
}

fn stall_secs(server: &RemoteServer) -> u64 {
    if server.stall_secs == 0 {
        DEFAULT_STALL_SECS
    } else {
        server.stall_secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn sampling_goes_out_as_the_decimal_chosen() {
        assert_eq!(
            serde_json::json!({ "t": decimal(0.6) }).to_string(),
            r#"{"t":0.6}"#
        );
        assert_eq!(decimal(0.95), 0.95);
    }

    #[test]
    fn retry_after_in_seconds_or_as_an_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(retry_after_secs("30", now), Some(30));
        // 2015-10-21 07:28:00 GMT is 1_445_412_480; 90 s later:
        assert_eq!(
            retry_after_secs("Wed, 21 Oct 2015 07:29:30 GMT", now),
            Some(90)
        );
        assert_eq!(
            retry_after_secs("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_secs("soon", now), None);
    }
}
