//! The engine on real llama.cpp with tiny models: load, stream, stop, unload and reload, a full
//! context, and the errors of missing, non-GGUF and truncated files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use seekdeck::engine::{Engine, EngineError, Event, FinishReason, Prompt, Request, SamplingParams};
use support::tiny::write_tiny_model;

const WAIT: Duration = Duration::from_secs(60);

use support::greedy;

fn load(engine: &Engine, path: &Path, ctx_tokens: u32) -> Event {
    engine.send(Request::Load {
        path: path.to_path_buf(),
        ctx_tokens,
        placement: seekdeck::estimate::placement::Placement::default(),
        settings: Default::default(),
        cancel: Arc::default(),
    });
    loop {
        match engine.events.recv_timeout(WAIT).unwrap() {
            Event::Progress(_) | Event::WarmingUp => {}
            other => return other,
        }
    }
}

/// Runs generation `id`; returns the text and the final event. `stop_after` sets the cancel flag
/// once that many pieces arrived.
fn run(
    engine: &Engine,
    id: u64,
    prompt: &str,
    sampling: SamplingParams,
    stop_after: Option<usize>,
) -> (String, Event) {
    let cancel = Arc::new(AtomicBool::new(false));
    engine.send(Request::Generate {
        id,
        prompt: Prompt::Text(prompt.into()),
        sampling,
        cancel: cancel.clone(),
    });
    let mut text = String::new();
    let mut pieces = 0;
    loop {
        match engine.events.recv_timeout(WAIT).unwrap() {
            Event::Piece {
                id: pid, text: t, ..
            } => {
                assert_eq!(pid, id);
                text.push_str(&t);
                pieces += 1;
                if stop_after == Some(pieces) {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            other => return (text, other),
        }
    }
}

fn tiny(dir: &Path, arch: &str) -> PathBuf {
    let p = dir.join(format!("{arch}.gguf"));
    write_tiny_model(&p, arch, "chatml");
    p
}

#[test]
fn load_generate_stop_unload_and_reload() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::spawn(|| {}).unwrap();
    let llama = tiny(dir.path(), "llama");
    match load(&engine, &llama, 256) {
        Event::Loaded(info) => {
            assert_eq!(info.architecture, "llama");
            assert_eq!(info.ctx_tokens, 256);
            assert_eq!(info.chat_template.as_deref(), Some("chatml"));
        }
        other => panic!("{other:?}"),
    }
    let (text, end) = run(&engine, 1, "hello world", greedy(12), None);
    match end {
        Event::Finished {
            id: 1,
            reason,
            stats,
        } => {
            assert!(matches!(
                reason,
                FinishReason::MaxTokens | FinishReason::EndOfTurn
            ));
            assert!(stats.prompt_tokens > 0);
            assert!(stats.generated_tokens > 0 && stats.generated_tokens <= 12);
            assert!(stats.first_token_secs > 0.0);
            assert!(stats.ctx_used_tokens <= 256);
        }
        other => panic!("{other:?}"),
    }
    // Deterministic under greedy sampling.
    let (again, _) = run(&engine, 2, "hello world", greedy(12), None);
    assert_eq!(text, again);
    // Stop takes effect within one token.
    let (_, end) = run(&engine, 3, "hello world", greedy(200), Some(2));
    match end {
        Event::Finished {
            id: 3,
            reason: FinishReason::Stopped,
            stats,
        } => assert!(stats.generated_tokens <= 4, "{stats:?}"),
        Event::Finished {
            reason: FinishReason::EndOfTurn,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
    engine.send(Request::Unload);
    assert_eq!(engine.events.recv_timeout(WAIT).unwrap(), Event::Unloaded);
    let (_, end) = run(&engine, 4, "hello", greedy(4), None);
    assert_eq!(
        end,
        Event::Failed {
            id: Some(4),
            error: EngineError::NoModel
        }
    );
    let ds = tiny(dir.path(), "deepseek2");
    assert!(matches!(load(&engine, &ds, 128), Event::Loaded(_)));
    let (_, end) = run(&engine, 5, "hello world", greedy(8), None);
    assert!(matches!(end, Event::Finished { id: 5, .. }), "{end:?}");
}

#[test]
fn a_full_context_is_reported_not_crashed() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::spawn(|| {}).unwrap();
    // llama.cpp rounds the context up to a multiple of 256.
    assert!(
        matches!(load(&engine, &tiny(dir.path(), "qwen2"), 200), Event::Loaded(ref i) if i.ctx_tokens == 256)
    );
    let long = "hello world the deep seek ".repeat(40);
    let (_, end) = run(&engine, 1, &long, greedy(8), None);
    assert!(
        matches!(
            end,
            Event::Failed {
                id: Some(1),
                error: EngineError::ContextFull { total: 256, .. }
            }
        ),
        "{end:?}"
    );
    // Generation that runs into the end of the window stops with ContextFull.
    let (_, end) = run(&engine, 2, "hello world", greedy(1000), None);
    match end {
        Event::Finished { reason, stats, .. } => {
            assert!(matches!(
                reason,
                FinishReason::ContextFull | FinishReason::EndOfTurn
            ));
            assert!(stats.ctx_used_tokens <= 256);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_files_give_their_errors_and_the_engine_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::spawn(|| {}).unwrap();
    let missing = dir.path().join("missing.gguf");
    assert_eq!(
        load(&engine, &missing, 128),
        Event::Failed {
            id: None,
            error: EngineError::NotFound(missing.clone())
        }
    );
    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "this is not a model").unwrap();
    assert_eq!(
        load(&engine, &text, 128),
        Event::Failed {
            id: None,
            error: EngineError::NotGguf(text.clone())
        }
    );
    let good = tiny(dir.path(), "llama");
    let truncated = dir.path().join("truncated.gguf");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        load(&engine, &truncated, 128),
        Event::Failed {
            id: None,
            error: EngineError::LoadFailed { .. }
        }
    ));
    assert!(matches!(load(&engine, &good, 128), Event::Loaded(_)));
}

#[test]
fn conversations_use_the_models_template() {
    use seekdeck::engine::TemplateMessage;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::spawn(|| {}).unwrap();
    let chat = vec![
        TemplateMessage::new("system", "Be brief."),
        TemplateMessage::new("user", "hello world"),
    ];
    // A llama.cpp built-in format named by the GGUF (ChatML), and DeepSeek-R1's Jinja template.
    let chatml = tiny(dir.path(), "llama");
    let r1 = dir.path().join("r1.gguf");
    write_tiny_model(&r1, "deepseek2", include_str!("data/deepseek-r1.jinja"));
    for (i, path) in [chatml, r1].iter().enumerate() {
        assert!(matches!(load(&engine, path, 256), Event::Loaded(_)));
        let cancel = Arc::new(AtomicBool::new(false));
        engine.send(Request::Generate {
            id: i as u64,
            prompt: Prompt::Chat(chat.clone()),
            sampling: greedy(6),
            cancel,
        });
        let end = loop {
            match engine.events.recv_timeout(WAIT).unwrap() {
                Event::Piece { .. } => {}
                other => break other,
            }
        };
        match end {
            // The rendered prompt is longer than the raw user text: the template was applied.
            Event::Finished { stats, .. } => assert!(stats.prompt_tokens > 8, "{stats:?}"),
            other => panic!("{}: {other:?}", path.display()),
        }
    }
    // A template llama.cpp does not know, and no Jinja: a readable error.
    let odd = dir.path().join("odd.gguf");
    write_tiny_model(&odd, "llama", "no-such-template");
    assert!(matches!(load(&engine, &odd, 256), Event::Loaded(_)));
    engine.send(Request::Generate {
        id: 9,
        prompt: Prompt::Chat(chat),
        sampling: greedy(4),
        cancel: Arc::default(),
    });
    let end = engine.events.recv_timeout(WAIT).unwrap();
    assert!(
        matches!(
            end,
            Event::Failed {
                id: Some(9),
                error: EngineError::Template(_)
            }
        ),
        "{end:?}"
    );
}

#[test]
fn the_next_turn_reuses_the_cached_prompt_and_answers_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny(dir.path(), "qwen2");
    let first_turn = "hello world the deep seek";
    let engine = Engine::spawn(|| {}).unwrap();
    assert!(matches!(load(&engine, &path, 512), Event::Loaded(_)));
    let (answer, _) = run(&engine, 1, first_turn, greedy(12), None);
    let second_turn = format!("{first_turn}{answer} and the world");
    let (reused, end) = run(&engine, 2, &second_turn, greedy(12), None);
    let Event::Finished { stats, .. } = end else {
        panic!("{end:?}")
    };
    assert!(stats.reused_prompt_tokens > 0, "{stats:?}");
    assert!(stats.reused_prompt_tokens < stats.prompt_tokens);

    // A fresh engine decodes the whole second prompt and writes the same answer.
    let fresh = Engine::spawn(|| {}).unwrap();
    assert!(matches!(load(&fresh, &path, 512), Event::Loaded(_)));
    let (from_scratch, end) = run(&fresh, 1, &second_turn, greedy(12), None);
    let Event::Finished { stats, .. } = end else {
        panic!("{end:?}")
    };
    assert_eq!(stats.reused_prompt_tokens, 0);
    assert_eq!(reused, from_scratch);
}

