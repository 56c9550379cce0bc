//! Fallback fonts from the system for the scripts egui's bundled fonts lack: DeepSeek models
//! answer in Chinese as readily as in English, and llama.cpp output can contain any character.
//! The first CJK font and the first wide-coverage font found are added after egui's own fonts;
//! nothing is bundled (a CJK font is 15–20 MB), and without them text falls back to boxes.

use std::sync::Arc;

/// CJK fonts, in order of preference (Linux packages fonts-noto-cjk, fonts-wqy-*,
/// fonts-droid-fallback; macOS; Windows).
const CJK_FONTS: [&str; 9] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// Wide-coverage fonts for symbols, Greek, Cyrillic, maths and U+FFFD.
const WIDE_FONTS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\segoeui.ttf",
];

/// Adds the system fallbacks found to `ctx`'s fonts; returns the files used.
pub(crate) fn install_system_fallbacks(ctx: &egui::Context) -> Vec<String> {
    let mut fonts = egui::FontDefinitions::default();
    let mut used = Vec::new();
    for (name, candidates) in [
        ("system-cjk", &CJK_FONTS[..]),
        ("system-wide", &WIDE_FONTS[..]),
    ] {
        let Some((path, bytes)) = candidates
            .iter()
            .find_map(|p| std::fs::read(p).ok().map(|b| (*p, b)))
        else {
            continue;
        };
        fonts
            .font_data
            .insert(name.to_owned(), Arc::new(egui::FontData::from_owned(bytes)));
        for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            fonts
                .families
                .entry(family)
                .or_default()
                .push(name.to_owned());
        }
        used.push(path.to_owned());
    }
    if !used.is_empty() {
        ctx.set_fonts(fonts);
    }
    tracing::info!("fallback fonts: {used:?}");
    used
}
