//! A scripted OpenAI-compatible server on 127.0.0.1 for tests: `GET /v1/models` and
//! `POST /v1/chat/completions` streamed as server-sent events, replaying the stream formats vLLM
//! (`delta.reasoning`), SGLang and DeepSeek's API (`delta.reasoning_content`) and servers without
//! a reasoning parser (inline `<think>`) document — with the faults a real one can have: error
//! statuses, a stream cut off, a server that stops sending, malformed lines. vLLM and SGLang
//! cannot run here (no GPU); llama.cpp's own llama-server is the real server of the other tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the next chat request is answered.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A stream of `data:` payloads, then `[DONE]` when `done`; a pause after each.
    Stream {
        /// Each event's data.
        events: Vec<String>,
        /// Pause after each event.
        pause: Duration,
        /// Send `data: [DONE]` at the end.
        done: bool,
    },
    /// An error status with a body (and headers).
    Status {
        /// The status.
        code: u16,
        /// The body.
        body: String,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// These events, then silence until the client goes away.
    Stall(Vec<String>),
    /// Raw bytes after the stream headers, then close.
    Raw(Vec<u8>),
}

/// What the server saw of one request.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// Method and path.
    pub target: String,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The body, parsed.
    pub body: serde_json::Value,
}

#[derive(Default)]
struct State {
    models: String,
    key: Option<String>,
    replies: VecDeque<Reply>,
    seen: Vec<SeenRequest>,
    client_left: bool,
}

/// The server; dropping it stops accepting.
pub struct OpenAiServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl OpenAiServer {
    /// Serves `models` (ids) with `key` required when given.
    pub fn start(models: &[&str], key: Option<&str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let data: Vec<serde_json::Value> = models
            .iter()
            .map(|id| serde_json::json!({"id": id, "object": "model", "owned_by": "vllm", "max_model_len": 8192}))
            .collect();
        let state = Arc::new(Mutex::new(State {
            models: serde_json::json!({"object": "list", "data": data}).to_string(),
            key: key.map(str::to_owned),
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        let named = |name: &str| std::thread::Builder::new().name(name.to_owned());
        named("openai-server")
            .spawn(move || {
                for stream in listener.incoming() {
                    if st.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (s, st) = (s.clone(), st.clone());
                    named("openai-request")
                        .spawn(move || {
                            let _ = serve(stream, &s, &st);
                        })
                        .unwrap();
                }
            })
            .unwrap();
        Self { url, state, stop }
    }

    /// Queues the answer of the next chat request.
    pub fn reply(&self, reply: Reply) {
        self.state.lock().unwrap().replies.push_back(reply);
    }

    /// The requests so far.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.state.lock().unwrap().seen.clone()
    }

    /// Whether a client closed a stream before it ended (how Stop reaches a server).
    pub fn client_left(&self) -> bool {
        self.state.lock().unwrap().client_left
    }
}

impl Drop for OpenAiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

/// Chunks of `reasoning` then `answer`, a character group per chunk, in `key`'s dialect
/// (`reasoning_content`, `reasoning`, or `None` for inline `<think>` in the content), ending
/// with a finish reason and a usage chunk — as vLLM, SGLang and DeepSeek's API stream them.
pub fn dialect_stream(key: Option<&str>, reasoning: &[&str], answer: &[&str]) -> Vec<String> {
    let chunk = |delta: serde_json::Value, finish: Option<&str>| {
        serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
        .to_string()
    };
    let mut out = vec![chunk(
        serde_json::json!({"role": "assistant", "content": ""}),
        None,
    )];
    match key {
        Some(k) => out.extend(
            reasoning
                .iter()
                .map(|r| chunk(serde_json::json!({ k: r }), None)),
        ),
        None => {
            // R1 without a reasoning parser: the template opened <think>, so the text starts inside it.
            out.extend(
                reasoning
                    .iter()
                    .map(|r| chunk(serde_json::json!({"content": r}), None)),
            );
            out.push(chunk(serde_json::json!({"content": "</think>\n\n"}), None));
        }
    }
    out.extend(
        answer
            .iter()
            .map(|a| chunk(serde_json::json!({"content": a}), None)),
    );
    out.push(chunk(serde_json::json!({}), Some("stop")));
    let n = (reasoning.len() + answer.len()) as u32;
    out.push(
        serde_json::json!({"id": "c1", "object": "chat.completion.chunk", "choices": [],
            "usage": {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n}})
        .to_string(),
    );
    out
}

/// The request line, the `Authorization` header and the JSON body of a request.
fn read_request(
    reader: &mut BufReader<TcpStream>,
) -> std::io::Result<(String, Option<String>, serde_json::Value)> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let (mut authorization, mut length) = (None, 0usize);
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            match k.to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(v.trim().to_owned()),
                "content-length" => length = v.trim().parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok((
        target,
        authorization,
        serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    ))
}

fn serve(stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let (target, authorization, body) = read_request(&mut reader)?;
    let key = state.lock().unwrap().key.clone();
    state.lock().unwrap().seen.push(SeenRequest {
        target: target.clone(),
        authorization: authorization.clone(),
        body,
    });
    if let Some(key) = key {
        if authorization.as_deref() != Some(&format!("Bearer {key}")) {
            return answer(
                &mut out,
                401,
                r#"{"error":{"message":"Invalid API key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
                &[],
            );
        }
    }
    if target == "GET /v1/models" {
        let models = state.lock().unwrap().models.clone();
        return answer(&mut out, 200, &models, &[]);
    }
    if target != "POST /v1/chat/completions" {
        return answer(&mut out, 404, r#"{"detail":"Not Found"}"#, &[]);
    }
    let reply = state.lock().unwrap().replies.pop_front();
    let Some(reply) = reply else {
        return answer(
            &mut out,
            500,
            r#"{"error":{"message":"no reply scripted"}}"#,
            &[],
        );
    };
    play(reply, &mut reader, &mut out, state, stop)
}

/// Answers a chat request as scripted.
fn play(
    reply: Reply,
    reader: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
    state: &Mutex<State>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    match reply {
        Reply::Status {
            code,
            body,
            headers,
        } => answer(out, code, &body, &headers),
        Reply::Raw(bytes) => {
            stream_head(out)?;
            out.write_all(&bytes)
        }
        Reply::Stream {
            events,
            pause,
            done,
        } => {
            stream_head(out)?;
            let mut sent = events.iter().map(String::as_str).collect::<Vec<_>>();
            if done {
                sent.push("[DONE]");
            }
            for data in sent {
                if out
                    .write_all(format!("data: {data}\n\n").as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    state.lock().unwrap().client_left = true;
                    return Ok(());
                }
                std::thread::sleep(pause);
            }
            Ok(())
        }
        Reply::Stall(events) => {
            stream_head(out)?;
            for data in events {
                out.write_all(format!("data: {data}\n\n").as_bytes())?;
            }
            out.flush()?;
            // Silence until the client gives up or the server is dropped.
            let mut probe = [0u8; 1];
            out.set_read_timeout(Some(Duration::from_millis(100)))?;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(0) = reader.get_mut().read(&mut probe) {
                    state.lock().unwrap().client_left = true;
                    return Ok(());
                }
            }
            Ok(())
        }
    }
}

fn stream_head(out: &mut TcpStream) -> std::io::Result<()> {
    out.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
}

fn answer(
    out: &mut TcpStream,
    code: u16,
    body: &str,
    headers: &[(String, String)],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())
}
