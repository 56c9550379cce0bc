//! Plans a GPU-server deployment of a catalog model for vLLM or SGLang: each layout the engines
//! offer on the server ([`layout`]), the weights of its heaviest GPU by part ([`weights`]), the
//! engine's division of that GPU and the key/value pool it leaves ([`engine_memory`]), the
//! verdict, the best layouts ranked, and the commands that start them ([`commands`]).
//! Pure: no I/O; every constant names the engine source or report it comes from.

pub mod commands;
pub mod engine_memory;
pub mod layout;
pub mod weights;

use crate::catalog::Model;
use crate::format::{format_bytes, group_digits, plural};
use crate::hardware::server_spec::ServerSpec;
use engine_memory::{
    engine_budget, gpu_budget, kv_bytes_per_token, EngineBudget, GpuBudget, KvDtype,
};
use layout::{candidates, impossible, Engine, Layout};
use weights::{checkpoint, unsupported, weight_share, Checkpoint, WeightForm, WeightShare};

/// What to plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRequest {
    /// One engine, or both.
    pub engine: Option<Engine>,
    /// The weight form.
    pub form: WeightForm,
    /// Context length one sequence must reach (0: the model's trained context).
    pub ctx: u32,
    /// The key/value cache's element type.
    pub kv: KvDtype,
}

impl Default for PlanRequest {
    fn default() -> Self {
        Self {
            engine: None,
            form: WeightForm::Original,
            ctx: 0,
            kv: KvDtype::Auto,
        }
    }
}

/// One GPU of a layout (the one that binds: the pipeline stage with the fewest cache tokens).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct GpuPlan {
    /// Its weights by part.
    pub weights: WeightShare,
    /// Blocks on it.
    pub layers: u32,
    /// Cache bytes per token on it.
    pub kv_per_token: u64,
    /// How the engine divides its memory.
    pub budget: GpuBudget,
    /// Tokens its cache pool holds.
    pub pool_tokens: u64,
}

/// What a layout does with the model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Verdict {
    /// It serves the requested context: `sequences` of that length at once (all caches), and
    /// one sequence up to `max_context`.
    Serves {
        /// Longest context of one sequence.
        max_context: u64,
        /// Sequences of the requested context held at once.
        sequences: u64,
    },
    /// The weights fit but the cache holds only `max_context` tokens, less than requested.
    ShortContext {
        /// Longest context of one sequence.
        max_context: u64,
    },
    /// The weights and the runtime leave no room: `over` bytes too many on the binding GPU.
    DoesNotFit {
        /// Bytes missing.
        over: u64,
    },
    /// The layout cannot run this model in this form at all.
    Impossible(String),
}

impl Verdict {
    /// The verdict in words, for `ctx` requested tokens.
    pub fn words(&self, ctx: u64) -> String {
        match self {
            Self::Serves {
                max_context,
                sequences,
            } => format!(
                "serves {} of {} tokens at once (one sequence up to {})",
                plural(*sequences as usize, "sequence"),
                group_digits(ctx),
                group_digits(*max_context)
            ),
            Self::ShortContext { max_context } => format!(
                "starts, but its cache holds {} tokens, less than the {} asked for",
                group_digits(*max_context),
                group_digits(ctx)
            ),
            Self::DoesNotFit { over } => format!(
                "does not fit: the weights and the runtime need {} more per GPU",
                format_bytes(*over)
            ),
            Self::Impossible(why) => format!("cannot run: {why}"),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Self::Serves { .. } => 0,
            Self::ShortContext { .. } => 1,
            Self::DoesNotFit { .. } => 2,
            Self::Impossible(_) => 3,
        }
    }

    /// Whether the layout starts and serves at least one sequence.
    pub fn starts(&self) -> bool {
        self.rank() < 2
    }
}

/// One layout's plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LayoutPlan {
    /// The layout.
    pub layout: Layout,
    /// The engine's defaults on this GPU.
    pub budget: EngineBudget,
    /// The binding GPU (absent when the layout is impossible).
    pub gpu: Option<GpuPlan>,
    /// The verdict.
    pub verdict: Verdict,
    /// The engine's default share when the plan raised it to start the layout (`budget`
    /// holds the raised one).
    pub raised_from: Option<f64>,
}

