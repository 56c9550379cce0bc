//! The JSON an OpenAI-compatible server sends, read without trusting it: the model list
//! (`GET /v1/models`, with the context length where the server says it — llama-server's `meta`,
//! vLLM's and SGLang's `max_model_len`, gateways' `context_length`), one streamed chunk (content,
//! reasoning as `reasoning_content` or `reasoning`, finish reason, usage, llama-server's
//! `timings`, an error) and an error body. Every string kept is bounded and cleaned.

use serde::Deserialize;
use serde_json::Value;

/// Most models kept from one list.
const MAX_MODELS: usize = 1000;
/// Longest model id kept.
const MAX_ID_CHARS: usize = 256;
/// Longest server message kept.
const MAX_MESSAGE_CHARS: usize = 600;

/// A model a server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedModel {
    /// Its id, as the chat request names it.
    pub id: String,
    /// Who the server says owns it.
    pub owned_by: String,
    /// The context a request may use, when the server says.
    pub ctx_tokens: Option<u32>,
    /// The model's trained context, when the server says.
    pub ctx_train_tokens: Option<u32>,
    /// Parameters, when the server says (llama-server).
    pub params: Option<u64>,
    /// Bytes of weights, when the server says (llama-server).
    pub size_bytes: Option<u64>,
}

#[derive(Deserialize)]
struct ModelList {
    data: FirstModels,
}

/// The first [`MAX_MODELS`] entries of the list; the rest are skipped without being kept (a 16 MiB
/// list of tiny entries took 1 GiB as JSON values).
struct FirstModels(Vec<Value>);

impl<'de> Deserialize<'de> for FirstModels {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = FirstModels;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of models")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<FirstModels, A::Error> {
                let mut kept = Vec::new();
                while kept.len() < MAX_MODELS {
                    match seq.next_element::<Value>()? {
                        Some(v) => kept.push(v),
                        None => return Ok(FirstModels(kept)),
                    }
                }
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(FirstModels(kept))
            }
        }
        d.deserialize_seq(Entries)
    }
}

/// The models of a `/v1/models` answer; models with an unusable id are left out.
pub fn parse_models(body: &[u8]) -> Result<Vec<ServedModel>, String> {
    let list: ModelList = serde_json::from_slice(body)
        .map_err(|e| format!("the model list is not the JSON OpenAI's API sends ({e})"))?;
    Ok(list
        .data
        .0
        .iter()
        .filter_map(|m| {
            let id = m.get("id")?.as_str()?;
            if id.is_empty()
                || id.chars().count() > MAX_ID_CHARS
                || id.chars().any(char::is_control)
            {
                return None;
            }
            let meta = m.get("meta");
            let number = |v: Option<&Value>| v.and_then(Value::as_u64);
            let ctx = |v: Option<&Value>| {
                number(v)
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|&n| n > 0)
            };
            Some(ServedModel {
                id: id.to_owned(),
                owned_by: m
                    .get("owned_by")
                    .and_then(Value::as_str)
                    .map(|s| clean(s, 80))
                    .unwrap_or_default(),
                ctx_tokens: ctx(meta.and_then(|m| m.get("n_ctx")))
                    .or_else(|| ctx(m.get("max_model_len")))
                    .or_else(|| ctx(m.get("context_length"))),
                ctx_train_tokens: ctx(meta.and_then(|m| m.get("n_ctx_train"))),
                params: number(meta.and_then(|m| m.get("n_params"))),
                size_bytes: number(meta.and_then(|m| m.get("size"))),
            })
        })
        .collect())
}

/// Token counts a server reports (`stream_options.include_usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt.
    #[serde(default)]
    pub prompt_tokens: u32,
    /// Tokens generated.
    #[serde(default)]
    pub completion_tokens: u32,
}

/// llama-server's own measurement of a request (`timings`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct ServerTimings {
    /// Prompt tokens evaluated.
    #[serde(default)]
    pub prompt_n: u32,
    /// Prompt tokens per second.
    #[serde(default)]
    pub prompt_per_second: f64,
    /// Tokens generated.
    #[serde(default)]
    pub predicted_n: u32,
    /// Generated tokens per second.
    #[serde(default)]
    pub predicted_per_second: f64,
}

/// What one streamed chunk says.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamDelta {
    /// Reasoning text (`delta.reasoning_content`, or vLLM's `delta.reasoning`).
    pub reasoning: String,
    /// Answer text (`delta.content`), which may itself hold `<think>` tags.
    pub content: String,
    /// `finish_reason`, once the server sends one.
    pub finish_reason: Option<String>,
    /// The usage chunk's counts.
    pub usage: Option<Usage>,
    /// llama-server's timings.
    pub timings: Option<ServerTimings>,
    /// An error the server sent inside the stream.
    pub error: Option<String>,
}

/// Reads one chunk's JSON.
pub fn parse_chunk(data: &str) -> Result<StreamDelta, String> {
    let v: Value = serde_json::from_str(data).map_err(|e| {
        format!(
            "a streamed line is not JSON ({e}): \"{}\"",
            clean(data, 120)
        )
    })?;
    if !v.is_object() {
        return Err(format!(
            "a streamed line is not a JSON object: \"{}\"",
            clean(data, 120)
        ));
    }
    let mut delta = StreamDelta {
        usage: v
            .get("usage")
            .filter(|u| !u.is_null())
            .and_then(|u| Usage::deserialize(u).ok()),
        timings: v
            .get("timings")
            .and_then(|t| ServerTimings::deserialize(t).ok()),
        error: v.get("error").map(message_of),
        ..StreamDelta::default()
    };
    if let Some(choice) = v
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
    {
        let d = choice.get("delta");
        let text = |key: &str| d.and_then(|d| d.get(key)).and_then(Value::as_str);
        delta.content = text("content").unwrap_or_default().to_owned();
        delta.reasoning = text("reasoning_content")
            .or_else(|| text("reasoning"))
            .unwrap_or_default()
            .to_owned();
        delta.finish_reason = choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(|s| clean(s, 40));
    }
    Ok(delta)
}

