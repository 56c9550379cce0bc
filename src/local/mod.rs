//! Models on this PC: where other tools keep GGUF files ([`locations`]), finding them ([`scan`]),
//! describing them from their headers ([`file_info`], read by [`crate::gguf::read`]), saying why one
//! cannot be used ([`problem`]), naming their catalog entry
//! ([`matching`]) and estimating each file from its own size and metadata ([`LocalModel::estimate`]).
//! [`scanner`] runs it all on a background thread.

pub(crate) mod file_info;
pub mod folders;
pub mod header_cache;
pub mod locations;
pub(crate) mod matching;
pub mod problem;
pub mod scan;
pub mod scanner;

use std::path::Path;

use serde::Serialize;

use crate::catalog::Model;
use crate::estimate::fit::{kv_cache_bytes, FitReport};
use crate::estimate::placement::{effective_context, EffectiveContext, Placement};
use crate::estimate::tensors::MlaLayout;
use crate::gguf::names::split_part;
use crate::gguf::read::GgufHeader;
use crate::hardware::HardwareSnapshot;

pub use file_info::GgufInfo;
pub use header_cache::HeaderCache;
pub use locations::{Root, Source};
pub use matching::CatalogMatch;
pub use problem::FileProblem;
pub use scan::FoundFile;

/// One model found on this PC, readable or not.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalModel {
    /// Where it is.
    pub found: FoundFile,
    /// Its header, or why it could not be read (not GGUF, truncated, parts missing, …).
    pub info: Result<GgufInfo, FileProblem>,
    /// Its catalog entry, if it is one of the catalog's models.
    pub catalog_match: Option<CatalogMatch>,
}

/// The figures `seekdeck scan --json` prints for one file.
#[derive(Debug, Serialize)]
pub struct LocalModelRow {
    /// The file (part 1 of a split model).
    pub path: String,
    /// The file name shown (a split model's name without the part number).
    pub name: String,
    /// Where it was found.
    pub source: &'static str,
    /// Catalog id, if matched.
    pub catalog_id: Option<String>,
    /// Whether the name confirmed the match.
    pub matched_by_name: bool,
    /// `general.architecture`.
    pub architecture: Option<String>,
    /// Quantization name.
    pub quantization: Option<String>,
    /// Parameters.
    pub params: Option<u64>,
    /// Bytes on disk.
    pub file_bytes: Option<u64>,
    /// Trained context.
    pub context_length: Option<u64>,
    /// Why the file cannot be used, if it cannot.
    pub problem: Option<String>,
}

impl LocalModel {
    /// Reads the header(s) of a found file (or what `cache` remembers of them) and matches it to
    /// the catalog.
    pub(crate) fn inspect(found: FoundFile, models: &[Model], cache: &mut HeaderCache) -> Self {
        let info = if found.missing_parts.is_empty() {
            cache.info(&found.parts, || read_info(&found))
        } else {
            read_info(&found)
        };
        let catalog_match = info
            .as_ref()
            .ok()
            .and_then(|i| matching::match_catalog(i, &found.display_name, models));
        Self {
            found,
            info,
            catalog_match,
        }
    }

    /// Why this file cannot be estimated or launched, if it cannot.
    pub fn problem(&self) -> Option<String> {
        match &self.info {
            Err(e) => Some(e.to_string()),
            Ok(i) => i.arch_problem(),
        }
    }

    /// The context this file is estimated and launched at for `requested` tokens: capped at the
    /// length its header says it was trained for.
    pub fn context(&self, requested: u32) -> EffectiveContext {
        match &self.info {
            Ok(i) => i.context(requested),
            Err(_) => effective_context(requested, None),
        }
    }

    /// How a launch places this file at `ctx_tokens` on `hw`: the estimate's placement and the
    /// limits llama.cpp's dry runs check it against before the load (none without a GPU; with
    /// 0 GPU layers the check still matters, as llama.cpp keeps a compute buffer on the GPU).
    /// Without an estimate, everything stays on the CPU.
    pub fn placement(
        &self,
        ctx_tokens: u32,
        hw: &HardwareSnapshot,
        settings: &crate::estimate::launch_settings::LaunchSettings,
    ) -> Placement {
        let Some(fit) = self.estimate_with(ctx_tokens, hw, settings) else {
            return Placement::default();
        };
        fit.placement(self.blocks())
    }

    /// How a launch across other machines places this file at `ctx_tokens`: the plan across
    /// this PC (`hw`) and the workers as they answered ([`crate::estimate::cluster_plan::plan`] on
    /// the file's own tensors: GPUs as full as they hold, this PC's RAM next, the workers' RAM for
    /// the rest), or with the user's `tensor_split` when it has proportions; the command line and
    /// the window both launch with it. `None` without a readable header.
    pub fn cluster_plan(
        &self,
        ctx_tokens: u32,
        hw: &HardwareSnapshot,
        workers: &[crate::hardware::rpc_probe::WorkerReading],
        tensor_split: &crate::estimate::launch_settings::TensorSplit,
    ) -> Option<crate::estimate::cluster::ClusterFit> {
        let info = self.info.as_ref().ok()?;
        let arch = info.arch.as_ref().ok()?;
        let machines = crate::estimate::cluster::ClusterMachines::from_workers(hw, workers);
        Some(crate::estimate::cluster_plan::plan_with(
            arch,
            &info.split,
            info.context(ctx_tokens).ctx_tokens,
            &machines,
            Some(tensor_split),
        ))
    }

