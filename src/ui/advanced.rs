//! The "Advanced" part of a card and of a file's launch row: llama.cpp's launch settings for the
//! model — cache types, flash attention, batch sizes, experts and tensors kept in RAM, threads,
//! mmap/mlock — each with llama.cpp's rule beside it and the memory it changes, remembered per
//! model. Every change is one [`Command::SetLaunchSettings`]; the figures come from the views.

use egui::{ComboBox, RichText, Ui};

use crate::app::advanced_view::AdvancedView;
use crate::app::command::Command;
use crate::estimate::fit::FitReport;
use crate::estimate::kv_cache::{CacheType, FlashAttn};
use crate::estimate::launch_settings::{
    LaunchSettings, MoeOffload, SplitMode, TensorSplit, DEFAULT_BATCH,
};
use crate::estimate::tensor_override::TensorOverride;
use crate::format::format_bytes;

/// Micro-batch sizes offered (llama.cpp's default is 512).
const UBATCHES: [u32; 6] = [64, 128, 256, 512, 1024, 2048];
/// Batch sizes offered (llama.cpp's default is 2048).
const BATCHES: [u32; 5] = [512, 1024, 2048, 4096, 8192];

/// The card's "Advanced" section for the model of `view`, whose report at the toolbar's
/// quantization is `fit` (computed with these settings).
pub(crate) fn advanced_ui(ui: &mut Ui, view: &AdvancedView, fit: &FitReport) -> Vec<Command> {
    let mut commands = Vec::new();
    let s = &view.settings;
    // Short, so a narrow panel is not widened by it; the flags are inside.
    let changed = s.flags().iter().filter(|f| f.starts_with("--")).count();
    let header = if s.is_default() {
        "Advanced: llama.cpp's settings (defaults)".to_owned()
    } else {
        format!(
            "Advanced: llama.cpp's settings ({})",
            crate::format::plural(changed, "change")
        )
    };
    egui::CollapsingHeader::new(RichText::new(header).strong())
        .id_salt(("advanced", &view.key))
        .default_open(!s.is_default())
        .show(ui, |ui| {
            let mut next = s.clone();
            cache_ui(ui, view, &mut next);
            flash_ui(ui, view, &mut next);
            batch_ui(ui, view, &mut next);
            if view.is_moe() {
                moe_ui(ui, view, fit, &mut next);
            }
            overrides_ui(ui, view, fit, &mut next);
            if !view.gpus.is_empty() {
                gpus_ui(ui, view, &mut next);
            }
            runtime_ui(ui, &mut next);
            if let Some(why) = &view.problem {
                ui.colored_label(
                    crate::ui::theme::ERROR,
                    format!("llama.cpp refuses these settings: {why}"),
                );
            }
            for note in &view.no_effect {
                ui.label(RichText::new(note).weak());
            }
            ui.horizontal_wrapped(|ui| {
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("llama.cpp flags: {}", s.summary())).monospace(),
                    )
                    .wrap(),
                );
                if !s.is_default() && ui.small_button("Reset to llama.cpp's defaults").clicked() {
                    next = LaunchSettings::default();
                }
            });
            ui.label(
                RichText::new(
                    "Remembered for this model; the table, this card and Launch use them.",
                )
                .weak(),
            );
            if next != *s {
                commands.push(Command::SetLaunchSettings {
                    key: view.key.clone(),
                    settings: next,
                });
            }
        });
    commands
}

/// A combo box named (for screen readers and tests) by the label before it.
pub(crate) fn labelled_combo(
    ui: &mut Ui,
    label: &str,
    id: (&str, &str),
    selected: String,
    items: impl FnOnce(&mut Ui),
) {
    let label = ui.label(label);
    ComboBox::from_id_salt(id)
        .selected_text(selected)
        .show_ui(ui, items)
        .response
        .labelled_by(label.id);
}

fn cache_combo(ui: &mut Ui, label: &str, id: (&str, &str), value: &mut CacheType) {
    labelled_combo(ui, label, id, value.label().to_owned(), |ui| {
        for t in CacheType::ALL {
            ui.selectable_value(value, t, t.label());
        }
    });
}

fn cache_ui(ui: &mut Ui, view: &AdvancedView, next: &mut LaunchSettings) {
    ui.horizontal_wrapped(|ui| {
        if view.mla {
            cache_combo(
                ui,
                "KV cache type (K and V):",
                ("cache_kv", &view.key),
                &mut next.cache_type_k,
            );
            next.cache_type_v = next.cache_type_k;
        } else {
            cache_combo(
                ui,
                "K cache:",
                ("cache_k", &view.key),
                &mut next.cache_type_k,
            );
            cache_combo(
                ui,
                "V cache:",
                ("cache_v", &view.key),
                &mut next.cache_type_v,
            );
        }
        let (now, default) = view.kv_bytes;
        ui.label(format!(
            "cache {} (f16: {})",
            format_bytes(now),
            format_bytes(default)
        ));
    });
    let rule = if view.mla {
        "DeepSeek's MLA cache is one compressed latent per token (no separate V): K and V take one type; a quantized one needs flash attention."
    } else {
        "A quantized V cache needs flash attention; a quantized K does not."
    };
    ui.label(RichText::new(rule).weak());
}

