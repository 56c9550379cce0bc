//! `fit` and `list` against several machines (`--assume "3x (24GiB GPU, 64GiB RAM)"`): each
//! machine's part as llama.cpp's RPC back-end would place it, the verdict, and the time to send
//! the weights over the network.

use serde::Serialize;

use super::common::{to_json, usage_error, CliError};
use super::estimate::EstimateArgs;
use crate::catalog::{LoadedCatalog, Model};
use crate::estimate::cluster::{transfer_seconds, ClusterFit, ClusterMachines, ClusterVerdict};
use crate::estimate::cluster_plan::plan_with;
use crate::estimate::fit::{estimate, weight_split, Verdict};
use crate::estimate::launch_settings::TensorSplit;
use crate::estimate::placement::effective_context;
use crate::estimate::tensors::MlaLayout;
use crate::format::format_bytes;
use crate::hardware::cluster_spec::parse_cluster;
use crate::hardware::probe::Prober;
use crate::hardware::HardwareSnapshot;

/// A cluster spec read: the machines as devices, the main machine (this PC) on its own, and a
/// line naming them.
pub(crate) struct Cluster {
    machines: ClusterMachines,
    main: HardwareSnapshot,
    names: String,
}

/// The machines of a cluster spec.
pub(crate) fn cluster_machines(spec: &str) -> Result<Cluster, CliError> {
    let parsed = parse_cluster(spec).map_err(|e| usage_error(e.to_string()))?;
    let live;
    let (main, others) = if parsed.this_pc_live {
        live = Prober::new().read();
        (&live, parsed.machines.as_slice())
    } else {
        (&parsed.machines[0], &parsed.machines[1..])
    };
    let mut names = vec![format!("this PC ({})", main.summary())];
    names.extend(
        others
            .iter()
            .enumerate()
            .map(|(i, hw)| format!("machine {} ({})", i + 2, hw.summary())),
    );
    Ok(Cluster {
        machines: ClusterMachines::from_snapshots(main, others),
        main: main.clone(),
        names: names.join("\n         "),
    })
}

/// `fit --json` across machines.
#[derive(Debug, Serialize)]
pub struct ClusterReport<'a> {
    /// Catalog id.
    pub model: &'a str,
    /// Quantization.
    pub quant: String,
    /// Context used (capped at the model's maximum).
    pub ctx_tokens: u32,
    /// Machines in the cluster.
    pub machines: usize,
    /// The verdict on this PC alone, when the model runs there without the others.
    pub alone: Option<String>,
    /// Each part and the verdict.
    pub fit: ClusterFit,
    /// Weight bytes sent to the other machines at load.
    pub sent_bytes: u64,
    /// Seconds to send them at 1 Gb/s.
    pub seconds_at_1_gbit: f64,
    /// Seconds to send them at 10 Gb/s.
    pub seconds_at_10_gbit: f64,
}

/// The plan for `m` across `machines`, with the user's `--tensor-split` when given (empty: the
/// balanced split seekdeck chooses).
pub(crate) fn cluster_report<'a>(
    m: &'a Model,
    args: &EstimateArgs,
    cluster: &Cluster,
    tensor_split: &TensorSplit,
) -> ClusterReport<'a> {
    let ctx = effective_context(args.ctx, Some(m.architecture.context_tokens));
    let split = weight_split(&m.architecture, args.quant, MlaLayout::Split);
    let machines = &cluster.machines;
    let fit = plan_with(
        &m.architecture,
        &split,
        ctx.ctx_tokens,
        machines,
        Some(tensor_split),
    );
    let alone = estimate(m, args.quant, ctx.ctx_tokens, &cluster.main).verdict;
    let sent = fit.sent_bytes();
    ClusterReport {
        model: &m.id,
        quant: args.quant.to_string(),
        ctx_tokens: ctx.ctx_tokens,
        machines: machines.machine_count(),
        alone: (!matches!(alone, Verdict::TooLarge | Verdict::Unknown)).then(|| alone.label()),
        sent_bytes: sent,
        seconds_at_1_gbit: transfer_seconds(sent, 1.0),
        seconds_at_10_gbit: transfer_seconds(sent, 10.0),
        fit,
    }
}

