//! The app's own log: a `tracing` layer that keeps the last lines (seekdeck's and llama.cpp's,
//! which [`crate::llama::backend`] routes to `tracing`) for the window's log panel and bug reports.

use std::collections::VecDeque;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Lines kept.
pub(crate) const CAPACITY: usize = 400;

fn lines() -> &'static Mutex<VecDeque<String>> {
    static LINES: OnceLock<Mutex<VecDeque<String>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(VecDeque::with_capacity(CAPACITY)))
}

/// Adds a line (also used by tests and by code that reports without `tracing`). A line equal to
/// the one before it is counted on that line instead ("… (×12)"): a warning logged every frame
/// (eframe's "No font has …") takes one line, not the whole buffer.
pub fn push(line: String) {
    if let Ok(mut l) = lines().lock() {
        if let Some(last) = l.back_mut() {
            if let Some(n) = repeats_of(last, &line) {
                *last = format!("{line} (×{})", n + 1);
                return;
            }
        }
        if l.len() == CAPACITY {
            l.pop_front();
        }
        l.push_back(line);
    }
}

/// How many times `last` already says `line` (1 for the line itself, n for "line (×n)").
fn repeats_of(last: &str, line: &str) -> Option<u64> {
    if last == line {
        return Some(1);
    }
    let count = last
        .strip_prefix(line)?
        .strip_prefix(" (×")?
        .strip_suffix(')')?;
    count.parse().ok()
}

/// How many lines are kept now.
pub fn len() -> usize {
    lines().lock().map(|l| l.len()).unwrap_or(0)
}

/// The most recent lines, oldest first.
pub(crate) fn recent() -> Vec<String> {
    lines()
        .lock()
        .map(|l| l.iter().cloned().collect())
        .unwrap_or_default()
}

/// The layer to install beside the terminal's (`registry().with(layer())`).
pub fn layer<S: Subscriber>() -> impl Layer<S> {
    BufferLayer
}

struct BufferLayer;

impl<S: Subscriber> Layer<S> for BufferLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut text = LineVisitor(String::new());
        event.record(&mut text);
        let message = text.0.trim_end();
        if !message.is_empty() {
            push(format!("{:5} {}: {message}", meta.level(), meta.target()));
        }
    }
}

struct LineVisitor(String);

impl Visit for LineVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_line_is_counted_not_kept_again() {
        assert_eq!(repeats_of("WARN x: no font", "WARN x: no font"), Some(1));
        assert_eq!(
            repeats_of("WARN x: no font (×7)", "WARN x: no font"),
            Some(7)
        );
        assert_eq!(repeats_of("WARN x: other", "WARN x: no font"), None);
        let before = len();
        let line = format!("test line {before}-{:?}", std::thread::current().id());
        for _ in 0..5 {
            push(line.clone());
        }
        // Other tests may log in between: every copy is counted, on fewer lines than pushes.
        let counted: u64 = recent().iter().filter_map(|l| repeats_of(l, &line)).sum();
        assert_eq!(counted, 5);
        assert!(recent().iter().filter(|l| l.starts_with(&line)).count() < 5);
    }
}
