//! Getting a GGUF from the Hugging Face Hub: which files a repository has (`repo`), what each
//! file's header says before it is downloaded (`remote_header`, a few range requests, remembered
//! by content hash; `survey` does both for a model's repositories), this PC's verdict for each and the one to recommend (`choice`), and the
//! download itself (`transfer`: resumed with HTTP ranges, retried, verified against the Hub's
//! SHA-256, written into the Hugging Face cache layout by `cache_layout`), queued and persisted
//! by `queue`.
//!
//! HTTP is `ureq` (blocking, rustls) rather than huggingface's own `hf-hub` crate: hf-hub 1.0
//! brings tokio, reqwest and the Xet client (284 crates against ureq's ~40, minutes of CI build),
//! is async inside an app whose workers are plain threads, and restarts an interrupted download
//! from zero — the one thing this module must not do. The cache layout it writes is huggingface's
//! documented one, so its tools and llama.cpp see the files.

pub mod cache_layout;
pub mod choice;
pub mod config;
pub mod http;
mod pipeline;
pub mod queue;
pub mod remote_header;
pub mod repo;
pub mod survey;
pub mod transfer;

pub use choice::{choose_file, recommend, FileChoice};
pub use config::HubConfig;
pub use http::{Http, HubError};
pub use queue::{DownloadJob, Downloads, JobState};
pub use remote_header::{RemoteHeaders, RemoteInfoError};
pub use repo::{list_repo, RemoteGguf, RemotePart, RepoListing};
pub use survey::{survey, Survey};
pub use transfer::{
    download, Control, Progress, RetryPolicy, TransferEnd, TransferError, TransferSettings,
};
