//! What the panels draw that takes computing, computed once when its inputs change instead of
//! every frame: the open card's estimate at every quantization and the key of llama.cpp's check of
//! it, the card's server plan, and each "On this PC" row's launch context, estimate, placement and notes. The panels only
//! read these.

use std::path::PathBuf;

use super::card_checker::CheckKey;
use super::App;
use crate::estimate::fit::FitReport;
use crate::estimate::placement::{EffectiveContext, Offload};
use crate::estimate::quant::Quant;
use crate::hardware::rpc_probe::WorkerReading;
use crate::hardware::HardwareSnapshot;

/// The open card's computed parts.
#[derive(Debug, Clone, PartialEq)]
pub struct CardView {
    /// Catalog index of the model.
    pub index: usize,
    /// The context the card's figures are at.
    pub ctx: EffectiveContext,
    /// The estimate at each of [`Quant::ALL`], in that order.
    pub by_quant: Vec<FitReport>,
    /// What llama.cpp is asked to check for this card (none without usable VRAM).
    pub check_key: Option<CheckKey>,
    /// The model across several machines: the What-if cluster's plan, or for a model too large
    /// for the machine shown, the smallest cluster of alike PCs and the listed other machines.
    pub clusters: Vec<super::cluster_views::CardCluster>,
    /// Memory against context length at the toolbar's quantization, for the card's plot.
    pub curve: Vec<crate::estimate::curve::CurvePoint>,
    /// The longest context the machine's VRAM, and its VRAM and RAM, hold at that quantization.
    pub curve_limits: crate::estimate::curve::CurveLimits,
    /// The "Advanced" part: the model's launch settings and what they change.
    pub advanced: super::advanced_view::AdvancedView,
}

/// One "On this PC" row's computed parts (for a file whose header was read).
#[derive(Debug, Clone, PartialEq)]
pub struct LocalRowView {
    /// The file this row is about (its key in `LocalState::models`).
    pub path: PathBuf,
    /// Its catalog entry in words.
    pub catalog_label: String,
    /// The context Launch would use.
    pub ctx_tokens: u32,
    /// The file's own estimate on this PC at that context.
    pub fit: Option<FitReport>,
    /// Where Launch would put it.
    pub offload: Offload,
    /// Launch would ask first (the estimate exceeds RAM + VRAM).
    pub needs_confirmation: bool,
    /// The legacy-layout note, if the file is in the older MLA layout.
    pub legacy_note: Option<String>,
    /// The "Advanced" part of its launch (none when its header cannot be estimated).
    pub advanced: Option<super::advanced_view::AdvancedView>,
    /// The settings Launch uses, in llama.cpp's flags (none at its defaults).
    pub settings_summary: Option<String>,
    /// The plan across this PC and the other machines that answer (none without them).
    pub across: Option<crate::estimate::cluster::ClusterFit>,
}

/// Inputs the card view was computed from.
type CardInputs = (
    usize,
    Quant,
    u32,
    HardwareSnapshot,
    Option<String>,
    Option<String>,
    Vec<WorkerReading>,
    u64,
);
/// Inputs the local rows were computed from.
type LocalInputs = (u64, u32, HardwareSnapshot, u64, super::launch::WorkersKey);

/// The views and the inputs they were computed from.
#[derive(Debug, Default)]
pub struct Views {
    /// The open card's, when a card is open.
    pub card: Option<CardView>,
    /// One per entry of `LocalState::models`, same order.
    pub local_rows: Vec<LocalRowView>,
    /// The open card's server plan, computed for (model, choice).
    pub server_plan: Option<super::server_plan_view::ServerPlanView>,
    server_plan_for: Option<usize>,
    card_inputs: Option<CardInputs>,
    local_inputs: Option<LocalInputs>,
}

impl App {
    /// Recomputes the views whose inputs changed. Cheap when nothing did.
    /// `launch_hw` is this PC as a launch sees it ([`App::launch_hw`]), read once by the caller.
    pub(crate) fn refresh_views(&mut self, launch_hw: HardwareSnapshot) {
        self.refresh_card_view();
        self.refresh_server_plan_view();
        let inputs = (
            self.local.version,
            self.state.ctx_tokens,
            launch_hw,
            self.settings_version,
            self.workers_key(),
        );
        if self.views.local_inputs.as_ref() != Some(&inputs) {
            let workers = self.answering_workers();
            self.views.local_rows = self
                .local
                .models
                .iter()
                .map(|m| self.local_row_view(&m.found.path, &inputs.2, &workers))
                .collect();
            self.views.local_inputs = Some(inputs);
        }
    }

