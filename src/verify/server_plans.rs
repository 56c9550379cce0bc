//! The server planner against what the engines' documents and issue trackers publish
//! (`make server-plans` writes docs/server-plans.md; `tests/server_plans.rs` holds every row to
//! it): SGLang's DeepSeek hardware table, per-GPU weights and memory that vLLM and SGLang
//! logged, and the DeepSeek overview's notes on the R1-Distill models.

// The catalog ids and server specs below are this file's own constants; a typo is a failing
// `make server-plans`, not user input.
#![allow(clippy::expect_used)]

use crate::catalog::{builtin_model, Model};
use crate::estimate::server::engine_memory::{activation_bytes, runtime_bytes};
use crate::estimate::server::layout::{Engine, Layout};
use crate::estimate::server::weights::{weight_share, WeightForm};
use crate::estimate::server::{plan, PlanRequest, ServerPlan};
use crate::hardware::server_spec::parse_server_spec;

const GIB: f64 = (1u64 << 30) as f64;
/// The context the hardware rows are planned at.
pub const TABLE_CTX: u32 = 32_768;

const SGLANG_TABLE: &str =
    "SGLang docs, basic_usage/deepseek_v3.md (\"Launch DeepSeek V3.1/V3/R1 with SGLang\" table)";

/// One published claim and the planner's answer to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What is claimed.
    pub claim: String,
    /// Where.
    pub source: &'static str,
    /// The planner's answer.
    pub answer: String,
    /// Whether the answer agrees.
    pub agrees: bool,
}

fn model(id: &str) -> Model {
    builtin_model(id).expect("a catalog model")
}

fn plan_on(m: &Model, spec: &str, form: WeightForm, ctx: u32) -> ServerPlan {
    let spec = parse_server_spec(spec).expect("a valid spec");
    plan(
        m,
        &spec,
        PlanRequest {
            form,
            ctx,
            ..PlanRequest::default()
        },
    )
}

/// The best layout in words, or why none starts.
fn best_words(p: &ServerPlan) -> String {
    match p.working().next() {
        Some(l) => format!(
            "{} {}: {}",
            l.layout.engine.name(),
            l.layout.label(),
            l.verdict.words(p.ctx)
        ),
        None => {
            let why = p
                .layouts
                .first()
                .map(|l| l.verdict.words(p.ctx))
                .unwrap_or_default();
            format!("no layout starts (closest: {why})")
        }
    }
}

/// SGLang's table: each (model, form, server) must have a layout that starts; FP8 on one
/// 8× H100 or H800 node must not (the table lists FP8 on H100/H800 only as 2 × 8).
fn sglang_table() -> Vec<Row> {
    let starts: [(&str, WeightForm, &str); 24] = [
        ("deepseek-r1", WeightForm::Original, "8x H200"),
        ("deepseek-r1", WeightForm::Original, "8x B200"),
        ("deepseek-r1", WeightForm::Original, "8x MI300X"),
        (
            "deepseek-r1",
            WeightForm::Original,
            "2 nodes x 8x H100, InfiniBand",
        ),
        (
            "deepseek-r1",
            WeightForm::Original,
            "2 nodes x 8x H800, InfiniBand",
        ),
        (
            "deepseek-r1",
            WeightForm::Original,
            "2 nodes x 8x H20, InfiniBand",
        ),
        (
            "deepseek-r1-0528",
            WeightForm::Bf16,
            "2 nodes x 8x H200, InfiniBand",
        ),
        (
            "deepseek-r1-0528",
            WeightForm::Bf16,
            "2 nodes x 8x MI300X, InfiniBand",
        ),
        (
            "deepseek-r1-0528",
            WeightForm::Bf16,
            "4 nodes x 8x H100, InfiniBand",
        ),
        (
            "deepseek-r1-0528",
            WeightForm::Bf16,
            "4 nodes x 8x H800, InfiniBand",
        ),
        (
            "deepseek-r1-0528",
            WeightForm::Bf16,
            "4 nodes x 8x H20, InfiniBand",
        ),
        (
            "deepseek-r1-0528",
            WeightForm::Bf16,
            "4 nodes x 8x A100, InfiniBand",
        ),
        (
            "deepseek-r1",
            WeightForm::Int8,
            "2 nodes x 8x A100, InfiniBand",
        ),
        (
            "deepseek-r1",
            WeightForm::Int8,
            "4 nodes x 8x L40S, InfiniBand",
        ),
        ("deepseek-r1-0528", WeightForm::W4a8, "8x H20"),
        ("deepseek-r1-0528", WeightForm::W4a8, "8x H100"),
        ("deepseek-r1-0528", WeightForm::W4a8, "4x H200"),
        ("deepseek-r1-0528", WeightForm::Awq, "8x H100"),
        ("deepseek-r1-0528", WeightForm::Awq, "8x H800"),
        ("deepseek-r1-0528", WeightForm::Awq, "8x H20"),
        ("deepseek-r1-0528", WeightForm::Awq, "8x A100"),
        ("deepseek-r1", WeightForm::Awq, "8x A100"),
        ("deepseek-r1-0528", WeightForm::Nvfp4, "4x B200"),
        ("deepseek-r1-0528", WeightForm::Nvfp4, "8x B200"),
    ];
    let mut rows: Vec<Row> = starts
        .into_iter()
        .map(|(id, form, spec)| {
            let m = model(id);
            let p = plan_on(&m, spec, form, TABLE_CTX);
            let agrees = p.working().next().is_some();
            Row {
                claim: format!("{} {} runs on {}", m.name, form.label(&m), p.spec.label()),
                source: SGLANG_TABLE,
                answer: best_words(&p),
                agrees,
            }
        })
        .collect();
    for spec in ["8x H100", "8x H800"] {
        let m = model("deepseek-r1");
        let p = plan_on(&m, spec, WeightForm::Original, TABLE_CTX);
        rows.push(Row {
            claim: format!("{} FP8 needs more than one {} node", m.name, p.spec.label()),
            source: "SGLang's table (FP8 on H100/H800 only as 2 × 8); InternLM/lmdeploy#2960 (FP8 V3 out of memory on 8× H800, peak ≥ 83 GB)",
            answer: best_words(&p),
            agrees: p.working().next().is_none(),
        });
    }
    rows
}

