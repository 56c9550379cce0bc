//! Derived state, brought up to date after every batch of commands and each frame's readings: take new hardware readings, recompute estimates when the quantization, the
//! context or the machine changed, and rebuild the filtered, sorted row list. Never draws, never blocks.

use std::cmp::Ordering;

use super::card_checker::CheckKey;
use super::cluster_views::what_if_machines;
use super::{App, SortColumn};
use crate::estimate::placement::{effective_context, EffectiveContext};

impl App {
    /// Takes the newest snapshot from the poller, if any arrived.
    pub(crate) fn drain_poller(&mut self) {
        let Some(poller) = &self.poller else { return };
        if let Some(latest) = poller.snapshots.try_iter().last() {
            self.live_hw = latest;
        }
    }

    /// Sets the live reading directly (tests, `hw` preview).
    pub fn set_live_hardware(&mut self, hw: crate::hardware::HardwareSnapshot) {
        self.live_hw = hw;
        self.refresh();
    }

    /// Brings `hw`, `fits` and `rows` up to date with the state. Cheap when nothing changed.
    pub fn refresh(&mut self) {
        // Read once per refresh: the "On this PC" rows always use the real machine.
        let launch_hw = self.launch_hw();
        let what_if = self
            .state
            .what_if
            .as_deref()
            .map(|spec| what_if_machines(spec, &launch_hw));
        match what_if {
            Some(Ok((main, cluster))) => {
                self.hw = main;
                self.cluster = cluster;
                self.what_if_error = None;
            }
            Some(Err(e)) => {
                self.hw = launch_hw.clone();
                self.cluster = None;
                self.what_if_error = Some(e);
            }
            None => {
                self.hw = launch_hw.clone();
                self.cluster = None;
                self.what_if_error = None;
            }
        }
        let key = (
            self.state.quant,
            self.state.ctx_tokens,
            self.hw.clone(),
            self.cluster
                .is_some()
                .then(|| self.state.what_if.clone())
                .flatten(),
            self.settings_version,
            self.workers_key(),
        );
        if self.fits_key.as_ref() != Some(&key) {
            let models = &self.catalog.models;
            self.fits = (0..models.len())
                .map(|i| {
                    let ctx = self.model_ctx(&models[i]);
                    let settings = self.state.settings_for(&models[i].id);
                    self.weights.estimate_with(
                        models,
                        i,
                        self.state.quant,
                        ctx,
                        &self.hw,
                        &settings,
                    )
                })
                .collect();
            self.cluster_fits = self.cluster_fits();
            self.fits_key = Some(key);
        }
        self.rows = self.visible_rows();
        self.refresh_views(launch_hw);
        self.request_card_check();
    }

    /// What llama.cpp is asked to check for the card of model `index`: the placement Launch would
    /// use on the machine shown (none when that machine has no GPU).
    pub fn card_check_key(&self, index: usize) -> Option<CheckKey> {
        let m = self.catalog.models.get(index)?;
        let placement = self.fits.get(index)?.placement(m.architecture.layers);
        Some(CheckKey {
            model_id: m.id.clone(),
            quant: self.state.quant,
            ctx_tokens: self.model_ctx(m),
            limits: placement.split_limits?,
            estimated: placement.offload,
            settings: self.state.settings_for(&m.id),
        })
    }

    /// Asks the checker about the open card, once per placement.
    fn request_card_check(&mut self) {
        if !self.state.card_open || self.card_checks.device.is_none() {
            return;
        }
        let Some(card) = &self.views.card else {
            return;
        };
        if let Some(key) = card.check_key.clone() {
            self.card_checks
                .request(key, &self.catalog.models[card.index]);
        }
    }

    /// The context used for a model: the toolbar's, capped at the model's native maximum
    /// (the one rule, [`effective_context`]).
    pub(crate) fn model_context(&self, m: &crate::catalog::Model) -> EffectiveContext {
        effective_context(self.state.ctx_tokens, Some(m.architecture.context_tokens))
    }

    /// Tokens of context used for a model ([`App::model_context`]).
    pub(crate) fn model_ctx(&self, m: &crate::catalog::Model) -> u32 {
        self.model_context(m).ctx_tokens
    }

    fn visible_rows(&self) -> Vec<usize> {
        let needle = self.search.trim().to_lowercase();
        let mut rows: Vec<usize> = (0..self.catalog.models.len())
            .filter(|&i| {
                let m = &self.catalog.models[i];
                needle.is_empty()
                    || [
                        m.name.as_str(),
                        m.id.as_str(),
                        m.family.as_str(),
                        m.features_display(),
                        &m.architecture.gguf_architecture,
                    ]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&needle))
            })
            .collect();
        let models = &self.catalog.models;
        let cmp = |a: &usize, b: &usize| -> Ordering {
            let (ma, mb) = (&models[*a], &models[*b]);
            match self.state.sort {
                SortColumn::Catalog => a.cmp(b),
                SortColumn::Name => ma.name.to_lowercase().cmp(&mb.name.to_lowercase()),
                SortColumn::Release => ma
                    .release_display()
                    .cmp(&mb.release_display())
                    .then(ma.released.cmp(&mb.released)),
                SortColumn::Params => ma.params_total.cmp(&mb.params_total),
                SortColumn::Active => ma.params_active.cmp(&mb.params_active),
                SortColumn::Fit => {
                    let (fa, fb) = (&self.fits[*a], &self.fits[*b]);
                    self.fit_rank(*a)
                        .cmp(&self.fit_rank(*b))
                        .then(fa.breakdown.total_bytes().cmp(&fb.breakdown.total_bytes()))
                }
            }
        };
        rows.sort_by(|a, b| {
            if self.state.ascending {
                cmp(a, b)
            } else {
                cmp(b, a)
            }
        });
        rows
    }

    /// A model's place in the Fit order: its verdict's rank, doubled so that a model too large
    /// for the main machine that fits across the What-if cluster sorts just before "too large".
    fn fit_rank(&self, index: usize) -> u8 {
        let rank = self.fits[index].verdict.rank() * 2;
        let across = self
            .cluster_fits
            .get(index)
            .and_then(Option::as_ref)
            .is_some_and(|c| {
                matches!(
                    c.verdict,
                    crate::estimate::cluster::ClusterVerdict::Fits { .. }
                )
            });
        if across && self.fits[index].verdict == crate::estimate::fit::Verdict::TooLarge {
            rank - 1
        } else {
            rank
        }
    }
}
