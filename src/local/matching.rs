//! Which catalog model a GGUF file is: candidates share its architecture, depth, width and expert
//! count; the file's name picks between look-alikes such as R1, R1-0528 and V3, and the Ollama tag
//! it was pulled under only where the name cannot tell.

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
    let text = words(&format!(
        "{} {file_name}",
        info.name.as_deref().unwrap_or_default()
    ));
    // What the file says it is comes first: its name (and `general.name`) against each
    // candidate's id, the longest id found whole winning (`R1-0528` over `R1`).
    let score = |m: &Model| name_score(&id_words(m), &text);
    let best_score = candidates.iter().map(|m| score(m)).max()?;
    let best: Vec<&Model> = candidates
        .iter()
        .copied()
        .filter(|m| score(m) == best_score)
        .collect();
    // Between look-alikes the name cannot tell apart, the tag the file was pulled under decides;
    // it never overrides the shape (the candidates all have the file's dimensions).
    let chosen = best
        .iter()
        .find(|m| m.ollama_tag.as_deref() == Some(file_name))
        .or_else(|| best.first())?;
    let tagged = chosen.ollama_tag.as_deref() == Some(file_name);
    let by_name = best_score.whole_len > 0
        || tagged
        || (candidates.len() == 1 && text.iter().any(|w| w == "deepseek"));
    Some(found(chosen, by_name))
}

fn found(m: &Model, by_name: bool) -> CatalogMatch {
    CatalogMatch {
        model_id: m.id.clone(),
        by_name,
    }
}

/// How well a name matches a catalog id, compared in this order: the length of the id when its
/// words appear whole and in order (`r1-0528` in `DeepSeek-R1-0528-Q4_K_M`; 0 otherwise, so the
/// longer id found whole is the more specific match), then how many of its words appear, then
/// fewer missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct NameScore {
    whole_len: usize,
    found: usize,
    missing_neg: isize,
}

fn name_score(id: &[String], text: &[String]) -> NameScore {
    let found = id.iter().filter(|w| text.contains(w)).count();
    let whole = !id.is_empty() && text.windows(id.len()).any(|win| win == id);
    NameScore {
        whole_len: if whole { id.len() } else { 0 },
        found,
        missing_neg: -((id.len() - found) as isize),
    }
}

/// Lower-case words of a name: split at `-`, `_`, `.`, `:`, `/` and spaces.
fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| matches!(c, '-' | '_' | '.' | ':' | '/') || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The words of a catalog id without the family name every id shares (`r1-0528` of
/// `deepseek-r1-0528`).
fn id_words(m: &Model) -> Vec<String> {
    words(&m.id)
        .into_iter()
        .skip_while(|w| w == "deepseek")
        .collect()
}
