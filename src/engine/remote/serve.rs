//! The engine worker's loop while a served model is in the slot: connect (the model must be one
//! the server lists), then answer each `Generate` by streaming the server's answer as `Piece`s.
//! Reasoning sent apart (`reasoning_content`, `reasoning`) is written into the text as a
//! `<think>…</think>` block, so it shows as the same collapsible Thinking block as a local R1's;
//! inline `<think>` passes through as the model wrote it.
//!
//! The stream is read on a short-lived **remote-stream** thread, so Stop answers at once: the
//! loop stops listening, and the thread, at its next read, drops the connection — which is how
//! an OpenAI-compatible server learns to stop generating. A thread left waiting on a silent
//! server ends at the stall timeout; it is not joined (a blocking read cannot be interrupted).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::client::Client;
use super::error::RemoteError;
use super::wire::{self, ServedModel, ServerTimings, Usage};
use crate::engine::errors::EngineError;
use crate::engine::protocol::{
    Event, FinishReason, GenerationStats, LoadedModel, ModelSource, Prompt, RemoteServer, Request,
    SamplingParams, TemplateMessage,
};
use crate::engine::worker::{serve_questions, Outbox, Served};
use crate::estimate::placement::Offload;

/// How often the loop looks at the Stop flag while the server is silent.
const CANCEL_POLL: Duration = Duration::from_millis(20);

/// Connects to `model` on `server` and serves generations until another request takes the
/// slot; returns that request (`None` when the caller is gone).
pub(crate) fn connect_and_serve(
    server: &RemoteServer,
    model: &str,
    cancel: &AtomicBool,
    requests: &Receiver<Request>,
    out: &Outbox,
) -> Result<Option<Request>, EngineError> {
    let started = Instant::now();
    let client = Client::new(server);
    let served = find_model(&client, model)?;
    if cancel.load(Ordering::Relaxed) {
        return Err(EngineError::Cancelled);
    }
    let ctx_total = served.ctx_tokens.unwrap_or(0);
    let info = LoadedModel {
        source: ModelSource::Server {
            server: server.name.clone(),
            base_url: server.base_url.clone(),
            model: served.id.clone(),
        },
        architecture: served.owned_by.clone(),
        params: served.params.unwrap_or(0),
        size_bytes: served.size_bytes.unwrap_or(0),
        ctx_tokens: ctx_total,
        ctx_train_tokens: served.ctx_train_tokens.unwrap_or(0),
        chat_template: None,
        load_secs: started.elapsed().as_secs_f64(),
        offload: Offload::default(),
        split_check: None,
    };
    tracing::info!("connected to {} on {}", served.id, server.base_url);
    if !out.send(Event::Loaded(info)) {
        return Ok(Some(Request::Shutdown));
    }
    let mut ctx_used = 0u32;
    let served = serve_questions(requests, out, |q| {
        let id = q.id;
        let messages = match q.prompt {
            Prompt::Chat(m) | Prompt::ChatBuiltIn { messages: m, .. } => m,
            Prompt::Text(t) => vec![TemplateMessage::new("user", &t)],
        };
        let mut emit = |text: String, generated_tokens: u32| {
            out.send(Event::Piece {
                id,
                text,
                generated_tokens,
                ctx_used_tokens: ctx_used + generated_tokens,
            });
        };
        let result = stream_answer(
            &client, &served.id, messages, q.sampling, &q.cancel, ctx_total, &mut emit,
        );
        match result {
            Ok(answer) => {
                ctx_used = answer.stats.ctx_used_tokens;
                Event::Finished {
                    id,
                    reason: answer.reason,
                    stats: answer.stats,
                }
            }
            Err(error) => Event::Failed {
                id: Some(id),
                error: EngineError::Remote(error),
            },
        }
    });
    match served {
        Served::Next(next) => Ok(next),
        Served::Unload => {
            out.send(Event::Unloaded);
            Ok(requests.recv().ok())
        }
    }
}

