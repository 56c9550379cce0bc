//! Names inside and around GGUF files that more than one layer reads: split-model part names
//! (`name-00002-of-00003.gguf`, llama.cpp's `llama_split_prefix` format) and the block index in a
//! tensor name (`blk.12.attn_q.weight`).

use std::path::{Path, PathBuf};

/// `("name", 2, 3)` for `name-00002-of-00003.gguf` (llama.cpp's `llama_split_prefix` format).
pub(crate) fn split_part(file_name: &str) -> Option<(&str, u32, u32)> {
    let cut = file_name.len().checked_sub(5)?;
    // Only a `.gguf` file is a part (found by `make fuzz`: any five last characters were taken
    // for the extension, so `m-00001-of-00003.part`, a download in progress, counted as a part).
    if !file_name.get(cut..)?.eq_ignore_ascii_case(".gguf") {
        return None;
    }
    let base = file_name.get(..cut)?;
    let (rest, total) = base.rsplit_once("-of-")?;
    let (stem, no) = rest.rsplit_once('-')?;
    if no.len() != 5 || total.len() != 5 {
        return None;
    }
    let (no, total) = (no.parse().ok()?, total.parse().ok()?);
    (no >= 1 && no <= total).then_some((stem, no, total))
}

/// Part `no` of `total` of the split model `stem` in `folder`.
pub(crate) fn part_path(folder: &Path, stem: &str, no: u32, total: u32) -> PathBuf {
    folder.join(format!("{stem}-{no:05}-of-{total:05}.gguf"))
}

/// Every part of the model `path` belongs to: all `name-0000k-of-0000n.gguf` beside a part of a
/// split model, else `path` alone.
pub(crate) fn model_parts(path: &Path) -> Vec<PathBuf> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match split_part(name) {
        Some((stem, _, total)) => {
            let folder = path.parent().unwrap_or(Path::new(""));
            (1..=total)
                .map(|no| part_path(folder, stem, no, total))
                .collect()
        }
        None => vec![path.to_path_buf()],
    }
}

/// The block index of a tensor named `blk.N.…` (`blk.12.attn_q.weight` → 12).
pub fn layer_of(name: &str) -> Option<u32> {
    name.strip_prefix("blk.")?.split('.').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_of_a_split_model() {
        let parts = model_parts(Path::new("/m/V3-Q2_K-00002-of-00003.gguf"));
        assert_eq!(
            parts,
            ["00001", "00002", "00003"]
                .map(|n| PathBuf::from(format!("/m/V3-Q2_K-{n}-of-00003.gguf")))
        );
        assert_eq!(
            model_parts(Path::new("/m/one.gguf")),
            [PathBuf::from("/m/one.gguf")]
        );
    }

    #[test]
    fn split_names() {
        assert_eq!(
            split_part("DeepSeek-R1-Q4_K_M-00002-of-00009.gguf"),
            Some(("DeepSeek-R1-Q4_K_M", 2, 9))
        );
        assert_eq!(split_part("model-Q4_K_M.gguf"), None);
        assert_eq!(split_part("x-00004-of-00003.gguf"), None);
        assert_eq!(split_part("x-00001-of-00003.part"), None);
        assert_eq!(split_part("x-00001-of-00003/gwuf"), None);
        assert_eq!(split_part("X-00001-of-00003.GGUF"), Some(("X", 1, 3)));
        assert_eq!(split_part("a.gguf"), None);
    }

    #[test]
    fn layer_numbers() {
        assert_eq!(layer_of("blk.12.attn_q.weight"), Some(12));
        assert_eq!(layer_of("output.weight"), None);
    }
}