#[test]
fn a_cancelled_load_says_so_and_the_engine_loads_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny(dir.path(), "llama");
    let engine = Engine::spawn(|| {}).unwrap();
    engine.send(Request::Load {
        path: path.clone(),
        ctx_tokens: 256,
        placement: seekdeck::estimate::placement::Placement::default(),
        settings: Default::default(),
        cancel: Arc::new(AtomicBool::new(true)),
    });
    let end = loop {
        match engine.events.recv_timeout(WAIT).unwrap() {
            Event::Progress(_) => {}
            other => break other,
        }
    };
    assert!(
        matches!(
            end,
            Event::Failed {
                id: None,
                error: seekdeck::engine::EngineError::Cancelled
            }
        ),
        "{end:?}"
    );
    assert!(matches!(load(&engine, &path, 256), Event::Loaded(_)));
}

#[test]
fn every_event_wakes_the_caller_load_progress_included() {
    let dir = tempfile::tempdir().unwrap();
    let path = tiny(dir.path(), "llama");
    let wakes = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = wakes.clone();
    let engine = Engine::spawn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    engine.send(Request::Load {
        path: path.clone(),
        ctx_tokens: 256,
        placement: seekdeck::estimate::placement::Placement::default(),
        settings: Default::default(),
        cancel: Arc::default(),
    });
    let mut events = 0;
    let mut progress = 0;
    let mut warming = 0;
    loop {
        let event = engine.events.recv_timeout(WAIT).unwrap();
        events += 1;
        match event {
            Event::Progress(_) => {
                assert_eq!(warming, 0, "progress after the warm-up began");
                progress += 1;
            }
            Event::WarmingUp => warming += 1,
            Event::Loaded(_) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(progress > 0, "llama.cpp reported no load progress");
    assert_eq!(warming, 1, "one warm-up, after the load and before Loaded");
    // The wake-up follows each send; give the last one a moment to land.
    let deadline = std::time::Instant::now() + WAIT;
    while wakes.load(Ordering::SeqCst) < events && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        wakes.load(Ordering::SeqCst),
        events,
        "{progress} progress events"
    );
}
