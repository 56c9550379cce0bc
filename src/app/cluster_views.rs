//! Several machines in the window: a "What if…" cluster ("3x (24GiB GPU, 64GiB RAM)") judges
//! every model across its machines; a card whose model is too large for the machine shown names
//! the smallest cluster of PCs like it, or how it would run across the listed other machines
//! that answer. Each is [`crate::estimate::cluster_plan::plan`], the estimate the command line prints.

use serde::Serialize;

use super::App;
use crate::estimate::cluster::{transfer_seconds, ClusterFit, ClusterMachines, ClusterVerdict};
use crate::estimate::cluster_plan::plan;
use crate::hardware::cluster_spec::{is_cluster_spec, parse_cluster, MAX_MACHINES};
use crate::hardware::HardwareSnapshot;

/// What the "What if…" spec describes: the main machine, and the cluster when it names several.
pub(crate) type WhatIfMachines = (HardwareSnapshot, Option<ClusterMachines>);

/// Reads a "What if…" spec: one machine (`--assume`'s syntax) or a cluster; `live` stands for
/// "this PC". The error is the command line's own sentence.
pub(crate) fn what_if_machines(
    spec: &str,
    live: &HardwareSnapshot,
) -> Result<WhatIfMachines, String> {
    if !is_cluster_spec(spec) {
        return crate::hardware::assume::parse_assume(spec)
            .map(|hw| (hw, None))
            .map_err(|e| e.to_string());
    }
    let c = parse_cluster(spec).map_err(|e| e.to_string())?;
    let (mut main, others) = if c.this_pc_live {
        (live.clone(), c.machines.as_slice())
    } else {
        (c.machines[0].clone(), &c.machines[1..])
    };
    let machines = ClusterMachines::from_snapshots(&main, others);
    main.simulated = Some(spec.trim().to_owned());
    Ok((main, Some(machines)))
}

/// A cluster plan as a card shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardCluster {
    /// What the machines are: "the What-if machines", "3 PCs like this one", "this PC and the
    /// 2 other machines that answer".
    pub title: String,
    /// The plan.
    pub fit: ClusterFit,
    /// Seconds to send the weights to the other machines at 1 and 10 Gb/s.
    pub seconds_at_1_and_10_gbit: (f64, f64),
}

impl CardCluster {
    fn new(title: String, fit: ClusterFit) -> Self {
        let sent = fit.sent_bytes();
        Self {
            title,
            seconds_at_1_and_10_gbit: (transfer_seconds(sent, 1.0), transfer_seconds(sent, 10.0)),
            fit,
        }
    }
}

impl App {
    /// The machines the table judges a model too large for this PC across: the What-if
    /// cluster; else, on the live PC, this PC and the other machines that answer.
    pub(crate) fn table_cluster(&self) -> Option<ClusterMachines> {
        if let Some(c) = &self.cluster {
            return Some(c.clone());
        }
        let workers = self.answering_workers();
        (self.hw.simulated.is_none() && !workers.is_empty())
            .then(|| ClusterMachines::from_workers(&self.hw, &workers))
    }

    /// Every model across [`App::table_cluster`] at the toolbar's quantization (none without
    /// one).
    pub(crate) fn cluster_fits(&self) -> Vec<Option<ClusterFit>> {
        let models = &self.catalog.models;
        let machines = self.table_cluster();
        (0..models.len())
            .map(|i| {
                let machines = machines.as_ref()?;
                let split = self.weights.split(i, self.state.quant)?;
                let ctx = self.model_ctx(&models[i]);
                Some(plan(&models[i].architecture, split, ctx, machines))
            })
            .collect()
    }

    /// The card's plans across machines for model `index` at `quant`: the What-if cluster's;
    /// else, when the model is too large for the machine shown, the smallest cluster of PCs like
    /// it and the plan across the listed machines that answer.
    pub(crate) fn card_clusters(
        &self,
        index: usize,
        quant: crate::estimate::quant::Quant,
        too_large: bool,
    ) -> Vec<CardCluster> {
        let m = &self.catalog.models[index];
        let Some(split) = self.weights.split(index, quant) else {
            return Vec::new();
        };
        let ctx = self.model_ctx(m);
        let arch = &m.architecture;
        if let Some(machines) = &self.cluster {
            let n = machines.machine_count();
            return vec![CardCluster::new(
                format!("Across the {n} What-if machines"),
                plan(arch, split, ctx, machines),
            )];
        }
        if !too_large {
            return Vec::new();
        }
        let mut out = Vec::new();
        let workers = self.answering_workers();
        if !workers.is_empty() {
            let machines = ClusterMachines::from_workers(&self.hw, &workers);
            out.push(CardCluster::new(
                format!(
                    "With this PC and the {} other machine(s) that answer",
                    workers.len()
                ),
                plan(arch, split, ctx, &machines),
            ));
        }
        let smallest = (2..=MAX_MACHINES).find_map(|n| {
            let machines = ClusterMachines::from_snapshots(&self.hw, &vec![self.hw.clone(); n - 1]);
            let fit = plan(arch, split, ctx, &machines);
            matches!(fit.verdict, ClusterVerdict::Fits { .. }).then_some((n, fit))
        });
        let like = if self.hw.simulated.is_some() {
            "like the What-if machine"
        } else {
            "like this one"
        };
        match smallest {
            Some((n, fit)) => out.push(CardCluster::new(
                format!("The smallest cluster of PCs {like}: {n} machines"),
                fit,
            )),
            None => {
                let machines = ClusterMachines::from_snapshots(
                    &self.hw,
                    &vec![self.hw.clone(); MAX_MACHINES - 1],
                );
                out.push(CardCluster::new(
                    format!("Not even {MAX_MACHINES} PCs {like} hold it"),
                    plan(arch, split, ctx, &machines),
                ));
            }
        }
        out
    }
}
