//! Quantization formats: ggml's tensor types (block size and bytes per block) and the llama.cpp
//! quantization mixes a user picks (Q4_K_M, Q8_0, …), with the GGUF `general.file_type` of each.
//!
//! Block sizes come from ggml (`ggml/src/ggml.c`, `type_traits`), the same table as gguf-py's
//! `GGML_QUANT_SIZES`.

use serde::{Deserialize, Serialize};

/// A ggml tensor storage type.
#[allow(non_camel_case_types, missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlType {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    IQ2_XXS,
    IQ2_XS,
    IQ3_XXS,
    IQ1_S,
    IQ4_NL,
    IQ3_S,
    IQ2_S,
    IQ4_XS,
    IQ1_M,
}

impl GgmlType {
    /// (elements per block, bytes per block).
    pub const fn block(self) -> (u64, u64) {
        match self {
            Self::F32 => (1, 4),
            Self::F16 | Self::BF16 => (1, 2),
            Self::Q4_0 | Self::IQ4_NL => (32, 18),
            Self::Q4_1 => (32, 20),
            Self::Q5_0 => (32, 22),
            Self::Q5_1 => (32, 24),
            Self::Q8_0 => (32, 34),
            Self::Q2_K => (256, 84),
            Self::Q3_K | Self::IQ3_S => (256, 110),
            Self::Q4_K => (256, 144),
            Self::Q5_K => (256, 176),
            Self::Q6_K => (256, 210),
            Self::IQ2_XXS => (256, 66),
            Self::IQ2_XS => (256, 74),
            Self::IQ3_XXS => (256, 98),
            Self::IQ1_S => (256, 50),
            Self::IQ2_S => (256, 82),
            Self::IQ4_XS => (256, 136),
            Self::IQ1_M => (256, 56),
        }
    }

    /// Bytes taken by `elements` values (a whole number of blocks).
    pub const fn bytes_for(self, elements: u64) -> u64 {
        let (block, bytes) = self.block();
        elements.div_ceil(block) * bytes
    }

    /// Bits per weight of this type.
    pub(crate) fn bits_per_weight(self) -> f64 {
        let (block, bytes) = self.block();
        bytes as f64 * 8.0 / block as f64
    }

    /// ggml's numeric id (`enum ggml_type`), as written in GGUF tensor infos.
    pub const fn ggml_id(self) -> u32 {
        match self {
            Self::F32 => 0,
            Self::F16 => 1,
            Self::Q4_0 => 2,
            Self::Q4_1 => 3,
            Self::Q5_0 => 6,
            Self::Q5_1 => 7,
            Self::Q8_0 => 8,
            Self::Q2_K => 10,
            Self::Q3_K => 11,
            Self::Q4_K => 12,
            Self::Q5_K => 13,
            Self::Q6_K => 14,
            Self::IQ2_XXS => 16,
            Self::IQ2_XS => 17,
            Self::IQ3_XXS => 18,
            Self::IQ1_S => 19,
            Self::IQ4_NL => 20,
            Self::IQ3_S => 21,
            Self::IQ2_S => 22,
            Self::IQ4_XS => 23,
            Self::IQ1_M => 29,
            Self::BF16 => 30,
        }
    }

    /// The type for a ggml id, if seekdeck knows it.
    pub(crate) fn from_ggml_id(id: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.ggml_id() == id)
    }

    /// Every type this module knows.
    pub const ALL: [Self; 22] = [
        Self::F32,
        Self::F16,
        Self::BF16,
        Self::Q4_0,
        Self::Q4_1,
        Self::Q5_0,
        Self::Q5_1,
        Self::Q8_0,
        Self::Q2_K,
        Self::Q3_K,
        Self::Q4_K,
        Self::Q5_K,
        Self::Q6_K,
        Self::IQ2_XXS,
        Self::IQ2_XS,
        Self::IQ3_XXS,
        Self::IQ1_S,
        Self::IQ4_NL,
        Self::IQ3_S,
        Self::IQ2_S,
        Self::IQ4_XS,
        Self::IQ1_M,
    ];
}

/// A quantization the user can pick: a llama.cpp `llama-quantize` preset (`LLAMA_FTYPE_MOSTLY_*`).
#[allow(non_camel_case_types, missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum Quant {
    F16,
    Q8_0,
    Q6_K,
    Q5_K_M,
    Q4_K_M,
    Q4_K_S,
    IQ4_XS,
    Q3_K_M,
    Q2_K,
    IQ2_XXS,
    IQ1_S,
}

