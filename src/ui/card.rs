//! A model's card: every seed fact, the public record with sources, the architecture in plain words,
//! a per-quantization table, the memory breakdown against this PC, and links to Hugging Face.

use egui::{Grid, Label, RichText, Ui};

use super::memory_bar::memory_bar_ui;
use super::table::verdict_cell;
use crate::app::card_checker::CheckState;
use crate::app::command::Command;
use crate::app::views::CardView;
use crate::app::App;
use crate::catalog::{Attention, Model, SeedFacts};
use crate::estimate::fit::{kv_cache_bytes, FitReport, Verdict};
use crate::estimate::placement::vram_margin_bytes;
use crate::estimate::quant::Quant;
use crate::estimate::speed::speed_line;
use crate::estimate::tensors::MlaLayout;
use crate::format::{format_bytes, group_digits};

/// Draws the open card (its computed parts are `view`).
pub(crate) fn card_ui(ui: &mut Ui, app: &App, view: &CardView) -> Vec<Command> {
    let mut commands = Vec::new();
    let index = view.index;
    let m = &app.catalog.models[index];
    let fit = &app.fits[index];
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.heading(RichText::new(&m.name).strong());
        ui.label(
            RichText::new(format!(
                "{} · {}{}",
                m.family,
                m.architecture.gguf_architecture,
                if m.in_overview() {
                    ""
                } else {
                    " · not in the DeepSeek model overview"
                }
            ))
            .weak(),
        );
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Close")
                .on_hover_text("Close the card (Esc)")
                .clicked()
            {
                commands.push(Command::CloseCard);
            }
        });
    });
    egui::ScrollArea::vertical()
        .id_salt(("card_scroll", app.card_openings))
        .auto_shrink([false, false])
        .show(ui, |ui| {
            // Keep text clear of the scroll bar, which egui draws over the content's edge.
            ui.set_max_width(ui.available_width() - 14.0);
            ui.label(
                RichText::new(format!(
                    "Memory at {} and {} tokens of context",
                    fit.quant, fit.ctx_tokens
                ))
                .strong(),
            );
            memory_bar_ui(ui, fit);
            super::memory_bar::gpu_bars_ui(ui, fit);
            advice_ui(ui, fit, view, &mut commands);
            commands.extend(super::advanced::advanced_ui(ui, &view.advanced, fit));
            for plan in &view.clusters {
                ui.separator();
                super::cluster::card_cluster_ui(ui, plan);
            }
            ui.separator();
            commands.extend(super::server_plan::server_plan_ui(
                ui,
                m,
                app.views.server_plan.as_ref(),
            ));
            llama_check_ui(ui, app, view);
            estimate_note_ui(ui, m, fit);
            local_files_ui(ui, app, m, &mut commands);
            ui.separator();
            super::get_gguf::get_gguf_ui(ui, app, m, &mut commands);
            ui.separator();
            super::memory_curve::memory_curve_ui(ui, &view.curve, view.curve_limits, fit);
            ui.separator();
            ui.columns(2, |cols| {
                facts_ui(&mut cols[0], m);
                architecture_ui(&mut cols[1], m);
            });
            ui.separator();
            super::benchmarks::benchmarks_ui(ui, m);
            ui.separator();
            quant_table_ui(ui, app, view, &mut commands);
            ui.separator();
            links_ui(ui, m);
        });
    commands
}

/// The overview's figures for a model it lists, exactly as it gives them.
fn overview_facts_ui(ui: &mut Ui, s: &SeedFacts) {
    ui.label(RichText::new("From the DeepSeek model overview").strong());
    Grid::new("seed_facts")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let row = |ui: &mut Ui, k: &str, v: &str| {
                ui.label(k);
                ui.add(Label::new(v).wrap());
                ui.end_row();
            };
            if let Some(v) = &s.release {
                row(ui, "Release", v);
            }
            row(ui, "Parameter size", &s.parameter_size);
            if let Some(v) = &s.activation_parameters {
                row(ui, "Activation parameters", v);
            }
            if let Some(v) = &s.key_features {
                row(ui, "Key features", v);
            }
            if let Some(v) = &s.input_modalities {
                row(ui, "Input modalities", v);
            }
            if let Some(v) = &s.output_modalities {
                row(ui, "Output modalities", v);
            }
            row(ui, "Precision", &s.precision);
            row(ui, "VRAM required (FP16, GB)", &s.vram_required);
            row(ui, "System RAM required (FP16, GB)", &s.system_ram_required);
            if let Some(v) = &s.notes {
                row(ui, "Notes", v);
            }
        });
}