    fn refresh_server_plan_view(&mut self) {
        let Some(index) = self.views.card.as_ref().map(|c| c.index) else {
            self.views.server_plan = None;
            self.views.server_plan_for = None;
            return;
        };
        let current = self.views.server_plan.as_ref().map(|v| &v.choice);
        if self.views.server_plan_for == Some(index) && current == Some(&self.state.server_plan) {
            return;
        }
        self.views.server_plan = Some(super::server_plan_view::server_plan_view(
            &self.catalog.models[index],
            &self.state.server_plan,
        ));
        self.views.server_plan_for = Some(index);
    }

    fn refresh_card_view(&mut self) {
        // A card whose model the search filters out is hidden until the search lets it back.
        let Some(index) = self
            .selected_index()
            .filter(|i| self.state.card_open && self.rows.contains(i))
        else {
            self.views.card = None;
            self.views.card_inputs = None;
            return;
        };
        let device = self.card_checks.device.clone();
        let inputs = (
            index,
            self.state.quant,
            self.state.ctx_tokens,
            self.hw.clone(),
            device,
            self.state.what_if.clone(),
            self.answering_workers(),
            self.settings_version,
        );
        if self.views.card_inputs.as_ref() == Some(&inputs) {
            return;
        }
        let models = &self.catalog.models;
        let ctx = self.model_context(&models[index]);
        let settings = &self.state.settings_for(&models[index].id);
        let by_quant = Quant::ALL
            .iter()
            .map(|&q| {
                self.weights
                    .estimate_with(models, index, q, ctx.ctx_tokens, &self.hw, settings)
            })
            .collect();
        let advanced = super::advanced_view::advanced_view(
            &models[index].id,
            &models[index].architecture,
            self.weights.split(index, self.state.quant),
            &self.fits[index],
            settings,
            &self.hw,
        );
        let too_large = self.fits[index].verdict == crate::estimate::fit::Verdict::TooLarge;
        let (curve, curve_limits) = match self.weights.split(index, self.state.quant) {
            Some(split) => {
                let fit = &self.fits[index];
                (
                    crate::estimate::curve::curve_with_split(&models[index], split),
                    crate::estimate::curve::CurveLimits::new(
                        &models[index],
                        split,
                        fit.vram_budget_bytes,
                        fit.ram_budget_bytes,
                    ),
                )
            }
            None => Default::default(),
        };
        self.views.card = Some(CardView {
            index,
            ctx,
            by_quant,
            check_key: self.card_check_key(index),
            clusters: self.card_clusters(index, self.state.quant, too_large),
            curve,
            curve_limits,
            advanced,
        });
        self.views.card_inputs = Some(inputs);
    }

    fn local_row_view(
        &self,
        path: &std::path::Path,
        launch_hw: &HardwareSnapshot,
        workers: &[WorkerReading],
    ) -> LocalRowView {
        let (plan, refusal) = self.launch_plan(path);
        let local = self.local.by_path(path);
        let across = local
            .filter(|_| !workers.is_empty())
            .and_then(|l| l.cluster_plan(plan.ctx_tokens, launch_hw, workers, &Default::default()));
        let fit = local.and_then(|l| l.estimate_with(plan.ctx_tokens, launch_hw, &plan.settings));
        let advanced = local
            .and_then(|l| l.info.as_ref().ok())
            .and_then(|info| Some((info, info.arch.as_ref().ok()?)))
            .zip(fit.as_ref())
            .map(|((info, arch), fit)| {
                super::advanced_view::advanced_view(
                    &self.settings_key(path),
                    arch,
                    Some(&info.split),
                    fit,
                    &plan.settings,
                    launch_hw,
                )
            });
        LocalRowView {
            path: path.to_path_buf(),
            catalog_label: local
                .map(|l| l.catalog_label(&self.catalog.models))
                .unwrap_or_default(),
            ctx_tokens: plan.ctx_tokens,
            fit,
            offload: plan.placement.offload,
            needs_confirmation: refusal.is_some(),
            legacy_note: local.and_then(|l| l.legacy_note(plan.ctx_tokens)),
            advanced,
            settings_summary: (!plan.settings.is_default()).then(|| plan.settings.summary()),
            across,
        }
    }

    /// The computed parts of the "On this PC" row for `path`.
    pub(crate) fn local_row(&self, path: &std::path::Path) -> Option<&LocalRowView> {
        self.views.local_rows.iter().find(|r| r.path == path)
    }
}
