//! The card's "Benchmarks" section: each published score grouped by its evaluation setting (scores
//! compare only within one), the source of each on hover and in a list below; a model whose
//! sources publish none says so rather than showing an estimate.

use egui::{Grid, RichText, Ui};

use crate::catalog::scores::Score;
use crate::catalog::Model;

/// Draws the section for `m`.
pub(crate) fn benchmarks_ui(ui: &mut Ui, m: &Model) {
    ui.label(RichText::new("Benchmarks").strong());
    if m.scores.is_empty() {
        ui.label(
            RichText::new(
                "Not reported: the sources seekdeck holds for this model publish no benchmark \
                 scores, and none are estimated.",
            )
            .weak(),
        );
        return;
    }
    let mut settings: Vec<&str> = Vec::new();
    for s in &m.scores {
        if !settings.contains(&s.setting.as_str()) {
            settings.push(&s.setting);
        }
    }
    for (n, setting) in settings.iter().enumerate() {
        ui.label(RichText::new(format!("Setting: {setting}")).weak());
        Grid::new(("benchmarks", &m.id, n))
            .num_columns(3)
            .spacing([16.0, 2.0])
            .striped(true)
            .show(ui, |ui| {
                for s in m.scores.iter().filter(|s| s.setting == *setting) {
                    ui.label(&s.benchmark).on_hover_text(&s.source);
                    ui.label(RichText::new(&s.metric).weak());
                    ui.label(RichText::new(s.value_label()).strong())
                        .on_hover_text(&s.source);
                    ui.end_row();
                }
            });
        ui.add_space(4.0);
    }
    ui.collapsing("Sources of these scores", |ui| {
        for s in &m.scores {
            ui.label(source_line(s));
        }
    });
}

fn source_line(s: &Score) -> String {
    format!(
        "{} {} {}: {}",
        s.benchmark,
        s.metric,
        s.value_label(),
        s.source
    )
}
