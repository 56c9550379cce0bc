//! Frame times of the real window stepped by egui_kittest (the app's UI code, CPU only, no GPU
//! upload): the benchmarks that watch the window while a model loads or an answer streams.

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use seekdeck::app::{App, AppOptions, PersistedState};
use seekdeck::engine::SamplingParams;

pub fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Prints `frames`' count, median, p99, maximum and how many took over 16 ms.
pub fn report(what: &str, frames: &mut [f64]) {
    if std::env::var_os("SEEKDECK_BENCH_TRACE").is_some() {
        let mut slow: Vec<(usize, f64)> = frames
            .iter()
            .copied()
            .enumerate()
            .filter(|f| f.1 > 16.0)
            .collect();
        slow.sort_by(|a, b| b.1.total_cmp(&a.1));
        eprintln!("{what}: frames over 16 ms (index, ms): {slow:?}");
    }
    let slowest = frames
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i);
    println!(
        "  {what:<24} {:5} frames, median {:5.2} ms, p99 {:5.2} ms, max {:5.2} ms (frame {slowest}), over 16 ms: {}",
        frames.len(),
        percentile(frames, 0.5),
        percentile(frames, 0.99),
        percentile(frames, 1.0),
        frames.iter().filter(|&&f| f > 16.0).count()
    );
}

/// Steps frames (with a short pause, as a display's refresh would) while `going` holds, recording
/// each frame's time in milliseconds.
pub fn timed_steps(
    h: &mut egui_kittest::Harness<'static, App>,
    frames: &mut Vec<f64>,
    going: impl Fn(&App) -> bool,
) {
    let started = Instant::now();
    while going(h.state()) {
        let t = Instant::now();
        h.step();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        frames.push(ms);
        if ms > 16.0 && std::env::var_os("SEEKDECK_BENCH_TRACE").is_some() {
            eprintln!(
                "slow frame: {ms:.1} ms, {:.2} s into the phase",
                started.elapsed().as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Asks `question` in a new conversation whose sampling `set` adjusts (through the draft and the
/// Send button, as a user does) and times each frame until the answer has streamed.
pub fn timed_answer(
    h: &mut egui_kittest::Harness<'static, App>,
    frames: &mut Vec<f64>,
    question: &str,
    set: impl FnOnce(&mut SamplingParams),
) {
    h.state_mut().chat.new_conversation();
    set(&mut h.state_mut().chat.conversation_mut().sampling);
    h.state_mut().chat.draft.text = question.to_owned();
    h.step();
    h.get_by_label("Send").click();
    h.step();
    assert!(
        h.state().chat.session.generation.is_some(),
        "Send did not start an answer"
    );
    timed_steps(h, frames, |a| a.chat.session.generation.is_some());
}

/// The whole window at 1440×900 with `options`, for egui_kittest to step.
pub fn window(options: AppOptions) -> egui_kittest::Harness<'static, App> {
    egui_kittest::Harness::builder()
        .with_size(egui::vec2(1440.0, 900.0))
        .allow_missing_glyphs()
        .build_eframe(move |cc| App::new_with_state(cc, PersistedState::default(), options))
}
