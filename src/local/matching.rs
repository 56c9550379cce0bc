//! Which catalog model a GGUF file is: candidates share its architecture, depth, width and expert
//! count; the file's name (or Ollama tag) picks between look-alikes such as R1 and V3.

use crate::catalog::Model;

use super::file_info::GgufInfo;

/// A file's catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogMatch {
    /// The catalog id.
    pub model_id: String,
    /// Whether the name confirms it (`false`: only the shape matches, e.g. a Qwen2.5 model with the
    /// same dimensions as a distill).
    pub by_name: bool,
}

/// The catalog entry `info` is, if any. `file_name` is the file's or Ollama's name.
pub(crate) fn match_catalog(
    info: &GgufInfo,
    file_name: &str,
    models: &[Model],
) -> Option<CatalogMatch> {
    let arch = info.arch.as_ref().ok()?;
    let experts = |a: &crate::catalog::Architecture| a.moe.map(|m| m.routed_experts);
    let candidates: Vec<&Model> = models
        .iter()
        .filter(|m| {
            let c = &m.architecture;
            c.gguf_architecture == arch.gguf_architecture
                && c.layers == arch.layers
                && c.hidden_size == arch.hidden_size
                && c.heads == arch.heads
                && experts(c) == experts(arch)
        })
        .collect();
    let text = normalise(&format!(
        "{} {file_name}",
        info.name.as_deref().unwrap_or_default()
    ));
    if let Some(m) = candidates
        .iter()
        .find(|m| m.ollama_tag.as_deref() == Some(file_name))
    {
        return Some(found(m, true));
    }
    let score = |m: &Model| {
        distinct_words(m, &candidates)
            .iter()
            .filter(|w| text.contains(w.as_str()))
            .count()
    };
    let best = candidates.iter().copied().max_by_key(|m| score(m))?;
    let by_name = score(best) > 0 || (candidates.len() == 1 && text.contains("deepseek"));
    Some(found(best, by_name))
}

fn found(m: &Model, by_name: bool) -> CatalogMatch {
    CatalogMatch {
        model_id: m.id.clone(),
        by_name,
    }
}

/// Lower case, with `_`, spaces and dots turned into `-`, so names and ids compare.
fn normalise(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| {
            if c == '_' || c == ' ' || c == '.' {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// The words of `m`'s id that the other candidates' ids lack (`r1` for R1 beside V3); with one
/// candidate, its words but the generic ones.
fn distinct_words(m: &Model, candidates: &[&Model]) -> Vec<String> {
    let words = |m: &Model| -> Vec<String> {
        normalise(&m.id)
            .split('-')
            .filter(|w| !w.is_empty() && *w != "deepseek")
            .map(str::to_owned)
            .collect()
    };
    let others: Vec<String> = candidates
        .iter()
        .filter(|c| c.id != m.id)
        .flat_map(|c| words(c))
        .collect();
    words(m)
        .into_iter()
        .filter(|w| !others.contains(w))
        .collect()
}
