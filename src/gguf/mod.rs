//! GGUF files: reading a header without trusting it ([`read`]) from a local file or ranges of a
//! remote one ([`source`]), writing files ([`write`]: tiny
//! real models for tests, sparse shape-only files), the shape-only file of a catalog model
//! ([`shape`]), the names of split parts and layer tensors ([`names`]), and the metadata type tags both
//! sides share ([`value_type`]). No llama.cpp here.

pub mod names;
pub mod read;
pub mod shape;
pub mod source;
pub mod value_type;
pub mod write;
