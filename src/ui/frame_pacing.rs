//! How often background work (a loading or writing model) may redraw the window, decided from
//! measurement: the CPU the drawing threads used per frame, so that drawing never takes more than
//! a small share of the machine from the model. Under a software renderer a frame of this window
//! costs ~40 ms of CPU on 2 cores (llvmpipe), on a real GPU a few ms; one fixed frame rate cannot
//! be right for both. Input never waits for this: egui redraws on every event it receives.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The shortest interval between two background redraws: 15 frames a second.
const FASTEST: Duration = Duration::from_millis(66);
/// The longest: text still moves once a second on the slowest machine.
const SLOWEST: Duration = Duration::from_millis(1000);
/// Before anything is measured (and where nothing can be): 5 frames a second.
const UNMEASURED: Duration = Duration::from_millis(200);
/// The share of the machine's CPU (all cores) drawing may use while the model works. The
/// engine loses about twice what drawing takes, because llama.cpp's threads wait for each
/// other at every step and one preempted thread holds up all of them: measured with
/// `make bench-window` on 2 cores, 5 frames a second (~10% of one core) cost the model 8-10%.
const DRAW_SHARE: f64 = 0.02;
/// Weight of the newest sample in the running mean of the frame cost.
const NEWEST_WEIGHT: f64 = 0.2;
/// The CPU readings (a few dozen small `/proc` files) are taken at most this often; a sample's
/// cost is spread over the frames drawn since the last one. Keeps the UI thread's hot path free
/// of file reads while the user scrolls at 60 frames a second.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);
/// Threads of seekdeck's own background work; the rest of the process is the window (the UI
/// thread and the graphics driver's threads, e.g. Mesa's `llvmpipe-N`). llama.cpp's compute
/// threads are started from the engine and checker threads and inherit their names.
const WORKER_THREADS: [&str; 6] = [
    "llama-engine",
    "split-checker",
    "file-dialog",
    "hardware-poller",
    "model-scanner",
    "worker-watch",
];

/// Measures the window's frames and sets the interval the waker keeps between redraws.
pub(crate) struct FramePacer {
    interval_ms: Arc<AtomicU64>,
    /// Set by `SEEKDECK_FRAME_MS`: a fixed interval, for measurements.
    fixed: bool,
    cores: f64,
    last_cpu_secs: Option<f64>,
    last_sample: Option<Instant>,
    frames_since_sample: u32,
    mean_cost_secs: Option<f64>,
}

impl FramePacer {
    /// A pacer starting at [`UNMEASURED`], or fixed at `SEEKDECK_FRAME_MS` when that is set.
    fn new() -> Self {
        let fixed = std::env::var("SEEKDECK_FRAME_MS")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok());
        Self {
            interval_ms: Arc::new(AtomicU64::new(
                fixed.unwrap_or(UNMEASURED.as_millis() as u64),
            )),
            fixed: fixed.is_some(),
            cores: std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64),
            last_cpu_secs: None,
            last_sample: None,
            frames_since_sample: 0,
            mean_cost_secs: None,
        }
    }

    /// Starts pacing the frames of `ctx` (measured at the end of each pass); returns the
    /// interval, for the waker.
    pub(crate) fn install(ctx: &egui::Context) -> Arc<AtomicU64> {
        let pacer = Self::new();
        let interval = Arc::clone(&pacer.interval_ms);
        let pacer = Mutex::new(pacer);
        ctx.on_end_pass(
            "frame pacing",
            Arc::new(move |_| {
                pacer
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .frame_drawn();
            }),
        );
        interval
    }

    /// Called once per pass: the drawing CPU since the previous sample, over the frames drawn
    /// since, is a frame's cost.
    fn frame_drawn(&mut self) {
        if self.fixed {
            return;
        }
        self.frames_since_sample += 1;
        if self.last_sample.is_some_and(|t| t.elapsed() < SAMPLE_EVERY) {
            return;
        }
        self.last_sample = Some(Instant::now());
        let frames = std::mem::take(&mut self.frames_since_sample);
        let Some(now) = window_cpu_secs() else { return };
        if let Some(last) = self.last_cpu_secs.replace(now) {
            let cost = (now - last).max(0.0) / f64::from(frames.max(1));
            let mean = self
                .mean_cost_secs
                .map_or(cost, |m| m + NEWEST_WEIGHT * (cost - m));
            self.mean_cost_secs = Some(mean);
            let interval = interval_for(mean, self.cores);
            self.interval_ms
                .store(interval.as_millis() as u64, Ordering::Relaxed);
        }
    }
}

/// The interval at which frames of `cost_secs` use [`DRAW_SHARE`] of `cores`, within
/// [`FASTEST`]..[`SLOWEST`].
fn interval_for(cost_secs: f64, cores: f64) -> Duration {
    let secs = cost_secs / (DRAW_SHARE * cores.max(1.0));
    Duration::from_secs_f64(secs.clamp(FASTEST.as_secs_f64(), SLOWEST.as_secs_f64()))
}

/// CPU seconds used so far by the window's threads: the whole process minus
/// [`WORKER_THREADS`]. Linux only (`/proc/self/task`); elsewhere none, and the pacer keeps
/// [`UNMEASURED`].
fn window_cpu_secs() -> Option<f64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut ticks = 0u64;
    for task in tasks.flatten() {
        let dir = task.path();
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if WORKER_THREADS.contains(&name.trim_end()) {
            continue;
        }
        ticks += std::fs::read_to_string(dir.join("stat"))
            .ok()
            .and_then(|s| cpu_ticks(&s))
            .unwrap_or(0);
    }
    // Linux reports in USER_HZ, 100 per second on every architecture it runs on.
    Some(ticks as f64 / 100.0)
}

/// utime + stime from a `/proc/…/stat` line (fields 14 and 15, counted after the parenthesised
/// command name, which may itself hold spaces and parentheses).
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_keeps_drawing_to_its_share_within_bounds() {
        // 40 ms frames on 2 cores: 2% of 2 cores is 40 ms a second, so one frame a second.
        assert_eq!(interval_for(0.040, 2.0), Duration::from_millis(1000));
        // 20 ms frames on 8 cores: 125 ms.
        assert_eq!(interval_for(0.020, 8.0), Duration::from_millis(125));
        // A GPU's 1 ms frames: the 15 fps ceiling.
        assert_eq!(interval_for(0.001, 4.0), FASTEST);
        // Very costly frames: still once a second.
        assert_eq!(interval_for(1.0, 1.0), SLOWEST);
    }

    #[test]
    fn cpu_ticks_read_after_the_command_name() {
        let stat = "1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 7";
        assert_eq!(cpu_ticks(stat), Some(281));
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn this_process_can_be_measured_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(window_cpu_secs().is_some());
        }
    }
}
