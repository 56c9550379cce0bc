//! Several machines as one spec, for `--assume` and "What if…": `"3x (24GiB GPU, 64GiB RAM)"`,
//! `"this PC + 2x (24GiB GPU, 64GiB RAM)"`, `"(24GiB GPU, 64GiB RAM) + (128GiB unified)"`. Each
//! machine in parentheses is an ordinary [`super::assume`] spec; the first machine is the one
//! that runs the chat (this PC), the others serve their devices as `seekdeck worker`s.

use super::assume::{parse_assume, Preset, PRESETS};
use super::HardwareSnapshot;

/// Most machines a cluster spec may name.
pub const MAX_MACHINES: usize = 16;

/// A parsed cluster spec.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    /// The first machine is this PC as read live ("this PC + …").
    pub this_pc_live: bool,
    /// The simulated machines, in order (the first is the main machine unless `this_pc_live`).
    pub machines: Vec<HardwareSnapshot>,
}

impl ClusterSpec {
    /// Machines in the cluster, this PC included.
    pub fn machine_count(&self) -> usize {
        self.machines.len() + usize::from(self.this_pc_live)
    }
}

/// How a simulated machine is named: its preset's label (one machine or several), else the spec
/// as typed.
pub(crate) fn machine_name(spec: &str) -> String {
    PRESETS
        .iter()
        .chain(CLUSTER_PRESETS.iter())
        .find(|p| p.spec == spec.trim())
        .map_or_else(|| spec.trim().to_owned(), |p| p.label.to_owned())
}

/// The cluster presets of the "What if…" picker (bandwidths as in [`super::assume::PRESETS`]).
pub const CLUSTER_PRESETS: [Preset; 4] = [
    Preset {
        label: "3 gaming PCs: RTX 4090 24 GiB, 64 GiB RAM each",
        spec: "3x (24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s)",
    },
    Preset {
        label: "2 Macs: M4 Max 128 GiB unified each",
        spec: "2x (128GiB unified @546GB/s)",
    },
    Preset {
        label: "4 PCs without GPU, 128 GiB RAM each",
        spec: "4x (128GiB RAM @89.6GB/s)",
    },
    Preset {
        label: "This PC + 2 gaming PCs (RTX 4090, 64 GiB)",
        spec: "this PC + 2x (24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s)",
    },
];

/// Whether `spec` names several machines (parentheses, or "this PC + …") rather than one.
pub fn is_cluster_spec(spec: &str) -> bool {
    spec.contains('(') || spec.trim().to_ascii_lowercase().starts_with("this pc")
}

/// A cluster spec that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read cluster spec \"{spec}\": {reason} (examples: \"3x (24GiB GPU, 64GiB RAM)\", \"this PC + 2x (24GiB GPU, 64GiB RAM)\")")]
pub struct ClusterSpecError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses a cluster spec; every mistake is one sentence with an example.
pub fn parse_cluster(spec: &str) -> Result<ClusterSpec, ClusterSpecError> {
    let err = |reason: String| ClusterSpecError {
        spec: spec.to_owned(),
        reason,
    };
    let mut out = ClusterSpec {
        this_pc_live: false,
        machines: Vec::new(),
    };
    for (i, term) in top_level_terms(spec).map_err(&err)?.into_iter().enumerate() {
        if term.eq_ignore_ascii_case("this pc") {
            if i > 0 {
                return Err(err("\"this PC\" can only come first".into()));
            }
            out.this_pc_live = true;
            continue;
        }
        let (count, inner) = machine_term(term).map_err(&err)?;
        let machine =
            parse_assume(inner).map_err(|e| err(format!("machine \"{inner}\": {}", e.reason)))?;
        if out.machine_count() + count > MAX_MACHINES {
            return Err(err(format!("more than {MAX_MACHINES} machines")));
        }
        out.machines.extend(std::iter::repeat_n(machine, count));
    }
    if out.machines.is_empty() {
        return Err(err("no machine besides this PC".into()));
    }
    Ok(out)
}

/// The spec split at each `+` outside parentheses, trimmed.
fn top_level_terms(spec: &str) -> Result<Vec<&str>, String> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in spec.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err("a \")\" without its \"(\"".into());
                }
            }
            '+' if depth == 0 => {
                terms.push(spec[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("a \"(\" is not closed".into());
    }
    terms.push(spec[start..].trim());
    if terms.iter().any(|t| t.is_empty()) {
        return Err("an empty machine between two \"+\"".into());
    }
    Ok(terms)
}

/// `"3x (24GiB GPU)"` → (3, "24GiB GPU"); `"(128GiB unified)"` → (1, …).
fn machine_term(term: &str) -> Result<(usize, &str), String> {
    let open = term
        .find('(')
        .ok_or_else(|| format!("\"{term}\": put each machine in parentheses"))?;
    let inner = term[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("\"{term}\": nothing may follow the \")\""))?;
    if inner.contains(['(', ')']) {
        return Err(format!("\"{term}\": machines do not nest"));
    }
    let prefix = term[..open].trim();
    let count = if prefix.is_empty() {
        1
    } else {
        let n = prefix
            .strip_suffix(['x', 'X', '×'])
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| format!("\"{prefix}\" is not a count like 3x"))?;
        n.parse::<usize>()
            .ok()
            .filter(|&n| (1..=MAX_MACHINES).contains(&n))
            .ok_or_else(|| format!("{n} machines: a cluster has 1 to {MAX_MACHINES}"))?
    };
    Ok((count, inner))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::GIB;

    #[test]
    fn parses_the_issue_examples_and_every_preset() {
        let c = parse_cluster("3x (24GiB GPU, 128GiB RAM)").unwrap();
        assert!(!c.this_pc_live);
        assert_eq!(c.machine_count(), 3);
        assert_eq!(c.machines[2].gpus[0].total_bytes, 24 * GIB);
        let c = parse_cluster("this PC + 2x (24GiB GPU, 64GiB RAM)").unwrap();
        assert!(c.this_pc_live);
        assert_eq!(c.machine_count(), 3);
        let c = parse_cluster("(24GiB GPU, 64GiB RAM) + (128GiB unified)").unwrap();
        assert_eq!(c.machines.len(), 2);
        assert!(c.machines[1].is_unified());
        for p in CLUSTER_PRESETS {
            assert!(is_cluster_spec(p.spec));
            parse_cluster(p.spec).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(!is_cluster_spec("24GiB GPU, 64GiB RAM"));
    }

    #[test]
    fn every_mistake_is_a_sentence() {
        for (bad, says) in [
            ("3x (24GiB GPU", "not closed"),
            ("3x 24GiB GPU)", "without its"),
            ("this PC", "no machine besides"),
            ("(24GiB GPU) + this PC", "only come first"),
            ("17x (24GiB GPU)", "1 to 16"),
            ("0x (24GiB GPU)", "1 to 16"),
            ("9x (8GiB GPU) + 9x (8GiB GPU)", "more than 16"),
            ("three x (24GiB GPU)", "not a count"),
            ("(24GiB toaster)", "unknown kind"),
            ("(24GiB GPU) + + (8GiB GPU)", "empty machine"),
            ("((24GiB GPU))", "do not nest"),
            ("(24GiB GPU) extra", "nothing may follow"),
            ("this PC + 24GiB GPU", "parentheses"),
        ] {
            let e = parse_cluster(bad).expect_err(bad).to_string();
            assert!(e.contains(says), "{bad}: {e}");
            assert!(!e.contains('\n'), "{bad}: {e}");
        }
    }
}
