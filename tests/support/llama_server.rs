//! llama.cpp's own `llama-server` (built once by `scripts/llama-server.sh`, which `make test`
//! runs, into target/llama-server) serving a test model on a free loopback port: the real
//! OpenAI-compatible server the remote engine is tested against. Dropping it kills the server.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The built server: `SEEKDECK_LLAMA_SERVER`, else target/llama-server/bin/llama-server.
pub fn binary() -> PathBuf {
    let path = std::env::var_os("SEEKDECK_LLAMA_SERVER").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/llama-server/bin/llama-server"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "{} is missing: run scripts/llama-server.sh (make test does) to build llama.cpp's llama-server once",
        path.display()
    );
    path
}

/// A running llama-server.
pub struct LlamaServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl LlamaServer {
    /// Serves `model` on 2 threads, 2048 tokens of context, one slot, verbose log, with `args`
    /// added (e.g. `--reasoning-format deepseek`); waits until `/health` answers 200.
    pub fn start(model: &Path, args: &[&str]) -> Self {
        let mut all = vec!["-t", "2", "-c", "2048", "-np", "1", "-v"];
        all.extend_from_slice(args);
        Self::start_with(model, &all)
    }

    /// Serves `model` with only `args` (threads, context, …) beside the address; waits until
    /// `/health` answers 200 (at most two minutes: a real-size model loads and warms up first).
    pub fn start_with(model: &Path, args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("llama-server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary())
            .args([
                "-m",
                model.to_str().unwrap(),
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
            ])
            .arg("--no-webui")
            .args(args)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        server.wait_healthy();
        server
    }

    fn wait_healthy(&mut self) {
        let started = Instant::now();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("llama-server exited ({status}):\n{}", self.log());
            }
            if agent
                .get(&format!("{}/health", self.url))
                .call()
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "llama-server did not become healthy:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Waits until the log contains `needle` (at most `secs`); whether it did.
    pub fn wait_for_log(&self, needle: &str, secs: u64) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(secs) {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
