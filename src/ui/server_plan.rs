//! The card's "Server plan": the model on a GPU server for vLLM or SGLang — the server, engine,
//! weights, context and cache pickers; the layouts that start, best first, each with one bar per
//! GPU (weights, runtime, cache, the part the engine leaves free) and its figures in words; the
//! chosen layout's commands with Copy and Connect; and why the other layouts fail.

use egui::{Rect, RichText, Sense, Ui};

use super::advanced::labelled_combo;
use super::theme;
use crate::app::command::Command;
use crate::app::server_plan_view::{ServerPlanChoice, ServerPlanView};
use crate::catalog::Model;
use crate::estimate::server::commands::Commands;
use crate::estimate::server::layout::Engine;
use crate::estimate::server::weights::WeightForm;
use crate::estimate::server::{GpuPlan, LayoutPlan, ServerPlan, Verdict};
use crate::format::{format_bytes, group_digits};
use crate::hardware::server_spec::SERVER_PRESETS;

/// Working layouts drawn with their bars.
const SHOWN: usize = 4;
/// Contexts offered besides the model's trained one.
const CONTEXTS: [u32; 4] = [8_192, 32_768, 65_536, 131_072];

/// Draws the part (collapsed until opened).
pub(crate) fn server_plan_ui(
    ui: &mut Ui,
    model: &Model,
    view: Option<&ServerPlanView>,
) -> Vec<Command> {
    let mut commands = Vec::new();
    let Some(view) = view else {
        return commands;
    };
    egui::CollapsingHeader::new(RichText::new("Server plan: vLLM or SGLang on a GPU server").strong())
        .id_salt("server_plan")
        .show(ui, |ui| {
            ui.label(
                RichText::new(
                    "Per-GPU memory of every layout the engines offer, the best ones first, and the commands that start them. Checked against the engines' published figures (docs/server-plans.md).",
                )
                .weak(),
            );
            if let Some(next) = pickers_ui(ui, model, view) {
                commands.push(Command::SetServerPlan(next));
            }
            match &view.plan {
                Err(why) => {
                    ui.colored_label(theme::ERROR, why);
                }
                Ok(plan) => plan_ui(ui, model, plan, &view.commands, &mut commands),
            }
        });
    commands
}

/// The pickers; the changed choice, if any.
fn pickers_ui(ui: &mut Ui, model: &Model, view: &ServerPlanView) -> Option<ServerPlanChoice> {
    let choice = &view.choice;
    let mut next = choice.clone();
    ui.horizontal_wrapped(|ui| {
        let preset = match view.smallest {
            Some(label) => format!("Smallest that serves it: {label}"),
            None => SERVER_PRESETS
                .iter()
                .find(|p| p.spec == choice.spec)
                .map_or("Custom", |p| p.label)
                .to_owned(),
        };
        labelled_combo(ui, "Server", ("server_plan", "preset"), preset, |ui| {
            ui.selectable_value(&mut next.spec, String::new(), "Smallest that serves it");
            for p in SERVER_PRESETS {
                ui.selectable_value(&mut next.spec, p.spec.to_owned(), p.label);
            }
        });
        let label = ui.label("or");
        let mut typed = choice.spec.clone();
        let edit = ui
            .add(egui::TextEdit::singleline(&mut typed).desired_width(260.0).hint_text("2 nodes x 8x H100, InfiniBand"))
            .labelled_by(label.id)
            .on_hover_text("[N nodes x] COUNTx GPU [, InfiniBand | Ethernet]: H100, H800, H200, H20, B200, A100 (40GB/80GB), A800, L40S, MI300X, RTX 4090, RTX 6000 Ada");
        if edit.changed() {
            next.spec = typed;
        }
    });
    ui.horizontal_wrapped(|ui| {
        let engine = match choice.engine() {
            None => "vLLM and SGLang",
            Some(e) => e.name(),
        };
        labelled_combo(
            ui,
            "Engine",
            ("server_plan", "engine"),
            engine.to_owned(),
            |ui| {
                ui.selectable_value(&mut next.engine, String::new(), "vLLM and SGLang");
                for e in Engine::ALL {
                    ui.selectable_value(&mut next.engine, e.name().to_ascii_lowercase(), e.name());
                }
            },
        );
        let form = choice.form();
        labelled_combo(
            ui,
            "Weights",
            ("server_plan", "form"),
            form.label(model).to_owned(),
            |ui| {
                for f in WeightForm::ALL {
                    ui.selectable_value(&mut next.dtype, f.flag().to_owned(), f.label(model));
                }
            },
        );
        let trained = model.architecture.context_tokens;
        let ctx_text = |c: u32| {
            if c == 0 || c == trained {
                format!("{} (trained)", group_digits(u64::from(trained)))
            } else {
                group_digits(u64::from(c))
            }
        };
        labelled_combo(
            ui,
            "Context",
            ("server_plan", "ctx"),
            ctx_text(choice.ctx),
            |ui| {
                ui.selectable_value(&mut next.ctx, 0, ctx_text(0));
                for c in CONTEXTS.into_iter().filter(|c| *c < trained) {
                    ui.selectable_value(&mut next.ctx, c, ctx_text(c));
                }
            },
        );
        let cache = if choice.kv_fp8 { "FP8" } else { "BF16" };
        labelled_combo(ui, "Cache", ("server_plan", "kv"), cache.to_owned(), |ui| {
            ui.selectable_value(&mut next.kv_fp8, false, "BF16");
            ui.selectable_value(&mut next.kv_fp8, true, "FP8");
        });
    });
    (next != *choice).then_some(next)
}

