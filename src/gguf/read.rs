//! Reads a GGUF file's header (metadata and tensor list) without touching the weights, in plain
//! Rust: a truncated or foreign file gives a precise [`HeaderError`] instead of a process abort.
//! llama-cpp-2's `GgufContext` aborts on a getter of the wrong type and has no array or tensor-shape
//! getters, and the scanner reads hundreds of files, so this small reader is seekdeck's own.
//! Format: `ggml/include/gguf.h` (version 2 and 3; all integers little-endian).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use super::value_type::ValueType;
use crate::estimate::quant::GgmlType;

/// Longest metadata string accepted (chat templates are a few KB; this stops a corrupt length
/// from allocating gigabytes).
const MAX_STRING_BYTES: u64 = 64 << 20;
/// Most tensors or metadata entries accepted.
const MAX_ENTRIES: u64 = 1 << 24;
/// `GGUF_DEFAULT_ALIGNMENT`.
const DEFAULT_ALIGNMENT: u64 = 32;

/// A metadata value as seekdeck keeps it: scalars and strings in full, arrays by length.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Any unsigned or signed integer type, widened.
    Int(i128),
    /// f32 or f64.
    Float(f64),
    /// A bool.
    Bool(bool),
    /// A UTF-8 string (invalid bytes replaced).
    Str(String),
    /// An array: element type id and length (contents skipped).
    Array {
        /// `enum gguf_type` of the elements.
        element_type: u32,
        /// Number of elements.
        len: u64,
    },
}

/// One tensor's entry in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorHeader {
    /// Name, e.g. `blk.3.ffn_down_exps.weight`.
    pub name: String,
    /// Shape in ggml order.
    pub dims: Vec<u64>,
    /// `enum ggml_type` id.
    pub ggml_type: u32,
    /// Offset inside the data region.
    pub offset: u64,
}

impl TensorHeader {
    /// Elements in the tensor.
    pub fn elements(&self) -> u64 {
        self.dims.iter().product()
    }

    /// Bytes of data, if seekdeck knows the type.
    pub fn bytes(&self) -> Option<u64> {
        GgmlType::from_ggml_id(self.ggml_type).map(|t| t.bytes_for(self.elements()))
    }
}

/// The header of one GGUF file.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufHeader {
    /// Format version.
    pub version: u32,
    /// Metadata by key.
    pub metadata: BTreeMap<String, Value>,
    /// Tensors in file order.
    pub tensors: Vec<TensorHeader>,
    /// Where the data region starts.
    pub data_offset: u64,
    /// The file's length on disk.
    pub file_bytes: u64,
}

/// Why a file could not be read as GGUF.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    /// Nothing at that path.
    #[error("the file does not exist")]
    Missing,
    /// Could not open or read.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// The first four bytes are not `GGUF`.
    #[error("not a GGUF file (it starts with {0:?}, not \"GGUF\")")]
    NotGguf(String),
    /// A version seekdeck does not read.
    #[error("GGUF version {0} is not supported (seekdeck reads versions 2 and 3)")]
    Version(u32),
    /// The header ends early or the data region is shorter than the tensors need.
    #[error(
        "the file is truncated: {have} bytes on disk, {need} needed (an interrupted download?)"
    )]
    Truncated {
        /// Bytes present.
        have: u64,
        /// Bytes the header says the file has.
        need: u64,
    },
    /// A value that cannot be right.
    #[error("the header is corrupt: {0}")]
    Corrupt(String),
}

impl GgufHeader {
    /// Reads the header of `path` and checks that the data region is complete.
    pub fn read(path: &Path) -> Result<Self, HeaderError> {
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => HeaderError::Missing,
            _ => HeaderError::Io(e.to_string()),
        })?;
        let file_bytes = file
            .metadata()
            .map_err(|e| HeaderError::Io(e.to_string()))?
            .len();
        let mut r = Reader {
            inner: BufReader::with_capacity(1 << 16, file),
            file_bytes,
        };
        let header = r.header()?;
        let need = header.data_end();
        if need > file_bytes {
            return Err(HeaderError::Truncated {
                have: file_bytes,
                need,
            });
        }
        Ok(header)
    }

    /// Where the last tensor's data ends (the file's expected length).
    pub(crate) fn data_end(&self) -> u64 {
        let end = self
            .tensors
            .iter()
            .filter_map(|t| t.bytes().map(|b| t.offset + b))
            .max()
            .unwrap_or(0);
        self.data_offset + end
    }

    /// A string value.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.metadata.get(key)? {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// An integer value (any width) that fits in u64.
    pub(crate) fn uint(&self, key: &str) -> Option<u64> {
        match self.metadata.get(key)? {
            Value::Int(i) => u64::try_from(*i).ok(),
            _ => None,
        }
    }

    /// The length of an array value.
    pub(crate) fn array_len(&self, key: &str) -> Option<u64> {
        match self.metadata.get(key)? {
            Value::Array { len, .. } => Some(*len),
            _ => None,
        }
    }

    /// `general.architecture`.
    pub fn architecture(&self) -> Option<&str> {
        self.str("general.architecture")
    }

    /// An architecture-scoped integer, e.g. `arch_uint("block_count")` → `llama.block_count`.
    pub(crate) fn arch_uint(&self, suffix: &str) -> Option<u64> {
        self.uint(&format!("{}.{suffix}", self.architecture()?))
    }
}

