//! Reads a GGUF file's header (metadata and tensor list) without touching the weights, in plain
//! Rust: a truncated or foreign file gives a precise [`HeaderError`] instead of a process abort.
//! llama-cpp-2's `GgufContext` aborts on a getter of the wrong type and has no array or tensor-shape
//! getters, and the scanner reads hundreds of files, so this small reader is seekdeck's own.
//! Format: `ggml/include/gguf.h` (version 2 and 3; all integers little-endian).
//!
//! Speed: a real 7B file has a 5.9 MB header, most of it the 152,064 vocabulary strings and
//! 151,387 merges, which are skipped by their lengths. The reader keeps its own position over a
//! window of the file (256 KiB, refilled by one positioned read), so a skip is arithmetic, not a
//! system call; it reads through a [`HeaderSource`], so the same code reads a local file or, for
//! downloads, ranges of a remote one.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

pub use super::source::{FileSource, HeaderSource};

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
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// The path is a folder.
    #[error("it is a folder, not a GGUF file")]
    Folder,
    /// The file has no bytes at all.
    #[error("the file is empty (0 bytes): not a GGUF file, or a download that never started")]
    Empty,
    /// The header ends early or the data region is shorter than the tensors need.
    #[error("{}", truncated_words(*have, *need))]
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

/// Larger than any model file (DeepSeek-V3 in BF16 is 1.3 TB): a header that claims more is
/// damaged, not cut short.
const MAX_PLAUSIBLE_FILE_BYTES: u64 = 16 << 40;

/// A truncated file in words: an interrupted download is suggested only where the size the
/// header asks for is one a model file can have (a count of 2^62 entries is damage).
fn truncated_words(have: u64, need: u64) -> String {
    if need > MAX_PLAUSIBLE_FILE_BYTES {
        format!(
            "the header is damaged: it claims {need} bytes, more than any model file has ({have} bytes on disk)"
        )
    } else {
        format!(
            "the file is truncated: {have} bytes on disk, {need} needed (an interrupted download?)"
        )
    }
}

