//! The remote engine against real and replayed servers. llama.cpp's own llama-server (built by
//! `make test`) serves the tiny test models: list, stream, Stop (the server's log shows the task
//! cancelled and the slot released), reasoning through `--reasoning-format deepseek`, and the
//! greedy answer equal to the local engine's. A scripted server replays vLLM's, SGLang's and
//! inline-`<think>` streams and every fault the chat pane must put in words.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use seekdeck::chat::thinking::split;
use seekdeck::engine::remote::{Client, RemoteError};
use seekdeck::engine::{
    Engine, EngineError, Event, FinishReason, GenerationStats, ModelSource, Prompt, RemoteServer,
    Request, SamplingParams, TemplateMessage,
};
use support::llama_server::LlamaServer;
use support::openai_server::{dialect_stream, OpenAiServer, Reply};
use support::tiny::{write_tiny_model, write_tiny_model_with_context};

const WAIT: Duration = Duration::from_secs(60);

use support::greedy;

/// A server entry with a stall timeout of a minute: a real llama-server on a busy 2-core
/// machine (tests run side by side) can take seconds before its first token.
fn server(url: &str, key: Option<&str>) -> RemoteServer {
    RemoteServer {
        name: "test server".into(),
        base_url: seekdeck::engine::remote::normalize_base_url(url).unwrap(),
        api_key: key.map(str::to_owned),
        stall_secs: 60,
    }
}

fn connect(engine: &Engine, server: RemoteServer, model: &str) -> Event {
    engine.send(Request::Connect {
        server,
        model: model.into(),
        cancel: Arc::default(),
    });
    engine.events.recv_timeout(WAIT).unwrap()
}

/// Asks `messages`; returns the text streamed, the final event, and how long Stop took to be
/// answered when `stop_after` pieces triggered it.
fn ask(
    engine: &Engine,
    id: u64,
    messages: Vec<TemplateMessage>,
    sampling: SamplingParams,
    stop_after: Option<usize>,
) -> (String, Event, Option<Duration>) {
    let cancel = Arc::new(AtomicBool::new(false));
    engine.send(Request::Generate {
        id,
        prompt: Prompt::Chat(messages),
        sampling,
        cancel: cancel.clone(),
    });
    let (mut text, mut pieces, mut stopped_at) = (String::new(), 0, None);
    loop {
        match engine.events.recv_timeout(WAIT).unwrap() {
            Event::Piece { text: t, .. } => {
                text.push_str(&t);
                pieces += 1;
                if stop_after == Some(pieces) {
                    cancel.store(true, Ordering::Relaxed);
                    stopped_at = Some(Instant::now());
                }
            }
            other => return (text, other, stopped_at.map(|t| t.elapsed())),
        }
    }
}

fn hello() -> Vec<TemplateMessage> {
    vec![TemplateMessage::new("user", "hello world")]
}

fn stats_of(event: &Event) -> GenerationStats {
    match event {
        Event::Finished { stats, .. } => *stats,
        other => panic!("expected a finished answer, got {other:?}"),
    }
}

#[test]
fn llama_server_lists_streams_and_answers_as_the_local_engine_does() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_tiny_model_with_context(&model, "llama", "chatml", 16384);
    let llama = LlamaServer::start(&model, &["--alias", "tiny"]);

    let listed = Client::new(&server(&llama.url, None)).models().unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(
        (listed[0].id.as_str(), listed[0].ctx_tokens),
        ("tiny", Some(2048))
    );

    let engine = Engine::spawn(|| {}).unwrap();
    match connect(&engine, server(&llama.url, None), "tiny") {
        Event::Loaded(info) => {
            assert!(
                matches!(info.source, ModelSource::Server { ref model, .. } if model == "tiny")
            );
            assert_eq!(info.ctx_tokens, 2048);
            assert!(info.params > 0);
        }
        other => panic!("{other:?}"),
    }
    let (remote_text, end, _) = ask(&engine, 1, hello(), greedy(24), None);
    let remote = stats_of(&end);
    assert!(!remote_text.is_empty());
    assert!(
        remote.prompt_tokens > 3,
        "usage counts come from the server: {remote:?}"
    );
    assert_eq!(remote.ctx_total_tokens, 2048);
    assert_eq!(
        remote.ctx_used_tokens,
        remote.prompt_tokens + remote.generated_tokens
    );
    // A second question after a pause longer than llama-server's keep-alive (5 s): the idle
    // connection is closed by then, and a pooled one would fail with "peer disconnected".
    std::thread::sleep(Duration::from_secs(6));
    let (again, end, _) = ask(&engine, 3, hello(), greedy(24), None);
    stats_of(&end);
    assert_eq!(again, remote_text);

    // The same file in this process, greedy, same context: the same answer token for token.
    engine.send(Request::Load {
        path: model.clone(),
        ctx_tokens: 2048,
        placement: seekdeck::estimate::placement::Placement::default(),
        settings: Default::default(),
        cancel: Arc::default(),
    });
    loop {
        match engine.events.recv_timeout(WAIT).unwrap() {
            Event::Progress(_) | Event::WarmingUp => {}
            Event::Loaded(_) => break,
            other => panic!("{other:?}"),
        }
    }
    let (local_text, end, _) = ask(&engine, 2, hello(), greedy(24), None);
    let local = stats_of(&end);
    assert_eq!(local_text, remote_text, "greedy answers differ");
    assert_eq!(local.prompt_tokens, remote.prompt_tokens);
    assert_eq!(local.generated_tokens, remote.generated_tokens);
}

