//! "Launch": turns a local file, the toolbar's context and this PC's live reading into a load
//! request, and refuses (with an override) a model the estimate says exceeds RAM + VRAM.

use std::path::Path;

use super::chat_state::{LaunchPlan, Refusal};
use super::App;
use crate::estimate::fit::Verdict;
use crate::estimate::launch_settings::TensorSplit;
use crate::estimate::placement::effective_context;
use crate::format::format_bytes;
use crate::hardware::rpc_probe::WorkerReading;

/// The answering workers' endpoints and devices' memory, coarsely, as estimates' inputs.
pub(crate) type WorkersKey = Vec<(String, Vec<(u64, u64)>)>;

impl App {
    /// The launch of the file at `path` as it would run, and the reason to refuse it, if any.
    pub(crate) fn launch_plan(&self, path: &Path) -> (LaunchPlan, Option<String>) {
        let local = self.local.by_path(path);
        let ctx_tokens = local
            .map_or_else(
                || effective_context(self.state.ctx_tokens, None),
                |l| l.context(self.state.ctx_tokens),
            )
            .ctx_tokens;
        // Launching is about this PC, never the "What if…" machine, and a model loaded now is
        // unloaded first.
        let hw = self.launch_hw();
        let settings = self.state.settings_for(&self.settings_key(path));
        let fit = local.and_then(|l| l.estimate_with(ctx_tokens, &hw, &settings));
        let placement = local
            .map(|l| l.placement(ctx_tokens, &hw, &settings))
            .unwrap_or_default();
        let catalog_model = local
            .and_then(|l| l.catalog_match.as_ref())
            .and_then(|m| self.catalog.models.iter().find(|c| c.id == m.model_id));
        let sampling = crate::chat::defaults::recommended_sampling(catalog_model, ctx_tokens);
        let name = local.map_or_else(
            || path.display().to_string(),
            |l| l.found.display_name.clone(),
        );
        let footprint = fit.as_ref().map_or((0, 0), |f| (f.gpu_bytes, f.cpu_bytes));
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
            placement,
            settings,
            sampling,
            reasoning: catalog_model.is_some_and(|m| m.reasoning),
            footprint,
            workers: Vec::new(),
            sending: Vec::new(),
        };
        (plan, refusal)
    }

    /// The key a file's launch settings are remembered by: its catalog model's id, else its path
    /// (settings chosen on a card apply to every file of that model).
    pub fn settings_key(&self, path: &Path) -> String {
        self.local
            .by_path(path)
            .and_then(|l| l.catalog_match.as_ref())
            .map_or_else(|| path.display().to_string(), |m| m.model_id.clone())
    }

    /// The other machines that answer as the estimates see them: each device's free and total
    /// memory in steps of the poller's change threshold, so a worker's memory moving by a few
    /// MiB every reading does not recompute every estimate and plan.
    pub(crate) fn workers_key(&self) -> WorkersKey {
        let step = crate::hardware::poller::CHANGE_THRESHOLD_BYTES;
        self.answering_workers()
            .into_iter()
            .map(|w| {
                let devices = w.devices.iter();
                let devices = devices.map(|d| (d.free_bytes / step, d.total_bytes / step));
                (w.endpoint, devices.collect())
            })
            .collect()
    }

    /// The other machines that answer now (or that the model in the slot runs across), with
    /// their free memory as last read, in the list's order.
    pub fn answering_workers(&self) -> Vec<WorkerReading> {
        self.state
            .workers
            .iter()
            .filter_map(|e| match self.machines.readings.get(e) {
                Some(Ok(r)) => Some(r.clone()),
                // In use but never read (the window opened with the model already across it):
                // its devices are not known, so the plan gives it nothing new.
                _ if self.machines.in_use.contains(e) => Some(WorkerReading {
                    endpoint: e.clone(),
                    version: crate::hardware::rpc_probe::RPC_PROTOCOL,
                    devices: Vec::new(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Launches `path` split across this PC and the other machines that answer, as the cluster
    /// plan places it (GPUs first, this PC's RAM next, the other machines' RAM for the rest; one
    /// plan, its flags and what each machine is sent), in an engine host.
    pub fn launch_across(&mut self, path: &Path) {
        let workers = self.answering_workers();
        if workers.is_empty() {
            return;
        }
        let (mut plan, _) = self.launch_plan(path);
        if let Some(local) = self.local.by_path(path) {
            let hw = self.launch_hw();
            // The card's tensor split is this PC's GPUs'; across machines the plan balances.
            let balanced = TensorSplit::default();
            match local.cluster_plan(plan.ctx_tokens, &hw, &workers, &balanced) {
                Some(cluster) => {
                    (plan.placement, plan.settings.tensor_split) = cluster.placement();
                    plan.sending = workers
                        .iter()
                        .map(|w| (w.endpoint.clone(), cluster.sent_to(&w.endpoint)))
                        .collect();
                }
                None => {
                    plan.placement = Default::default();
                    plan.settings.tensor_split = balanced;
                }
            }
        }
        plan.workers = workers.into_iter().map(|w| w.endpoint).collect();
        plan.name = format!(
            "{} across this PC and {}",
            plan.name,
            crate::format::plural(plan.workers.len(), "other machine")
        );
        tracing::info!(
            "launching {} across {}: {} blocks on the other machines",
            plan.path.display(),
            plan.workers.join(", "),
            plan.placement.offload.gpu_layers
        );
        let waker = self.waker();
        self.chat.launch(plan, waker);
    }

    /// This PC as a launch sees it: the live reading with the loaded model's memory given back.
    pub fn launch_hw(&self) -> crate::hardware::HardwareSnapshot {
        match self.chat.session.loaded_footprint() {
            Some((gpu, ram)) => self.live_hw.with_freed(gpu, ram),
            None => self.live_hw.clone(),
        }
    }

    /// Launches `path`, or asks first when the estimate exceeds RAM + VRAM and `force` is off.
    pub fn launch(&mut self, path: &Path, force: bool) {
        let (plan, refusal) = self.launch_plan(path);
        match refusal {
            Some(reason) if !force => self.chat.session.refusal = Some(Refusal { plan, reason }),
            _ => {
                tracing::info!(
                    "launching {} with {} tokens of context, {}",
                    plan.path.display(),
                    plan.ctx_tokens,
                    plan.placement.offload
                );
                let waker = self.waker();
                self.chat.launch(plan, waker);
            }
        }
    }
}