/// A logged figure in GiB against the planner's, agreeing within `tolerance`.
fn figure(
    claim: &str,
    source: &'static str,
    planner: f64,
    published: f64,
    tolerance: f64,
    note: &str,
) -> Row {
    Row {
        claim: claim.to_owned(),
        source,
        answer: format!(
            "{planner:.2} GiB ({:+.1}%){note}",
            (planner / published - 1.0) * 100.0
        ),
        agrees: (planner / published - 1.0).abs() <= tolerance,
    }
}

/// Per-GPU figures the engines logged.
fn logged_figures() -> Vec<Row> {
    let r1 = model("deepseek-r1");
    let gib = |bytes: u64| bytes as f64 / GIB;
    let tp8 = weight_share(
        &r1,
        WeightForm::Original,
        &Layout::tensor_parallel(Engine::Vllm, 8),
        0,
    );
    // vllm-project/vllm#13074: TP 8 × PP 2 on H20-3e (139.72 GiB), utilization 1.00, V0's
    // chunked-prefill budget of 2048 tokens.
    let pp = Layout {
        pp: 2,
        ..Layout::tensor_parallel(Engine::Vllm, 8)
    };
    let stage0 = gib(weight_share(&r1, WeightForm::Original, &pp, 0).total());
    let act = gib(activation_bytes(&r1, &pp, 2048));
    // sgl-project/sglang#3416: 8× H200, TP 8: "Load weight end … avail mem=58.12 GB" of the
    // 140.4 GiB SGLang sees.
    let sg = Layout::tensor_parallel(Engine::Sglang, 8);
    let loaded = gib(weight_share(&r1, WeightForm::Original, &sg, 0).total() + runtime_bytes(&sg));
    let h200 = gib(parse_server_spec("8x H200")
        .expect("preset")
        .gpu
        .memory_bytes);
    let mut rows = vec![
        figure(
            "DeepSeek-R1 FP8 at TP 8: 79.41 GiB of weights per device (vLLM)",
            "HabanaAI/vllm-fork#809 (\"Pre-loading model weights on hpu:0 took 79.41 GiB\")",
            gib(tp8.total()),
            79.41,
            0.03,
            "",
        ),
        figure(
            "DeepSeek-R1 FP8 at TP 8 × PP 2, first stage: model weights take 39.66 GiB (vLLM 0.7.2)",
            "vllm-project/vllm#13074",
            stage0,
            39.66,
            0.03,
            "; likely cause: vLLM 0.7's MLA also precomputed absorbed matrices later versions dropped",
        ),
        figure(
            "the same run: PyTorch activation peak memory takes 0.24 GiB",
            "vllm-project/vllm#13074",
            act,
            0.24,
            0.05,
            "",
        ),
        figure(
            "the same run: the rest of the memory reserved for KV Cache is 97.29 GiB",
            "vllm-project/vllm#13074",
            139.72 - stage0 - gib(runtime_bytes(&pp)) - act,
            97.29,
            0.03,
            "",
        ),
        figure(
            &format!(
                "DeepSeek-V3 FP8 at TP 8 on H200: {:.2} GiB used once the weights are loaded (SGLang)",
                h200 - 58.12
            ),
            "sgl-project/sglang#3416 (\"Load weight end … avail mem=58.12 GB\")",
            loaded,
            h200 - 58.12,
            0.03,
            " for weights and runtime",
        ),
    ];
    // sgl-project/sglang#3196 (January 2025): nvidia-smi 124585MiB of 143771MiB used, when
    // SGLang's default fraction at TP 8 was 0.81 (server_args.py of that time).
    let static_mib = 0.81 * 143_771.0;
    rows.push(Row {
        claim: "DeepSeek-V3 at TP 8 on 8× H200: nvidia-smi shows 124,585 MiB used (SGLang, default settings of January 2025)".into(),
        source: "sgl-project/sglang#3196",
        answer: format!(
            "weights + cache pool at that default fraction 0.81: {static_mib:.0} MiB; the other {:.0} MiB are CUDA graphs, activations and the CUDA context, outside the fraction as planned",
            124_585.0 - static_mib
        ),
        agrees: static_mib < 124_585.0,
    });
    rows
}

