//! The worker thread's loop. The context borrows the model, so each loaded model is served by a
//! nested loop that owns both and returns the request that ends it (another load, unload, shutdown).

use std::io::Read;
use std::path::Path;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};

use super::errors::EngineError;
use super::generate::{ctx_param, generate, warm_up};
use super::protocol::{Event, LoadedModel, ModelSource, Prompt, Request};
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::placement::{Offload, Placement};
use crate::llama::split_search::{check_split, SplitCheck};

/// Sends events and wakes the caller.
#[derive(Clone)]
pub struct Outbox {
    tx: Sender<Event>,
    notify: Arc<dyn Fn() + Send + Sync>,
}

impl Outbox {
    /// Wraps the event sender and the wake-up.
    pub fn new(tx: Sender<Event>, notify: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self { tx, notify }
    }

    /// Sends; `false` when the caller is gone.
    pub(crate) fn send(&self, event: Event) -> bool {
        let ok = self.tx.send(event).is_ok();
        (self.notify)();
        ok
    }
}

/// The worker: waits for a load, serves the model until told otherwise.
pub fn run(requests: &Receiver<Request>, out: &Outbox) {
    lower_current_thread_priority();
    let mut next = requests.recv().ok();
    while let Some(request) = next.take() {
        next = match request {
            Request::Shutdown => return,
            Request::Unload => {
                out.send(Event::Unloaded);
                requests.recv().ok()
            }
            Request::Generate { id, .. } => {
                out.send(Event::Failed {
                    id: Some(id),
                    error: EngineError::NoModel,
                });
                requests.recv().ok()
            }
            Request::Load {
                path,
                ctx_tokens,
                placement,
                settings,
                cancel,
            } => served(
                load_and_serve(
                    &LoadJob {
                        path: &path,
                        ctx_tokens,
                        placement,
                        settings: &settings,
                    },
                    &cancel,
                    requests,
                    out,
                ),
                requests,
                out,
            ),
            Request::Connect {
                server,
                model,
                cancel,
            } => served(
                super::remote::serve::connect_and_serve(&server, &model, &cancel, requests, out),
                requests,
                out,
            ),
        };
    }
}

/// One question for the model in the slot.
pub(crate) struct Question {
    /// The generation's id.
    pub id: u64,
    /// What to answer.
    pub prompt: Prompt,
    /// Sampling settings.
    pub sampling: crate::engine::protocol::SamplingParams,
    /// Set to stop.
    pub cancel: Arc<AtomicBool>,
}

/// How a model's serving loop ended.
pub(crate) enum Served {
    /// `Unload`: the caller frees the model, then says so.
    Unload,
    /// Another request takes the slot (`None`: the caller is gone).
    Next(Option<Request>),
}

/// The serving loop both kinds of model share: each `Generate` goes to `answer`, which streams
/// its pieces and returns the generation's last event; `Unload` and any other request end it.
pub(crate) fn serve_questions(
    requests: &Receiver<Request>,
    out: &Outbox,
    mut answer: impl FnMut(Question) -> Event,
) -> Served {
    loop {
        let Ok(request) = requests.recv() else {
            return Served::Next(None);
        };
        match request {
            Request::Generate {
                id,
                prompt,
                sampling,
                cancel,
            } => {
                let event = answer(Question {
                    id,
                    prompt,
                    sampling,
                    cancel,
                });
                if !out.send(event) {
                    return Served::Next(Some(Request::Shutdown));
                }
            }
            Request::Unload => return Served::Unload,
            other @ (Request::Load { .. } | Request::Connect { .. } | Request::Shutdown) => {
                return Served::Next(Some(other))
            }
        }
    }
}

/// The request after a model's serving loop: the one that ended it, or — after a failed load or
/// connection, reported here — the next one.
fn served(
    result: Result<Option<Request>, EngineError>,
    requests: &Receiver<Request>,
    out: &Outbox,
) -> Option<Request> {
    match result {
        Ok(next) => next,
        Err(error) => {
            if !out.send(Event::Failed { id: None, error }) {
                return None;
            }
            requests.recv().ok()
        }
    }
}