fn flash_ui(ui: &mut Ui, view: &AdvancedView, next: &mut LaunchSettings) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Flash attention:");
        for fa in [FlashAttn::Auto, FlashAttn::On, FlashAttn::Off] {
            ui.radio_value(&mut next.flash_attn, fa, fa.label());
        }
        let (now, _) = view.compute_bytes;
        let on = view.settings.flash_attn != FlashAttn::Off;
        ui.label(format!(
            "compute buffer {} ({} {})",
            format_bytes(now),
            if on { "off:" } else { "on:" },
            format_bytes(view.compute_other_flash_bytes)
        ));
    });
    ui.label(
        RichText::new(
            "Without it every head's scores over the whole context are kept: the compute buffer grows with the context.",
        )
        .weak(),
    );
}

fn batch_ui(ui: &mut Ui, view: &AdvancedView, next: &mut LaunchSettings) {
    ui.horizontal_wrapped(|ui| {
        let batch = next.batch.to_string();
        labelled_combo(ui, "Batch:", ("batch", &view.key), batch, |ui| {
            for b in BATCHES {
                let label = if b == DEFAULT_BATCH {
                    format!("{b} (default)")
                } else {
                    b.to_string()
                };
                ui.selectable_value(&mut next.batch, b, label);
            }
        });
        let ubatch = next.ubatch.to_string();
        labelled_combo(ui, "Micro-batch:", ("ubatch", &view.key), ubatch, |ui| {
            for u in UBATCHES {
                let label = if u == 512 {
                    format!("{u} (default)")
                } else {
                    u.to_string()
                };
                ui.selectable_value(&mut next.ubatch, u, label);
            }
        });
        let (now, default) = view.compute_bytes;
        ui.label(format!(
            "compute buffer {} (defaults: {})",
            format_bytes(now),
            format_bytes(default)
        ));
    });
    if next.ubatch > next.batch {
        ui.label(
            RichText::new(format!(
                "llama.cpp lowers the micro-batch to the batch ({}).",
                next.batch
            ))
            .weak(),
        );
    }
}

fn moe_ui(ui: &mut Ui, view: &AdvancedView, fit: &FitReport, next: &mut LaunchSettings) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Routed experts:");
        let mut mode = match next.moe {
            MoeOffload::Auto => 0,
            MoeOffload::AllInRam => 1,
            MoeOffload::FirstLayers(_) => 2,
        };
        ui.radio_value(&mut mode, 0, "seekdeck's plan");
        ui.radio_value(&mut mode, 1, "all in RAM (--cpu-moe)");
        ui.radio_value(&mut mode, 2, "first N blocks in RAM (--n-cpu-moe)");
        let current_n = match next.moe {
            MoeOffload::FirstLayers(n) => n,
            _ => view.best_n.unwrap_or(0),
        };
        next.moe = match mode {
            1 => MoeOffload::AllInRam,
            2 => {
                let mut n = current_n;
                ui.add(egui::Slider::new(&mut n, 0..=view.blocks).text("N"));
                MoeOffload::FirstLayers(n)
            }
            _ => MoeOffload::Auto,
        };
    });
    match view.best_n {
        Some(n) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "--n-cpu-moe {n} fits best: the experts of blocks 0–{} in RAM, the rest of the model on the GPU.",
                    n.saturating_sub(1)
                ));
                if next.moe != MoeOffload::FirstLayers(n) && ui.small_button(format!("Use N = {n}")).clicked() {
                    next.moe = MoeOffload::FirstLayers(n);
                }
            });
            egui::Grid::new(("moe_rows", &view.key))
                .num_columns(4)
                .striped(true)
                .show(ui, |ui| {
                    for h in ["--n-cpu-moe", "VRAM", "RAM", ""] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for r in &view.moe_rows {
                        ui.label(r.n.to_string());
                        ui.label(format_bytes(r.vram_bytes));
                        ui.label(format_bytes(r.ram_bytes));
                        ui.label(if r.fits { "fits" } else { "does not fit" });
                        ui.end_row();
                    }
                });
        }
        None if !view.moe_rows.is_empty() => {
            ui.label("No N fits this machine, not even every expert in RAM.");
        }
        None => {}
    }
    if let Some(k) = &fit.kept {
        ui.label(format!(
            "With these settings: {} — {} VRAM + {} RAM: {}.",
            k.offload,
            format_bytes(k.vram_bytes),
            format_bytes(k.ram_bytes),
            if k.fits {
                "fits"
            } else {
                "does not fit this machine"
            }
        ));
    }
}