fn facts_ui(ui: &mut Ui, m: &Model) {
    match &m.seed {
        Some(s) => overview_facts_ui(ui, s),
        None => {
            ui.label(RichText::new("Not in the DeepSeek model overview").strong());
            ui.add(Label::new(m.features_display()).wrap());
            ui.add(
                Label::new(
                    RichText::new(
                        "A model of the same family that people download; every figure below comes from the public record, each with its source.",
                    )
                    .weak(),
                )
                .wrap(),
            );
        }
    }
    ui.add_space(6.0);
    ui.label(RichText::new("Public record").strong());
    Grid::new("public_facts")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            ui.label("Released");
            ui.label(&m.released);
            ui.end_row();
            ui.label("Licence");
            ui.add(Label::new(&m.licence).wrap());
            ui.end_row();
            ui.label("Parameters (exact)");
            ui.label(format!(
                "{} total, {} active",
                group_digits(m.params_total),
                group_digits(m.params_active)
            ));
            ui.end_row();
            ui.label("Recommended sampling");
            ui.label(format!(
                "temperature {}, top-p {}",
                m.sampling.temperature, m.sampling.top_p
            ));
            ui.end_row();
        });
    if !m.good_to_know.is_empty() {
        ui.add_space(6.0);
        ui.label(RichText::new("Good to know").strong());
        for fact in &m.good_to_know {
            ui.add(Label::new(format!("• {fact}")).wrap());
        }
    }
    ui.collapsing("Sources", |ui| {
        for s in &m.sources {
            ui.label(format!("• {s}"));
        }
    });
}

fn architecture_ui(ui: &mut Ui, m: &Model) {
    let a = &m.architecture;
    ui.label(RichText::new("Architecture").strong());
    ui.label(format!(
        "{} transformer blocks, hidden size {}, {} attention heads, vocabulary {}, native context {} tokens.",
        a.layers, a.hidden_size, a.heads, a.vocab_size, a.context_tokens
    ));
    let per_1k = |layout| kv_cache_bytes(a, 1024, layout);
    match a.attention {
        Attention::Mha { head_dim } => {
            ui.label(format!(
                "Multi-head attention (MHA): every head keeps its own keys and values, {} values per token per layer — {} of KV cache per 1K tokens.",
                2 * u64::from(a.heads) * head_dim,
                format_bytes(per_1k(MlaLayout::Split))
            ));
        }
        Attention::Gqa { kv_heads, head_dim } => {
            ui.label(format!(
                "Grouped-query attention (GQA): {} query heads share {kv_heads} key/value heads, so the cache holds {} values per token per layer — {} per 1K tokens.",
                a.heads,
                2 * u64::from(kv_heads) * head_dim,
                format_bytes(per_1k(MlaLayout::Split))
            ));
        }
        Attention::Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            ..
        } => {
            ui.label(format!(
                "Multi-head latent attention (MLA): keys and values are compressed into one {kv_lora_rank}-wide latent plus a {qk_rope_head_dim}-wide rotary key, and only that is cached — {} values per token per layer, {} per 1K tokens. Tools that treat it as ordinary attention overestimate the cache about {}×.",
                kv_lora_rank + qk_rope_head_dim,
                format_bytes(per_1k(MlaLayout::Split)),
                per_1k(MlaLayout::Legacy) / per_1k(MlaLayout::Split).max(1)
            ));
            ui.label(
                RichText::new(format!(
                    "GGUFs converted before April 2025 (no *_mla keys) use the legacy layout: llama.cpp then caches full per-head keys and values, {} per 1K tokens. A re-converted file needs far less.",
                    format_bytes(per_1k(MlaLayout::Legacy))
                ))
                .weak(),
            );
        }
    }
    if let Some(moe) = a.moe {
        ui.label(format!(
            "Mixture of experts (MoE): {} routed experts and {} shared per layer, {} chosen per token, after {}. Only {} of {} parameters work on each token, but all experts must be in memory: speed follows the active size, memory the total.",
            moe.routed_experts,
            moe.shared_experts,
            moe.experts_per_token,
            crate::format::plural(moe.leading_dense_layers as usize, "dense layer"),
            m.active_display(),
            m.size_display()
        ));
    } else {
        ui.label("Dense model: every parameter works on every token.");
    }
}

