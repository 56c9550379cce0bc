//! What every subcommand shares: the error type with its exit code, the machine to estimate
//! against, finding a catalog model by a loose name, and JSON output.

use serde::Serialize;

use crate::catalog::Model;
use crate::hardware::assume::parse_assume;
use crate::hardware::cluster_spec::is_cluster_spec;
use crate::hardware::probe::Prober;
use crate::hardware::HardwareSnapshot;

/// A command-line failure: the message and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// One line for stderr.
    pub message: String,
    /// Process exit code.
    pub code: i32,
}

/// Bad input: exit code 2.
pub(crate) fn usage_error(message: String) -> CliError {
    CliError { message, code: 2 }
}

/// A failure that is not the user's input (a file llama.cpp refused, a port in use): exit code 1.
pub(crate) fn failure(message: String) -> CliError {
    CliError { message, code: 1 }
}

/// The machine to estimate against: `--assume` or a live reading. A cluster spec is for `fit`
/// and `list` only (which take it through [`cluster_assumed`] first).
pub fn machine(assume: Option<&str>) -> Result<HardwareSnapshot, CliError> {
    match assume {
        Some(spec) if is_cluster_spec(spec) => Err(usage_error(format!(
            "\"{spec}\" names several machines: `seekdeck fit` and `seekdeck list` plan across machines; to run a model across them, start `seekdeck worker` on each and use `seekdeck chat FILE --rpc HOST:PORT,…`"
        ))),
        Some(spec) => parse_assume(spec).map_err(|e| usage_error(e.to_string())),
        None => Ok(Prober::new().read()),
    }
}

/// `--assume` when it names several machines.
pub(crate) fn cluster_assumed(assume: Option<&str>) -> Option<&str> {
    assume.filter(|s| is_cluster_spec(s))
}

/// Finds a model by id, name, or a unique part of either (case-insensitive).
pub(crate) fn find_model<'a>(models: &'a [Model], query: &str) -> Result<&'a Model, CliError> {
    let q = query.trim().to_lowercase();
    let norm = |s: &str| s.to_lowercase().replace([' ', '_'], "-");
    if let Some(m) = models
        .iter()
        .find(|m| m.id == q || m.name.to_lowercase() == q || norm(&m.name) == norm(&q))
    {
        return Ok(m);
    }
    let hits: Vec<&Model> = models
        .iter()
        .filter(|m| m.id.contains(&norm(&q)) || norm(&m.name).contains(&norm(&q)))
        .collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] if std::path::Path::new(query).is_dir() => Err(usage_error(format!(
            "\"{query}\" is a folder, not a GGUF file or a model id (see `seekdeck list` for the ids)"
        ))),
        [] => Err(usage_error(format!(
            "unknown model \"{query}\" (see `seekdeck list` for the ids)"
        ))),
        many => Err(usage_error(format!(
            "\"{query}\" matches {} models: {}",
            many.len(),
            many.iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Pretty JSON, or a JSON object saying why serialisation failed.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
