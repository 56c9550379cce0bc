//! The hardware poller: a named thread that reads the probes about once a second and sends a new
//! snapshot only when a reading changed, then asks the UI to repaint. It sleeps on a channel, so
//! dropping the [`Poller`] stops it at once.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use super::probe::Prober;
use super::HardwareSnapshot;

/// How often the probes are read.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// A memory reading must move this far from the last one sent before a new snapshot is sent, so
/// that the noise of a few pages (or a value hovering at a rounding boundary) does not repaint the
/// window every second. The UI shows 0.1 GiB steps.
pub(crate) const CHANGE_THRESHOLD_BYTES: u64 = 128 << 20;

/// Handle to the poller thread; dropping it stops the thread.
pub struct Poller {
    /// New snapshots arrive here.
    pub snapshots: Receiver<HardwareSnapshot>,
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    /// Starts polling; `on_change` runs after each snapshot is sent (e.g. `ctx.request_repaint()`).
    pub fn spawn(on_change: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (tx, rx) = mpsc::sync_channel::<HardwareSnapshot>(2);
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hardware-poller".into())
            .spawn(move || {
                let mut prober = Prober::new();
                let mut last: Option<HardwareSnapshot> = None;
                loop {
                    let snap = prober.read();
                    if last.as_ref().is_none_or(|l| !same_reading(l, &snap)) {
                        match tx.try_send(snap.clone()) {
                            Ok(()) => on_change(),
                            Err(mpsc::TrySendError::Disconnected(_)) => return,
                            Err(mpsc::TrySendError::Full(_)) => {}
                        }
                        last = Some(snap);
                    }
                    match stop_rx.recv_timeout(POLL_INTERVAL) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })?;
        Ok(Self {
            snapshots: rx,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Whether two readings are the same at the precision the UI shows.
pub(crate) fn same_reading(a: &HardwareSnapshot, b: &HardwareSnapshot) -> bool {
    let near = |x: u64, y: u64| x.abs_diff(y) < CHANGE_THRESHOLD_BYTES;
    let ram_same = match (&a.ram, &b.ram) {
        (Some(x), Some(y)) => {
            near(x.total_bytes, y.total_bytes)
                && near(x.available_bytes, y.available_bytes)
                && x.cgroup_limited == y.cgroup_limited
        }
        (None, None) => true,
        _ => false,
    };
    ram_same
        && a.gpu_status == b.gpu_status
        && a.gpus.len() == b.gpus.len()
        && a.gpus.iter().zip(&b.gpus).all(|(x, y)| {
            x.name == y.name
                && near(x.total_bytes, y.total_bytes)
                && near(x.used_bytes, y.used_bytes)
                && x.utilization_pct.map(|u| u / 10) == y.utilization_pct.map(|u| u / 10)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::assume::parse_assume;

    #[test]
    fn small_changes_do_not_count() {
        let a = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
        let mut b = a.clone();
        if let Some(r) = b.ram.as_mut() {
            r.available_bytes -= 100 << 20;
        }
        assert!(same_reading(&a, &b));
        if let Some(r) = b.ram.as_mut() {
            r.available_bytes -= 100 << 20;
        }
        assert!(!same_reading(&a, &b));
        let mut c = a.clone();
        c.gpus[0].used_bytes += 1 << 30;
        assert!(!same_reading(&a, &c));
    }
}