/// The overview's notes on R1-Distill 32B and 70B against the planner at BF16 and FP8.
fn distill_notes() -> Vec<Row> {
    let cases: [(&str, &str, &[&str]); 2] = [
        (
            "deepseek-r1-distill-qwen-32b",
            "32B, FP16 ~64 GB: \"Requires professional-grade GPUs or multi-GPU setup\"",
            &[
                "1x RTX 4090",
                "2x RTX 4090",
                "1x L40S",
                "2x L40S",
                "1x A100",
                "1x H100",
            ],
        ),
        (
            "deepseek-r1-distill-llama-70b",
            "70B, FP16 ~140 GB: \"Needs multi-GPU deployment (e.g., 2-4× A100 or H100)\"",
            &[
                "1x H200",
                "2x A100",
                "4x A100",
                "2x H100",
                "4x H100",
                "4x A100 40GB",
            ],
        ),
    ];
    let mut rows = Vec::new();
    for (id, note, specs) in cases {
        let m = model(id);
        for spec in specs {
            for form in [WeightForm::Original, WeightForm::Fp8OnLoad] {
                let p = plan_on(&m, spec, form, TABLE_CTX);
                let single = p.spec.total_gpus() == 1;
                let consumer = p.spec.gpu.name.starts_with("RTX");
                let starts = p.working().next().is_some();
                // BF16 must not start on a consumer card alone; where the note says multi-GPU
                // (70B), not on one GPU either.
                let agrees = form != WeightForm::Original
                    || !starts
                    || !(single && (consumer || id.ends_with("70b")));
                rows.push(Row {
                    claim: format!("{} {} on {}", m.name, form.label(&m), p.spec.label()),
                    source: note_source(note),
                    answer: best_words(&p),
                    agrees,
                });
            }
        }
    }
    rows
}

fn note_source(note: &str) -> &'static str {
    if note.starts_with("32B") {
        "DeepSeek model overview, R1-Distill table, 32B: \"Requires professional-grade GPUs or multi-GPU setup\""
    } else {
        "DeepSeek model overview, R1-Distill table, 70B: \"Needs multi-GPU deployment (e.g., 2-4× A100 or H100)\""
    }
}

/// Every row, in the document's order.
pub fn rows() -> Vec<Row> {
    let mut all = sglang_table();
    all.extend(logged_figures());
    all.extend(distill_notes());
    all
}

/// docs/server-plans.md.
pub fn markdown(rows: &[Row]) -> String {
    let agree = rows.iter().filter(|r| r.agrees).count();
    let mut out = format!(
        "# Server plans against the engines' published figures\n\nGenerated by `make server-plans` from `seekdeck::verify::server_plans`; `tests/server_plans.rs` holds every row. The planner (`seekdeck plan MODEL --cluster SPEC`) is asked each published question; hardware rows are planned at {TABLE_CTX} tokens of context, BF16 cache, the engines' default memory shares (raised to SGLang's 0.9 or vLLM's 0.95 only where the default leaves no room, as the engines' own examples do).\n\n{agree} of {} rows agree.\n\n| claim | source | seekdeck's plan | agrees |\n|---|---|---|---|\n",
        rows.len()
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            r.claim,
            r.source,
            r.answer.replace('|', "\\|"),
            if r.agrees { "yes" } else { "**no**" }
        ));
    }
    out.push_str("\n## Findings\n\n- vLLM 0.7.2's first pipeline stage of R1 held 39.66 GiB of weights (vllm-project/vllm#13074); the planner counts 2.8% less. The likely cause: vLLM 0.7's MLA also precomputed absorbed matrices that later versions dropped (the planner counts only the BF16 `W_UK`/`W_UV` copies both engines keep today); the same planner figure at TP 8 is 0.2% over vLLM's 79.41 GiB (HabanaAI/vllm-fork#809).\n- SGLang's default `--mem-fraction-static` on an H20 (0.848 at TP 8) leaves R1's FP8 weights no cache; SGLang's own H20 example passes 0.9, and the planner raises the share to that, saying so.\n- With FP8 quantized on load, one H200 serves R1-Distill-Llama-70B: the overview's \"multi-GPU\" note is about FP16.\n");
    out
}
