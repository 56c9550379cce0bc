//! The built-in catalog as a Markdown page (docs/catalog.md, `make catalog-doc`): every fact the
//! app shows for every model, the overview's figures apart from the public record, with the
//! sources. Generated, so it cannot drift from the data; `tests/catalog.rs` checks it is current.

use std::fmt::Write as _;

use super::{Attention, Model, SeedFacts};
use crate::format::group_digits;

/// The page for `models`.
pub fn catalog_markdown(models: &[Model]) -> String {
    let mut out = String::new();
    out.push_str("# The catalog\n\n");
    out.push_str(
        "Generated from `catalog/deepseek.ron` by `make catalog-doc`; `make test` fails when this page \
         is out of date. \"Overview\" rows are the DeepSeek model overview's figures exactly as it \
         gives them; every other fact names its source below its model. Models marked \"not in the \
         overview\" are the rest of the family people download, with no overview figures.\n\n",
    );
    out.push_str("| model | family | released | parameters (total / active) | architecture | context | licence |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for m in models {
        let _ = writeln!(
            out,
            "| [{}](#{}){} | {} | {} | {} / {} | {} | {} | {} |",
            m.name,
            m.id,
            if m.in_overview() {
                ""
            } else {
                " (not in the overview)"
            },
            m.family,
            m.released,
            group_digits(m.params_total),
            group_digits(m.params_active),
            m.architecture.gguf_architecture,
            m.architecture.context_tokens,
            m.licence
        );
    }
    for m in models {
        model_section(&mut out, m);
    }
    out
}

/// The overview's figures for a model it lists.
fn overview_rows(out: &mut String, s: &SeedFacts) {
    out.push_str("| overview | |\n|---|---|\n");
    let mut row = |k: &str, v: Option<&str>| {
        if let Some(v) = v {
            let _ = writeln!(out, "| {k} | {} |", cell(v));
        }
    };
    row("Release", s.release.as_deref());
    row("Parameter size", Some(&s.parameter_size));
    row("Activation parameters", s.activation_parameters.as_deref());
    row("Key features", s.key_features.as_deref());
    row("Input modalities", s.input_modalities.as_deref());
    row("Output modalities", s.output_modalities.as_deref());
    row("Precision", Some(&s.precision));
    row("VRAM required", Some(&s.vram_required));
    row("System RAM required", Some(&s.system_ram_required));
    row("Notes", s.notes.as_deref());
}

fn model_section(out: &mut String, m: &Model) {
    let _ = write!(out, "\n## {}\n\n<a id=\"{}\"></a>\n\n", m.name, m.id);
    match &m.seed {
        Some(s) => overview_rows(out, s),
        None => {
            let _ = writeln!(
                out,
                "Not in the DeepSeek model overview. {}",
                m.summary.as_deref().unwrap_or_default()
            );
        }
    }
    let a = &m.architecture;
    out.push_str("\n| public record | |\n|---|---|\n");
    let facts = [
        ("Released", m.released.clone()),
        ("Licence", m.licence.clone()),
        (
            "Parameters",
            format!(
                "{} total, {} active per token",
                group_digits(m.params_total),
                group_digits(m.params_active)
            ),
        ),
        ("Architecture", architecture_line(m)),
        ("Vocabulary", group_digits(a.vocab_size)),
        (
            "Context",
            format!("{} tokens", group_digits(u64::from(a.context_tokens))),
        ),
        ("Original weights", format!("`{}`", m.weights_repo)),
        (
            "GGUF repositories",
            m.gguf_repos
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            "Ollama",
            m.ollama_tag
                .as_deref()
                .map_or_else(|| "—".to_owned(), |t| format!("`{t}`")),
        ),
        (
            "Sampling",
            format!(
                "temperature {}, top-p {}",
                m.sampling.temperature, m.sampling.top_p
            ),
        ),
        (
            "Longest answer",
            match (m.sampling.max_tokens, &m.sampling.max_tokens_source) {
                (Some(n), Some(source)) => format!("{n} tokens ({source})"),
                (Some(n), None) => format!("{n} tokens"),
                _ => "not given by the card (seekdeck's default, 2,048 tokens)".to_owned(),
            },
        ),
        (
            "Reasoning",
            if m.reasoning {
                "writes `<think>…</think>` before its answer".to_owned()
            } else {
                "no".to_owned()
            },
        ),
    ];
    for (k, v) in facts {
        let _ = writeln!(out, "| {k} | {} |", cell(&v));
    }
    if !m.good_to_know.is_empty() {
        out.push_str("\nGood to know:\n\n");
        for f in &m.good_to_know {
            let _ = writeln!(out, "- {f}");
        }
    }
    out.push_str("\nSources:\n\n");
    for s in &m.sources {
        let _ = writeln!(out, "- {s}");
    }
    scores_table(out, m);
}

/// The published scores: benchmark, metric, figure, setting and source, as the card shows them.
fn scores_table(out: &mut String, m: &Model) {
    if m.scores.is_empty() {
        out.push_str(
            "\nBenchmarks: not reported by the sources seekdeck holds (none estimated).\n",
        );
        return;
    }
    out.push_str("\nBenchmarks:\n\n| benchmark | metric | score | setting | source |\n|---|---|---|---|---|\n");
    for s in &m.scores {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&s.benchmark),
            cell(&s.metric),
            s.value_label(),
            cell(&s.setting),
            cell(&s.source)
        );
    }
}

/// "61 layers, hidden 7168, 128 heads, MLA (latent 512 + rope 64), MoE 256 experts (8 + 1 shared
/// per token, first 3 layers dense)".
fn architecture_line(m: &Model) -> String {
    let a = &m.architecture;
    let mut s = format!(
        "`{}`: {} layers, hidden {}, FFN {}, {} heads, ",
        a.gguf_architecture, a.layers, a.hidden_size, a.ffn_size, a.heads
    );
    match a.attention {
        Attention::Mha { head_dim } => {
            let _ = write!(s, "MHA (head {head_dim})");
        }
        Attention::Gqa { kv_heads, head_dim } => {
            let _ = write!(s, "GQA ({kv_heads} KV heads of {head_dim})");
        }
        Attention::Mla {
            kv_lora_rank,
            qk_rope_head_dim,
            ..
        } => {
            let _ = write!(s, "MLA (latent {kv_lora_rank} + rope {qk_rope_head_dim})");
        }
    }
    if let Some(moe) = a.moe {
        let _ = write!(
            s,
            ", MoE {} experts of {} ({} + {} shared per token, first {} layers dense)",
            moe.routed_experts,
            moe.expert_ffn_size,
            moe.experts_per_token,
            moe.shared_experts,
            moe.leading_dense_layers
        );
    }
    if a.tied_embeddings {
        s.push_str(", tied embeddings");
    }
    s
}

/// A table cell: pipes escaped, line breaks as spaces.
fn cell(v: &str) -> String {
    v.replace('|', "\\|").replace('\n', " ")
}
