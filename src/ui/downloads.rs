//! The download queue under "On this PC": each file with its progress, speed and time left, why
//! it paused or failed, and Pause / Resume / Cancel.

use egui::{RichText, Ui};

use super::theme;
use crate::app::command::Command;
use crate::app::hub_state::{DownloadAction, DownloadRow};
use crate::app::App;
use crate::format::format_bytes;
use crate::hub::JobState;

/// Draws the queue, if it has anything to show.
pub(crate) fn downloads_ui(ui: &mut Ui, app: &App) -> Vec<Command> {
    let mut commands = Vec::new();
    if app.hub.rows.is_empty() {
        return commands;
    }
    ui.label(RichText::new("Downloads").strong());
    for row in &app.hub.rows {
        row_ui(ui, row, &mut commands);
    }
    commands
}

fn row_ui(ui: &mut Ui, row: &DownloadRow, commands: &mut Vec<Command>) {
    let job = &row.view.job;
    let control = |action| Command::ControlDownload(job.id, action);
    ui.horizontal(|ui| {
        ui.add(egui::Label::new(RichText::new(&job.file.name).strong()).truncate())
            .on_hover_text(&job.file.repo);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if !matches!(job.state, JobState::Done(_))
                && ui
                    .small_button("Cancel")
                    .on_hover_text("Stop and delete the bytes downloaded so far")
                    .clicked()
            {
                commands.push(control(DownloadAction::Cancel));
            }
            match job.state {
                JobState::Running | JobState::Queued => {
                    if ui
                        .small_button("Pause")
                        .on_hover_text("Stop; the bytes so far are kept")
                        .clicked()
                    {
                        commands.push(control(DownloadAction::Pause));
                    }
                }
                JobState::Paused(_) | JobState::Failed(_) => {
                    if ui.small_button("Resume").clicked() {
                        commands.push(control(DownloadAction::Resume));
                    }
                }
                JobState::Done(_) => {
                    if ui.small_button("Dismiss").clicked() {
                        commands.push(control(DownloadAction::Cancel));
                    }
                }
            }
        });
    });
    let fraction = row.view.done as f32 / row.view.total.max(1) as f32;
    let figures = format!(
        "{} of {}",
        format_bytes(row.view.done),
        format_bytes(row.view.total)
    );
    let status = match &job.state {
        JobState::Queued => format!("queued · {figures}"),
        JobState::Running if row.view.checking => {
            format!("checking the bytes already here · {figures}")
        }
        JobState::Running => {
            let mut s = figures;
            if let Some(speed) = row.bytes_per_sec {
                s.push_str(&format!(" · {}/s", format_bytes(speed as u64)));
            }
            if let Some(left) = row.seconds_left() {
                s.push_str(&format!(
                    " · {} left",
                    crate::format::duration_words(left as f64)
                ));
            }
            if row.view.retries > 0 {
                s.push_str(&format!(" · {} retried", row.view.retries));
            }
            s
        }
        JobState::Paused(None) => format!("paused · {figures}"),
        JobState::Paused(Some(why)) => format!("paused: {why}"),
        JobState::Failed(why) => format!("failed: {why}"),
        JobState::Done(_) => "verified · in the Hugging Face cache".to_owned(),
    };
    ui.add(egui::ProgressBar::new(fraction).desired_height(6.0));
    let colour = match job.state {
        JobState::Failed(_) | JobState::Paused(Some(_)) => theme::WARNING,
        _ => ui.visuals().weak_text_color(),
    };
    let label = ui.add(egui::Label::new(RichText::new(status).color(colour)).wrap());
    if let JobState::Done(path) = &job.state {
        label.on_hover_text(path.display().to_string());
    }
}