impl LayoutPlan {
    fn impossible(layout: Layout, budget: EngineBudget, reason: String) -> Self {
        Self {
            layout,
            budget,
            gpu: None,
            verdict: Verdict::Impossible(reason),
            raised_from: None,
        }
    }
}

/// The engines' share when their default leaves too little: SGLang's own DeepSeek example on
/// 8× H20 passes `--mem-fraction-static 0.9` (docs, basic_usage/deepseek_v3, function
/// calling); vLLM's DeepSeek-V3-AWQ card passes `--gpu-memory-utilization 0.95`.
fn raised_fraction(engine: Engine) -> f64 {
    match engine {
        Engine::Vllm => 0.95,
        Engine::Sglang => 0.9,
    }
}

/// The most a default share is raised by.
const MAX_RAISE: f64 = 0.1;

/// A whole plan: every layout, best first.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServerPlan {
    /// The model's id.
    pub model_id: String,
    /// The server.
    pub spec: ServerSpec,
    /// The weight form asked for.
    pub form: WeightForm,
    /// Its checkpoint, or why none is published.
    pub checkpoint: Result<Checkpoint, String>,
    /// The context one sequence must reach.
    pub ctx: u64,
    /// The key/value cache's type.
    pub kv: KvDtype,
    /// Every layout, the ones that serve first (most sequences first), then the failures.
    pub layouts: Vec<LayoutPlan>,
}

impl GpuPlan {
    /// One GPU's memory in words: weights by part, runtime, activations, cache pool.
    pub fn words(&self) -> String {
        let w = &self.weights;
        let mut parts = vec![
            ("attention", w.attention),
            ("experts", w.experts),
            ("dense + shared", w.dense),
            ("embedding + output", w.vocab),
            ("replicated", w.replicated),
            ("MLA copies", w.absorbed_mla),
        ];
        parts.retain(|(_, b)| *b > 0);
        let parts: Vec<String> = parts
            .into_iter()
            .map(|(name, b)| format!("{name} {}", format_bytes(b)))
            .collect();
        let b = &self.budget;
        let mut out = format!(
            "weights {} ({}), runtime {}",
            format_bytes(w.total()),
            parts.join(", "),
            format_bytes(b.runtime)
        );
        if b.activations > 0 {
            out.push_str(&format!(", activations {}", format_bytes(b.activations)));
        }
        out.push_str(&format!(
            "; cache {} = {} tokens at {} bytes each ({} blocks); engine share {} of {}",
            format_bytes(u64::try_from(b.kv_pool).unwrap_or(0)),
            group_digits(self.pool_tokens),
            group_digits(self.kv_per_token),
            self.layers,
            format_bytes(b.engine_limit),
            format_bytes(b.total)
        ));
        out
    }
}

impl ServerPlan {
    /// The layouts that start, best first.
    pub fn working(&self) -> impl Iterator<Item = &LayoutPlan> {
        self.layouts.iter().filter(|l| l.verdict.starts())
    }
}

/// Plans `model` on `spec`.
pub fn plan(model: &Model, spec: &ServerSpec, request: PlanRequest) -> ServerPlan {
    let ctx = if request.ctx == 0 {
        u64::from(model.architecture.context_tokens)
    } else {
        u64::from(request.ctx)
    };
    let checkpoint = checkpoint(model, request.form);
    let engines: Vec<Engine> = request.engine.map_or(Engine::ALL.to_vec(), |e| vec![e]);
    let inputs = Inputs {
        model,
        spec,
        request: &request,
        checkpoint: &checkpoint,
        ctx,
    };
    let mut layouts: Vec<(usize, LayoutPlan)> = engines
        .into_iter()
        .flat_map(|e| candidates(model, spec, e))
        .enumerate()
        .map(|(i, layout)| (i, plan_layout(&inputs, layout)))
        .collect();
    layouts.sort_by_key(|(i, l)| {
        let (context, sequences) = match l.verdict {
            Verdict::Serves {
                max_context,
                sequences,
            } => (max_context, sequences),
            Verdict::ShortContext { max_context } => (max_context, 0),
            _ => (0, 0),
        };
        (
            l.verdict.rank(),
            std::cmp::Reverse(sequences),
            std::cmp::Reverse(context),
            *i,
        )
    });
    ServerPlan {
        model_id: model.id.clone(),
        spec: *spec,
        form: request.form,
        checkpoint,
        ctx,
        kv: request.kv,
        layouts: layouts.into_iter().map(|(_, l)| l).collect(),
    }
}