impl Quant {
    /// All presets, from largest to smallest.
    pub const ALL: [Self; 11] = [
        Self::F16,
        Self::Q8_0,
        Self::Q6_K,
        Self::Q5_K_M,
        Self::Q4_K_M,
        Self::Q4_K_S,
        Self::IQ4_XS,
        Self::Q3_K_M,
        Self::Q2_K,
        Self::IQ2_XXS,
        Self::IQ1_S,
    ];

    /// The name llama.cpp and GGUF file names use.
    pub const fn label(self) -> &'static str {
        match self {
            Self::F16 => "F16",
            Self::Q8_0 => "Q8_0",
            Self::Q6_K => "Q6_K",
            Self::Q5_K_M => "Q5_K_M",
            Self::Q4_K_M => "Q4_K_M",
            Self::Q4_K_S => "Q4_K_S",
            Self::IQ4_XS => "IQ4_XS",
            Self::Q3_K_M => "Q3_K_M",
            Self::Q2_K => "Q2_K",
            Self::IQ2_XXS => "IQ2_XXS",
            Self::IQ1_S => "IQ1_S",
        }
    }

    /// Parses a label, case-insensitively (`q4_k_m`, `Q4_K_M`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|q| q.label().eq_ignore_ascii_case(s.trim()))
    }

    /// The type most tensors get (`default_type` in `llama-quant.cpp`).
    pub const fn base_type(self) -> GgmlType {
        match self {
            Self::F16 => GgmlType::F16,
            Self::Q8_0 => GgmlType::Q8_0,
            Self::Q6_K => GgmlType::Q6_K,
            Self::Q5_K_M => GgmlType::Q5_K,
            Self::Q4_K_M | Self::Q4_K_S => GgmlType::Q4_K,
            Self::IQ4_XS => GgmlType::IQ4_XS,
            Self::Q3_K_M => GgmlType::Q3_K,
            Self::Q2_K => GgmlType::Q2_K,
            Self::IQ2_XXS => GgmlType::IQ2_XXS,
            Self::IQ1_S => GgmlType::IQ1_S,
        }
    }

    /// GGUF `general.file_type` (`enum llama_ftype`).
    pub const fn file_type(self) -> u32 {
        match self {
            Self::F16 => 1,
            Self::Q8_0 => 7,
            Self::Q2_K => 10,
            Self::Q3_K_M => 12,
            Self::Q4_K_S => 14,
            Self::Q4_K_M => 15,
            Self::Q5_K_M => 17,
            Self::Q6_K => 18,
            Self::IQ2_XXS => 19,
            Self::IQ1_S => 24,
            Self::IQ4_XS => 30,
        }
    }

    /// The preset for a GGUF `general.file_type`, if it is one of seekdeck's presets.
    pub(crate) fn from_file_type(ft: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.file_type() == ft)
    }

    /// Whether the preset is an "IQ1/IQ2" very-low-bit mix (its own branch in `llama-quant.cpp`).
    pub const fn is_very_low_bit(self) -> bool {
        matches!(self, Self::IQ2_XXS | Self::IQ1_S)
    }
}

impl std::fmt::Display for Quant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_per_weight_match_ggml() {
        // Raw block bpw from gguf-py GGML_QUANT_SIZES (reference table §4).
        let cases = [
            (GgmlType::F16, 16.0),
            (GgmlType::Q8_0, 8.5),
            (GgmlType::Q6_K, 6.5625),
            (GgmlType::Q5_K, 5.5),
            (GgmlType::Q4_K, 4.5),
            (GgmlType::Q3_K, 3.4375),
            (GgmlType::Q2_K, 2.625),
            (GgmlType::IQ2_XXS, 2.0625),
            (GgmlType::IQ1_S, 1.5625),
            (GgmlType::IQ4_XS, 4.25),
        ];
        for (t, bpw) in cases {
            assert!((t.bits_per_weight() - bpw).abs() < 1e-9, "{t:?}");
        }
    }

    #[test]
    fn labels_round_trip() {
        for q in Quant::ALL {
            assert_eq!(Quant::parse(q.label()), Some(q));
            assert_eq!(Quant::from_file_type(q.file_type()), Some(q));
        }
        assert_eq!(Quant::parse("q4_k_m"), Some(Quant::Q4_K_M));
        assert_eq!(Quant::parse("Q9"), None);
    }
}