fn plan_ui(
    ui: &mut Ui,
    model: &Model,
    plan: &ServerPlan,
    commands: &[Option<Commands>],
    out: &mut Vec<Command>,
) {
    match &plan.checkpoint {
        Ok(c) => ui.label(format!("Weights: {} ({})", c.path, c.source)),
        Err(why) => ui.colored_label(theme::ERROR, why),
    };
    let working: Vec<(usize, &LayoutPlan)> = plan
        .layouts
        .iter()
        .enumerate()
        .filter(|(_, l)| l.verdict.starts())
        .collect();
    if working.is_empty() {
        ui.colored_label(
            theme::ERROR,
            format!("No layout starts on {}.", plan.spec.label()),
        );
    }
    if !working.is_empty() {
        legend_ui(ui);
    }
    for (rank, (i, l)) in working.iter().take(SHOWN).enumerate() {
        ui.add_space(6.0);
        ui.label(
            RichText::new(format!(
                "{}. {} {}",
                rank + 1,
                l.layout.engine.name(),
                l.layout.label()
            ))
            .strong(),
        );
        ui.colored_label(verdict_color(&l.verdict), l.verdict.words(plan.ctx));
        if let Some(g) = &l.gpu {
            gpu_bar_ui(ui, g);
            ui.label(RichText::new(format!("Per GPU: {}", g.words())).small());
        }
        if let Some(default) = l.raised_from {
            ui.colored_label(
                theme::WARNING,
                format!("The engine's share is raised from its default {default} to {}, as the engine's own DeepSeek examples do; less is left for activations and CUDA graphs.", l.budget.fraction),
            );
        }
        if let Some(Some(c)) = commands.get(*i) {
            commands_ui(ui, model, plan, l, c, rank == 0, out);
        }
    }
    let failing: Vec<&LayoutPlan> = plan
        .layouts
        .iter()
        .filter(|l| !l.verdict.starts())
        .collect();
    if !failing.is_empty() {
        let title = match failing.len() {
            1 => "Why the other layout fails".to_owned(),
            n => format!("Why the other {n} layouts fail"),
        };
        egui::CollapsingHeader::new(title)
            .id_salt("server_plan_failing")
            .show(ui, |ui| {
                for l in failing {
                    ui.label(format!(
                        "{} {}: {}",
                        l.layout.engine.name(),
                        l.layout.label(),
                        l.verdict.words(plan.ctx)
                    ));
                }
            });
    }
}