/// What every layout of one plan is planned with.
struct Inputs<'a> {
    model: &'a Model,
    spec: &'a ServerSpec,
    request: &'a PlanRequest,
    checkpoint: &'a Result<Checkpoint, String>,
    ctx: u64,
}

fn plan_layout(inputs: &Inputs, layout: Layout) -> LayoutPlan {
    let budget = engine_budget(layout.engine, &inputs.spec.gpu, &layout);
    let first = plan_with(inputs, layout, budget);
    let raised = raised_fraction(layout.engine);
    // Only a default close below the engines' own examples is raised: a far smaller one (SGLang
    // with DP attention over many GPUs) reserves for CUDA graphs the engine will really take.
    if matches!(
        first.verdict,
        Verdict::Serves { .. } | Verdict::Impossible(_)
    ) || budget.fraction >= raised
        || raised - budget.fraction > MAX_RAISE
    {
        return first;
    }
    let second = plan_with(
        inputs,
        layout,
        EngineBudget {
            fraction: raised,
            ..budget
        },
    );
    if second.verdict.rank() < first.verdict.rank()
        || matches!((&first.verdict, &second.verdict), (Verdict::ShortContext { max_context: a }, Verdict::ShortContext { max_context: b }) if b > a)
    {
        LayoutPlan {
            raised_from: Some(budget.fraction),
            ..second
        }
    } else {
        first
    }
}

fn plan_with(inputs: &Inputs, layout: Layout, budget: EngineBudget) -> LayoutPlan {
    let Inputs {
        model,
        spec,
        request,
        checkpoint,
        ctx,
    } = *inputs;
    let refusal = checkpoint
        .as_ref()
        .err()
        .cloned()
        .or_else(|| {
            unsupported(
                request.form,
                model,
                spec.gpu.generation,
                layout.engine == Engine::Sglang,
            )
        })
        .or_else(|| impossible(model, request.form, &layout, spec));
    if let Some(reason) = refusal {
        return LayoutPlan::impossible(layout, budget, reason);
    }
    let binding = (0..layout.pp)
        .map(|stage| {
            let layers = layout.stage_layers(model.architecture.layers, stage).len() as u32;
            let weights = weight_share(model, request.form, &layout, stage);
            let kv_per_token = kv_bytes_per_token(model, &layout, u64::from(layers), request.kv);
            let gpu_budget = gpu_budget(model, &layout, &spec.gpu, &budget, weights.total());
            let pool_tokens = u64::try_from(gpu_budget.kv_pool).unwrap_or(0) / kv_per_token.max(1);
            GpuPlan {
                weights,
                layers,
                kv_per_token,
                budget: gpu_budget,
                pool_tokens,
            }
        })
        .min_by_key(|g| (g.pool_tokens, std::cmp::Reverse(g.weights.total())));
    let Some(binding) = binding else {
        return LayoutPlan::impossible(layout, budget, "no pipeline stage".into());
    };
    let trained = u64::from(model.architecture.context_tokens);
    let verdict = if binding.budget.kv_pool <= 0 {
        Verdict::DoesNotFit {
            over: binding.budget.kv_pool.unsigned_abs(),
        }
    } else if binding.pool_tokens >= ctx {
        Verdict::Serves {
            max_context: binding.pool_tokens.min(trained),
            sequences: binding.pool_tokens / ctx.max(1) * u64::from(layout.kv_pools()),
        }
    } else {
        Verdict::ShortContext {
            max_context: binding.pool_tokens,
        }
    };
    LayoutPlan {
        layout,
        budget,
        gpu: Some(binding),
        verdict,
        raised_from: None,
    }
}

#[cfg(test)]
mod tests;
