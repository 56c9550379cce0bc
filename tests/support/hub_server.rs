//! A small Hugging Face Hub on 127.0.0.1 for tests and benchmarks: the model-info API
//! (`/api/models/<repo>/revision/main?blobs=true`), `resolve` URLs that redirect to a file server
//! as the Hub's CDN does, and range requests — with faults to inject: a connection dropped at a
//! byte, 5xx answers, 416, a range ignored, wrong bytes, a gated repository, a slow server.
//! One thread per connection, `Connection: close` on every answer.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// The commit every repository of this server is at.
pub const COMMIT: &str = "5eedfeed5eedfeed5eedfeed5eedfeed5eedfeed";

/// Faults the next requests meet; each count is used up one request at a time.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// File answers that close the connection after this many body bytes (one entry a request).
    pub drop_after: Vec<u64>,
    /// File requests answered 503 first.
    pub server_errors: u32,
    /// File requests answered 429 with `Retry-After: 0` first.
    pub rate_limited: u32,
    /// Ranged file requests answered 416 first.
    pub range_not_satisfiable: u32,
    /// Ranged file requests answered with the whole file (200) first.
    pub ignore_range: u32,
    /// Serve every file with one byte changed (the listing keeps the true hash).
    pub wrong_bytes: bool,
    /// Pause after each 64 KiB sent.
    pub slow: Option<Duration>,
    /// A token repositories require (gated): no or another token gets 401 / 403.
    pub token: Option<String>,
    /// Answer every resolve request with this status.
    pub resolve_status: Option<u16>,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path and query.
    pub target: String,
    /// The `Range` header.
    pub range: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
}

/// A served file's bytes: in memory, or a file on disk (read as asked, for big files).
#[derive(Clone)]
enum Bytes {
    Memory(Arc<Vec<u8>>),
    Disk(std::path::PathBuf),
}

struct File {
    bytes: Bytes,
    len: u64,
    sha256: String,
}

impl Bytes {
    /// A reader from byte `start` on.
    fn reader_at(&self, start: u64) -> Box<dyn std::io::Read + Send> {
        use std::io::{Seek, SeekFrom};
        match self {
            Self::Memory(b) => {
                let mut c = std::io::Cursor::new(ArcBytes(b.clone()));
                c.set_position(start);
                Box::new(c)
            }
            Self::Disk(path) => {
                let mut f = std::fs::File::open(path).unwrap();
                f.seek(SeekFrom::Start(start)).unwrap();
                Box::new(f)
            }
        }
    }
}

/// Shared bytes a `Cursor` can read.
struct ArcBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Default)]
struct State {
    /// repo → (path → file).
    repos: HashMap<String, Vec<(String, File)>>,
    faults: Faults,
    seen: Vec<Seen>,
}

