//! A scripted chat for the window benchmark (`make bench-window`): launch one file, ask one
//! question once it is loaded, print the engine's figures and close. It drives the same
//! commands a user's clicks would, so the window measured is the window users get.
//! Turned on by `SEEKDECK_SCRIPT_CHAT=FILE` (with `SEEKDECK_SCRIPT_PROMPT`,
//! `SEEKDECK_SCRIPT_MAX_TOKENS`, `SEEKDECK_SCRIPT_CTX`); off otherwise.

use std::path::PathBuf;
use std::time::Duration;

use super::chat_session::ModelState;
use super::command::Command;
use super::App;

/// How long the window is shown, ready, before the script clicks Launch.
const SETTLE: Duration = Duration::from_secs(1);

/// What the script does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatScript {
    /// The GGUF to launch.
    pub file: PathBuf,
    /// The one question.
    pub prompt: String,
    /// Most tokens in the answer.
    pub max_tokens: u32,
    /// Context length to launch with.
    pub ctx_tokens: u32,
}

impl ChatScript {
    /// The script the environment asks for, if any.
    pub fn from_env() -> Option<Self> {
        let file = std::env::var_os("SEEKDECK_SCRIPT_CHAT")?;
        let number = |key: &str, default: u32| {
            std::env::var(key)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(default)
        };
        Some(Self {
            file: file.into(),
            prompt: std::env::var("SEEKDECK_SCRIPT_PROMPT")
                .unwrap_or_else(|_| "Which DeepSeek model fits my PC?".into()),
            max_tokens: number("SEEKDECK_SCRIPT_MAX_TOKENS", 64),
            ctx_tokens: number("SEEKDECK_SCRIPT_CTX", 4096),
        })
    }
}

/// Where a script stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptStep {
    /// Not launched yet: waiting for the window to be ready.
    Start,
    /// Ready since then: a user reads the window for a moment before clicking Launch, and the
    /// first frames' work (fonts, layout) is not the load's.
    Settling(std::time::Instant),
    /// Waiting for the model.
    Loading,
    /// The question is out.
    Asked,
    /// The figures are printed; the window should close.
    Done,
}

impl App {
    /// Moves the script on by what happened since the last frame; returns the commands a user
    /// would have given. `Done` asks the window to close.
    pub(crate) fn script_commands(&mut self) -> Vec<Command> {
        let Some((script, step)) = self.script.as_mut() else {
            return Vec::new();
        };
        match *step {
            // As a user would: Launch once the window shows this PC's readings and the files found,
            // a second later (the start-up work, the first hardware reading included, is not the
            // load's).
            ScriptStep::Start if self.local.scanning || self.live_hw.ram.is_none() => Vec::new(),
            ScriptStep::Start => {
                *step = ScriptStep::Settling(std::time::Instant::now());
                Vec::new()
            }
            ScriptStep::Settling(since) if since.elapsed() < SETTLE => Vec::new(),
            ScriptStep::Settling(_) => {
                *step = ScriptStep::Loading;
                let path = script.file.clone();
                vec![
                    Command::SetCtx(script.ctx_tokens),
                    Command::Launch { path, force: true },
                ]
            }
            ScriptStep::Loading => match &self.chat.session.model {
                ModelState::Loaded { .. } => {
                    *step = ScriptStep::Asked;
                    self.chat.conversation_mut().sampling.max_tokens = script.max_tokens;
                    self.chat.draft.text = script.prompt.clone();
                    vec![Command::Send]
                }
                ModelState::Empty => {
                    eprintln!(
                        "script: the load failed: {}",
                        self.chat.session.load_error.as_deref().unwrap_or("unknown")
                    );
                    *step = ScriptStep::Done;
                    Vec::new()
                }
                ModelState::Loading { .. } => Vec::new(),
            },
            ScriptStep::Asked if !self.chat.busy() => {
                *step = ScriptStep::Done;
                let load_secs = match &self.chat.session.model {
                    ModelState::Loaded { info, .. } => info.load_secs,
                    _ => 0.0,
                };
                match self.chat.conversation().messages.last().and_then(|m| m.stats) {
                    Some(s) => eprintln!(
                        "script: load_secs={load_secs:.3} prompt_tokens={} generated_tokens={} first_token_secs={:.3} tokens_per_sec={:.3}",
                        s.prompt_tokens, s.generated_tokens, s.first_token_secs, s.tokens_per_sec
                    ),
                    None => eprintln!("script: the answer has no statistics"),
                }
                Vec::new()
            }
            ScriptStep::Asked | ScriptStep::Done => Vec::new(),
        }
    }

    /// Whether a script waits for the window to be ready (the window then checks again soon).
    pub fn script_waiting(&self) -> bool {
        matches!(
            self.script,
            Some((_, ScriptStep::Start | ScriptStep::Settling(_)))
        )
    }

    /// Whether a script has finished and the window should close.
    pub fn script_done(&self) -> bool {
        matches!(self.script, Some((_, ScriptStep::Done)))
    }
}
