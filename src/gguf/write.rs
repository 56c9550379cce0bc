//! Writes GGUF files (format v3, `ggml/include/gguf.h`): metadata, tensor infos and a data region
//! that is either filled by the caller or left sparse. Sparse "shape-only" files carry the full tensor
//! list of a real model in a few MB of disk; llama.cpp can load them without allocating
//! (`no_alloc`) and report what the real model would need. Tests also use it for tiny real models.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use super::value_type::ValueType;
use crate::estimate::quant::GgmlType;

/// Data alignment (`GGUF_DEFAULT_ALIGNMENT`).
pub(crate) const ALIGNMENT: u64 = 32;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// `GGUF_TYPE_UINT16`.
    U16(u16),
    /// `GGUF_TYPE_UINT32`.
    U32(u32),
    /// `GGUF_TYPE_INT32`.
    I32(i32),
    /// `GGUF_TYPE_FLOAT32`.
    F32(f32),
    /// `GGUF_TYPE_BOOL`.
    Bool(bool),
    /// `GGUF_TYPE_STRING`.
    Str(String),
    /// Array of strings.
    StrArray(Vec<String>),
    /// Array of f32.
    F32Array(Vec<f32>),
    /// Array of i32.
    I32Array(Vec<i32>),
}

/// One tensor's header entry.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorEntry {
    /// GGUF name, e.g. `blk.0.attn_q.weight`.
    pub name: String,
    /// Shape in ggml order (`ne[0]` first).
    pub ne: Vec<u64>,
    /// Storage type.
    pub ty: GgmlType,
}

impl TensorEntry {
    /// Bytes of this tensor's data.
    pub fn bytes(&self) -> u64 {
        self.ty.bytes_for(self.ne.iter().product())
    }
}

/// A GGUF file under construction.
#[derive(Debug, Clone, Default)]
pub struct GgufBuilder {
    kv: Vec<(String, MetaValue)>,
    tensors: Vec<TensorEntry>,
}

impl GgufBuilder {
    /// An empty file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a metadata key.
    pub fn kv(&mut self, key: impl Into<String>, value: MetaValue) -> &mut Self {
        self.kv.push((key.into(), value));
        self
    }

    /// Adds a tensor.
    pub fn tensor(&mut self, name: impl Into<String>, ne: &[u64], ty: GgmlType) -> &mut Self {
        self.tensors.push(TensorEntry {
            name: name.into(),
            ne: ne.to_vec(),
            ty,
        });
        self
    }

    /// The tensors, in file order.
    pub fn tensors(&self) -> &[TensorEntry] {
        &self.tensors
    }

    /// Splits the file the way `llama-gguf-split` does: part 1 keeps all metadata, every part
    /// gets `split.no`, `split.count` and `split.tensors.count`, tensors are dealt out in order.
    pub fn split_parts(&self, n_parts: u16) -> Vec<Self> {
        let n = usize::from(n_parts.max(1));
        let per_part = self.tensors.len().div_ceil(n).max(1);
        self.tensors
            .chunks(per_part)
            .enumerate()
            .map(|(i, chunk)| {
                let mut part = Self {
                    kv: if i == 0 { self.kv.clone() } else { Vec::new() },
                    tensors: chunk.to_vec(),
                };
                part.kv.push(("split.no".into(), MetaValue::U16(i as u16)));
                part.kv
                    .push(("split.count".into(), MetaValue::U16(n_parts)));
                part.kv.push((
                    "split.tensors.count".into(),
                    MetaValue::I32(self.tensors.len() as i32),
                ));
                part
            })
            .collect()
    }

    /// Total bytes of tensor data.
    pub(crate) fn data_bytes(&self) -> u64 {
        self.tensors
            .iter()
            .map(|t| t.bytes().next_multiple_of(ALIGNMENT))
            .sum()
    }

    /// Writes header and metadata, then leaves the data region sparse (`set_len`).
    /// Returns the file's logical size.
    pub fn write_shape_only(&self, path: &Path) -> io::Result<u64> {
        let file = File::create(path)?;
        let mut w = BufWriter::new(file);
        let data_start = self.write_header(&mut w)?;
        let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        let len = data_start + self.data_bytes();
        file.set_len(len)?;
        Ok(len)
    }

    /// Writes the whole file; `fill` returns each tensor's data (exactly `TensorEntry::bytes` long).
    pub fn write_with_data(
        &self,
        path: &Path,
        mut fill: impl FnMut(&TensorEntry) -> Vec<u8>,
    ) -> io::Result<u64> {
        self.write_some_data(path, |t| Some(fill(t)))
    }

