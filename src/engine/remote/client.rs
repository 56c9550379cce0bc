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
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "min_p": sampling.min_p,
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
        let response = self.check(response, model)?;
        Ok(SseEvents::new(response.into_body().into_reader()))
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
            .and_then(|v| v.trim().parse().ok());
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ERROR_BYTES)
            .read_to_vec()
            .unwrap_or_default();
        let detail = wire::error_message(&body);
        let server = self.server.name.clone();
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

fn stall_secs(server: &RemoteServer) -> u64 {
    if server.stall_secs == 0 {
        DEFAULT_STALL_SECS
    } else {
        server.stall_secs
    }
}