/// The server; stops when dropped.
pub struct HubServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl HubServer {
    /// Starts an empty Hub on a free loopback port.
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// Starts an empty Hub on loopback port `port` (0: a free one).
    pub fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (state, stop) = (state.clone(), stop.clone());
            let accept = move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let state = state.clone();
                    std::thread::Builder::new()
                        .name("hub-server-conn".to_owned())
                        .spawn(move || {
                            let _ = serve(stream, &state);
                        })
                        .unwrap();
                }
            };
            std::thread::Builder::new()
                .name("hub-server".to_owned())
                .spawn(accept)
                .unwrap();
        }
        Self { url, state, stop }
    }

    /// Adds `path` with `bytes` to `repo`.
    pub fn add_file(&self, repo: &str, path: &str, bytes: Vec<u8>) {
        let sha256 = hex(&Sha256::digest(&bytes));
        let len = bytes.len() as u64;
        self.insert(repo, path, Bytes::Memory(Arc::new(bytes)), len, sha256);
    }

    /// Adds `path` to `repo`, served from the file `local` as it is read (files of gigabytes).
    pub fn add_disk_file(&self, repo: &str, path: &str, local: &Path) {
        use std::io::Read;
        let mut f = std::fs::File::open(local).unwrap();
        let mut hasher = Sha256::new();
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = f.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let len = std::fs::metadata(local).unwrap().len();
        let sha256 = hex(&hasher.finalize());
        self.insert(repo, path, Bytes::Disk(local.to_path_buf()), len, sha256);
    }

    /// Adds `path` to `repo` from the file `local` with a made-up SHA-256 (for listing and
    /// header reads only: hashing gigabytes of sparse files would take minutes).
    pub fn add_disk_file_unhashed(&self, repo: &str, path: &str, local: &Path) {
        let len = std::fs::metadata(local).unwrap().len();
        let sha256 = hex(&Sha256::digest(path.as_bytes()));
        self.insert(repo, path, Bytes::Disk(local.to_path_buf()), len, sha256);
    }

    fn insert(&self, repo: &str, path: &str, bytes: Bytes, len: u64, sha256: String) {
        let mut s = self.state.lock().unwrap();
        let files = s.repos.entry(repo.to_owned()).or_default();
        files.retain(|(p, _)| p != path);
        files.push((path.to_owned(), File { bytes, len, sha256 }));
    }

    /// Adds the file at `local` as `path` of `repo`.
    pub fn add_local_file(&self, repo: &str, path: &str, local: &Path) {
        self.add_file(repo, path, std::fs::read(local).unwrap());
    }

    /// The SHA-256 the listing gives for `path` of `repo`.
    pub fn sha256(&self, repo: &str, path: &str) -> String {
        let s = self.state.lock().unwrap();
        s.repos[repo]
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, f)| f.sha256.clone())
            .unwrap()
    }

    /// Sets the faults the next requests meet.
    pub fn set_faults(&self, faults: Faults) {
        self.state.lock().unwrap().faults = faults;
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The file requests (to the file server) so far.
    pub fn file_requests(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.target.starts_with("/cdn/"))
            .collect()
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let seen = Seen {
        target: target.clone(),
        range: headers.get("range").cloned(),
        authorization: headers.get("authorization").cloned(),
    };
    state.lock().unwrap().seen.push(seen.clone());
    let mut out = stream;
    if let Some(rest) = target.strip_prefix("/api/models/") {
        return api(&mut out, state, rest, &seen);
    }
    if let Some(sha) = target.strip_prefix("/cdn/") {
        return file(&mut out, state, sha, &seen);
    }
    resolve(&mut out, state, &target, &seen)
}

fn gate(state: &Mutex<State>, seen: &Seen) -> Option<u16> {
    let token = state.lock().unwrap().faults.token.clone()?;
    match &seen.authorization {
        None => Some(401),
        Some(a) if *a != format!("Bearer {token}") => Some(403),
        Some(_) => None,
    }
}

fn api(out: &mut TcpStream, state: &Mutex<State>, rest: &str, seen: &Seen) -> std::io::Result<()> {
    let repo = rest
        .split("/revision/")
        .next()
        .unwrap_or_default()
        .to_owned();
    if let Some(status) = gate(state, seen) {
        return answer(
            out,
            status,
            &[],
            b"{\"error\":\"Access to model is restricted\"}",
        );
    }
    let s = state.lock().unwrap();
    let Some(files) = s.repos.get(&repo) else {
        drop(s);
        return answer(out, 404, &[], b"{\"error\":\"Repository not found\"}");
    };
    let siblings: Vec<serde_json::Value> = files
        .iter()
        .map(|(path, f)| {
            serde_json::json!({
                "rfilename": path,
                "size": f.len,
                "blobId": "0000000000000000000000000000000000000000",
                "lfs": { "sha256": f.sha256, "size": f.len, "pointerSize": 134 }
            })
        })
        .collect();
    let body = serde_json::json!({ "id": repo, "sha": COMMIT, "siblings": siblings });
    drop(s);
    answer(out, 200, &[], body.to_string().as_bytes())
}

