//! The sampling a conversation starts with, from the catalog (DeepSeek's own advice on each model
//! card): temperature, top-p, and the longest answer the card evaluates with — R1's 32,768 tokens,
//! since its reasoning alone often runs past a few thousand. One rule for the window's local and
//! served models and for `seekdeck chat`.

use crate::catalog::Model;
use crate::engine::protocol::SamplingParams;

/// Sampling for `model` (the catalog's recommendation), else seekdeck's defaults. The answer
/// length is the card's, never more than the context (`ctx_tokens`, 0 when unknown) holds.
pub fn recommended_sampling(model: Option<&Model>, ctx_tokens: u32) -> SamplingParams {
    let base = SamplingParams::default();
    let mut sampling = model.map_or(base, |m| SamplingParams {
        temperature: m.sampling.temperature,
        top_p: m.sampling.top_p,
        max_tokens: m.sampling.max_tokens.unwrap_or(base.max_tokens),
        ..base
    });
    if ctx_tokens > 0 {
        sampling.max_tokens = sampling.max_tokens.min(ctx_tokens);
    }
    sampling
}

/// The catalog entry of a served model id: the one whose id the served id contains (the longest:
/// `deepseek-ai/DeepSeek-R1-Distill-Qwen-7B` is the 7B distill, not R1).
pub fn served_catalog_model<'a>(id: &str, models: &'a [Model]) -> Option<&'a Model> {
    let served = normalized(id);
    models
        .iter()
        .filter(|m| served.contains(&m.id.to_lowercase()))
        .max_by_key(|m| m.id.len())
}

fn normalized(id: &str) -> String {
    id.to_lowercase().replace(['_', ' ', '.'], "-")
}

/// The sampling and reasoning a conversation with served model `id` starts with: its catalog
/// entry's, else reasoning when the id says so (DeepSeek's API calls R1 `deepseek-reasoner`).
/// `ctx_tokens`: the context the server says it serves (0 when it does not say).
pub fn served_model_defaults(
    id: &str,
    models: &[Model],
    ctx_tokens: u32,
) -> (SamplingParams, bool) {
    match served_catalog_model(id, models) {
        Some(m) => (recommended_sampling(Some(m), ctx_tokens), m.reasoning),
        None => {
            let served = normalized(id);
            (
                recommended_sampling(None, ctx_tokens),
                served.contains("r1") || served.contains("reasoner") || served.contains("think"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::builtin_catalog_models;

    #[test]
    fn served_ids_find_their_catalog_entry() {
        let models = builtin_catalog_models();
        let (s, reasoning) =
            served_model_defaults("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", &models, 0);
        assert!(reasoning);
        assert_eq!(s.max_tokens, 32_768);
        let (_, reasoning) = served_model_defaults("deepseek-chat", &models, 0);
        assert!(!reasoning);
        let (_, reasoning) = served_model_defaults("deepseek-reasoner", &models, 0);
        assert!(reasoning);
    }

    /// R1's card evaluates with answers of up to 32,768 tokens: the default follows it (it was
    /// 2,048, which cut R1's thinking before the answer began), bounded by the context.
    #[test]
    fn the_answer_length_is_the_cards_within_the_context() {
        let models = builtin_catalog_models();
        let r1 = models.iter().find(|m| m.id == "deepseek-r1");
        assert_eq!(recommended_sampling(r1, 0).max_tokens, 32_768);
        assert_eq!(recommended_sampling(r1, 8192).max_tokens, 8192);
        let r1_0528 = models.iter().find(|m| m.id == "deepseek-r1-0528");
        assert_eq!(recommended_sampling(r1_0528, 0).max_tokens, 65_536);
        let source = r1.and_then(|m| m.sampling.max_tokens_source.as_deref());
        assert!(source.is_some_and(|s| s.contains("DeepSeek-R1 README")));
        let v2 = models.iter().find(|m| m.id == "deepseek-v2");
        assert_eq!(
            recommended_sampling(v2, 0).max_tokens,
            SamplingParams::default().max_tokens,
            "no figure on the card: seekdeck's default"
        );
    }
}