/// Runs the worker (and the compute threads llama.cpp starts from it, which inherit it) a little
/// below normal priority (nice 5 on Linux), so the window's thread is scheduled first when both
/// want a CPU: generation uses every idle cycle, frames stay on time. Measured with
/// `make bench-engine` (frame times while streaming).
pub fn lower_current_thread_priority() {
    use thread_priority::{set_current_thread_priority, ThreadPriority, ThreadPriorityValue};
    // 35 of 0..99 maps to niceness 5 in thread-priority's linear scale.
    let result = ThreadPriorityValue::try_from(35u8)
        .map_err(|e| e.to_owned())
        .and_then(|v| {
            set_current_thread_priority(ThreadPriority::Crossplatform(v)).map_err(|e| e.to_string())
        });
    if let Err(e) = result {
        tracing::debug!("the engine thread keeps normal priority: {e}");
    }
}

/// Checks the file before llama.cpp sees it (a missing path panics llama-cpp-2 in debug builds).
fn check_file(path: &Path) -> Result<(), EngineError> {
    let mut magic = [0u8; 4];
    let mut file =
        std::fs::File::open(path).map_err(|_| EngineError::NotFound(path.to_path_buf()))?;
    if file.read_exact(&mut magic).is_err() || &magic != b"GGUF" {
        return Err(EngineError::NotGguf(path.to_path_buf()));
    }
    Ok(())
}

/// Loads the weights with `offload`, reporting progress through `progress` (each step of at least
/// a percent, so a load wakes the window about a hundred times, not once per tensor); `cancel`
/// aborts.
fn load_model(
    backend: &LlamaBackend,
    path: &Path,
    offload: Offload,
    settings: &LaunchSettings,
    cancel: &Arc<AtomicBool>,
    progress: Outbox,
) -> Result<LlamaModel, EngineError> {
    let cancel_flag = cancel.clone();
    let params = crate::llama::backend::model_params(offload, settings).map_err(|e| {
        EngineError::LoadFailed {
            path: path.to_path_buf(),
            detail: e.to_string(),
        }
    })?;
    // llama.cpp keeps pointers to the patterns until the load is over.
    let patterns = crate::llama::backend::cpu_override_patterns(offload, settings);
    let mut last_sent = f32::NEG_INFINITY;
    let mut params = pin!(params.with_progress_callback(move |p| {
        if p - last_sent >= 0.01 || (p >= 1.0 && last_sent < 1.0) {
            last_sent = p;
            progress.send(Event::Progress(p));
        }
        !cancel_flag.load(Ordering::Relaxed)
    }));
    crate::llama::backend::add_cpu_overrides(params.as_mut(), &patterns);
    LlamaModel::load_from_file(backend, path, &params).map_err(|e| {
        if cancel.load(Ordering::Relaxed) {
            EngineError::Cancelled
        } else {
            EngineError::LoadFailed {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }
        }
    })
}

/// The placement to load with: the asked one, or llama.cpp's check of it when there is a GPU
/// device and limits to check against. A check that fails (a file llama.cpp cannot read) leaves
/// the placement as asked; the load then reports the problem.
fn checked_placement(job: &LoadJob<'_>, out: &Outbox) -> (Offload, Option<SplitCheck>) {
    let Placement {
        offload,
        split_limits,
    } = job.placement;
    if !crate::llama::backend::can_offload() {
        // llama.cpp ignores the GPU layers then: say what really happens.
        return (Offload::default(), None);
    }
    let Some(limits) = split_limits else {
        return (offload, None);
    };
    out.send(Event::CheckingSplit);
    match check_split(job.path, job.ctx_tokens, offload, limits, job.settings) {
        Ok(check) => {
            tracing::info!("{check} ({} dry runs, {:.1} s)", check.dry_runs, check.secs);
            (check.chosen, Some(check))
        }
        Err(e) => {
            tracing::warn!("the GPU split could not be checked, loading with {offload}: {e}");
            (offload, None)
        }
    }
}

/// What one load is asked to do.
struct LoadJob<'a> {
    path: &'a Path,
    ctx_tokens: u32,
    placement: Placement,
    settings: &'a LaunchSettings,
}

