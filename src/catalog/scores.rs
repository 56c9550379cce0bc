//! Published benchmark scores of a model, each with where it was published and how it was measured,
//! and the groups of scores that may be compared: only scores of the same benchmark, metric and
//! evaluation setting (one source's table), never figures measured differently as if they were one.

use serde::{Deserialize, Serialize};

/// One published score.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// The benchmark as its source names it: "AIME 2024", "MMLU", "HumanEval".
    pub benchmark: String,
    /// The metric: "pass@1", "cons@64", "EM", "rating", "accuracy".
    pub metric: String,
    /// The figure as published: a percentage, or a plain number for ratings and 0–10 scores.
    pub value: f64,
    /// How it was measured, in the source's words made short ("64 samples per question at
    /// temperature 0.6, …"); scores compare only within one setting.
    pub setting: String,
    /// Where it is published: document, table and row.
    pub source: String,
}

impl Score {
    /// Whether the value is a percentage (everything but ratings and scores out of 10).
    pub fn is_percent(&self) -> bool {
        is_percent_metric(&self.metric)
    }

    /// The figure as its source prints it: "79.8%", "80.0%", "2029", "7.37".
    pub fn value_label(&self) -> String {
        if self.is_percent() {
            format!("{}%", decimals(self.value, 1))
        } else {
            decimals(self.value, 0)
        }
    }

    /// The comparable group this score belongs to.
    pub fn key(&self) -> ScoreKey {
        ScoreKey {
            benchmark: self.benchmark.clone(),
            metric: self.metric.clone(),
            setting: self.setting.clone(),
        }
    }
}

/// Whether a metric's values are percentages.
pub fn is_percent_metric(metric: &str) -> bool {
    let m = metric.to_ascii_lowercase();
    !(m.contains("rating") || m.contains("out of 10"))
}

/// `v` with at least `min` decimals, and two when the figure has them (MT-Bench's 7.37).
fn decimals(v: f64, min: usize) -> String {
    let tenths = (v * 10.0).round();
    if (v * 10.0 - tenths).abs() > 1e-6 {
        format!("{v:.2}")
    } else if min == 0 && (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.min$}", min = min.max(1))
    }
}

/// Scores that may be compared with each other: one benchmark, one metric, one setting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScoreKey {
    /// Benchmark name.
    pub benchmark: String,
    /// Metric.
    pub metric: String,
    /// Evaluation setting.
    pub setting: String,
}

impl ScoreKey {
    /// "AIME 2024 · pass@1".
    pub fn short_label(&self) -> String {
        format!("{} · {}", self.benchmark, self.metric)
    }

    /// The value of this key among a model's scores.
    pub fn value_in<'a>(&self, scores: &'a [Score]) -> Option<&'a Score> {
        scores.iter().find(|s| {
            s.benchmark == self.benchmark && s.metric == self.metric && s.setting == self.setting
        })
    }
}

/// Every comparable group among `scores_of_models`, those reported by most models first (ties by
/// name), with how many models report each.
pub fn comparable_groups<'a>(
    scores_of_models: impl IntoIterator<Item = &'a [Score]>,
) -> Vec<(ScoreKey, usize)> {
    let mut counts: std::collections::BTreeMap<ScoreKey, usize> = Default::default();
    for scores in scores_of_models {
        let mut seen = std::collections::BTreeSet::new();
        for s in scores {
            if seen.insert(s.key()) {
                *counts.entry(s.key()).or_default() += 1;
            }
        }
    }
    let mut groups: Vec<(ScoreKey, usize)> = counts.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    groups
}

/// Why a score cannot be shown, or `None`.
pub(crate) fn problem(s: &Score) -> Option<String> {
    let what = format!("score {} {}", s.benchmark, s.metric);
    if s.benchmark.trim().is_empty() || s.metric.trim().is_empty() {
        return Some("a score without `benchmark` or `metric`".into());
    }
    if s.source.trim().is_empty() {
        return Some(format!("{what} has no `source`"));
    }
    if s.setting.trim().is_empty() {
        return Some(format!("{what} has no `setting`"));
    }
    if !s.value.is_finite() || s.value < 0.0 {
        return Some(format!("{what} is not a published figure ({})", s.value));
    }
    if s.is_percent() && s.value > 100.0 {
        return Some(format!("{what} is a percentage above 100 ({})", s.value));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(b: &str, m: &str, v: f64, setting: &str) -> Score {
        Score {
            benchmark: b.into(),
            metric: m.into(),
            value: v,
            setting: setting.into(),
            source: "a table".into(),
        }
    }

    #[test]
    fn only_one_setting_compares() {
        let a = [score("AIME 2024", "pass@1", 79.8, "R1 card")];
        let b = [score("AIME 2024", "pass@1", 39.2, "V3 card")];
        let c = [score("AIME 2024", "pass@1", 28.9, "R1 card")];
        let groups = comparable_groups([&a[..], &b[..], &c[..]]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0.setting, "R1 card");
        assert_eq!(groups[0].1, 2);
        assert!(groups[0].0.value_in(&b).is_none());
    }

    #[test]
    fn labels_and_problems() {
        assert_eq!(score("x", "pass@1", 79.8, "s").value_label(), "79.8%");
        assert_eq!(score("x", "rating", 2029.0, "s").value_label(), "2029");
        assert_eq!(
            score("x", "score out of 10", 7.37, "s").value_label(),
            "7.37"
        );
        assert_eq!(score("x", "score", 80.0, "s").value_label(), "80.0%");
        assert!(problem(&score("x", "pass@1", 101.0, "s")).is_some());
        assert!(problem(&score("x", "pass@1", 50.0, " ")).is_some());
        assert!(problem(&score("x", "pass@1", 50.0, "s")).is_none());
    }
}
