//! The card's "Server plan" in the window, through egui_kittest: the best layouts of R1 on the
//! default 8× H200 with their commands, Connect filling in the server form, and another server
//! picked from the presets changing the plan (FP8 R1 on one 8× H100 node: nothing starts, and
//! why).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use egui_kittest::kittest::Queryable;
use support::{app_harness, card_of};

#[test]
fn the_server_plan_ranks_layouts_gives_commands_and_follows_the_server() {
    let mut h = app_harness(card_of("deepseek-r1"), "24GiB GPU, 64GiB RAM");
    h.run_ok();
    let header = "Server plan: vLLM or SGLang on a GPU server";
    h.get_by_label(header).scroll_to_me();
    h.run_ok();
    h.get_by_label(header).click();
    h.run_ok();
    let plan = h.state().views.server_plan.clone().unwrap();
    let p = plan.plan.as_ref().unwrap();
    assert_eq!(p.spec.label(), "8× H200 141GB");
    let best = &p.layouts[0];
    assert!(best.verdict.starts());
    h.get_by_label_contains("Weights: deepseek-ai/DeepSeek-R1");
    let title = format!("1. {} {}", best.layout.engine.name(), best.layout.label());
    h.get_by_label(&title);
    assert!(h.get_all_by_label_contains("Per GPU: weights ").count() >= 2);
    // The best layout's commands (shown open), and Connect: the server form, filled in with its
    // base URL.
    let base_url = plan.commands[0].as_ref().unwrap().base_url.clone();
    let node0 = &plan.commands[0].as_ref().unwrap().nodes[0];
    assert!(node0.contains("--reasoning-parser"), "{node0}");
    h.get_by_label(&format!("serves {base_url}")).scroll_to_me();
    h.run_ok();
    h.get_by_label_contains(node0);
    assert!(h.get_all_by_label("Copy").count() >= 1);
    h.get_all_by_label("Connect").next().unwrap().click();
    h.run_ok();
    let form = &h.state().servers.form;
    assert!(form.open);
    assert_eq!(form.address, base_url);
    assert!(form.name.starts_with("DeepSeek-R1 "), "{}", form.name);

    // Another server from the presets: one 8× H100 node holds no FP8 R1.
    h.get_by_label("Server").scroll_to_me();
    h.run_ok();
    h.get_by_label("Server").click();
    h.run_ok();
    h.get_by_label("8× H100").click();
    h.run_ok();
    assert_eq!(h.state().state.server_plan.spec, "8x H100");
    h.get_by_label("No layout starts on 8× H100 80GB.");
    h.get_by_label_contains("Why the other");
}
