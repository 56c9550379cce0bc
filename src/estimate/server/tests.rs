//! Hand-worked per-GPU figures: one MoE-MLA layout (DeepSeek-V3 FP8 at TP 8 on vLLM) and one
//! dense GQA layout (R1-Distill-Llama-70B BF16 at TP 4), each term written out from the
//! models' config.json, and the published figures they must meet.

use super::engine_memory::KvDtype;
use super::layout::{Engine, Layout};
use super::weights::{weight_share, WeightForm};
use super::*;
use crate::catalog::builtin_model;
use crate::hardware::server_spec::parse_server_spec;

const GIB: f64 = (1u64 << 30) as f64;

fn tp(engine: Engine, tp: u32) -> Layout {
    Layout::tensor_parallel(engine, tp)
}

/// FP8 weights `[input, output, n]` with one f32 scale per 128 × 128 block.
fn fp8(i: u64, o: u64, n: u64) -> u64 {
    i * o * n + i.div_ceil(128) * o.div_ceil(128) * n * 4
}

#[test]
fn deepseek_v3_fp8_at_tp_8_by_hand() {
    let v3 = builtin_model("deepseek-v3").unwrap();
    let layout = tp(Engine::Vllm, 8);
    let share = weight_share(&v3, WeightForm::Original, &layout, 0);
    // 61 blocks of MLA, split by heads (128 / 8 = 16 per GPU): q_b 1536 → 16 × 192, k_b and
    // v_b 16 heads of 128 × 512, o_proj 16 × 128 → 7168.
    let attention =
        61 * (fp8(1536, 3072, 1) + fp8(128, 512, 16) + fp8(512, 128, 16) + fp8(2048, 7168, 1));
    assert_eq!(share.attention, attention);
    // Kept whole: q_a 7168 → 1536, kv_a 7168 → 576 (FP8), the four norms (BF16), and in the 58
    // MoE blocks the router 7168 × 256 (BF16) and its f32 bias; the final norm.
    let norms = (7168 + 1536 + 512 + 7168) * 2;
    let replicated = 61 * (fp8(7168, 1536, 1) + fp8(7168, 576, 1) + norms)
        + 58 * (7168 * 256 * 2 + 256 * 4)
        + 7168 * 2;
    assert_eq!(share.replicated, replicated);
    // Routed experts split inside each expert: 2048 / 8 = 256 wide.
    let experts = 58 * (2 * fp8(7168, 256, 256) + fp8(256, 7168, 256));
    assert_eq!(share.experts, experts);
    // Three dense blocks (18432 / 8 = 2304) and one shared expert per MoE block (2048 / 8).
    let dense = 3 * (2 * fp8(7168, 2304, 1) + fp8(2304, 7168, 1))
        + 58 * (2 * fp8(7168, 256, 1) + fp8(256, 7168, 1));
    assert_eq!(share.dense, dense);
    // Embedding and output layer in BF16, 129280 / 8 = 16160 rows each.
    assert_eq!(share.vocab, 2 * 7168 * 16160 * 2);
    // The absorbed MLA copies: 16 heads × 512 × (128 + 128) in BF16, per block.
    assert_eq!(share.absorbed_mla, 61 * 16 * 512 * 256 * 2);
    // vLLM's HPU port reports 79.41 GiB of weights per device for R1 at TP 8
    // (HabanaAI/vllm-fork#809): within 0.5%.
    let total = share.total() as f64 / GIB;
    assert!((total / 79.41 - 1.0).abs() < 0.005, "{total:.2} GiB");

    // The cache: 61 × (512 + 64) × 2 bytes a token on every GPU. On an H200 (143771 MiB) vLLM
    // may fill 0.9 of it, less the runtime's 2.53 GiB and 8192 tokens of activations:
    // 8192 × (16 × 7168 + 6 × 2304).
    let spec = parse_server_spec("8x H200").unwrap();
    let p = plan(
        &v3,
        &spec,
        PlanRequest {
            engine: Some(Engine::Vllm),
            ctx: 32768,
            ..PlanRequest::default()
        },
    );
    let l = p.layouts.iter().find(|l| l.layout == layout).unwrap();
    let g = l.gpu.unwrap();
    assert_eq!(g.kv_per_token, 61 * 576 * 2);
    let limit = (143_771u64 * (1 << 20)) as f64 * 0.9;
    let activations = 8192 * (16 * 7168 + 6 * 2304);
    let runtime = 2_530 * (1u64 << 30) / 1_000;
    let pool = limit as u64 - share.total() - runtime - activations;
    assert_eq!(g.pool_tokens, pool / (61 * 576 * 2));
    assert_eq!(
        l.verdict,
        Verdict::Serves {
            max_context: 163_840,
            sequences: pool / (61 * 576 * 2) / 32768
        }
    );
}