    /// Transformer blocks, from the header (0 when it cannot be read).
    pub(crate) fn blocks(&self) -> u32 {
        self.info
            .as_ref()
            .ok()
            .and_then(|i| i.arch.as_ref().ok())
            .map_or(0, |a| a.layers)
    }

    /// The estimate for this file at `ctx_tokens` on `hw` ([`GgufInfo::estimate`]).
    pub fn estimate(&self, ctx_tokens: u32, hw: &HardwareSnapshot) -> Option<FitReport> {
        self.info.as_ref().ok()?.estimate(ctx_tokens, hw)
    }

    /// [`LocalModel::estimate`] at a launch's `settings`.
    pub fn estimate_with(
        &self,
        ctx_tokens: u32,
        hw: &HardwareSnapshot,
        settings: &crate::estimate::launch_settings::LaunchSettings,
    ) -> Option<FitReport> {
        self.info
            .as_ref()
            .ok()?
            .estimate_with(ctx_tokens, hw, settings)
    }

    /// For a legacy-layout MLA file: (its KV cache, a re-converted file's) at `ctx_tokens`.
    pub fn legacy_kv_bytes(&self, ctx_tokens: u32) -> Option<(u64, u64)> {
        let info = self.info.as_ref().ok()?;
        let arch = info.arch.as_ref().ok()?;
        (info.mla_layout == Some(MlaLayout::Legacy)).then(|| {
            (
                kv_cache_bytes(arch, ctx_tokens, MlaLayout::Legacy),
                kv_cache_bytes(arch, ctx_tokens, MlaLayout::Split),
            )
        })
    }

    /// The file's catalog entry in words: its name, "same shape as …" when only the dimensions
    /// match, or "<architecture> (not in the catalog)".
    pub(crate) fn catalog_label(&self, models: &[Model]) -> String {
        let architecture = self
            .info
            .as_ref()
            .map_or("unknown", |i| i.architecture.as_str());
        let Some(c) = &self.catalog_match else {
            return format!("{architecture} (not in the catalog)");
        };
        let name = models
            .iter()
            .find(|x| x.id == c.model_id)
            .map_or(c.model_id.as_str(), |x| x.name.as_str());
        if c.by_name {
            name.to_owned()
        } else {
            format!("same shape as {name}")
        }
    }

    /// For a legacy-layout MLA file, what re-converting it would save, in words.
    pub(crate) fn legacy_note(&self, ctx_tokens: u32) -> Option<String> {
        let (legacy, split) = self.legacy_kv_bytes(ctx_tokens)?;
        Some(format!(
            "older (pre-MLA) GGUF layout: its KV cache at {ctx_tokens} tokens is {}; a file \
             converted by a current llama.cpp caches the compressed latent and needs {}",
            crate::format::format_bytes(legacy),
            crate::format::format_bytes(split)
        ))
    }

    /// The row `seekdeck scan --json` prints.
    pub fn row(&self) -> LocalModelRow {
        let info = self.info.as_ref().ok();
        LocalModelRow {
            path: self.found.path.display().to_string(),
            name: self.found.display_name.clone(),
            source: self.found.source.label(),
            catalog_id: self.catalog_match.as_ref().map(|m| m.model_id.clone()),
            matched_by_name: self.catalog_match.as_ref().is_some_and(|m| m.by_name),
            architecture: info.map(|i| i.architecture.clone()),
            quantization: info.map(GgufInfo::quant_label),
            params: info.map(|i| i.params),
            file_bytes: info.map(|i| i.file_bytes),
            context_length: info.and_then(|i| i.context_length),
            problem: self.problem(),
        }
    }
}

/// Reads every part's header; the first problem found is the file's.
fn read_info(found: &FoundFile) -> Result<GgufInfo, FileProblem> {
    if let Some(why) = &found.damaged_manifest {
        return Err(FileProblem::DamagedManifest(why.clone()));
    }
    if !found.missing_parts.is_empty() {
        return Err(FileProblem::MissingParts(found.missing_parts.clone()));
    }
    let headers = found
        .parts
        .iter()
        .map(|p| {
            GgufHeader::read(p).map_err(|error| FileProblem::Header {
                part: (found.parts.len() > 1).then(|| file_name(p)),
                error,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    GgufInfo::from_headers(&headers).ok_or(FileProblem::NoArchitecture)
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Inspects one file (opened or dropped); a part of a split model brings its siblings.
pub fn inspect_path(path: &Path, models: &[Model]) -> LocalModel {
    let name = file_name(path);
    let sibling_group = split_part(&name).and_then(|(stem, _, _)| {
        let folder = path.parent()?;
        scan::find_gguf_files(folder, Source::Opened)
            .into_iter()
            .find(|f| f.parts.len() > 1 || !f.missing_parts.is_empty())
            .filter(|f| f.display_name.starts_with(&format!("{stem}.gguf")))
    });
    let found = sibling_group.unwrap_or_else(|| FoundFile {
        path: path.to_path_buf(),
        parts: vec![path.to_path_buf()],
        missing_parts: Vec::new(),
        display_name: name,
        source: Source::Opened,
        damaged_manifest: None,
    });
    LocalModel::inspect(found, models, &mut HeaderCache::default())
}

/// Finds and inspects every model under `roots`, reading only the headers `cache` does not
/// remember as they are.
pub fn scan_roots(roots: &[Root], models: &[Model], cache: &mut HeaderCache) -> Vec<LocalModel> {
    scan::find_all(roots)
        .into_iter()
        .map(|f| LocalModel::inspect(f, models, cache))
        .collect()
}
