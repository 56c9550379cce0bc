//! The only place colours and text sizes are chosen: verdict colours, memory-part colours, the
//! logo's accent, the smallest text.
//! Colour is never the only signal: every coloured cell also says its verdict in words.

use egui::Color32;

use crate::estimate::fit::Verdict;

/// Green / amber / orange / red / grey, in the order of [`Verdict::rank`].
pub(crate) fn verdict_fill(v: &Verdict) -> Color32 {
    match v {
        Verdict::FitsGpu => Color32::from_rgb(46, 160, 67),
        Verdict::PartialOffload { .. } => Color32::from_rgb(214, 168, 0),
        Verdict::CpuOnly => Color32::from_rgb(230, 115, 20),
        Verdict::TooLarge => Color32::from_rgb(200, 45, 45),
        Verdict::Unknown => Color32::from_rgb(120, 120, 120),
    }
}

/// Text colour readable on [`verdict_fill`].
pub(crate) fn verdict_text(v: &Verdict) -> Color32 {
    match v {
        Verdict::PartialOffload { .. } => Color32::BLACK,
        _ => Color32::WHITE,
    }
}

/// A model too large for the machine shown that fits across the What-if machines: blue, apart
/// from the one-machine verdicts.
pub(crate) const ACROSS_MACHINES: Color32 = Color32::from_rgb(41, 98, 255);

/// Weights segment of the memory bar.
pub(crate) const WEIGHTS: Color32 = Color32::from_rgb(66, 133, 244);
/// KV cache segment.
pub(crate) const KV_CACHE: Color32 = Color32::from_rgb(171, 71, 188);
/// Compute buffer segment.
pub(crate) const COMPUTE: Color32 = Color32::from_rgb(0, 172, 193);
/// Overhead segment.
pub(crate) const OVERHEAD: Color32 = Color32::from_rgb(144, 164, 174);
/// VRAM budget marker.
pub(crate) const VRAM_MARK: Color32 = Color32::from_rgb(46, 160, 67);
/// RAM budget marker.
pub(crate) const RAM_MARK: Color32 = Color32::from_rgb(230, 115, 20);
/// Brand accent (logo teal).
pub(crate) const ACCENT: Color32 = Color32::from_rgb(31, 182, 201);
/// Warnings (catalog problems, simulated machine).
pub(crate) const WARNING: Color32 = Color32::from_rgb(230, 160, 20);
/// Gauge fill below 75% use.
pub(crate) const GAUGE_OK: Color32 = Color32::from_rgb(56, 142, 180);
/// Gauge fill above 90% use.
pub(crate) const GAUGE_FULL: Color32 = Color32::from_rgb(200, 70, 60);

/// A refusal or an invalid entry, beside the control it is about (always with its reason in words).
pub(crate) const ERROR: Color32 = Color32::from_rgb(220, 60, 50);

/// egui's small text (9 points by default) read as 8-pixel lines on the card: the smallest text
/// seekdeck draws is 11 points.
pub(crate) const SMALL_TEXT_POINTS: f32 = 11.0;

/// Installs the text sizes on every theme of `ctx`.
pub(crate) fn install_text_sizes(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        style.text_styles.insert(
            egui::TextStyle::Small,
            egui::FontId::proportional(SMALL_TEXT_POINTS),
        );
    });
}