/// The best quantization (highest quality first, as [`Quant::ALL`] lists them) whose estimate
/// fits this machine at the card's context, with that estimate.
fn best_fitting(view: &CardView) -> Option<(Quant, &FitReport)> {
    Quant::ALL
        .iter()
        .zip(&view.by_quant)
        .find(|(_, f)| !matches!(f.verdict, Verdict::TooLarge | Verdict::Unknown))
        .map(|(&q, f)| (q, f))
}

fn advice_ui(ui: &mut Ui, fit: &FitReport, view: &CardView, commands: &mut Vec<Command>) {
    let text = match &fit.verdict {
        Verdict::FitsGpu => format!("Everything fits in VRAM ({} on the GPU).", format_bytes(fit.gpu_bytes)),
        Verdict::PartialOffload { gpu_layers, total_layers } => format!(
            "Suggested split: {gpu_layers} of {total_layers} layers on the GPU (the output layer and the last {} blocks, {}), the rest in RAM ({}). llama.cpp: -ngl {gpu_layers}.",
            gpu_layers.saturating_sub(1),
            format_bytes(fit.gpu_bytes),
            format_bytes(fit.cpu_bytes)
        ),
        Verdict::CpuOnly => format!("Runs on the CPU from RAM ({}).", format_bytes(fit.cpu_bytes)),
        Verdict::TooLarge => format!(
            "Needs {} but this machine has {} of VRAM and {} of RAM free.",
            format_bytes(fit.breakdown.total_bytes()),
            format_bytes(fit.vram_budget_bytes),
            format_bytes(fit.ram_budget_bytes)
        ),
        Verdict::Unknown => "This machine's memory could not be read.".to_owned(),
    };
    ui.label(text);
    if let Some(line) = speed_line(&fit.speed) {
        ui.label(line);
    }
    if fit.verdict == Verdict::TooLarge {
        match best_fitting(view) {
            Some((q, best)) => {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!(
                        "The best quantization that fits: {q} ({}, {}).",
                        format_bytes(best.breakdown.total_bytes()),
                        best.verdict.label()
                    ));
                    if ui
                        .small_button(format!("Use {q}"))
                        .on_hover_text(format!("Switch the toolbar to {q}"))
                        .clicked()
                    {
                        commands.push(Command::SetQuant(q));
                    }
                });
            }
            None => {
                ui.label(format!(
                    "No quantization fits this machine at {} tokens of context, not even IQ1_S ({}). \
                     Models this size run on several machines together (llama.cpp's RPC back-end) \
                     or on a multi-GPU server (vLLM, SGLang), as the DeepSeek overview recommends.",
                    fit.ctx_tokens,
                    format_bytes(view.by_quant.last().map_or(0, |f| f.breakdown.total_bytes()))
                ));
            }
        }
    }
    if let Some(e) = &fit.experts_in_ram {
        let blocks = view.advanced.blocks;
        let launch = match fit.best_n_cpu_moe {
            Some(n) if n < blocks => format!(
                "fits this machine; Launch keeps only the experts of blocks 0–{} in RAM (--n-cpu-moe {n}), those of the last {} on the GPU",
                n.saturating_sub(1),
                blocks - n
            ),
            _ => "fits this machine; Launch uses this option for this model's files".to_owned(),
        };
        ui.label(format!(
            "MoE option — experts in RAM (llama.cpp --cpu-moe): {} of VRAM for attention, shared experts, cache and the expert copies llama.cpp makes for prompts, {} of RAM for the routed experts: {}.",
            format_bytes(e.vram_bytes),
            format_bytes(e.ram_bytes),
            match (e.fits, &fit.verdict) {
                (false, _) => "does not fit this machine".to_owned(),
                (true, Verdict::FitsGpu) => "fits this machine, but the whole model fits the GPU anyway".to_owned(),
                (true, _) => launch,
            }
        ));
    }
}

