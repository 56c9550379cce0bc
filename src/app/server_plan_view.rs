//! The card's "Server plan" part: the server, engine, weights, context and cache type the user
//! picked (remembered, as words so an old or hand-edited state cannot fail to load), and the
//! plan with each working layout's commands, computed when one of them or the model changes.

use crate::catalog::Model;
use crate::estimate::server::commands::{commands, Commands};
use crate::estimate::server::engine_memory::KvDtype;
use crate::estimate::server::layout::Engine;
use crate::estimate::server::weights::WeightForm;
use crate::estimate::server::{plan, PlanRequest, ServerPlan};
use crate::hardware::server_spec::{parse_server_spec, SERVER_PRESETS};
use serde::{Deserialize, Serialize};

/// What the user picked for the server plan (the same for every model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerPlanChoice {
    /// The server spec, e.g. `8x H200`.
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
            spec: SERVER_PRESETS[0].spec.to_owned(),
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
}

/// The plan of `model` for `choice`.
pub(crate) fn server_plan_view(model: &Model, choice: &ServerPlanChoice) -> ServerPlanView {
    let plan = parse_server_spec(&choice.spec)
        .map_err(|e| e.to_string())
        .map(|spec| {
            plan(
                model,
                &spec,
                PlanRequest {
                    engine: choice.engine(),
                    form: choice.form(),
                    ctx: choice.ctx,
                    kv: if choice.kv_fp8 {
                        KvDtype::Fp8
                    } else {
                        KvDtype::Auto
                    },
                },
            )
        });
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
    }
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
}