impl GgufHeader {
    /// Reads the header of `path` and checks that the data region is complete.
    pub fn read(path: &Path) -> Result<Self, HeaderError> {
        if path.is_dir() {
            return Err(HeaderError::Folder);
        }
        let source = FileSource::open(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => HeaderError::Missing,
            _ => HeaderError::Io(e.to_string()),
        })?;
        Self::read_from(source)
    }

    /// Reads the header from `source` and checks that the data region is complete.
    pub fn read_from(source: impl HeaderSource) -> Result<Self, HeaderError> {
        let file_bytes = source.file_len();
        if file_bytes == 0 {
            return Err(HeaderError::Empty);
        }
        let mut r = Reader {
            source,
            file_bytes,
            pos: 0,
            window: Vec::new(),
            window_start: 0,
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

/// Reads values at `pos` from a window of the source's bytes starting at `window_start`.
struct Reader<S> {
    source: S,
    file_bytes: u64,
    pos: u64,
    window: Vec<u8>,
    window_start: u64,
}

impl<S: HeaderSource> Reader<S> {
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
        // A tensor entry is at least a name length, a dimension count, a type and an offset; a
        // metadata entry at least a key length, a type and a one-byte value.
        let n_tensors = self.count("tensor count", 8 + 4 + 4 + 8)?;
        let n_kv = self.count("metadata count", 8 + 4 + 1)?;
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
        let pos = self.pos;
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

    /// Moves past `n` bytes without reading them.
    fn skip(&mut self, n: u64) -> Result<(), HeaderError> {
        let end = self.pos.saturating_add(n);
        if end > self.file_bytes {
            return Err(self.truncated(end));
        }
        self.pos = end;
        Ok(())
    }

    fn truncated(&self, need: u64) -> HeaderError {
        HeaderError::Truncated {
            have: self.file_bytes,
            need,
        }
    }

    /// Fills `buf` from the current position, refilling the window when it does not hold them.
    fn bytes(&mut self, buf: &mut [u8]) -> Result<(), HeaderError> {
        let end = self.pos.saturating_add(buf.len() as u64);
        if end > self.file_bytes {
            return Err(self.truncated(end));
        }
        let window_end = self.window_start + self.window.len() as u64;
        if self.pos < self.window_start || end > window_end {
            self.source
                .read_at(self.pos, buf.len(), &mut self.window)
                .map_err(|e| match e.kind() {
                    io::ErrorKind::UnexpectedEof => self.truncated(end),
                    _ => HeaderError::Io(e.to_string()),
                })?;
            self.window_start = self.pos;
            if self.window.len() < buf.len() {
                return Err(self.truncated(end));
            }
        }
        let at = (self.pos - self.window_start) as usize;
        buf.copy_from_slice(&self.window[at..at + buf.len()]);
        self.pos = end;
        Ok(())
    }

    /// `N` bytes: straight from the window when it holds them (a fixed-size copy, the path of
    /// nearly every read), else through [`Reader::bytes`].
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], HeaderError> {
        let mut buf = [0u8; N];
        if let Some(at) = self
            .pos
            .checked_sub(self.window_start)
            .and_then(|at| usize::try_from(at).ok())
        {
            if let Some(bytes) = at.checked_add(N).and_then(|end| self.window.get(at..end)) {
                buf.copy_from_slice(bytes);
                self.pos += N as u64;
                return Ok(buf);
            }
        }
        self.bytes(&mut buf)?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, HeaderError> {
        Ok(u32::from_le_bytes(self.fixed()?))
    }

    fn u64(&mut self) -> Result<u64, HeaderError> {
        Ok(u64::from_le_bytes(self.fixed()?))
    }

    /// A count of entries, each at least `min_entry_bytes` long: no more than the bytes left in
    /// the file can hold (else the file is cut short), so nothing is reserved for entries that
    /// are not there.
    fn count(&mut self, what: &str, min_entry_bytes: u64) -> Result<u64, HeaderError> {
        let n = self.u64()?;
        if n > MAX_ENTRIES {
            return Err(HeaderError::Corrupt(format!("{what} {n} is impossible")));
        }
        let end = self.pos.saturating_add(n * min_entry_bytes);
        if end > self.file_bytes {
            return Err(self.truncated(end));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, HeaderError> {
        let n = self.u64()?;
        if n > MAX_STRING_BYTES {
            return Err(HeaderError::Corrupt(format!("a string of {n} bytes")));
        }
        // Nothing is allocated for bytes the file does not have.
        let end = self.pos.saturating_add(n);
        if end > self.file_bytes {
            return Err(self.truncated(end));
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

    /// A source serving `path` by ranges, as a remote file would be.
    fn ranges_of(
        path: &Path,
        first_guess: u64,
    ) -> super::super::source::RangeSource<impl FnMut(std::ops::Range<u64>) -> io::Result<Vec<u8>>>
    {
        use std::io::{Read, Seek};
        let mut file = std::fs::File::open(path).unwrap();
        let len = file.metadata().unwrap().len();
        super::super::source::RangeSource::new(len, first_guess, move |range| {
            file.seek(io::SeekFrom::Start(range.start))?;
            let mut buf = vec![0u8; (range.end - range.start) as usize];
            file.read_exact(&mut buf)?;
            Ok(buf)
        })
    }

    #[test]
    fn every_source_and_window_reads_the_same_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = vec![sample(dir.path())];
        for m in crate::catalog::builtin_catalog_models() {
            let path = dir.path().join(format!("{}.gguf", m.id));
            crate::gguf::shape::write_shape_only(
                &m,
                crate::estimate::quant::Quant::Q4_K_M,
                crate::estimate::tensors::MlaLayout::Split,
                &path,
            )
            .unwrap();
            files.push(path);
        }
        for path in &files {
            let from_file = GgufHeader::read(path).unwrap();
            // Windows from 1 byte up: every value split across a window's edge somewhere.
            for first_guess in [1, 7, 4096] {
                let mut source = ranges_of(path, first_guess);
                let from_ranges = GgufHeader::read_from(&mut source).unwrap();
                assert_eq!(from_ranges, from_file, "{}", path.display());
                // Only the header is asked for (at most about twice it), never the weights.
                let header = from_file.data_offset;
                assert!(
                    source.requested_bytes <= 2 * header + first_guess,
                    "{} bytes asked for a {header}-byte header",
                    source.requested_bytes
                );
            }
        }
    }

    #[test]
    fn a_server_that_ignores_the_range_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(sample(dir.path())).unwrap();
        let mut calls = 0;
        // The first answer is right, the second ten bytes whatever was asked.
        let source = super::super::source::RangeSource::new(bytes.len() as u64, 64, |range| {
            calls += 1;
            Ok(if calls == 1 {
                bytes[range.start as usize..range.end as usize].to_vec()
            } else {
                vec![0u8; 10]
            })
        });
        let e = GgufHeader::read_from(source).unwrap_err();
        assert!(
            matches!(e, HeaderError::Io(ref m) if m.contains("got 10 bytes")),
            "{e}"
        );
    }

    #[test]
    fn a_remote_header_is_read_within_its_byte_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = sample(dir.path());
        let header = GgufHeader::read(&path).unwrap().data_offset;
        // Enough room: read as usual; too little: refused before asking for more.
        let mut roomy = ranges_of(&path, 64).with_limit(4 * header);
        assert!(GgufHeader::read_from(&mut roomy).is_ok());
        assert!(roomy.requested_bytes <= 4 * header);
        let mut tight = ranges_of(&path, 64).with_limit(header / 2);
        let e = GgufHeader::read_from(&mut tight).unwrap_err();
        assert!(
            matches!(e, HeaderError::Io(ref m) if m.contains("header needs more than")),
            "{e}"
        );
        assert!(tight.requested_bytes <= header / 2);
    }

    #[test]
    fn lengths_and_counts_beyond_the_file_allocate_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hostile.gguf");
        let header = |n_tensors: u64, n_kv: u64, key_len: u64| {
            let mut b = b"GGUF".to_vec();
            b.extend(3u32.to_le_bytes());
            b.extend(n_tensors.to_le_bytes());
            b.extend(n_kv.to_le_bytes());
            b.extend(key_len.to_le_bytes());
            b.extend(b"abc");
            b.extend([0u8; 16]);
            b
        };
        // A 60 MiB key in a 51-byte file; 16 million tensors; a million metadata entries.
        for (bytes, need_at_least) in [
            (header(0, 1, 60 << 20), 60 << 20),
            (header(1 << 24, 1, 3), (1u64 << 24) * 24),
            (header(0, 1 << 20, 3), (1u64 << 20) * 13),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            match GgufHeader::read(&path) {
                Err(HeaderError::Truncated { have, need }) => {
                    assert_eq!(have, bytes.len() as u64);
                    assert!(need >= need_at_least, "{need}");
                }
                other => panic!("{other:?}"),
            }
        }
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

    #[test]
    fn empty_files_folders_and_absurd_counts_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.gguf");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(GgufHeader::read(&empty).unwrap_err(), HeaderError::Empty);
        let folder = dir.path().join("x.gguf");
        std::fs::create_dir(&folder).unwrap();
        let e = GgufHeader::read(&folder).unwrap_err();
        assert_eq!(e, HeaderError::Folder);
        assert!(e.to_string().contains("folder"), "{e}");
        let absurd = HeaderError::Truncated {
            have: 4096,
            need: 1 << 62,
        };
        assert!(
            !absurd.to_string().contains("interrupted download"),
            "{absurd}"
        );
        assert!(absurd.to_string().contains("damaged"), "{absurd}");
        let cut = HeaderError::Truncated {
            have: 4096,
            need: 5 << 30,
        };
        assert!(cut.to_string().contains("interrupted download"), "{cut}");
    }
}
