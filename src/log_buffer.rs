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

/// Adds a line (also used by tests and by code that reports without `tracing`).
pub fn push(line: String) {
    if let Ok(mut l) = lines().lock() {
        if l.len() == CAPACITY {
            l.pop_front();
        }
        l.push_back(line);
    }
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