fn resolve(
    out: &mut TcpStream,
    state: &Mutex<State>,
    target: &str,
    seen: &Seen,
) -> std::io::Result<()> {
    // /<owner>/<name>/resolve/<commit>/<path>
    let Some((repo, rest)) = target.trim_start_matches('/').split_once("/resolve/") else {
        return answer(out, 404, &[], b"not found");
    };
    let path = rest
        .split_once('/')
        .map_or("", |(_, p)| p)
        .replace("%20", " ");
    if let Some(status) = gate(state, seen) {
        return answer(out, status, &[], b"gated");
    }
    let s = state.lock().unwrap();
    if let Some(status) = s.faults.resolve_status {
        drop(s);
        return answer(out, status, &[], b"fault");
    }
    let sha = s
        .repos
        .get(repo)
        .and_then(|files| files.iter().find(|(p, _)| *p == path))
        .map(|(_, f)| f.sha256.clone());
    drop(s);
    match sha {
        Some(sha) => answer(out, 302, &[("Location", format!("/cdn/{sha}"))], b""),
        None => answer(out, 404, &[], b"Entry not found"),
    }
}

fn file(out: &mut TcpStream, state: &Mutex<State>, sha: &str, seen: &Seen) -> std::io::Result<()> {
    let (bytes, status_fault, drop_after, wrong, slow, ignore_range) = {
        let mut s = state.lock().unwrap();
        let bytes = s
            .repos
            .values()
            .flatten()
            .find(|(_, f)| f.sha256 == sha)
            .map(|(_, f)| (f.bytes.clone(), f.len));
        let f = &mut s.faults;
        let ranged = seen.range.is_some();
        let status_fault = if f.server_errors > 0 {
            f.server_errors -= 1;
            Some(503)
        } else if f.rate_limited > 0 {
            f.rate_limited -= 1;
            Some(429)
        } else if ranged && f.range_not_satisfiable > 0 {
            f.range_not_satisfiable -= 1;
            Some(416)
        } else {
            None
        };
        let ignore_range = ranged && f.ignore_range > 0 && {
            f.ignore_range -= 1;
            true
        };
        let drop_after = (!f.drop_after.is_empty()).then(|| f.drop_after.remove(0));
        (
            bytes,
            status_fault,
            drop_after,
            f.wrong_bytes,
            f.slow,
            ignore_range,
        )
    };
    let Some((bytes, len)) = bytes else {
        return answer(out, 404, &[], b"no such blob");
    };
    if let Some(status) = status_fault {
        return answer(out, status, &[("Retry-After", "0".to_owned())], b"fault");
    }
    let (start, end) = match seen.range.as_deref().and_then(parse_range) {
        Some(_) if ignore_range => (0, len),
        Some((s, e)) => (s, e.map_or(len, |e| (e + 1).min(len))),
        None => (0, len),
    };
    if start >= len && len > 0 {
        return answer(
            out,
            416,
            &[("Content-Range", format!("bytes */{len}"))],
            b"",
        );
    }
    let partial = seen.range.is_some() && !ignore_range;
    let mut head = format!(
        "HTTP/1.1 {}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n",
        if partial {
            "206 Partial Content"
        } else {
            "200 OK"
        },
        end - start
    );
    if partial {
        head.push_str(&format!(
            "Content-Range: bytes {start}-{}/{len}\r\n",
            end.max(1) - 1
        ));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    let limit = drop_after.map_or(end, |d| (start + d).min(end));
    let mut at = start;
    let mut reader = bytes.reader_at(start);
    let mut buf = vec![0; 64 << 10];
    while at < limit {
        let next = (at + (64 << 10)).min(limit);
        let chunk = &mut buf[..(next - at) as usize];
        reader.read_exact(chunk)?;
        if wrong && next == end {
            if let Some(last) = chunk.last_mut() {
                *last ^= 0xff;
            }
        }
        out.write_all(chunk)?;
        at = next;
        if let Some(pause) = slow {
            std::thread::sleep(pause);
        }
    }
    out.flush()?;
    if limit < end {
        // Drop the connection mid-body.
        let _ = out.shutdown(std::net::Shutdown::Both);
    }
    Ok(())
}

fn parse_range(v: &str) -> Option<(u64, Option<u64>)> {
    let (a, b) = v.strip_prefix("bytes=")?.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()))
}

fn answer(
    out: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