/// The message of an error answer: `{"error": {"message": …}}`, `{"error": "…"}`,
/// `{"detail": …}` (FastAPI), `{"message": …}`, else the text itself; bounded and cleaned.
pub fn error_message(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let inner = v.get("error").or_else(|| v.get("detail")).unwrap_or(&v);
            message_of(inner)
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            match page_text(&text) {
                Some(words) => clean(&words, MAX_MESSAGE_CHARS),
                None => clean(&text, MAX_MESSAGE_CHARS),
            }
        }
    }
}

/// Whether `text` is an HTML page (a proxy's error page, a gateway's sign-in page).
pub fn is_html(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.starts_with("<head")
}

/// What an HTML page says, markup stripped: its `<title>`, else its text; `None` when `text` is
/// not a page. Bounded by the text (one pass).
pub fn page_text(text: &str) -> Option<String> {
    if !is_html(text) {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    if let (Some(open), Some(close)) = (lower.find("<title>"), lower.find("</title>")) {
        let start = open + "<title>".len();
        if close > start {
            let title = text[start..close].split_whitespace().collect::<Vec<_>>();
            if !title.is_empty() {
                return Some(title.join(" "));
            }
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    Some(out.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Whether an error (type, code or message) says the prompt is longer than the context.
pub fn is_context_exceeded(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body).to_lowercase();
    text.contains("exceed_context_size")
        || text.contains("context_length_exceeded")
        || text.contains("maximum context length")
        || text.contains("context size")
        || text.contains("context length")
}

fn message_of(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s, MAX_MESSAGE_CHARS),
        Value::Object(o) => o
            .get("message")
            .or_else(|| o.get("msg"))
            .map_or_else(|| clean(&v.to_string(), MAX_MESSAGE_CHARS), message_of),
        Value::Array(a) => a.first().map(message_of).unwrap_or_default(),
        other => clean(&other.to_string(), MAX_MESSAGE_CHARS),
    }
}

/// `s` without control characters, at most `max` characters (an ellipsis when cut).
fn clean(s: &str, max: usize) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() > max {
        let mut out: String = trimmed.chars().take(max).collect();
        out.push('…');
        out
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_are_said_in_their_own_words() {
        let page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>";
        assert_eq!(error_message(page), "502 Bad Gateway");
        let untitled = b"<html><body><p>Please <b>sign in</b></p></body></html>";
        assert_eq!(error_message(untitled), "Please sign in");
        assert_eq!(error_message(b"plain words"), "plain words");
    }

    #[test]
    fn models_of_llama_server_and_vllm() {
        let llama = br#"{"object":"list","data":[{"id":"tiny.gguf","object":"model","owned_by":"llamacpp","meta":{"n_ctx":2048,"n_ctx_train":16384,"n_params":123,"size":456}}]}"#;
        let m = &parse_models(llama).unwrap()[0];
        assert_eq!(
            (m.ctx_tokens, m.ctx_train_tokens, m.params),
            (Some(2048), Some(16384), Some(123))
        );
        let vllm = br#"{"data":[{"id":"deepseek-ai/DeepSeek-R1","owned_by":"vllm","max_model_len":163840},{"id":"bad\u0007id"},{"id":7}]}"#;
        let list = parse_models(vllm).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].ctx_tokens, Some(163_840));
        assert!(parse_models(b"<html>").is_err());
    }

    #[test]
    fn chunks_of_each_dialect() {
        let d = parse_chunk(
            r#"{"choices":[{"index":0,"delta":{"reasoning_content":"hm"},"finish_reason":null}]}"#,
        )
        .unwrap();
        assert_eq!((d.reasoning.as_str(), d.content.as_str()), ("hm", ""));
        let d = parse_chunk(r#"{"choices":[{"delta":{"reasoning":"vllm"}}]}"#).unwrap();
        assert_eq!(d.reasoning, "vllm");
        let d = parse_chunk(r#"{"choices":[{"delta":{"content":"4"},"finish_reason":"stop"}]}"#)
            .unwrap();
        assert_eq!(
            (d.content.as_str(), d.finish_reason.as_deref()),
            ("4", Some("stop"))
        );
        let d = parse_chunk(r#"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3}}"#)
            .unwrap();
        assert_eq!(
            d.usage,
            Some(Usage {
                prompt_tokens: 9,
                completion_tokens: 3
            })
        );
        let d = parse_chunk(r#"{"error":{"message":"boom","type":"server_error"}}"#).unwrap();
        assert_eq!(d.error.as_deref(), Some("boom"));
        assert!(parse_chunk("not json").is_err());
        assert!(parse_chunk("[1]").is_err());
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message(br#"{"error":{"message":"Invalid API Key","code":401}}"#),
            "Invalid API Key"
        );
        assert_eq!(error_message(br#"{"detail":"Not Found"}"#), "Not Found");
        assert_eq!(error_message(b"plain\ntext"), "plain text");
        assert!(is_context_exceeded(
            br#"{"error":{"type":"exceed_context_size_error"}}"#
        ));
        assert!(is_context_exceeded(
            b"This model's maximum context length is 4096 tokens"
        ));
        assert!(!is_context_exceeded(b"model not found"));
    }
}