/// `model` as the server lists it, or why not.
fn find_model(client: &Client, model: &str) -> Result<ServedModel, EngineError> {
    let models = client.models().map_err(EngineError::Remote)?;
    models
        .iter()
        .find(|m| m.id == model)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = models.iter().take(8).map(|m| m.id.as_str()).collect();
            EngineError::Remote(RemoteError::UnknownModel {
                server: client.name().to_owned(),
                model: model.to_owned(),
                detail: if names.is_empty() {
                    "it lists no models".to_owned()
                } else {
                    format!("it serves {}", names.join(", "))
                },
            })
        })
}

/// What the reader thread passes on.
enum Item {
    /// An event's data.
    Data(String),
    /// The request or the stream failed.
    Failed(RemoteError),
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Why it ended.
    pub reason: FinishReason,
    /// Counts and speeds (the server's usage when it sent it).
    pub stats: GenerationStats,
    /// llama-server's own timings, when it sent them.
    pub timings: Option<ServerTimings>,
}

/// Starts the request on a reader thread and returns its items.
fn open(
    client: &Client,
    model: &str,
    messages: Vec<TemplateMessage>,
    sampling: SamplingParams,
) -> Result<Receiver<Item>, RemoteError> {
    let (tx, rx) = mpsc::channel();
    let server = client.name().to_owned();
    let failed = RemoteError::CutOff {
        server: server.clone(),
        reason: "no thread to read the answer".to_owned(),
    };
    let client = client.clone();
    let model = model.to_owned();
    std::thread::Builder::new()
        .name("remote-stream".into())
        .spawn(move || {
            let events = match client.chat(&model, &messages, &sampling) {
                Ok(events) => events,
                Err(e) => {
                    let _ = tx.send(Item::Failed(e));
                    return;
                }
            };
            for event in events {
                let item = match event {
                    Ok(data) => Item::Data(data),
                    Err(e) => Item::Failed(stream_error(&server, e)),
                };
                let last = matches!(item, Item::Failed(_));
                // A send that fails means Stop: returning drops the connection.
                if tx.send(item).is_err() || last {
                    return;
                }
            }
        })
        .map_err(|_| failed)?;
    Ok(rx)
}

fn stream_error(server: &str, e: super::sse::SseError) -> RemoteError {
    use super::sse::SseError;
    let server = server.to_owned();
    match e {
        SseError::Read {
            timed_out: true, ..
        } => RemoteError::Stalled { server, secs: 0 },
        SseError::Read { reason, .. } => RemoteError::CutOff { server, reason },
        SseError::TooLong => RemoteError::Malformed {
            server,
            detail: format!(
                "one event ran past {} MiB",
                super::sse::MAX_EVENT_BYTES >> 20
            ),
        },
        SseError::Malformed(detail) => RemoteError::Malformed { server, detail },
    }
}

/// The text pieces and counts of one streamed answer, as they arrive.
#[derive(Default)]
struct Assembly {
    thinking_open: bool,
    chunks_with_text: u32,
    usage: Option<Usage>,
    timings: Option<ServerTimings>,
    finish: Option<String>,
    done: bool,
    first_at: Option<Instant>,
    last_at: Option<Instant>,
}

impl Assembly {
    /// Applies one chunk; returns the text it adds, if any.
    fn apply(&mut self, delta: wire::StreamDelta) -> String {
        let mut text = String::new();
        if !delta.reasoning.is_empty() {
            if !self.thinking_open {
                text.push_str("<think>\n");
                self.thinking_open = true;
            }
            text.push_str(&delta.reasoning);
        }
        if !delta.content.is_empty() {
            if self.thinking_open {
                text.push_str("\n</think>\n\n");
                self.thinking_open = false;
            }
            text.push_str(&delta.content);
        }
        if !text.is_empty() {
            let now = Instant::now();
            self.first_at.get_or_insert(now);
            self.last_at = Some(now);
            self.chunks_with_text += 1;
        }
        self.usage = delta.usage.or(self.usage);
        self.timings = delta.timings.or(self.timings);
        if delta.finish_reason.is_some() {
            self.finish = delta.finish_reason;
        }
        text
    }
}