#[test]
fn stop_closes_the_request_and_the_server_releases_the_slot() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_tiny_model_with_context(&model, "llama", "chatml", 16384);
    let llama = LlamaServer::start(&model, &["--alias", "tiny", "--ignore-eos"]);
    let engine = Engine::spawn(|| {}).unwrap();
    assert!(matches!(
        connect(&engine, server(&llama.url, None), "tiny"),
        Event::Loaded(_)
    ));

    let (text, end, stop_took) = ask(&engine, 1, hello(), greedy(1900), Some(3));
    match end {
        Event::Finished { reason, stats, .. } => {
            assert_eq!(reason, FinishReason::Stopped);
            assert!(stats.generated_tokens < 1900, "{stats:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(!text.is_empty());
    assert!(
        stop_took.unwrap() < Duration::from_secs(2),
        "Stop took {stop_took:?}"
    );
    // llama-server notices the closed connection at its next token, cancels the task and
    // releases the slot long before its 1900 tokens.
    assert!(
        llama.wait_for_log("cancel task", 30),
        "the server did not cancel:\n{}",
        llama.log()
    );
    assert!(llama.wait_for_log("stop processing", 30), "{}", llama.log());
    // The server is free again: the next question is answered.
    let (_, end, _) = ask(&engine, 2, hello(), greedy(8), None);
    assert_eq!(stats_of(&end).generated_tokens, 8);
}

#[test]
fn llama_servers_reasoning_content_becomes_the_thinking_block() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("r1.gguf");
    write_tiny_model(&model, "deepseek2", include_str!("data/deepseek-r1.jinja"));
    let llama = LlamaServer::start(
        &model,
        &["--alias", "r1", "--jinja", "--reasoning-format", "deepseek"],
    );
    let engine = Engine::spawn(|| {}).unwrap();
    assert!(matches!(
        connect(&engine, server(&llama.url, None), "r1"),
        Event::Loaded(_)
    ));
    let (text, end, _) = ask(&engine, 1, hello(), greedy(16), None);
    stats_of(&end);
    // R1's template opens <think> itself; llama-server's deepseek parser sends what follows as
    // reasoning_content, which arrives here as one open Thinking block.
    assert!(text.starts_with("<think>\n"), "{text:?}");
    let parts = split(&text, true);
    assert!(parts.thinking.is_some_and(|t| !t.is_empty()), "{parts:?}");
}

#[test]
fn every_dialect_of_reasoning_reads_the_same_and_is_never_sent_back() {
    let fake = OpenAiServer::start(&["deepseek-ai/DeepSeek-R1"], Some("sk-test"));
    let engine = Engine::spawn(|| {}).unwrap();
    let connected = connect(
        &engine,
        server(&fake.url, Some("sk-test")),
        "deepseek-ai/DeepSeek-R1",
    );
    assert!(
        matches!(connected, Event::Loaded(ref i) if i.ctx_tokens == 8192),
        "{connected:?}"
    );
    for (id, key) in [Some("reasoning_content"), Some("reasoning"), None]
        .into_iter()
        .enumerate()
    {
        fake.reply(Reply::Stream {
            events: dialect_stream(key, &["Let me", " add."], &["It is", " 4."]),
            pause: Duration::ZERO,
            done: true,
        });
        let (text, end, _) = ask(&engine, id as u64, hello(), greedy(64), None);
        let stats = stats_of(&end);
        let parts = split(&text, true);
        assert_eq!(parts.thinking, Some("Let me add."), "{key:?}: {text:?}");
        assert_eq!(parts.answer, "It is 4.", "{key:?}");
        assert_eq!(
            (stats.prompt_tokens, stats.generated_tokens),
            (12, 4),
            "usage: {key:?}"
        );
    }
    // The conversation's history drops the reasoning before it goes back to the server.
    let mut c = seekdeck::chat::Conversation::new(None, greedy(64), true);
    c.push_user("What is 2 + 2?");
    let mut answer = seekdeck::chat::ChatMessage::pending_answer();
    answer.text = "<think>\nLet me add.\n</think>\n\nIt is 4.".into();
    c.messages.push(answer);
    c.push_user("And 3 + 3?");
    fake.reply(Reply::Stream {
        events: dialect_stream(Some("reasoning_content"), &["6"], &["6."]),
        pause: Duration::ZERO,
        done: true,
    });
    ask(&engine, 9, c.history(), greedy(64), None);
    let sent = fake.seen().last().unwrap().body.clone();
    let messages = sent["messages"].as_array().unwrap();
    assert_eq!(messages[1]["content"], "It is 4.");
    assert!(!sent.to_string().contains("Let me add"));
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(
        fake.seen().last().unwrap().authorization.as_deref(),
        Some("Bearer sk-test")
    );
}

/// The error a generation ends with on `reply`, and that the engine answers the next question.
fn failure_of(fake: &OpenAiServer, engine: &Engine, reply: Reply) -> (String, RemoteError) {
    fake.reply(reply);
    let (text, end, _) = ask(engine, 1, hello(), greedy(64), None);
    let error = match end {
        Event::Failed {
            id: Some(1),
            error: EngineError::Remote(e),
        } => e,
        other => panic!("{other:?}"),
    };
    fake.reply(Reply::Stream {
        events: dialect_stream(None, &[], &["fine"]),
        pause: Duration::ZERO,
        done: true,
    });
    let (after, end, _) = ask(engine, 2, hello(), greedy(64), None);
    stats_of(&end);
    assert_eq!(
        after, "</think>\n\nfine",
        "the engine answers after {error}"
    );
    (text, error)
}

#[test]
fn every_server_failure_is_said_in_words_and_the_engine_stays_usable() {
    let fake = OpenAiServer::start(&["m"], None);
    let engine = Engine::spawn(|| {}).unwrap();
    // The scripted server answers at once: a 2 s silence is a stall here.
    let quick = RemoteServer {
        stall_secs: 2,
        ..server(&fake.url, None)
    };
    assert!(matches!(connect(&engine, quick, "m"), Event::Loaded(_)));
    let status = |code: u16, body: &str, headers: Vec<(String, String)>| Reply::Status {
        code,
        body: body.into(),
        headers,
    };
    let cases: Vec<(Reply, &str)> = vec![
        (
            status(401, r#"{"error":{"message":"Invalid API key"}}"#, vec![]),
            "refused the API key (HTTP 401): Invalid API key",
        ),
        (
            status(
                404,
                r#"{"error":{"message":"The model `m` does not exist."}}"#,
                vec![],
            ),
            "does not serve \"m\"",
        ),
        (
            status(
                429,
                r#"{"error":{"message":"Rate limit reached"}}"#,
                vec![("Retry-After".into(), "7".into())],
            ),
            "asks to slow down (HTTP 429), try again in 7 s",
        ),
        (
            status(503, "upstream overloaded", vec![]),
            "failed (HTTP 503): upstream overloaded",
        ),
        (
            status(
                400,
                r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}"#,
                vec![],
            ),
            "longer than the model's context",
        ),
        (
            status(
                400,
                r#"{"object":"error","message":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.","type":"BadRequestError","code":400}"#,
                vec![],
            ),
            "maximum context length is 8192",
        ),
        (
            Reply::Raw(b"data: {not json\n\n".to_vec()),
            "not an OpenAI-compatible answer",
        ),
        (
            Reply::Stream {
                events: vec![r#"{"error":{"message":"out of memory"}}"#.into()],
                pause: Duration::ZERO,
                done: false,
            },
            "stopped the answer: out of memory",
        ),
    ];
    for (reply, words) in cases {
        let (_, error) = failure_of(&fake, &engine, reply);
        assert!(error.to_string().contains(words), "{error} lacks {words:?}");
    }
    // A stream cut off mid-answer: the partial answer was streamed and is kept by the pane.
    let mut events = dialect_stream(Some("reasoning_content"), &[], &["Half", " an"]);
    events.truncate(3);
    let (partial, error) = failure_of(
        &fake,
        &engine,
        Reply::Stream {
            events,
            pause: Duration::ZERO,
            done: false,
        },
    );
    assert_eq!(partial, "Half an");
    assert!(matches!(error, RemoteError::CutOff { .. }), "{error}");
    assert!(error.to_string().contains("partial answer is kept"));
    // A server that stops sending: the stall timeout (2 s here) ends the wait.
    let started = Instant::now();
    let (partial, error) = failure_of(
        &fake,
        &engine,
        Reply::Stall(dialect_stream(Some("reasoning_content"), &[], &["Slow"])[..2].to_vec()),
    );
    assert_eq!(partial, "Slow");
    assert!(
        error.to_string().contains("sent nothing for 2 s"),
        "{error}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// Answers that are not what was asked for are said for what they are: a gateway's sign-in
/// page (it was called a cut stream), a proxy's 502 page (its markup was printed), an unknown
/// path (it was "does not serve"), a `Retry-After` date (the wait was lost).
#[test]
fn pages_paths_and_dates_are_said_for_what_they_are() {
    let fake = OpenAiServer::start(&["m"], None);
    let engine = Engine::spawn(|| {}).unwrap();
    assert!(matches!(
        connect(&engine, server(&fake.url, None), "m"),
        Event::Loaded(_)
    ));
    let status = |code: u16, body: &str, headers: Vec<(String, String)>| Reply::Status {
        code,
        body: body.into(),
        headers,
    };
    let cases: Vec<(Reply, &str)> = vec![
        // A gateway's sign-in page with 200: not a cut stream, a page.
        (
            status(
                200,
                "<!DOCTYPE html><html><head><title>Sign in - Gateway</title></head><body>...</body></html>",
                vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            ),
            "is not an OpenAI-compatible API: it answered with a web page (text/html): \"Sign in - Gateway\"",
        ),
        // A proxy's 502 page: the status and the page's words, no markup.
        (
            status(
                502,
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
                vec![("Content-Type".into(), "text/html".into())],
            ),
            "failed (HTTP 502): 502 Bad Gateway",
        ),
        // Retry-After as an HTTP date keeps the wait (a date far ahead: a wait of years).
        (
            status(
                429,
                r#"{"error":{"message":"slow down"}}"#,
                vec![("Retry-After".into(), "Fri, 31 Dec 2100 23:59:59 GMT".into())],
            ),
            "asks to slow down (HTTP 429), try again in ",
        ),
        // An unknown path (llama-server's own 404): the address is wrong, not the model.
        (
            status(
                404,
                r#"{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}"#,
                vec![],
            ),
            "is not an OpenAI-compatible API: HTTP 404 (File Not Found) — check the address",
        ),
    ];
    for (reply, words) in cases {
        let (_, error) = failure_of(&fake, &engine, reply);
        assert!(error.to_string().contains(words), "{error} lacks {words:?}");
    }
}

/// A base address without the API's path says so and suggests /v1 (it said `does not serve "":
/// File Not Found`).
#[test]
fn a_wrong_base_path_suggests_v1() {
    let fake = OpenAiServer::start(&["m"], None);
    let wrong = format!("{}/api", fake.url);
    let base = seekdeck::engine::remote::normalize_base_url(&wrong).unwrap();
    let error = Client::new(&server(&base, None)).models().unwrap_err();
    let words = error.to_string();
    assert!(matches!(error, RemoteError::NotAnApi { .. }), "{words}");
    assert!(words.contains("HTTP 404 (Not Found)"), "{words}");
    assert!(words.contains(&format!("try {wrong}/v1")), "{words}");
    assert!(!words.contains("does not serve"), "{words}");
}

#[test]
fn connection_failures_are_said_in_words() {
    let fake = OpenAiServer::start(&["m"], Some("right"));
    let engine = Engine::spawn(|| {}).unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let tls = fake.url.replace("http://", "https://");
    let cases = [
        (server(&closed, None), "m", "connection refused"),
        (
            server("http://no-such-host.invalid", None),
            "m",
            "cannot reach no-such-host.invalid",
        ),
        (server(&tls, None), "m", "TLS"),
        (
            server(&fake.url, Some("wrong")),
            "m",
            "refused the API key (HTTP 401)",
        ),
        (
            server(&fake.url, Some("right")),
            "not-served",
            "does not serve \"not-served\": it serves m",
        ),
    ];
    for (s, model, words) in cases {
        match connect(&engine, s, model) {
            Event::Failed { id: None, error } => {
                assert!(error.to_string().contains(words), "{error} lacks {words:?}")
            }
            other => panic!("{words}: {other:?}"),
        }
    }
    assert!(matches!(
        connect(&engine, server(&fake.url, Some("right")), "m"),
        Event::Loaded(_)
    ));
}

#[test]
fn keys_stay_out_of_debug_output() {
    let s = server("http://127.0.0.1:1", Some("sk-secret-123"));
    assert!(!format!("{s:?}").contains("sk-secret-123"));
    let _ = Path::new("");
}

#[test]
fn the_command_line_chats_with_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny.gguf");
    write_tiny_model_with_context(&model, "llama", "chatml", 16384);
    let llama = LlamaServer::start(&model, &["--alias", "tiny"]);
    let run = |args: &[&str]| {
        let out = support::seekdeck(&[&["chat"], args].concat());
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&[
        "--server",
        &llama.url,
        "--prompt",
        "hello world",
        "--temp",
        "0",
        "--max-tokens",
        "8",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stdout.trim().is_empty());
    assert!(
        stderr.contains("connected to tiny on 127.0.0.1"),
        "{stderr}"
    );
    assert!(stderr.contains("8 generated tokens"), "{stderr}");
    // The key comes from the variable --api-key-env names; a missing one is one line, code 2.
    let (code, _, stderr) = run(&[
        "--server",
        &llama.url,
        "--api-key-env",
        "SEEKDECK_TEST_NO_SUCH_VAR",
        "--prompt",
        "x",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("SEEKDECK_TEST_NO_SUCH_VAR"), "{stderr}");
    let (code, _, stderr) = run(&["--server", "ftp://nope", "--prompt", "x"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is not a server address"), "{stderr}");
    let (code, _, stderr) = run(&["--server", &llama.url, "--model", "other", "--prompt", "x"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("does not serve \"other\": it serves tiny"),
        "{stderr}"
    );
}

/// The interactive command line keeps one conversation by the window's history rule: the second
/// request carries the first answer without its reasoning, in every dialect a server sends it
/// in (DeepSeek's `reasoning_content`, vLLM's `reasoning`, inline tags); a failed turn is left
/// out with its question, so the roles alternate as DeepSeek's API demands; NUL characters a
/// model writes never reach standard output.
#[test]
fn the_command_lines_history_never_sends_reasoning_back() {
    for key in [Some("reasoning_content"), Some("reasoning"), None] {
        let fake = OpenAiServer::start(&["deepseek-ai/DeepSeek-R1"], None);
        fake.reply(Reply::Stream {
            events: dialect_stream(key, &["Let me", " add."], &["It is", " 4.\u{0}"]),
            pause: Duration::ZERO,
            done: true,
        });
        fake.reply(Reply::Status {
            code: 429,
            body: r#"{"error":{"message":"Rate limit reached"}}"#.into(),
            headers: vec![],
        });
        fake.reply(Reply::Stream {
            events: dialect_stream(key, &["Six."], &["6."]),
            pause: Duration::ZERO,
            done: true,
        });
        let out = support::seekdeck_with_input(
            &["chat", "--server", &fake.url],
            "What is 2 + 2?\nAnd 3 + 3?\nAnd 3 + 3, again?\n",
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{key:?}: {stderr}");
        assert!(!out.stdout.contains(&0), "{key:?}: a NUL reached stdout");
        let seen = fake.seen();
        let chats: Vec<_> = seen
            .iter()
            .filter(|r| r.target.contains("chat/completions"))
            .collect();
        assert_eq!(chats.len(), 3, "{key:?}");
        let last = &chats[2].body;
        let roles: Vec<&str> = last["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["user", "assistant", "user"], "{key:?}: {last}");
        assert_eq!(last["messages"][1]["content"], "It is 4.", "{key:?}");
        assert_eq!(last["messages"][2]["content"], "And 3 + 3, again?");
        assert!(!last.to_string().contains("Let me"), "{key:?}: {last}");
        assert!(!last.to_string().contains("think>"), "{key:?}: {last}");
        assert_eq!(
            last["max_tokens"], 8192,
            "R1's card's 32,768 tokens, bounded by the 8,192 the server serves"
        );
    }
}
