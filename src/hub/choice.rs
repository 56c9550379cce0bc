//! This PC's verdict for each remote file, and the one to recommend: the best quality (most bits
//! per weight) that fits on the GPU, else the best that fits with part of it in RAM. Pure: the
//! header was read before, the machine is given.

use super::remote_header::RemoteInfoError;
use super::repo::RemoteGguf;
use crate::estimate::fit::{FitReport, Verdict};
use crate::hardware::HardwareSnapshot;
use crate::local::GgufInfo;

/// One remote file with what its header says and how it fits.
#[derive(Debug, Clone)]
pub struct FileChoice {
    /// The file.
    pub file: RemoteGguf,
    /// Its header's description, or why there is none.
    pub info: Result<GgufInfo, RemoteInfoError>,
    /// Its estimate on the machine and context asked for.
    pub report: Option<FitReport>,
}

impl FileChoice {
    /// The file with its estimate at `ctx_tokens` on `hw`.
    pub fn new(
        file: RemoteGguf,
        info: Result<GgufInfo, RemoteInfoError>,
        ctx_tokens: u32,
        hw: &HardwareSnapshot,
    ) -> Self {
        let report = info.as_ref().ok().and_then(|i| i.estimate(ctx_tokens, hw));
        Self { file, info, report }
    }

    /// The estimate again, for another context or machine.
    pub fn reestimate(&mut self, ctx_tokens: u32, hw: &HardwareSnapshot) {
        self.report = self
            .info
            .as_ref()
            .ok()
            .and_then(|i| i.estimate(ctx_tokens, hw));
    }

    /// `Q4_K_M`, from the header (else the file name's guess is not trusted: "unknown").
    pub fn quant_label(&self) -> String {
        self.info
            .as_ref()
            .map_or_else(|_| "unknown".to_owned(), GgufInfo::quant_label)
    }

    /// Bits per weight: the quality measure files are ranked by.
    pub fn bits_per_weight(&self) -> Option<f64> {
        let i = self.info.as_ref().ok()?;
        (i.params > 0).then(|| i.weights_bytes as f64 * 8.0 / i.params as f64)
    }

    /// The verdict, if estimated.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.report.as_ref().map(|r| &r.verdict)
    }

    /// Why there is no verdict, in words.
    pub fn problem(&self) -> Option<String> {
        match &self.info {
            Err(e) => Some(e.to_string()),
            Ok(i) => i.arch_problem(),
        }
    }
}

/// The index of the file to recommend, if any fits.
pub fn recommend(choices: &[FileChoice]) -> Option<usize> {
    let best = |accept: fn(&Verdict) -> bool| {
        choices
            .iter()
            .enumerate()
            .filter(|(_, c)| c.verdict().is_some_and(accept))
            .filter_map(|(i, c)| Some((i, c.bits_per_weight()?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    };
    best(|v| *v == Verdict::FitsGpu)
        .or_else(|| best(|v| matches!(v, Verdict::PartialOffload { .. } | Verdict::CpuOnly)))
}

/// The file a command line asked for: by exact file name or path (`file`), by quantization
/// (`quant`, e.g. `Q4_K_M`, case-insensitive), else the recommended one.
pub fn choose_file(
    choices: &[FileChoice],
    quant: Option<&str>,
    file: Option<&str>,
) -> Result<usize, String> {
    if let Some(name) = file {
        return choices
            .iter()
            .position(|c| c.file.name == name || c.file.parts.iter().any(|p| p.path == name))
            .ok_or_else(|| format!("no GGUF file named \"{name}\" in the listed repositories"));
    }
    if let Some(q) = quant {
        let matching: Vec<usize> = (0..choices.len())
            .filter(|&i| choices[i].quant_label().eq_ignore_ascii_case(q))
            .collect();
        return match matching.as_slice() {
            [] => Err(format!("no {q} file in the listed repositories")),
            [one] => Ok(*one),
            // The same quantization in several repositories: the recommended one if it is among
            // them, else the first listed.
            many => Ok(recommend(choices)
                .filter(|r| many.contains(r))
                .unwrap_or(many[0])),
        };
    }
    recommend(choices).ok_or_else(|| {
        "no listed file fits this PC at this context; pick one with --quant or --file".to_owned()
    })
}
