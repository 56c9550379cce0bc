//! "Launch": turns a local file, the toolbar's context and this PC's live reading into a load
//! request, and refuses (with an override) a model the estimate says exceeds RAM + VRAM.

use std::path::Path;

use super::chat_state::{LaunchPlan, Refusal};
use super::App;
use crate::engine::SamplingParams;
use crate::fit::{format_bytes, Verdict};

impl App {
    /// The launch of the file at `path` as it would run, and the reason to refuse it, if any.
    pub fn launch_plan(&self, path: &Path) -> (LaunchPlan, Option<String>) {
        let local = self.local.by_path(path);
        let info = local.and_then(|l| l.info.as_ref().ok());
        let file_ctx = info
            .and_then(|i| i.context_length)
            .map_or(u32::MAX, |c| c.min(u64::from(u32::MAX)) as u32);
        let ctx_tokens = self.state.ctx_tokens.min(file_ctx).max(256);
        // Launching is about this PC, never the "What if…" machine.
        let fit = local.and_then(|l| l.estimate(ctx_tokens, &self.live_hw));
        let (offload, split_limits) = local
            .map(|l| l.placement(ctx_tokens, &self.live_hw))
            .unwrap_or_default();
        let catalog_model = local
            .and_then(|l| l.catalog_match.as_ref())
            .and_then(|m| self.catalog.models.iter().find(|c| c.id == m.model_id));
        let sampling = catalog_model.map_or_else(SamplingParams::default, |m| SamplingParams {
            temperature: m.sampling.temperature,
            top_p: m.sampling.top_p,
            ..SamplingParams::default()
        });
        let name = local.map_or_else(
            || path.display().to_string(),
            |l| l.found.display_name.clone(),
        );
        let refusal = fit.filter(|f| f.verdict == Verdict::TooLarge).map(|f| {
            format!(
                "{name} needs about {} at {ctx_tokens} tokens of context, more than this PC's \
                 free RAM ({}) and VRAM ({}) together. Loading it would push the system into swap \
                 and could make the desktop unresponsive.",
                format_bytes(f.breakdown.total_bytes()),
                format_bytes(f.ram_budget_bytes),
                format_bytes(f.vram_budget_bytes),
            )
        });
        let plan = LaunchPlan {
            path: path.to_path_buf(),
            name,
            ctx_tokens,
            offload,
            split_limits,
            sampling,
            reasoning: catalog_model.is_some_and(|m| m.reasoning),
        };
        (plan, refusal)
    }

    /// Launches `path`, or asks first when the estimate exceeds RAM + VRAM and `force` is off.
    pub fn launch(&mut self, path: &Path, force: bool) {
        let (plan, refusal) = self.launch_plan(path);
        match refusal {
            Some(reason) if !force => self.chat.refusal = Some(Refusal { plan, reason }),
            _ => {
                tracing::info!(
                    "launching {} with {} tokens of context, {}",
                    plan.path.display(),
                    plan.ctx_tokens,
                    plan.offload
                );
                let waker = self.waker();
                self.chat.launch(plan, waker);
            }
        }
    }
}