    /// Writes the file with the data `fill` returns for some tensors (exactly
    /// `TensorEntry::bytes` long); a tensor it returns `None` for is left a hole (zeros, no disk).
    pub fn write_some_data(
        &self,
        path: &Path,
        mut fill: impl FnMut(&TensorEntry) -> Option<Vec<u8>>,
    ) -> io::Result<u64> {
        let mut w = BufWriter::new(File::create(path)?);
        let data_start = self.write_header(&mut w)?;
        let mut offset = 0u64;
        for t in &self.tensors {
            let padded = (offset + t.bytes()).next_multiple_of(ALIGNMENT);
            if let Some(data) = fill(t) {
                if data.len() as u64 != t.bytes() {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "tensor {} needs {} bytes, got {}",
                            t.name,
                            t.bytes(),
                            data.len()
                        ),
                    ));
                }
                w.seek(SeekFrom::Start(data_start + offset))?;
                w.write_all(&data)?;
            }
            offset = padded;
        }
        w.flush()?;
        let file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        let len = data_start + offset;
        file.set_len(len)?;
        Ok(len)
    }

    /// Writes everything up to the (aligned) start of the data region; returns that offset.
    fn write_header(&self, w: &mut impl Write) -> io::Result<u64> {
        let mut h = Vec::new();
        h.extend_from_slice(b"GGUF");
        h.extend_from_slice(&3u32.to_le_bytes());
        h.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        h.extend_from_slice(&(self.kv.len() as u64).to_le_bytes());
        for (key, value) in &self.kv {
            h.extend_from_slice(&encode_str(key));
            h.extend_from_slice(&encode_value(value));
        }
        let mut offset = 0u64;
        for t in &self.tensors {
            h.extend_from_slice(&encode_str(&t.name));
            h.extend_from_slice(&(t.ne.len() as u32).to_le_bytes());
            for d in &t.ne {
                h.extend_from_slice(&d.to_le_bytes());
            }
            h.extend_from_slice(&t.ty.ggml_id().to_le_bytes());
            h.extend_from_slice(&offset.to_le_bytes());
            offset += t.bytes().next_multiple_of(ALIGNMENT);
        }
        let padded = (h.len() as u64).next_multiple_of(ALIGNMENT);
        h.resize(padded as usize, 0);
        w.write_all(&h)?;
        Ok(padded)
    }
}

fn encode_str(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// Type tag (`enum gguf_type`) followed by the value.
fn encode_value(v: &MetaValue) -> Vec<u8> {
    use ValueType::{Array as ARR, Bool as BOOL, Str as STR, F32, I32, U16, U32};
    let mut out = Vec::new();
    let array_header = |out: &mut Vec<u8>, ty: ValueType, len: usize| {
        out.extend_from_slice(&ARR.code().to_le_bytes());
        out.extend_from_slice(&ty.code().to_le_bytes());
        out.extend_from_slice(&(len as u64).to_le_bytes());
    };
    match v {
        MetaValue::U16(x) => {
            out.extend_from_slice(&U16.code().to_le_bytes());
            out.extend_from_slice(&x.to_le_bytes());
        }
        MetaValue::U32(x) => {
            out.extend_from_slice(&U32.code().to_le_bytes());
            out.extend_from_slice(&x.to_le_bytes());
        }
        MetaValue::I32(x) => {
            out.extend_from_slice(&I32.code().to_le_bytes());
            out.extend_from_slice(&x.to_le_bytes());
        }
        MetaValue::F32(x) => {
            out.extend_from_slice(&F32.code().to_le_bytes());
            out.extend_from_slice(&x.to_le_bytes());
        }
        MetaValue::Bool(x) => {
            out.extend_from_slice(&BOOL.code().to_le_bytes());
            out.push(u8::from(*x));
        }
        MetaValue::Str(s) => {
            out.extend_from_slice(&STR.code().to_le_bytes());
            out.extend_from_slice(&encode_str(s));
        }
        MetaValue::StrArray(items) => {
            array_header(&mut out, STR, items.len());
            for s in items {
                out.extend_from_slice(&encode_str(s));
            }
        }
        MetaValue::F32Array(items) => {
            array_header(&mut out, F32, items.len());
            for x in items {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        MetaValue::I32Array(items) => {
            array_header(&mut out, I32, items.len());
            for x in items {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
    }
    out
}
