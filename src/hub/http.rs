//! The one HTTP client of the Hub code (ureq, rustls): the token sent only to the Hub itself,
//! never to the file servers it redirects to; timeouts so a server that stops sending is noticed;
//! every answer bounded; every failure a [`HubError`] in words that says whether trying again
//! can help.

use std::io::Read;
use std::ops::Range;
use std::time::Duration;

use ureq::http::{Response, StatusCode};
use ureq::Body;

use super::config::HubConfig;

/// A server that sends nothing for this long has stalled; the download retries.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Most bytes an API answer (a repository's file list) may have.
pub const MAX_API_BYTES: u64 = 16 << 20;

/// Why a request to the Hub failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// No connection: refused, no such host, TLS failure.
    #[error("cannot reach {host}: {reason}")]
    Unreachable {
        /// The host asked.
        host: String,
        /// What went wrong, in words.
        reason: String,
    },
    /// 401 or 403: a gated or private repository.
    #[error("{what} is gated or private (HTTP {status}): {advice}")]
    Gated {
        /// The repository or file.
        what: String,
        /// 401 or 403.
        status: u16,
        /// What the user can do.
        advice: String,
    },
    /// 404.
    #[error("{what} is not on the Hub (HTTP 404)")]
    NotFound {
        /// The repository or file.
        what: String,
    },
    /// 429.
    #[error("the Hub asks to slow down (HTTP 429){}", retry_after_s.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited {
        /// The server's `Retry-After`, in seconds.
        retry_after_s: Option<u64>,
    },
    /// 5xx.
    #[error("the Hub's server failed (HTTP {status})")]
    Server {
        /// The status.
        status: u16,
    },
    /// 416 on a range request: the bytes already on disk do not match the file any more.
    #[error("the server cannot continue from byte {from} (HTTP 416)")]
    RangeNotSatisfiable {
        /// Where the request wanted to continue.
        from: u64,
    },
    /// Any other status.
    #[error("unexpected answer HTTP {status} for {what}")]
    Status {
        /// The status.
        status: u16,
        /// What was asked.
        what: String,
    },
    /// An answer that is not what the Hub sends.
    #[error("the answer cannot be used: {0}")]
    Malformed(String),
    /// The connection broke or stalled after it was made.
    #[error("the connection broke: {0}")]
    Broken(String),
}

impl HubError {
    /// Whether the same request may succeed later (a retry with back-off).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Broken(_)
        )
    }

    /// How long the server asked to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited {
                retry_after_s: Some(s),
            } => Some(Duration::from_secs(*s)),
            _ => None,
        }
    }
}

/// The Hub's client.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
    endpoint: String,
    token: Option<String>,
}

impl Http {
    /// A client for `config`'s endpoint and token.
    pub fn new(config: &HubConfig) -> Self {
        Self::with_stall_timeout(config, STALL_TIMEOUT)
    }

    /// A client that gives up on a silent connection after `stall` (tests use a short one).
    pub fn with_stall_timeout(config: &HubConfig, stall: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(stall.max(Duration::from_secs(1)) * 2))
            .timeout_per_read(Some(stall))
            .max_redirects(5)
            .user_agent(concat!("seekdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self {
            agent,
            endpoint: config.endpoint.clone(),
            token: config.token.clone(),
        }
    }

    /// The Hub's base URL.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Whether a token is sent.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// `GET url`, from byte `from` on when it is not 0; `what` names the repository or file in
    /// errors. A 200 or 206 is returned; everything else is an error.
    pub fn get(&self, url: &str, from: u64, what: &str) -> Result<Response<Body>, HubError> {
        let range = (from > 0).then(|| format!("bytes={from}-"));
        self.request(url, range, what)
            .and_then(|r| self.check(r, what, from))
    }

    /// The whole answer of an API `url`, at most [`MAX_API_BYTES`].
    pub fn get_bytes(&self, url: &str, what: &str) -> Result<Vec<u8>, HubError> {
        let mut response = self.get(url, 0, what)?;
        response
            .body_mut()
            .with_config()
            .limit(MAX_API_BYTES)
            .read_to_vec()
            .map_err(|e| broken(&e))
    }

    /// Exactly the bytes `range` of `url` (a header read before downloading): a server that
    /// ignores the range is an error after `range`'s length, never a whole-file download.
    pub fn get_range(&self, url: &str, range: Range<u64>, what: &str) -> Result<Vec<u8>, HubError> {
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let header = format!("bytes={}-{}", range.start, range.end - 1);
        let response = self.request(url, Some(header), what)?;
        let response = self.check(response, what, range.start)?;
        if range.start > 0 && response.status() != StatusCode::PARTIAL_CONTENT {
            return Err(HubError::Malformed(format!(
                "the server ignores range requests for {what}"
            )));
        }
        let want = range.end - range.start;
        let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0).min(64 << 20));
        response
            .into_body()
            .into_reader()
            .take(want)
            .read_to_end(&mut bytes)
            .map_err(|e| HubError::Broken(e.to_string()))?;
        Ok(bytes)
    }

    fn request(
        &self,
        url: &str,
        range: Option<String>,
        what: &str,
    ) -> Result<Response<Body>, HubError> {
        let mut request = self.agent.get(url);
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        // The token goes to the Hub only; ureq drops it on redirects to the file servers.
        if let Some(token) = self
            .token
            .as_deref()
            .filter(|_| url.starts_with(&self.endpoint))
        {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        request.call().map_err(|e| {
            if let Some(reason) = crate::net::connect_failure(&e, url) {
                HubError::Unreachable {
                    host: crate::net::host_of(url),
                    reason,
                }
            } else if crate::net::is_bad_url(&e) {
                HubError::Malformed(format!("{what}: not a usable URL ({e})"))
            } else {
                broken(&e)
            }
        })
    }

    fn check(
        &self,
        response: Response<Body>,
        what: &str,
        from: u64,
    ) -> Result<Response<Body>, HubError> {
        let status = response.status().as_u16();
        match status {
            200 | 206 => Ok(response),
            401 | 403 => Err(HubError::Gated {
                what: what.to_owned(),
                status,
                advice: if self.token.is_some() {
                    "the token given was refused; accept the model's licence on its Hub page \
                     with the account of that token, or use another token (HF_TOKEN)"
                        .to_owned()
                } else {
                    "accept the model's licence on its Hub page, then give seekdeck a token: \
                     set HF_TOKEN or run `huggingface-cli login`"
                        .to_owned()
                },
            }),
            404 => Err(HubError::NotFound {
                what: what.to_owned(),
            }),
            416 => Err(HubError::RangeNotSatisfiable { from }),
            429 => Err(HubError::RateLimited {
                retry_after_s: response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok()),
            }),
            500..=599 => Err(HubError::Server { status }),
            _ => Err(HubError::Status {
                status,
                what: what.to_owned(),
            }),
        }
    }
}

fn broken(e: &ureq::Error) -> HubError {
    HubError::Broken(e.to_string())
}