struct Reader {
    inner: BufReader<File>,
    file_bytes: u64,
}

impl Reader {
    fn header(&mut self) -> Result<GgufHeader, HeaderError> {
        let mut magic = [0u8; 4];
        self.bytes(&mut magic)
            .map_err(|_| HeaderError::NotGguf(String::from_utf8_lossy(&magic).into_owned()))?;
        if &magic != b"GGUF" {
            return Err(HeaderError::NotGguf(
                String::from_utf8_lossy(&magic).escape_debug().to_string(),
            ));
        }
        let version = self.u32()?;
        if !(2..=3).contains(&version) {
            return Err(HeaderError::Version(version));
        }
        let n_tensors = self.count("tensor count")?;
        let n_kv = self.count("metadata count")?;
        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = self.string()?;
            let ty = self.u32()?;
            let value = self.value(ty)?;
            metadata.insert(key, value);
        }
        let mut tensors = Vec::with_capacity(n_tensors.min(1 << 16) as usize);
        for _ in 0..n_tensors {
            let name = self.string()?;
            let n_dims = self.u32()?;
            if n_dims > 8 {
                return Err(HeaderError::Corrupt(format!(
                    "tensor {name} has {n_dims} dimensions"
                )));
            }
            let dims = (0..n_dims).map(|_| self.u64()).collect::<Result<_, _>>()?;
            let ggml_type = self.u32()?;
            let offset = self.u64()?;
            tensors.push(TensorHeader {
                name,
                dims,
                ggml_type,
                offset,
            });
        }
        let alignment = match metadata.get("general.alignment") {
            Some(Value::Int(a)) if *a > 0 => *a as u64,
            _ => DEFAULT_ALIGNMENT,
        };
        let pos = self
            .inner
            .stream_position()
            .map_err(|e| HeaderError::Io(e.to_string()))?;
        Ok(GgufHeader {
            version,
            metadata,
            tensors,
            data_offset: pos.div_ceil(alignment) * alignment,
            file_bytes: self.file_bytes,
        })
    }

    fn value(&mut self, ty: u32) -> Result<Value, HeaderError> {
        let Some(ty) = ValueType::from_code(ty) else {
            return Err(HeaderError::Corrupt(format!("unknown metadata type {ty}")));
        };
        Ok(match ty {
            ValueType::U8 => Value::Int(self.fixed::<1>()?[0].into()),
            ValueType::I8 => Value::Int(i8::from_le_bytes(self.fixed()?).into()),
            ValueType::U16 => Value::Int(u16::from_le_bytes(self.fixed()?).into()),
            ValueType::I16 => Value::Int(i16::from_le_bytes(self.fixed()?).into()),
            ValueType::U32 => Value::Int(self.u32()?.into()),
            ValueType::I32 => Value::Int(i32::from_le_bytes(self.fixed()?).into()),
            ValueType::F32 => Value::Float(f32::from_le_bytes(self.fixed()?).into()),
            ValueType::Bool => Value::Bool(self.fixed::<1>()?[0] != 0),
            ValueType::Str => Value::Str(self.string()?),
            ValueType::Array => {
                let element_type = self.u32()?;
                let len = self.u64()?;
                self.skip_array(element_type, len)?;
                Value::Array { element_type, len }
            }
            ValueType::U64 => Value::Int(self.u64()?.into()),
            ValueType::I64 => Value::Int(i64::from_le_bytes(self.fixed()?).into()),
            ValueType::F64 => Value::Float(f64::from_le_bytes(self.fixed()?)),
        })
    }

    fn skip_array(&mut self, element_type: u32, len: u64) -> Result<(), HeaderError> {
        let width = match ValueType::from_code(element_type) {
            Some(ValueType::Str) => {
                for _ in 0..len {
                    let n = self.u64()?;
                    self.skip(n)?;
                }
                return Ok(());
            }
            Some(t) if t.width().is_some() => t.width().unwrap_or_default(),
            _ => {
                return Err(HeaderError::Corrupt(format!(
                    "array of unsupported type {element_type}"
                )))
            }
        };
        self.skip(len.saturating_mul(width))
    }

    fn skip(&mut self, n: u64) -> Result<(), HeaderError> {
        let pos = self
            .inner
            .stream_position()
            .map_err(|e| HeaderError::Io(e.to_string()))?;
        if pos.saturating_add(n) > self.file_bytes {
            return Err(self.truncated(pos.saturating_add(n)));
        }
        self.inner
            .seek_relative(n as i64)
            .map_err(|e| HeaderError::Io(e.to_string()))
    }

    fn truncated(&self, need: u64) -> HeaderError {
        HeaderError::Truncated {
            have: self.file_bytes,
            need,
        }
    }

    fn bytes(&mut self, buf: &mut [u8]) -> Result<(), HeaderError> {
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => self.truncated(self.file_bytes + 1),
            _ => HeaderError::Io(e.to_string()),
        })
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], HeaderError> {
        let mut buf = [0u8; N];
        self.bytes(&mut buf)?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, HeaderError> {
        Ok(u32::from_le_bytes(self.fixed()?))
    }

    fn u64(&mut self) -> Result<u64, HeaderError> {
        Ok(u64::from_le_bytes(self.fixed()?))
    }

    fn count(&mut self, what: &str) -> Result<u64, HeaderError> {
        let n = self.u64()?;
        if n > MAX_ENTRIES {
            return Err(HeaderError::Corrupt(format!("{what} {n} is impossible")));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, HeaderError> {
        let n = self.u64()?;
        if n > MAX_STRING_BYTES {
            return Err(HeaderError::Corrupt(format!("a string of {n} bytes")));
        }
        let mut buf = vec![0u8; n as usize];
        self.bytes(&mut buf)?;
        Ok(String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::gguf::write::{GgufBuilder, MetaValue};

    fn sample(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("m.gguf");
        let mut b = GgufBuilder::new();
        b.kv("general.architecture", MetaValue::Str("llama".into()))
            .kv("llama.block_count", MetaValue::U32(2))
            .kv(
                "tokenizer.ggml.tokens",
                MetaValue::StrArray(vec!["a".into(), "bc".into(), "<s>".into()]),
            )
            .kv("general.name", MetaValue::Str("Tiny".into()))
            .tensor("token_embd.weight", &[64, 3], GgmlType::F32)
            .tensor("blk.0.attn_q.weight", &[64, 64], GgmlType::Q8_0);
        b.write_shape_only(&path).unwrap();
        path
    }

    #[test]
    fn reads_metadata_arrays_and_tensors() {
        let dir = tempfile::tempdir().unwrap();
        let h = GgufHeader::read(&sample(dir.path())).unwrap();
        assert_eq!(h.architecture(), Some("llama"));
        assert_eq!(h.arch_uint("block_count"), Some(2));
        assert_eq!(h.array_len("tokenizer.ggml.tokens"), Some(3));
        assert_eq!(h.str("general.name"), Some("Tiny"));
        assert_eq!(h.tensors.len(), 2);
        assert_eq!(h.tensors[1].dims, vec![64, 64]);
        assert_eq!(h.data_end(), h.file_bytes);
    }

    #[test]
    fn truncated_and_foreign_files_say_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let full = std::fs::metadata(&path).unwrap().len();
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(full - 100).unwrap();
        assert!(matches!(
            GgufHeader::read(&path),
            Err(HeaderError::Truncated { need, .. }) if need == full
        ));
        f.set_len(40).unwrap();
        assert!(matches!(
            GgufHeader::read(&path),
            Err(HeaderError::Truncated { .. })
        ));
        std::fs::write(&path, b"PK\x03\x04 a zip file").unwrap();
        let e = GgufHeader::read(&path).unwrap_err();
        assert!(e.to_string().starts_with("not a GGUF file"), "{e}");
        std::fs::write(&path, b"GG").unwrap();
        assert!(GgufHeader::read(&path).is_err());
    }
}
