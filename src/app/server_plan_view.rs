//! The card's "Server plan" part: the server, engine, weights, context and cache type the user
//! picked (remembered, as words so an old or hand-edited state cannot fail to load), and the
//! plan with each working layout's commands, computed when one of them or the model changes.

use crate::catalog::Model;
use crate::estimate::server::commands::{commands, Commands};
use crate::estimate::server::engine_memory::KvDtype;
use crate::estimate::server::layout::Engine;
use crate::estimate::server::weights::WeightForm;
use crate::estimate::server::{plan, PlanRequest, ServerPlan, Verdict};
use crate::hardware::server_spec::{parse_server_spec, SERVER_PRESETS};
use serde::{Deserialize, Serialize};

/// What the user picked for the server plan (the same for every model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerPlanChoice {
    /// The server spec, e.g. `8x H200`; empty: the smallest preset that serves the model.
    pub spec: String,
    /// `vllm`, `sglang`, or empty for both.
    pub engine: String,
    /// The weight form's `--dtype` word.
    pub dtype: String,
    /// Context one sequence must reach (0: the model's trained context).
    pub ctx: u32,
    /// An FP8 key/value cache.
    pub kv_fp8: bool,
}

impl Default for ServerPlanChoice {
    fn default() -> Self {
        Self {
            spec: String::new(),
            engine: String::new(),
            dtype: WeightForm::Original.flag().to_owned(),
            ctx: 0,
            kv_fp8: false,
        }
    }
}

impl ServerPlanChoice {
    /// The engine picked, if one.
    pub fn engine(&self) -> Option<Engine> {
        Engine::parse(&self.engine)
    }

    /// The weight form picked (the original when the word is unknown).
    pub fn form(&self) -> WeightForm {
        WeightForm::parse(&self.dtype).unwrap_or(WeightForm::Original)
    }
}

/// The computed part.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerPlanView {
    /// What it was computed for.
    pub choice: ServerPlanChoice,
    /// The plan, or why the spec does not parse.
    pub plan: Result<ServerPlan, String>,
    /// Each layout's commands (same order as the plan's layouts; `None` where it does not start).
    pub commands: Vec<Option<Commands>>,
    /// With no server picked, the preset chosen: the smallest that serves the model.
    pub smallest: Option<&'static str>,
}

/// The plan of `model` for `choice`; with no server picked, on the smallest preset (fewest
/// bytes of GPU memory in all) where a layout serves the model at the context asked, else the
/// largest.
pub(crate) fn server_plan_view(model: &Model, choice: &ServerPlanChoice) -> ServerPlanView {
    let request = PlanRequest {
        engine: choice.engine(),
        form: choice.form(),
        ctx: choice.ctx,
        kv: if choice.kv_fp8 {
            KvDtype::Fp8
        } else {
            KvDtype::Auto
        },
    };
    let (plan, smallest) = if choice.spec.trim().is_empty() {
        match smallest_serving(model, request) {
            Some((label, plan)) => (Ok(plan), Some(label)),
            None => (Err("no server preset could be read".to_owned()), None),
        }
    } else {
        let plan = parse_server_spec(&choice.spec)
            .map_err(|e| e.to_string())
            .map(|spec| plan(model, &spec, request));
        (plan, None)
    };
    let commands = plan
        .as_ref()
        .map(|p| {
            p.layouts
                .iter()
                .map(|l| commands(model, p, l, None))
                .collect()
        })
        .unwrap_or_default();
    ServerPlanView {
        choice: choice.clone(),
        plan,
        commands,
        smallest,
    }
}

/// The smallest preset on which a layout serves `model`, and its plan (the largest preset's
/// when none does).
fn smallest_serving(model: &Model, request: PlanRequest) -> Option<(&'static str, ServerPlan)> {
    let mut presets: Vec<_> = SERVER_PRESETS
        .iter()
        .filter_map(|p| {
            let spec = parse_server_spec(p.spec).ok()?;
            let bytes = u64::from(spec.total_gpus()) * spec.gpu.memory_bytes;
            Some((bytes, p.label, spec))
        })
        .collect();
    presets.sort_by_key(|(bytes, _, _)| *bytes);
    let mut last = None;
    for (_, label, spec) in presets {
        let p = plan(model, &spec, request);
        if p.layouts
            .iter()
            .any(|l| matches!(l.verdict, Verdict::Serves { .. }))
        {
            return Some((label, p));
        }
        last = Some((label, p));
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_model;

    #[test]
    fn a_bad_spec_is_its_sentence_and_an_unknown_word_the_default() {
        let r1 = builtin_model("deepseek-r1").unwrap();
        let v = server_plan_view(
            &r1,
            &ServerPlanChoice {
                spec: "8x V100".into(),
                ..Default::default()
            },
        );
        assert!(v.plan.unwrap_err().contains("no GPU \"v100\""));
        let v = server_plan_view(
            &r1,
            &ServerPlanChoice {
                dtype: "fp3".into(),
                engine: "tgi".into(),
                ..Default::default()
            },
        );
        let p = v.plan.unwrap();
        assert_eq!(p.form, WeightForm::Original);
        assert_eq!(v.commands.len(), p.layouts.len());
        assert!(v.commands[0].is_some());
    }

    /// With no server picked, the plan starts from the smallest preset that serves the model:
    /// not 8× H200 for a 1.5B model; for R1, a preset that serves it while every smaller one
    /// does not.
    #[test]
    fn the_plan_starts_from_the_smallest_server_that_serves_the_model() {
        let serves = |p: &ServerPlan| {
            p.layouts
                .iter()
                .any(|l| matches!(l.verdict, Verdict::Serves { .. }))
        };
        let memory = |spec: &str| {
            let s = parse_server_spec(spec).unwrap();
            u64::from(s.total_gpus()) * s.gpu.memory_bytes
        };
        for id in ["deepseek-r1-distill-qwen-1.5b", "deepseek-r1"] {
            let m = builtin_model(id).unwrap();
            let v = server_plan_view(&m, &ServerPlanChoice::default());
            let label = v.smallest.unwrap();
            let plan = v.plan.unwrap();
            assert!(serves(&plan), "{id} on {label}");
            let chosen = memory(
                SERVER_PRESETS
                    .iter()
                    .find(|p| p.label == label)
                    .unwrap()
                    .spec,
            );
            for p in SERVER_PRESETS.iter().filter(|p| memory(p.spec) < chosen) {
                let smaller = server_plan_view(
                    &m,
                    &ServerPlanChoice {
                        spec: p.spec.into(),
                        ..Default::default()
                    },
                );
                assert!(
                    !serves(&smaller.plan.unwrap()),
                    "{id}: {} serves it too",
                    p.label
                );
            }
            if id == "deepseek-r1-distill-qwen-1.5b" {
                assert_ne!(label, "8× H200");
            }
        }
    }
}