fn load_and_serve(
    job: &LoadJob<'_>,
    cancel: &Arc<AtomicBool>,
    requests: &Receiver<Request>,
    out: &Outbox,
) -> Result<Option<Request>, EngineError> {
    let LoadJob {
        path,
        ctx_tokens,
        settings,
        ..
    } = *job;
    check_file(path)?;
    let backend = crate::llama::backend::backend().map_err(|e| EngineError::LoadFailed {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let started = Instant::now();
    let (offload, split_check) = checked_placement(job, out);
    if cancel.load(Ordering::Relaxed) {
        return Err(EngineError::Cancelled);
    }
    let model = load_model(backend, path, offload, settings, cancel, out.clone())?;
    let threads = settings
        .threads
        .map_or_else(super::handle::thread_count, |t| t as i32);
    let cp = crate::llama::backend::context_params(ctx_tokens, settings)
        .with_n_ctx(ctx_param(ctx_tokens))
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut ctx = model
        .new_context(backend, cp)
        .map_err(|e| EngineError::ContextFailed {
            ctx_tokens,
            detail: e.to_string(),
        })?;
    if cancel.load(Ordering::Relaxed) {
        return Err(EngineError::Cancelled);
    }
    out.send(Event::WarmingUp);
    warm_up(&model, &mut ctx);
    let info = LoadedModel {
        source: ModelSource::File(path.to_path_buf()),
        architecture: model
            .meta_val_str("general.architecture")
            .unwrap_or_default(),
        params: model.n_params(),
        size_bytes: model.size(),
        ctx_tokens: ctx.n_ctx(),
        ctx_train_tokens: model.n_ctx_train(),
        chat_template: model.meta_val_str("tokenizer.chat_template").ok(),
        load_secs: started.elapsed().as_secs_f64(),
        offload,
        split_check,
    };
    if !out.send(Event::Loaded(info)) {
        return Ok(Some(Request::Shutdown));
    }
    // Tokens whose keys and values are in the context's cache, for reuse by the next turn.
    let mut cached = Vec::new();
    let served = serve_questions(requests, out, |q| {
        let id = q.id;
        let result = prompt_text(&model, q.prompt).and_then(|(text, add_special)| {
            generate(
                &model,
                &mut ctx,
                &mut cached,
                &text,
                add_special,
                q.sampling,
                &q.cancel,
                |text, generated_tokens, ctx_used_tokens| {
                    out.send(Event::Piece {
                        id,
                        text,
                        generated_tokens,
                        ctx_used_tokens,
                    });
                },
            )
        });
        match result {
            Ok((reason, stats)) => Event::Finished { id, reason, stats },
            Err(error) => Event::Failed {
                id: Some(id),
                error,
            },
        }
    });
    match served {
        Served::Next(next) => Ok(next),
        Served::Unload => {
            drop(ctx);
            drop(model);
            out.send(Event::Unloaded);
            Ok(requests.recv().ok())
        }
    }
}

/// The text to tokenize and whether llama.cpp should add BOS itself (a Jinja template writes
/// `bos_token` into the text; llama.cpp's built-in formats do not). NUL characters are dropped:
/// llama.cpp takes C strings, and a model may have written one into an earlier answer.
fn prompt_text(model: &LlamaModel, prompt: Prompt) -> Result<(String, bool), EngineError> {
    let (mut messages, template) = match prompt {
        Prompt::Text(text) => return Ok((text.replace('\0', ""), true)),
        Prompt::Chat(messages) => (messages, model.meta_val_str("tokenizer.chat_template").ok()),
        Prompt::ChatBuiltIn { messages, format } => (messages, Some(format)),
    };
    for m in &mut messages {
        if m.content.contains('\0') {
            m.content = m.content.replace('\0', "");
        }
    }
    match template {
        Some(t) if t.contains("{%") || t.contains("{{") => {
            let vocab = model.vocab();
            let piece =
                |tok| String::from_utf8_lossy(&vocab.token_to_piece(tok, true, None)).into_owned();
            let text = crate::engine::template_sandbox::render_isolated(
                &t,
                &messages,
                true,
                &piece(vocab.bos()),
                &piece(vocab.eos()),
            )
            .map_err(|e| EngineError::Template(e.to_string()))?;
            Ok((text, false))
        }
        other => {
            let name = other.unwrap_or_else(|| "chatml".to_owned());
            let tmpl =
                LlamaChatTemplate::new(&name).map_err(|e| EngineError::Template(e.to_string()))?;
            let chat = messages
                .into_iter()
                .map(|m| LlamaChatMessage::new(m.role, m.content))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| EngineError::Template(e.to_string()))?;
            let text = model.apply_chat_template(&tmpl, &chat, true).map_err(|e| {
                EngineError::Template(format!(
                    "llama.cpp does not know the chat template \"{name}\": {e}"
                ))
            })?;
            Ok((text, true))
        }
    }
}