#[test]
fn distill_llama_70b_bf16_at_tp_4_by_hand() {
    let m = builtin_model("deepseek-r1-distill-llama-70b").unwrap();
    let layout = tp(Engine::Vllm, 4);
    let share = weight_share(&m, WeightForm::Original, &layout, 0);
    // 80 blocks: q 8192 → 64 × 128 / 4, k and v 8192 → 8 × 128 / 4 (two key/value heads per
    // GPU), o 2048 → 8192; gate and up 8192 → 28672 / 4, down 7168 → 8192; BF16.
    assert_eq!(
        share.attention,
        80 * (8192 * 2048 + 2 * 8192 * 256 + 2048 * 8192) * 2
    );
    assert_eq!(share.dense, 80 * 3 * 8192 * 7168 * 2);
    assert_eq!(share.vocab, 2 * 8192 * (128_256 / 4) * 2);
    assert_eq!(share.replicated, (80 * 2 + 1) * 8192 * 2);
    assert_eq!((share.experts, share.absorbed_mla), (0, 0));
    // About a quarter of the 70.6B parameters in BF16: 32.9 GiB.
    let total = share.total() as f64 / GIB;
    assert!((total - 32.9).abs() < 0.1, "{total:.2}");
    // Two key/value heads of 128 per GPU, 80 blocks, key and value, BF16.
    let spec = parse_server_spec("4x H100").unwrap();
    let p = plan(
        &m,
        &spec,
        PlanRequest {
            engine: Some(Engine::Vllm),
            ctx: 32768,
            kv: KvDtype::Auto,
            ..PlanRequest::default()
        },
    );
    let g = p
        .layouts
        .iter()
        .find(|l| l.layout == layout)
        .unwrap()
        .gpu
        .unwrap();
    assert_eq!(g.kv_per_token, 2 * 2 * 128 * 80 * 2);
}

#[test]
fn pipeline_stages_put_the_embedding_first_and_the_output_last() {
    let r1 = builtin_model("deepseek-r1").unwrap();
    let layout = Layout {
        pp: 2,
        ..tp(Engine::Vllm, 8)
    };
    let first = weight_share(&r1, WeightForm::Original, &layout, 0);
    let last = weight_share(&r1, WeightForm::Original, &layout, 1);
    assert_eq!(first.vocab, 7168 * 16160 * 2);
    assert_eq!(last.vocab, 7168 * 16160 * 2);
    // vllm-project/vllm#13074 (R1, TP 8 × PP 2 on H20): "model weights take 39.66GiB" on the
    // head node's GPUs, the first stage (blocks 0–30). This is 2.8% less: vLLM 0.7.2 kept
    // larger absorbed MLA matrices than today's (docs/server-plans.md).
    let stage0 = first.total() as f64 / GIB;
    assert!((stage0 / 39.66 - 1.0).abs() < 0.03, "{stage0:.2}");
    assert!(
        last.total() > first.total(),
        "the last stage has 30 MoE blocks to the first's 28"
    );
}

#[test]
fn fp8_v3_never_starts_on_one_8x_h100_node() {
    // SGLang's DeepSeek docs list FP8 on 2 × 8 × H100, never on one node; InternLM/lmdeploy#2960
    // ran out of memory on 8 × H800.
    let r1 = builtin_model("deepseek-r1").unwrap();
    for spec in ["8x H100", "8x H800"] {
        let p = plan(
            &r1,
            &parse_server_spec(spec).unwrap(),
            PlanRequest::default(),
        );
        assert_eq!(p.working().count(), 0, "{spec}");
    }
}