/// The margins the estimate keeps, in small print.
fn estimate_note_ui(ui: &mut Ui, m: &Model, fit: &FitReport) {
    ui.label(
        RichText::new(format!(
            "Estimates keep {} (or 5%) of each GPU free for the driver and display{}; {} layers in all. On a GPU build, Launch has llama.cpp check the split on the card before loading.",
            format_bytes(vram_margin_bytes(0)),
            if fit.ram_budget_bytes > 0 { ", and 1 GiB of RAM for the system" } else { "" },
            m.architecture.layers
        ))
        .weak()
        .small(),
    );
}

/// llama.cpp's own check of the placement above, on a GPU build.
fn llama_check_ui(ui: &mut Ui, app: &App, view: &CardView) {
    let Some(device) = &app.card_checks.device else {
        return;
    };
    let Some(state) = view
        .check_key
        .as_ref()
        .and_then(|key| app.card_checks.state(key))
    else {
        return;
    };
    match state {
        CheckState::Pending => {
            // Static text, not a spinner: an animation would redraw the window every frame.
            ui.label(format!("llama.cpp is checking this placement on {device}…"));
        }
        CheckState::Done(Ok(check)) => {
            ui.label(format!("Checked on {device}: {check}."));
        }
        CheckState::Done(Err(e)) => {
            ui.label(
                RichText::new(format!("llama.cpp could not check this placement: {e}")).weak(),
            );
        }
    }
}

fn quant_table_ui(ui: &mut Ui, app: &App, view: &CardView, commands: &mut Vec<Command>) {
    ui.label(RichText::new("Every quantization on this machine").strong());
    Grid::new("quant_table")
        .num_columns(6)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for h in [
                "Quantization",
                "Weights",
                "Total",
                "Fits this PC",
                "Speed (estimate)",
                "",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for (&q, f) in Quant::ALL.iter().zip(&view.by_quant) {
                let name = if q == app.state.quant {
                    RichText::new(format!("{} (selected)", q.label())).strong()
                } else {
                    RichText::new(q.label())
                };
                ui.label(name);
                ui.label(format_bytes(f.breakdown.weights_bytes));
                ui.label(format_bytes(f.breakdown.total_bytes()));
                ui.scope(|ui| {
                    ui.set_min_width(250.0);
                    verdict_cell(ui, f, false);
                });
                ui.label(
                    f.speed
                        .as_ref()
                        .map_or_else(|_| "—".to_owned(), |s| s.short_label()),
                );
                if q != app.state.quant
                    && ui
                        .small_button("Use")
                        .on_hover_text(format!("Switch the toolbar to {q}"))
                        .clicked()
                {
                    commands.push(Command::SetQuant(q));
                }
                ui.end_row();
            }
        });
}

fn links_ui(ui: &mut Ui, m: &Model) {
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Hugging Face:").strong());
        ui.hyperlink_to(
            format!("{} (original weights)", m.weights_repo),
            Model::hf_url(&m.weights_repo),
        );
        for r in &m.gguf_repos {
            ui.hyperlink_to(format!("{r} (GGUF)"), Model::hf_url(r));
        }
        if let Some(tag) = &m.ollama_tag {
            ui.label(format!("Ollama: {tag}"));
        }
    });
}

/// The files of this model found on this PC, each with its own verdict and Launch.
fn local_files_ui(ui: &mut Ui, app: &App, m: &Model, commands: &mut Vec<Command>) {
    let files: Vec<_> = app
        .local
        .models
        .iter()
        .filter(|l| l.catalog_match.as_ref().is_some_and(|c| c.model_id == m.id))
        .collect();
    if files.is_empty() {
        return;
    }
    ui.separator();
    ui.label(
        RichText::new(format!(
            "On this PC ({})",
            crate::format::plural(files.len(), "file")
        ))
        .strong(),
    );
    for l in files {
        commands.extend(crate::ui::local_list::local_row_ui(ui, app, l));
    }
}
