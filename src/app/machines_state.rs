//! "Other machines": the `seekdeck worker`s the user added (remembered with the window's state),
//! what each last said about its devices and free memory, or why it said nothing. The window never
//! starts a worker; it only reads the ones it is given, on the `worker-watch` thread.

use std::collections::HashMap;

use super::waker::Waker;
use crate::hardware::rpc_probe::check_endpoint;
use crate::hardware::worker_watch::{WorkerResult, WorkerWatch};

/// The list, its readings and the field where an address is typed.
#[derive(Default)]
pub struct OtherMachines {
    /// What each endpoint last said (absent: not read yet).
    pub readings: HashMap<String, WorkerResult>,
    /// The `host:port` being typed, and why it cannot be added (checked as typed).
    pub typed: (String, Option<String>),
    /// Workers the model in the slot runs across: not read while in use (a worker serves one
    /// client at a time, so reading it would only wait), shown as in use.
    pub in_use: Vec<String>,
    watch: Option<WorkerWatch>,
    waker: Waker,
}

impl OtherMachines {
    /// The list's state for `endpoints` (the remembered ones), read from now on.
    pub(crate) fn new(endpoints: &[String], waker: Waker) -> Self {
        let mut me = Self {
            waker,
            ..Self::default()
        };
        me.watch(endpoints);
        me
    }

    /// Reads `endpoints` from now on but the ones in use (starting the thread the first time
    /// there is one).
    fn watch(&mut self, endpoints: &[String]) {
        self.readings.retain(|e, _| endpoints.contains(e));
        let to_read: Vec<String> = endpoints
            .iter()
            .filter(|e| !self.in_use.contains(e))
            .cloned()
            .collect();
        match &self.watch {
            Some(w) => w.set(to_read),
            None if !to_read.is_empty() => {
                match WorkerWatch::spawn(to_read, self.waker.closure()) {
                    Ok(w) => self.watch = Some(w),
                    Err(e) => tracing::warn!("the other machines' watch did not start: {e}"),
                }
            }
            None => {}
        }
    }

    /// Checks what is being typed, as it is typed.
    pub(crate) fn check_typed(&mut self, endpoints: &[String]) {
        let text = self.typed.0.trim();
        self.typed.1 = if text.is_empty() {
            None
        } else if endpoints.iter().any(|e| e == text) {
            Some(format!("{text} is in the list already"))
        } else {
            check_endpoint(text).err().map(|e| e.to_string())
        };
    }

    /// Adds the typed endpoint to `endpoints` (when it is valid) and reads it.
    pub(crate) fn add_typed(&mut self, endpoints: &mut Vec<String>) {
        self.check_typed(endpoints);
        let text = self.typed.0.trim().to_owned();
        if text.is_empty() || self.typed.1.is_some() {
            return;
        }
        endpoints.push(text);
        self.typed.0.clear();
        self.watch(endpoints);
    }

    /// Removes endpoint `i` of `endpoints`.
    pub(crate) fn remove(&mut self, endpoints: &mut Vec<String>, i: usize) {
        if i < endpoints.len() {
            endpoints.remove(i);
            self.watch(endpoints);
        }
    }

    /// Follows which workers the model in the slot runs across (`in_use`), each frame.
    pub(crate) fn sync_in_use(&mut self, endpoints: &[String], in_use: &[String]) {
        if self.in_use != in_use {
            self.in_use = in_use.to_vec();
            self.watch(endpoints);
        }
    }

    /// Takes the readings the watch sent.
    pub(crate) fn drain(&mut self) {
        if let Some(w) = &self.watch {
            while let Ok((endpoint, reading)) = w.readings.try_recv() {
                self.readings.insert(endpoint, reading);
            }
        }
    }
}
