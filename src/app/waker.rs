//! How background threads wake the window: a cloneable "something changed" callback, set by the
//! window (egui's `request_repaint`) and empty in tests and the command line. It keeps `app` free
//! of any drawing library.

use std::sync::Arc;

/// Wakes the window after a background thread sent something; a no-op without a window.
#[derive(Clone, Default)]
pub struct Waker(Option<Arc<dyn Fn() + Send + Sync>>);

impl Waker {
    /// A waker that calls `wake`.
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(wake)))
    }

    /// Wakes the window, if there is one.
    pub fn wake(&self) {
        if let Some(w) = &self.0 {
            w();
        }
    }

    /// The waker as a plain closure for a thread to own.
    pub(crate) fn closure(&self) -> impl Fn() + Send + Sync + 'static {
        let me = self.clone();
        move || me.wake()
    }
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Waker"
        } else {
            "Waker(none)"
        })
    }
}
