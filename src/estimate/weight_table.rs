//! Weights of every catalog model at every quantization, split by layer, computed once when the
//! catalog loads. Weights do not depend on the context or the machine, so the table and the card
//! re-judge 13 models × 11 quantizations on each toolbar change in microseconds.

use crate::catalog::Model;
use crate::estimate::fit::{
    estimate_with_settings, estimate_with_split, weight_split, FitReport, WeightSplit,
};
use crate::estimate::launch_settings::LaunchSettings;
use crate::estimate::quant::Quant;
use crate::estimate::tensors::MlaLayout;
use crate::hardware::HardwareSnapshot;

/// Weight splits per (model, quantization).
#[derive(Debug, Clone, Default)]
pub struct WeightTable {
    splits: Vec<Vec<WeightSplit>>,
}

impl WeightTable {
    /// Computes the splits of `models` at every quantization of [`Quant::ALL`].
    pub fn new(models: &[Model]) -> Self {
        let splits = models
            .iter()
            .map(|m| {
                Quant::ALL
                    .iter()
                    .map(|&q| weight_split(&m.architecture, q, MlaLayout::Split))
                    .collect()
            })
            .collect();
        Self { splits }
    }

    /// The split of model `index` at `quant`, if the table has that model.
    pub fn split(&self, index: usize, quant: Quant) -> Option<&WeightSplit> {
        let qi = Quant::ALL.iter().position(|&q| q == quant)?;
        self.splits.get(index)?.get(qi)
    }

    /// The estimate of `models[index]` (the models the table was built from).
    pub fn estimate(
        &self,
        models: &[Model],
        index: usize,
        quant: Quant,
        ctx_tokens: u32,
        hw: &HardwareSnapshot,
    ) -> FitReport {
        self.estimate_with(
            models,
            index,
            quant,
            ctx_tokens,
            hw,
            &LaunchSettings::default(),
        )
    }

    /// [`WeightTable::estimate`] at a launch's `settings`.
    pub fn estimate_with(
        &self,
        models: &[Model],
        index: usize,
        quant: Quant,
        ctx_tokens: u32,
        hw: &HardwareSnapshot,
        settings: &LaunchSettings,
    ) -> FitReport {
        let model = &models[index];
        match self.split(index, quant) {
            Some(split) => estimate_with_split(model, split, quant, ctx_tokens, hw, settings),
            None => estimate_with_settings(model, quant, ctx_tokens, hw, settings),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::load_catalog;
    use crate::hardware::assume::parse_assume;

    #[test]
    fn table_estimates_equal_direct_estimates() {
        let models = load_catalog(None).models;
        let table = WeightTable::new(&models);
        let hw = parse_assume("24GiB GPU, 64GiB RAM").unwrap();
        for (i, m) in models.iter().enumerate() {
            for q in Quant::ALL {
                assert_eq!(
                    table.estimate(&models, i, q, 8192, &hw),
                    crate::estimate::fit::estimate(m, q, 8192, &hw)
                );
            }
        }
    }
}
