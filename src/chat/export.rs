//! A conversation as Markdown: a heading, the model, the system prompt, each turn, the reasoning
//! folded into a `<details>` block, and each answer's statistics.

use std::fmt::Write;

use super::{thinking, Conversation, Role};

/// The Markdown text of `c`.
pub(crate) fn to_markdown(c: &Conversation) -> String {
    let mut out = String::new();
    let title = if c.title.is_empty() {
        "Conversation"
    } else {
        &c.title
    };
    let _ = writeln!(out, "# {title}\n");
    if let Some(file) = &c.model_file {
        let _ = writeln!(out, "Model: `{}`  ", file.display());
    }
    if let Some(served) = &c.model_server {
        let _ = writeln!(out, "Model: {served}  ");
    }
    let s = &c.sampling;
    let _ = writeln!(
        out,
        "Sampling: temperature {}, top-p {}, min-p {}, seed {}\n",
        s.temperature, s.top_p, s.min_p, s.seed
    );
    if !c.system_prompt.trim().is_empty() {
        let _ = writeln!(out, "**System:** {}\n", c.system_prompt.trim());
    }
    for m in &c.messages {
        match m.role {
            Role::User => {
                let _ = writeln!(out, "## You\n\n{}\n", m.text.trim());
            }
            Role::Assistant => {
                let _ = writeln!(out, "## Assistant\n");
                let parts = thinking::split(&m.text, c.reasoning);
                if let Some(t) = parts.thinking.filter(|t| !t.is_empty()) {
                    let _ = writeln!(
                        out,
                        "<details><summary>Thinking</summary>\n\n{t}\n\n</details>\n"
                    );
                }
                let _ = writeln!(out, "{}\n", parts.answer.trim());
                if let Some(e) = &m.error {
                    let _ = writeln!(out, "> Error: {e}\n");
                }
                if let Some(st) = &m.stats {
                    let _ = writeln!(
                        out,
                        "*{} prompt tokens · {} generated · first token {:.2} s · {:.1} tokens/s*\n",
                        st.prompt_tokens, st.generated_tokens, st.first_token_secs, st.tokens_per_sec
                    );
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::ChatMessage;
    use crate::engine::protocol::{FinishReason, GenerationStats, SamplingParams};

    #[test]
    fn markdown_has_the_turns_the_folded_reasoning_and_the_statistics() {
        let mut c = Conversation::new(
            Some("/models/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf".into()),
            SamplingParams::default(),
            true,
        );
        c.system_prompt = "Answer briefly.".into();
        c.push_user("What is 2+2?");
        c.messages.push(ChatMessage {
            text: "Two plus two.\n</think>\n\n4".into(),
            stats: Some(GenerationStats {
                prompt_tokens: 12,
                generated_tokens: 9,
                first_token_secs: 0.25,
                tokens_per_sec: 31.5,
                ..GenerationStats::default()
            }),
            finish: Some(FinishReason::EndOfTurn),
            ..ChatMessage::pending_answer()
        });
        let md = to_markdown(&c);
        for part in [
            "# What is 2+2?",
            "Model: `/models/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf`",
            "**System:** Answer briefly.",
            "## You\n\nWhat is 2+2?",
            "<details><summary>Thinking</summary>\n\nTwo plus two.\n\n</details>",
            "\n4\n",
            "*12 prompt tokens · 9 generated · first token 0.25 s · 31.5 tokens/s*",
        ] {
            assert!(md.contains(part), "missing {part:?} in\n{md}");
        }
    }
}
