//! A chat template rendered in a child process (`seekdeck render-template`) whose memory the kernel
//! caps (RLIMIT_DATA). minijinja bounds a template's steps (fuel), recursion and output, but not
//! the memory one step takes: `{% set ns.l = ns.l + ns.l %}` in a loop doubles a lazy list with
//! each step, and the step that materialises it asked for 206 GB and aborted the whole process
//! (found by `make reader-memory`). In the child, such a template ends in words; the app, its
//! loaded model and its conversations are untouched. Without a helper set (library use, tests of
//! the window) the template is rendered in this process, bounded as [`super::template`] says.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::protocol::TemplateMessage;
use super::template::{render, TemplateError};

/// Memory the renderer may take: DeepSeek's templates render a 100-turn conversation in a few MiB
/// and the longest prompt allowed (16 MiB) in about 130 MiB; a memory bomb asks for gigabytes.
pub const MEMORY_LIMIT_BYTES: u64 = 1 << 30;
/// Wall time a render may take (fuel ends a runaway template within about a second).
const WALL_LIMIT: Duration = Duration::from_secs(60);
/// Most bytes read from the child: the longest prompt, escaped as JSON.
const MAX_ANSWER_BYTES: u64 = 96 << 20;
/// Most bytes the child reads: a conversation at the message box's limit, and its template.
const MAX_REQUEST_BYTES: u64 = 256 << 20;

/// The binary that renders templates (`None`: render in this process).
static HELPER: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Renders templates in `exe render-template` from now on (`None`: in this process). The
/// `seekdeck` binary sets itself.
pub fn use_helper(exe: Option<PathBuf>) {
    *HELPER.lock().unwrap_or_else(|e| e.into_inner()) = exe;
}

#[derive(Serialize, Deserialize)]
struct Request {
    template: String,
    messages: Vec<TemplateMessage>,
    add_generation_prompt: bool,
    bos_token: String,
    eos_token: String,
}

#[derive(Serialize, Deserialize)]
enum Answer {
    Rendered(String),
    Failed(String),
}

/// Renders `template` for `messages` in the helper process when one is set, else here.
pub fn render_isolated(
    template: &str,
    messages: &[TemplateMessage],
    add_generation_prompt: bool,
    bos_token: &str,
    eos_token: &str,
) -> Result<String, TemplateError> {
    let helper = HELPER.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let Some(exe) = helper else {
        return render(
            template,
            messages,
            add_generation_prompt,
            bos_token,
            eos_token,
        );
    };
    let request = Request {
        template: template.to_owned(),
        messages: messages.to_vec(),
        add_generation_prompt,
        bos_token: bos_token.to_owned(),
        eos_token: eos_token.to_owned(),
    };
    let body = serde_json::to_vec(&request).map_err(|e| TemplateError(e.to_string()))?;
    run_helper(&exe, body)
}

fn run_helper(exe: &std::path::Path, body: Vec<u8>) -> Result<String, TemplateError> {
    let mut child = Command::new(exe)
        .arg("render-template")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            TemplateError(format!(
                "its renderer ({}) could not start: {e}; restart seekdeck",
                exe.display()
            ))
        })?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err(TemplateError("its renderer has no pipes".into()));
    };
    let writer = std::thread::Builder::new()
        .name("template-request".into())
        .spawn(move || {
            let _ = stdin.write_all(&body);
        })
        .map_err(|e| TemplateError(e.to_string()))?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("template-answer".into())
        .spawn(move || {
            let mut out = Vec::new();
            let _ = stdout.take(MAX_ANSWER_BYTES).read_to_end(&mut out);
            let mut err = String::new();
            let _ = stderr.take(64 << 10).read_to_string(&mut err);
            let _ = tx.send((out, err));
        })
        .map_err(|e| TemplateError(e.to_string()))?;
    let Ok((out, err)) = rx.recv_timeout(WALL_LIMIT) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(TemplateError(format!(
            "it ran for more than {} s",
            WALL_LIMIT.as_secs()
        )));
    };
    let status = child.wait().map_err(|e| TemplateError(e.to_string()))?;
    let _ = writer.join();
    match serde_json::from_slice::<Answer>(&out) {
        Ok(Answer::Rendered(text)) => Ok(text),
        Ok(Answer::Failed(message)) => Err(TemplateError(message)),
        Err(_) => Err(TemplateError(crash_words(&status, &err))),
    }
}

/// Why the renderer ended without an answer, in words.
fn crash_words(status: &std::process::ExitStatus, stderr: &str) -> String {
    match stderr.lines().find(|l| l.contains("memory allocation of")) {
        Some(line) => format!(
            "it took more memory than the {} MiB a template may use ({})",
            MEMORY_LIMIT_BYTES >> 20,
            line.trim()
        ),
        None => format!(
            "its renderer stopped without an answer ({status}){}",
            stderr
                .lines()
                .last()
                .map(|l| format!(": {}", l.chars().take(300).collect::<String>()))
                .unwrap_or_default()
        ),
    }
}

/// The child's side (`seekdeck render-template`): caps its own memory, reads one request from
/// stdin, renders it and writes the answer to stdout.
pub fn serve_one() -> Result<(), String> {
    rlimit::setrlimit(
        rlimit::Resource::DATA,
        MEMORY_LIMIT_BYTES,
        MEMORY_LIMIT_BYTES,
    )
    .map_err(|e| format!("cannot cap the renderer's memory: {e}"))?;
    // A template that aborts the renderer leaves no core file behind.
    let _ = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0);
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_REQUEST_BYTES)
        .read_to_end(&mut input)
        .map_err(|e| e.to_string())?;
    let r: Request = serde_json::from_slice(&input).map_err(|e| e.to_string())?;
    let answer = match render(
        &r.template,
        &r.messages,
        r.add_generation_prompt,
        &r.bos_token,
        &r.eos_token,
    ) {
        Ok(text) => Answer::Rendered(text),
        Err(e) => Answer::Failed(e.0),
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &answer).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())
}
