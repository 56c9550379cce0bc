//! The server planner agrees with every figure the engines' documents and issue trackers
//! publish (the rows of docs/server-plans.md), and `seekdeck plan` prints and refuses as a user
//! expects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use seekdeck::verify::server_plans::rows;
use support::seekdeck;

#[test]
fn every_published_figure_agrees() {
    let rows = rows();
    assert!(rows.len() >= 50, "{} rows", rows.len());
    let disagree: Vec<String> = rows
        .iter()
        .filter(|r| !r.agrees)
        .map(|r| format!("{} ({}): {}", r.claim, r.source, r.answer))
        .collect();
    assert!(disagree.is_empty(), "{disagree:#?}");
}

#[test]
fn plan_prints_the_best_layouts_with_commands_that_pin_the_plan() {
    let out = seekdeck(&[
        "plan",
        "deepseek-r1",
        "--cluster",
        "2 nodes x 8x H100, InfiniBand",
        "--engine",
        "sglang",
        "--ctx",
        "32768",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("DeepSeek-R1 on 2 nodes × 8× H100 80GB, InfiniBand"),
        "{text}"
    );
    assert!(text.contains("Best layouts\n1. SGLang "), "{text}");
    // Both nodes' commands, with the head address to set, the context and memory share pinned,
    // R1's reasoning parser, and the URL the chat pane connects to.
    assert!(
        text.contains("export HEAD_IP=<address of node 0>"),
        "{text}"
    );
    for rank in ["--node-rank 0", "--node-rank 1"] {
        assert!(text.contains(rank), "{text}");
    }
    for flag in [
        "--nnodes 2",
        "--dist-init-addr $HEAD_IP:5000",
        "--context-length 32768",
        "--mem-fraction-static 0.",
        "--reasoning-parser deepseek-r1",
        "lmsysorg/sglang:latest",
    ] {
        assert!(text.contains(flag), "{flag}: {text}");
    }
    assert!(
        text.contains("base URL: http://$HEAD_IP:30000/v1"),
        "{text}"
    );
    // The per-GPU breakdown names the parts.
    assert!(
        text.contains("per GPU: weights ")
            && text.contains("experts ")
            && text.contains("tokens at 70,272 bytes each"),
        "{text}"
    );

    // One node: vLLM's command, and the JSON has every layout with its commands.
    let out = seekdeck(&[
        "plan",
        "r1-distill-llama-70b",
        "--cluster",
        "4x H100",
        "--engine",
        "vllm",
        "--json",
        "--head",
        "10.0.0.5",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let layouts = json["plan"]["layouts"].as_array().unwrap();
    assert_eq!(layouts.len(), json["commands"].as_array().unwrap().len());
    let first = &json["commands"][0];
    let cmd = first["nodes"][0].as_str().unwrap();
    assert!(
        cmd.starts_with(
            "vllm serve deepseek-ai/DeepSeek-R1-Distill-Llama-70B --tensor-parallel-size 4"
        ),
        "{cmd}"
    );
    assert!(
        cmd.contains("--gpu-memory-utilization 0.9")
            && cmd.contains("--reasoning-parser deepseek_r1"),
        "{cmd}"
    );
    assert_eq!(first["base_url"], "http://10.0.0.5:8000/v1");
}

#[test]
fn plan_says_why_nothing_fits_and_refuses_bad_input() {
    let out = seekdeck(&["plan", "deepseek-v3", "--cluster", "8x H100"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("No layout starts on this server."), "{text}");
    assert!(
        text.contains("does not fit: the weights and the runtime need"),
        "{text}"
    );
    // FP8 on A100: the reason, not a number.
    let out = seekdeck(&["plan", "deepseek-v3", "--cluster", "2 nodes x 8x A100"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("FP8 weights need FP8 units"), "{text}");
    // A form nobody publishes for this model is said, with no command.
    let out = seekdeck(&[
        "plan",
        "deepseek-v2",
        "--cluster",
        "8x H100",
        "--dtype",
        "nvfp4",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("no NVFP4 checkpoint of DeepSeek-V2"),
        "{text}"
    );
    assert!(!text.contains("vllm serve"), "{text}");
    for args in [
        vec!["plan", "deepseek-r1", "--cluster", "8x V100"],
        vec![
            "plan",
            "deepseek-r1",
            "--cluster",
            "8x H100",
            "--engine",
            "tgi",
        ],
        vec![
            "plan",
            "deepseek-r1",
            "--cluster",
            "8x H100",
            "--dtype",
            "fp3",
        ],
        vec!["plan", "deepseek-r1", "--cluster", "8x H100", "--ctx", "0"],
        vec![
            "plan",
            "deepseek-r1",
            "--cluster",
            "8x H100",
            "--kv-cache-dtype",
            "int2",
        ],
    ] {
        let out = seekdeck(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}