/// The devices in llama.cpp's order, as `--tensor-split` numbers them.
fn device_names(machines: &ClusterMachines) -> String {
    machines
        .devices
        .iter()
        .map(|d| format!("{} · {}", d.machine, d.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The verdict in words: "fits on 3 machines" or what is missing.
pub(crate) fn verdict_text(v: &ClusterVerdict) -> String {
    match v {
        ClusterVerdict::Fits { machines: 1 } => "fits on this PC alone".into(),
        ClusterVerdict::Fits { machines } => format!("fits on {machines} machines"),
        ClusterVerdict::Short { missing_bytes } => format!(
            "does not fit: {} missing across the cluster",
            format_bytes(*missing_bytes)
        ),
    }
}

/// `fit MODEL --assume CLUSTER [--tensor-split N,N,…]`.
pub(crate) fn fit_cluster(
    m: &Model,
    args: &EstimateArgs,
    spec: &str,
    tensor_split: &TensorSplit,
) -> Result<String, CliError> {
    let cluster = cluster_machines(spec)?;
    let devices = cluster.machines.devices.len();
    if tensor_split.0.len() > devices {
        return Err(usage_error(format!(
            "--tensor-split gives {} proportions; the cluster has {devices} devices: {}",
            tensor_split.0.len(),
            device_names(&cluster.machines)
        )));
    }
    let r = cluster_report(m, args, &cluster, tensor_split);
    if args.json {
        return Ok(to_json(&r));
    }
    let mut out = format!(
        "{} at {}, {} tokens of context\nCluster: {}\n\n  {:<34} {:>15} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
        m.name, r.quant, r.ctx_tokens, cluster.names, "part", "blocks", "weights", "KV cache", "compute", "total", "usable"
    );
    for d in std::iter::once(&r.fit.this_pc).chain(&r.fit.devices) {
        let blocks = d.blocks_label();
        out.push_str(&format!(
            "  {:<34} {:>15} {:>10} {:>10} {:>10} {:>10} {:>10}{}\n",
            format!("{} · {}", d.machine, d.name),
            blocks,
            format_bytes(d.weights_bytes),
            format_bytes(d.kv_bytes),
            format_bytes(d.compute_bytes + d.overhead_bytes),
            format_bytes(d.total_bytes()),
            format_bytes(d.budget_bytes),
            if d.fits() { "" } else { "  over" }
        ));
    }
    out.push_str(&format!(
        "\nVerdict: {} (llama.cpp {}{})\n",
        verdict_text(&r.fit.verdict),
        r.fit.flags(),
        if r.fit.cpu_moe {
            "; the routed experts stay in this PC's RAM"
        } else {
            ""
        }
    ));
    if let Some(note) = &r.fit.split_note {
        out.push_str(&format!("Split: {note}\n"));
    }
    if let Some(alone) = &r.alone {
        out.push_str(&format!(
            "This PC alone could run it too: {alone} (`seekdeck fit` without the other machines)\n"
        ));
    }
    if r.sent_bytes > 0 {
        out.push_str(&format!(
            "Weights sent to the other machines at load: {} — {} at 1 Gb/s, {} at 10 Gb/s\n",
            format_bytes(r.sent_bytes),
            crate::format::duration_words(r.seconds_at_1_gbit),
            crate::format::duration_words(r.seconds_at_10_gbit)
        ));
    }
    Ok(out)
}

/// `list --assume CLUSTER`: each model's verdict across the machines.
pub(crate) fn list_cluster(
    catalog: &LoadedCatalog,
    args: &EstimateArgs,
    spec: &str,
) -> Result<String, CliError> {
    let cluster = cluster_machines(spec)?;
    let reports: Vec<ClusterReport> = catalog
        .models
        .iter()
        .map(|m| cluster_report(m, args, &cluster, &TensorSplit::default()))
        .collect();
    if args.json {
        return Ok(to_json(&reports));
    }
    let mut out = format!(
        "Cluster: {}\n{} at {} tokens\n\n{:<31} {:>10}  {}\n",
        cluster.names, args.quant, args.ctx, "Model", "-ngl", "Across the machines"
    );
    for (m, r) in catalog.models.iter().zip(&reports) {
        out.push_str(&format!(
            "{:<31} {:>10}  {}\n",
            m.name,
            r.fit.gpu_layers,
            match &r.alone {
                Some(alone) if matches!(r.fit.verdict, ClusterVerdict::Short { .. }) =>
                    format!("this PC alone: {alone}"),
                Some(alone) => format!("{} (this PC alone: {alone})", verdict_text(&r.fit.verdict)),
                None => verdict_text(&r.fit.verdict),
            }
        ));
    }
    Ok(out)
}
