//! What the caller and an engine host say to each other: one JSON object per line on the host's
//! stdin (requests) and stdout (events). Plain data only; the caller's cancel flags become a
//! `Cancel` line, and errors travel as their kind and their words.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::protocol::{
    EngineError, Event, FinishReason, GenerationStats, Prompt, SamplingParams,
};

/// A request to the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum HostRequest {
    /// Load a GGUF with `offload`'s layers on the cluster's machines (its routed experts in
    /// this PC's RAM with `cpu_moe`), the rest on this one.
    Load {
        /// The GGUF (part 1 of a split model).
        path: PathBuf,
        /// Context length in tokens.
        ctx_tokens: u32,
        /// Layers on the other machines, and `--cpu-moe`.
        offload: crate::estimate::placement::Offload,
        /// The launch's settings.
        #[serde(default)]
        settings: crate::estimate::launch_settings::LaunchSettings,
    },
    /// Answer.
    Generate {
        /// The caller's id.
        id: u64,
        /// What to answer.
        prompt: Prompt,
        /// Sampling settings.
        sampling: SamplingParams,
    },
    /// Stop the load or the answer in progress.
    Cancel,
    /// Free the model.
    Unload,
    /// End the host.
    Shutdown,
}

/// How a request failed, enough for the caller to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum FailKind {
    /// Cancelled by the caller.
    Cancelled,
    /// The prompt alone does not fit the context.
    ContextFull {
        /// Tokens needed.
        needed: u32,
        /// Context size.
        total: u32,
    },
    /// The chat template failed.
    Template,
    /// Anything else, in words.
    Other,
}

/// An event from the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum HostEvent {
    /// Load progress, 0 to 1.
    Progress(f32),
    /// The weights are read; the first run reads them into memory.
    WarmingUp,
    /// The model is ready.
    Loaded {
        /// `general.architecture`.
        architecture: String,
        /// Parameters.
        params: u64,
        /// Bytes of weights.
        size_bytes: u64,
        /// Context created.
        ctx_tokens: u32,
        /// Trained context.
        ctx_train_tokens: u32,
        /// The GGUF's chat template.
        chat_template: Option<String>,
        /// Seconds the load took.
        load_secs: f64,
        /// Layers on the other machines, and `--cpu-moe`.
        offload: crate::estimate::placement::Offload,
    },
    /// The model was freed.
    Unloaded,
    /// Text of generation `id`.
    Piece {
        /// Generation id.
        id: u64,
        /// Whole UTF-8 characters.
        text: String,
        /// Tokens generated so far.
        generated_tokens: u32,
        /// Tokens in the context.
        ctx_used_tokens: u32,
    },
    /// Generation `id` ended.
    Finished {
        /// Generation id.
        id: u64,
        /// Why.
        reason: FinishReason,
        /// Counts and speeds.
        stats: GenerationStats,
    },
    /// A request failed.
    Failed {
        /// The generation's id, `None` for a load.
        id: Option<u64>,
        /// What kind of failure.
        kind: FailKind,
        /// In words.
        message: String,
    },
}

impl HostEvent {
    /// The host's side: an engine event as it goes on the wire (`None`: nothing to send).
    pub(crate) fn from_event(event: Event) -> Option<Self> {
        Some(match event {
            Event::CheckingSplit => return None,
            Event::Progress(p) => Self::Progress(p),
            Event::WarmingUp => Self::WarmingUp,
            Event::Loaded(m) => Self::Loaded {
                architecture: m.architecture,
                params: m.params,
                size_bytes: m.size_bytes,
                ctx_tokens: m.ctx_tokens,
                ctx_train_tokens: m.ctx_train_tokens,
                chat_template: m.chat_template,
                load_secs: m.load_secs,
                offload: m.offload,
            },
            Event::Unloaded => Self::Unloaded,
            Event::Piece {
                id,
                text,
                generated_tokens,
                ctx_used_tokens,
            } => Self::Piece {
                id,
                text,
                generated_tokens,
                ctx_used_tokens,
            },
            Event::Finished { id, reason, stats } => Self::Finished { id, reason, stats },
            Event::Failed { id, error } => Self::Failed {
                id,
                kind: match error {
                    EngineError::Cancelled => FailKind::Cancelled,
                    EngineError::ContextFull { needed, total } => {
                        FailKind::ContextFull { needed, total }
                    }
                    EngineError::Template(_) => FailKind::Template,
                    _ => FailKind::Other,
                },
                message: error.to_string(),
            },
        })
    }
}

impl FailKind {
    /// The caller's side: the engine error this failure stands for.
    pub(crate) fn into_error(self, message: String) -> EngineError {
        match self {
            Self::Cancelled => EngineError::Cancelled,
            Self::ContextFull { needed, total } => EngineError::ContextFull { needed, total },
            Self::Template => EngineError::Template(message),
            Self::Other => EngineError::Cluster(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::placement::Offload;

    /// The whole placement crosses to the engine host: a launch planned with the routed experts
    /// in this PC's RAM loads with them there (`--cpu-moe` was once dropped on the way).
    #[test]
    fn a_load_keeps_its_experts_in_ram_across_the_wire() {
        let load = HostRequest::Load {
            path: "r1.gguf".into(),
            ctx_tokens: 8192,
            offload: Offload {
                gpu_layers: 62,
                cpu_moe: true,
                no_gpu: false,
                n_cpu_moe: 0,
            },
            settings: crate::estimate::launch_settings::LaunchSettings {
                ubatch: 256,
                ..Default::default()
            },
        };
        let line = serde_json::to_string(&load).unwrap();
        assert_eq!(serde_json::from_str::<HostRequest>(&line).unwrap(), load);
    }
}