fn verdict_color(v: &Verdict) -> egui::Color32 {
    match v {
        Verdict::Serves { .. } => theme::VRAM_MARK,
        Verdict::ShortContext { .. } => theme::WARNING,
        Verdict::DoesNotFit { .. } | Verdict::Impossible(_) => theme::ERROR,
    }
}

/// The bars' parts: name and colour.
const PARTS: [(&str, egui::Color32); 4] = [
    ("weights", theme::WEIGHTS),
    ("runtime + activations", theme::OVERHEAD),
    ("key/value cache pool", theme::KV_CACHE),
    (
        "outside the engine's share (CUDA graphs, activations)",
        theme::COMPUTE,
    ),
];

fn legend_ui(ui: &mut Ui) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Each bar is one GPU:").weak());
        for (name, color) in PARTS {
            super::memory_bar::swatch(ui, color);
            ui.label(RichText::new(name).small());
        }
    });
}

/// One GPU: weights, runtime and activations, the cache pool, and what the engine leaves free.
fn gpu_bar_ui(ui: &mut Ui, g: &GpuPlan) {
    let b = &g.budget;
    let cache = u64::try_from(b.kv_pool).unwrap_or(0);
    let free = b
        .total
        .saturating_sub(g.weights.total() + b.runtime + b.activations + cache);
    let bytes = [g.weights.total(), b.runtime + b.activations, cache, free];
    let parts: Vec<(&str, u64, egui::Color32)> = PARTS
        .iter()
        .zip(bytes)
        .map(|((name, color), b)| (*name, b, *color))
        .collect();
    let width = ui.available_width().min(700.0);
    let (rect, response) = ui.allocate_exact_size(egui::vec2(width, 16.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
    let mut x = rect.left();
    for &(_, bytes, color) in &parts {
        let w = rect.width() * bytes as f32 / b.total.max(1) as f32;
        painter.rect_filled(
            Rect::from_min_size(egui::pos2(x, rect.top()), egui::vec2(w, rect.height())),
            0.0,
            color,
        );
        x += w;
    }
    let words: Vec<String> = parts
        .iter()
        .map(|(n, b, _)| format!("{n} {}", format_bytes(*b)))
        .collect();
    response.on_hover_text(format!(
        "of {}: {}",
        format_bytes(b.total),
        words.join(", ")
    ));
}

/// The layout's commands, node by node, with Copy and Connect.
fn commands_ui(
    ui: &mut Ui,
    model: &Model,
    plan: &ServerPlan,
    l: &LayoutPlan,
    c: &Commands,
    open: bool,
    out: &mut Vec<Command>,
) {
    let id = (
        "server_plan_commands",
        l.layout.label(),
        l.layout.engine.name(),
    );
    egui::CollapsingHeader::new("Commands")
        .id_salt(id)
        .default_open(open)
        .show(ui, |ui| {
            ui.add(egui::Label::new(RichText::new(c.shell_text()).monospace()).wrap());
            if !c.docker.is_empty() {
                ui.label(RichText::new("With Docker:").weak());
                ui.add(egui::Label::new(RichText::new(c.docker.join("\n")).monospace()).wrap());
            }
            ui.horizontal(|ui| {
                if ui
                    .button("Copy")
                    .on_hover_text("Copy the commands")
                    .clicked()
                {
                    ui.ctx().copy_text(c.copy_text());
                }
                if ui
                    .button("Connect")
                    .on_hover_text(format!(
                        "Fill in \"Connect to a server…\" with {}",
                        c.base_url
                    ))
                    .clicked()
                {
                    out.push(Command::ConnectPlanned {
                        name: format!(
                            "{} {} on {}",
                            model.name,
                            l.layout.engine.name(),
                            plan.spec.label()
                        ),
                        address: c.base_url.clone(),
                    });
                }
                ui.label(RichText::new(format!("serves {}", c.base_url)).weak());
            });
        });
}