/// Streams one answer; `emit` gets each piece of text with the tokens generated so far. The
/// engine's remote loop runs this for every question (`benches/remote.rs` too).
pub fn stream_answer(
    client: &Client,
    model: &str,
    messages: Vec<TemplateMessage>,
    sampling: SamplingParams,
    cancel: &Arc<AtomicBool>,
    ctx_total: u32,
    emit: &mut dyn FnMut(String, u32),
) -> Result<Answer, RemoteError> {
    let started = Instant::now();
    let rx = open(client, model, messages, sampling)?;
    let server = client.name().to_owned();
    let mut a = Assembly::default();
    let stopped = loop {
        if cancel.load(Ordering::Relaxed) {
            break true;
        }
        let data = match rx.recv_timeout(CANCEL_POLL) {
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break false,
            Ok(Item::Failed(RemoteError::Stalled { server, .. })) => {
                return Err(RemoteError::Stalled {
                    server,
                    secs: client.stall_secs(),
                })
            }
            Ok(Item::Failed(e)) => return Err(e),
            Ok(Item::Data(data)) => data,
        };
        if data.trim() == "[DONE]" {
            a.done = true;
            break false;
        }
        let delta = wire::parse_chunk(&data).map_err(|detail| RemoteError::Malformed {
            server: server.clone(),
            detail,
        })?;
        if let Some(detail) = delta.error.clone() {
            return Err(if wire::is_context_exceeded(detail.as_bytes()) {
                RemoteError::ContextExceeded { server, detail }
            } else {
                RemoteError::InStream { server, detail }
            });
        }
        let text = a.apply(delta);
        if !text.is_empty() {
            emit(text, a.chunks_with_text);
        }
    };
    drop(rx);
    if !stopped && !a.done && a.finish.is_none() {
        return Err(RemoteError::CutOff {
            server,
            reason: "the stream ended before the answer did".to_owned(),
        });
    }
    Ok(finish(&a, stopped, started, ctx_total))
}

/// The statistics of an assembled answer.
fn finish(a: &Assembly, stopped: bool, started: Instant, ctx_total: u32) -> Answer {
    // The server's count when it sends one; else one token per chunk with text, as
    // llama-server, vLLM and SGLang stream them.
    let generated = a.usage.map_or(a.chunks_with_text, |u| u.completion_tokens);
    let prompt = a.usage.map_or(0, |u| u.prompt_tokens);
    let tokens_per_sec = match (a.first_at, a.last_at) {
        (Some(f), Some(l)) if generated > 1 && l > f => {
            f64::from(generated - 1) / l.duration_since(f).as_secs_f64()
        }
        _ => 0.0,
    };
    let used = prompt + generated;
    let reason = if stopped {
        FinishReason::Stopped
    } else {
        match a.finish.as_deref() {
            Some("length") if ctx_total > 0 && used >= ctx_total => FinishReason::ContextFull,
            Some("length") => FinishReason::MaxTokens,
            _ => FinishReason::EndOfTurn,
        }
    };
    Answer {
        reason,
        stats: GenerationStats {
            prompt_tokens: prompt,
            reused_prompt_tokens: 0,
            generated_tokens: generated,
            first_token_secs: a
                .first_at
                .map_or(0.0, |f| f.duration_since(started).as_secs_f64()),
            tokens_per_sec,
            ctx_used_tokens: if a.usage.is_some() { used } else { 0 },
            ctx_total_tokens: ctx_total,
        },
        timings: a.timings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::remote::wire::StreamDelta;

    fn delta(reasoning: &str, content: &str) -> StreamDelta {
        StreamDelta {
            reasoning: reasoning.into(),
            content: content.into(),
            ..StreamDelta::default()
        }
    }

    #[test]
    fn reasoning_becomes_one_think_block() {
        let mut a = Assembly::default();
        let text: String = [
            a.apply(delta("Let me", "")),
            a.apply(delta(" add.", "")),
            a.apply(delta("", "It is")),
            a.apply(delta("", " 4.")),
        ]
        .concat();
        assert_eq!(text, "<think>\nLet me add.\n</think>\n\nIt is 4.");
        assert_eq!(a.chunks_with_text, 4);
    }
}
