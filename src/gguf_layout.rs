//! Which KV-cache layout a `deepseek2` GGUF uses, read from its metadata only (never the weights):
//! files converted since llama.cpp PR #12801 carry `deepseek2.attention.key_length_mla` and cache a
//! compressed latent; older ("legacy") files lack it and cache full per-head keys and values.

use std::path::Path;

use llama_cpp_2::gguf::GgufContext;

use crate::tensors::MlaLayout;

/// `GGUF_TYPE_STRING` (`enum gguf_type`): checked before reading, as a getter of the wrong type
/// aborts inside llama.cpp.
const GGUF_TYPE_STRING: u32 = 8;

/// The file's `general.architecture`, if it is a readable GGUF.
pub fn architecture(path: &Path) -> Option<String> {
    let ctx = GgufContext::from_file(path)?;
    let idx = ctx.find_key("general.architecture");
    if idx < 0 || ctx.kv_type(idx) != GGUF_TYPE_STRING {
        return None;
    }
    ctx.val_str(idx).map(str::to_owned)
}

/// The MLA layout of a `deepseek2` file; `None` for other architectures or unreadable files.
pub fn mla_layout(path: &Path) -> Option<MlaLayout> {
    if architecture(path)? != "deepseek2" {
        return None;
    }
    let ctx = GgufContext::from_file(path)?;
    Some(if ctx.find_key("deepseek2.attention.key_length_mla") >= 0 {
        MlaLayout::Split
    } else {
        MlaLayout::Legacy
    })
}
