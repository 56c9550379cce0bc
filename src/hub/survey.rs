//! What a model's repositories offer, described: each repository listed, each GGUF's header read
//! (remembered ones from the cache, the others by range requests on a few threads at once), one
//! repository's failure kept beside the others' files. The window and `seekdeck get` both ask
//! this.

use super::http::{Http, HubError};
use super::remote_header::{read_remote, RemoteHeaders, RemoteInfoError};
use super::repo::{list_repo, RemoteGguf};
use crate::local::GgufInfo;

/// Header reads in flight at once: a Hub answers each in tens of milliseconds.
const READERS: usize = 6;

/// The GGUF files of some repositories, each with its header's description.
#[derive(Debug, Default)]
pub struct Survey {
    /// Every file listed, in repository order, each repository's smallest first.
    pub files: Vec<(RemoteGguf, Result<GgufInfo, RemoteInfoError>)>,
    /// Repositories that could not be listed, and why.
    pub failed: Vec<(String, HubError)>,
    /// Files left out of the listings, and why.
    pub skipped: Vec<String>,
}

/// Lists `repos` and reads each file's header through `headers`.
pub fn survey(http: &Http, headers: &mut RemoteHeaders, repos: &[String]) -> Survey {
    let mut out = Survey::default();
    let mut files = Vec::new();
    for repo in repos {
        match list_repo(http, repo) {
            Ok(listing) => {
                out.skipped.extend(
                    listing
                        .skipped
                        .into_iter()
                        .map(|s| format!("{}: {s}", listing.repo)),
                );
                files.extend(listing.files);
            }
            Err(e) => out.failed.push((repo.clone(), e)),
        }
    }
    let unknown: Vec<&RemoteGguf> = files
        .iter()
        .filter(|f| headers.cached(f).is_none())
        .collect();
    let reads = std::thread::scope(|scope| {
        let chunk = unknown.len().div_ceil(READERS).max(1);
        let workers: Vec<_> = unknown
            .chunks(chunk)
            .map(|group| {
                std::thread::Builder::new()
                    .name("hub-headers".to_owned())
                    .spawn_scoped(scope, move || {
                        group
                            .iter()
                            .map(|f| ((*f).clone(), read_remote(http, f)))
                            .collect::<Vec<_>>()
                    })
            })
            .collect();
        workers
            .into_iter()
            .filter_map(|w| w.ok()?.join().ok())
            .flatten()
            .collect::<Vec<_>>()
    });
    let mut read_now: std::collections::HashMap<String, _> = reads
        .into_iter()
        .map(|(file, read)| (file.key(), headers.add(&file, read)))
        .collect();
    for f in files {
        let info = read_now
            .remove(&f.key())
            .or_else(|| headers.cached(&f))
            .unwrap_or_else(|| {
                Err(RemoteInfoError::Hub(HubError::Broken(
                    "the header reader stopped".to_owned(),
                )))
            });
        out.files.push((f, info));
    }
    out
}