fn overrides_ui(ui: &mut Ui, view: &AdvancedView, fit: &FitReport, next: &mut LaunchSettings) {
    ui.label("Tensor overrides (--override-tensor PATTERN=CPU): the tensors whose names match stay in RAM.");
    let matched = fit
        .kept
        .as_ref()
        .map(|k| k.matched.clone())
        .unwrap_or_default();
    let mut remove = None;
    for (i, o) in view.settings.overrides.iter().enumerate() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(o.to_string()).monospace());
            match matched.get(i) {
                Some(0) => {
                    ui.colored_label(
                        crate::ui::theme::ERROR,
                        "matches no tensor of this model: it changes nothing",
                    );
                }
                Some(n) => {
                    ui.label(format!("{n} tensors"));
                }
                None => {}
            }
            if ui.small_button("Remove").clicked() {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        next.overrides.remove(i);
    }
    let id = ui.make_persistent_id(("override_entry", &view.key));
    let mut text: String = ui.data_mut(|d| d.get_temp(id).unwrap_or_default());
    let mut error: Option<String> = ui.data_mut(|d| d.get_temp(id.with("error")));
    ui.horizontal_wrapped(|ui| {
        let edit = ui.add(
            egui::TextEdit::singleline(&mut text)
                .hint_text(r"blk\.(1[0-9])\.ffn_.*_exps=CPU")
                .char_limit(300)
                .desired_width(280.0),
        );
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if (ui.button("Add").clicked() || enter) && !text.trim().is_empty() {
            match TensorOverride::parse(&text) {
                Ok(o) => {
                    next.overrides.push(o);
                    text.clear();
                    error = None;
                }
                Err(e) => error = Some(e),
            }
        }
    });
    if let Some(e) = &error {
        ui.colored_label(crate::ui::theme::ERROR, e);
    }
    ui.data_mut(|d| {
        d.insert_temp(id, text);
        match error {
            Some(e) => {
                d.insert_temp(id.with("error"), e);
            }
            None => d.remove::<String>(id.with("error")),
        }
    });
}

fn gpus_ui(ui: &mut Ui, view: &AdvancedView, next: &mut LaunchSettings) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Several GPUs:");
        ui.radio_value(
            &mut next.split_mode,
            SplitMode::Layer,
            "whole layers per GPU (layer)",
        );
        ui.radio_value(
            &mut next.split_mode,
            SplitMode::None,
            "all on the main GPU (none)",
        );
        ui.weak("row: not offered")
            .on_hover_text(crate::estimate::launch_settings::ROW_SPLIT_REFUSED);
        let main = format!("GPU {}", next.main_gpu);
        labelled_combo(ui, "Main GPU:", ("main_gpu", &view.key), main, |ui| {
            for (i, name) in view.gpus.iter().enumerate() {
                ui.selectable_value(&mut next.main_gpu, i as u32, format!("GPU {i} · {name}"));
            }
        });
    });
    if next.split_mode == SplitMode::Layer {
        let id = ui.make_persistent_id(("tensor_split", &view.key));
        let mut text: String = ui
            .data_mut(|d| d.get_temp(id))
            .unwrap_or_else(|| view.settings.tensor_split.label());
        let mut error = None;
        ui.horizontal_wrapped(|ui| {
            ui.label("Tensor split:");
            let edit = ui.add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text("by free memory, or e.g. 3,1")
                    .char_limit(100)
                    .desired_width(140.0),
            );
            if edit.lost_focus() {
                if text.trim().is_empty() {
                    next.tensor_split = TensorSplit::default();
                } else {
                    match TensorSplit::parse(&text) {
                        Ok(ts) => next.tensor_split = ts,
                        Err(e) => error = Some(e),
                    }
                }
            }
            ui.label(
                RichText::new(
                    "the layers in these proportions; empty: by free memory, as llama.cpp",
                )
                .weak(),
            );
        });
        if let Some(e) = error {
            ui.colored_label(crate::ui::theme::ERROR, e);
        }
        ui.data_mut(|d| d.insert_temp(id, text));
    }
}

fn runtime_ui(ui: &mut Ui, next: &mut LaunchSettings) {
    ui.horizontal_wrapped(|ui| {
        let mut auto = next.threads.is_none();
        ui.checkbox(&mut auto, "Threads: as many as the process may use");
        if auto {
            next.threads = None;
        } else {
            let mut t = next.threads.unwrap_or(4);
            ui.add(
                egui::DragValue::new(&mut t)
                    .range(1..=256)
                    .suffix(" threads"),
            );
            next.threads = Some(t);
        }
        ui.checkbox(&mut next.mmap, "mmap the file")
            .on_hover_text("Off: llama.cpp reads the whole file into memory first (--no-mmap)");
        ui.checkbox(&mut next.mlock, "mlock")
            .on_hover_text("Lock the weights in RAM so the system never swaps them out (--mlock)");
    });
}
