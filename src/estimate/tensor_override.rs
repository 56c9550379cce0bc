//! llama.cpp's `--override-tensor PATTERN=BUFFER` (`-ot`): tensors whose GGUF name the pattern
//! matches are kept in that buffer — here the CPU's, the one buffer type llama-cpp-2 lets a
//! launch name. A pattern is text typed by the user and later compiled by llama.cpp's
//! `std::regex` (ECMAScript), so it is checked first: bounded in length, limited to the regex
//! syntax both dialects read alike, compiled with the `regex` crate under a size limit, and told
//! when it matches no tensor of the model.

use std::fmt;

use regex::RegexBuilder;
use serde::{Deserialize, Serialize};

/// The longest pattern accepted.
pub const MAX_PATTERN_CHARS: usize = 256;

/// One `PATTERN=CPU` override, checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TensorOverride {
    pattern: String,
}

impl TensorOverride {
    /// Parses llama.cpp's `PATTERN=BUFFER` form; `BUFFER` must be `CPU`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let Some((pattern, buffer)) = text.rsplit_once('=') else {
            return Err(format!(
                "\"{}\" is not PATTERN=CPU (llama.cpp's --override-tensor form, e.g. \
                 blk\\.([0-9]|1[0-9])\\.ffn_.*_exps=CPU)",
                shorten(text)
            ));
        };
        if buffer.trim() != "CPU" {
            return Err(format!(
                "\"{}\": seekdeck keeps overridden tensors on the CPU only (llama-cpp-2 offers no \
                 other buffer type); write {}=CPU",
                shorten(text),
                shorten(pattern)
            ));
        }
        check_pattern(pattern)?;
        Ok(Self {
            pattern: pattern.to_owned(),
        })
    }

    /// The pattern, as llama.cpp gets it.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// A matcher for tensor names (`regex_search`: anywhere in the name, as llama.cpp matches).
    pub fn matcher(&self) -> regex::Regex {
        #[allow(clippy::expect_used)]
        compile(&self.pattern).expect("checked when parsed")
    }
}

impl fmt::Display for TensorOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}=CPU", self.pattern)
    }
}

impl TryFrom<String> for TensorOverride {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<TensorOverride> for String {
    fn from(o: TensorOverride) -> Self {
        o.to_string()
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_owned()
    }
}

fn compile(pattern: &str) -> Result<regex::Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .nest_limit(32)
        .build()
}

/// The pattern checks: what both regex dialects read the same way, and compiles.
fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("an empty pattern would match every tensor".to_owned());
    }
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!(
            "the pattern has {} characters; at most {MAX_PATTERN_CHARS}",
            pattern.chars().count()
        ));
    }
    if let Some(c) = pattern
        .chars()
        .find(|c| !(c.is_ascii_graphic() && *c != '"' && *c != '\''))
    {
        return Err(format!(
            "the pattern holds {c:?}; tensor names are plain ASCII, so a pattern is too"
        ));
    }
    // Inline flags, named groups and look-around read differently (or not at all) in the two
    // dialects; \p{…}, \A, \z exist in one only.
    for (seq, what) in [
        ("(?", "group options (?…)"),
        ("\\p", "\\p{…} classes"),
        ("\\P", "\\P{…} classes"),
        ("\\A", "\\A"),
        ("\\z", "\\z"),
        ("\\Z", "\\Z"),
    ] {
        if pattern.contains(seq) {
            return Err(format!(
                "the pattern uses {what}, which llama.cpp's regular expressions read differently"
            ));
        }
    }
    compile(pattern).map_err(|e| {
        let detail = e.to_string();
        let last = detail.lines().last().unwrap_or("").trim().to_owned();
        format!("the pattern is not a regular expression: {last}")
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama_cpps_form_is_read_and_written_back() {
        let o = TensorOverride::parse(r"blk\.([0-9]|1[0-9])\.ffn_.*_exps=CPU").unwrap();
        assert_eq!(o.pattern(), r"blk\.([0-9]|1[0-9])\.ffn_.*_exps");
        assert_eq!(o.to_string(), r"blk\.([0-9]|1[0-9])\.ffn_.*_exps=CPU");
        let m = o.matcher();
        assert!(m.is_match("blk.12.ffn_up_exps.weight"));
        assert!(!m.is_match("blk.20.ffn_up_exps.weight"));
        assert!(!m.is_match("blk.12.ffn_up_shexp.weight"));
        // As in llama.cpp (regex_search), the pattern may match anywhere in the name.
        assert!(TensorOverride::parse("exps=CPU")
            .unwrap()
            .matcher()
            .is_match("blk.3.ffn_gate_exps.weight"));
    }

    #[test]
    fn anything_else_is_refused_in_words() {
        for (bad, says) in [
            ("exps", "is not PATTERN=CPU"),
            ("exps=CUDA0", "CPU only"),
            ("=CPU", "empty pattern"),
            ("blk\\.(1=CPU", "not a regular expression"),
            ("(?i)EXPS=CPU", "group options"),
            ("blk\\.\u{e9}=CPU", "plain ASCII"),
            (&format!("{}=CPU", "a".repeat(300)), "at most 256"),
            ("a{1000}{1000}{1000}=CPU", "not a regular expression"),
        ] {
            let e = TensorOverride::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        // Kept in RON as the text, and checked again when read back.
        let o = TensorOverride::parse("exps=CPU").unwrap();
        let text = ron::to_string(&o).unwrap();
        assert_eq!(text, "\"exps=CPU\"");
        assert!(ron::from_str::<TensorOverride>("\"x(=CPU\"").is_err());
    }
}
