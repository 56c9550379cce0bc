//! `seekdeck worker` as a user starts it: the real binary on loopback, read by seekdeck's own RPC
//! probe (llama.cpp's protocol, checked in plain Rust), its warning when it listens beyond this
//! machine, and its answers to bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use llama_cpp_2::model::params::LlamaModelParams;
use seekdeck::catalog::Architecture;
use seekdeck::estimate::quant::GgmlType;
use seekdeck::hardware::rpc_probe::{probe_worker, ProbeError, RPC_PROTOCOL};
use support::netns::Namespace;
use support::tiny::{tiny_architecture, write_random_model};
use support::workers::{free_port, greedy_token_ids, start_worker, wait_for, Worker};

#[test]
fn a_worker_on_loopback_serves_this_machines_memory_and_stops() {
    let port = free_port();
    let endpoint = format!("127.0.0.1:{port}");
    let mut w = start_worker(&["--port", &port.to_string(), "--threads", "1"]);
    let reading = wait_for(&endpoint);
    assert_eq!(reading.version, RPC_PROTOCOL);
    assert_eq!(reading.devices.len(), 1, "a CPU build serves its CPU");
    let d = reading.devices[0];
    assert!(
        d.total_bytes > 1 << 30 && d.free_bytes <= d.total_bytes,
        "{d:?}"
    );
    // A second probe works too: the worker serves one client after another.
    assert_eq!(wait_for(&endpoint).devices.len(), 1);
    w.0.kill().unwrap();
    w.0.wait().unwrap();
    let mut out = String::new();
    w.0.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(
        out.contains(&format!("seekdeck worker on {endpoint}")),
        "{out}"
    );
    assert!(out.contains("free of"), "{out}");
    // Gone: said in words, not a hang.
    assert!(matches!(
        probe_worker(&endpoint, Duration::from_secs(2)),
        Err(ProbeError::Unreachable { .. })
    ));
}

#[test]
fn listening_beyond_loopback_prints_the_warning() {
    let port = free_port();
    let mut w = start_worker(&["--host", "0.0.0.0", "--port", &port.to_string()]);
    wait_for(&format!("127.0.0.1:{port}"));
    w.0.kill().unwrap();
    w.0.wait().unwrap();
    let mut err = String::new();
    w.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("no authentication and no encryption"), "{err}");
}

#[test]
fn bad_arguments_and_a_taken_port_are_one_line_each() {
    let out = Command::new(env!("CARGO_BIN_EXE_seekdeck"))
        .args(["worker", "--host", "my-laptop"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--host must be an IP address"), "{err}");

    // `chat --rpc` with something that is not HOST:PORT: bad input, exit code 2, before any load.
    let dir = tempfile::tempdir().unwrap();
    let model = six_layer_model(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_seekdeck"))
        .args([
            "chat",
            model.to_str().unwrap(),
            "--prompt",
            "hi",
            "--rpc",
            "my laptop",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not host:port"), "{err}");

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_seekdeck"))
        .args(["worker", "--port", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not listen on 127.0.0.1"), "{err}");
}

/// llama.cpp's RPC back-end through seekdeck's FFI module: two workers on loopback become
/// devices of this process, a six-layer model is split across this process's CPU (two layers)
/// and the two workers (two each, by their equal free memory), and its greedy answer is the
/// single-process answer token for token.
#[test]
fn a_model_split_across_two_workers_answers_as_in_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let path = six_layer_model(dir.path());
    let alone = greedy_token_ids(&path, &LlamaModelParams::default(), "hello world");

    let ports = [free_port(), free_port()];
    let _workers: Vec<Worker> = ports
        .iter()
        .map(|p| start_worker(&["--port", &p.to_string(), "--threads", "1"]))
        .collect();
    let mut devices = Vec::new();
    for p in ports {
        let endpoint = format!("127.0.0.1:{p}");
        wait_for(&endpoint);
        devices.extend(seekdeck::llama::rpc::add_worker(&endpoint).unwrap());
    }
    assert_eq!(devices.len(), 2);
    // Adding a worker twice gives the same devices, registered once.
    assert_eq!(
        seekdeck::llama::rpc::add_worker(&format!("127.0.0.1:{}", ports[0])).unwrap(),
        devices[..1]
    );
    let params = LlamaModelParams::default()
        .with_devices(&devices)
        .unwrap()
        .with_n_gpu_layers(4);
    // llama.cpp's own log of the load says where the layers went.
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || LogWriter(sink.clone()))
        .finish();
    let split = tracing::subscriber::with_default(subscriber, || {
        greedy_token_ids(&path, &params, "hello world")
    });
    assert_eq!(split, alone);
    let log = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(log.contains("offloaded 4/7 layers"), "{log}");
    for p in ports {
        assert!(
            log.contains(&format!("RPC0[127.0.0.1:{p}]"))
                || log.contains(&format!("127.0.0.1:{p}")),
            "no buffer on the worker at port {p}: {log}"
        );
    }
}

/// Collects what a tracing subscriber writes.
struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `seekdeck chat FILE --rpc A,B` as a user runs it: the model split across two workers (every
/// block there, the plan's choice when they hold it) answers exactly as on this PC alone.
#[test]
fn chat_across_two_workers_answers_as_on_this_pc_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = six_layer_model(dir.path());
    let ports = [free_port(), free_port()];
    let _workers: Vec<Worker> = ports
        .iter()
        .map(|p| start_worker(&["--port", &p.to_string(), "--threads", "1"]))
        .collect();
    let endpoints: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    answers_alone_and_across_agree(&path, &endpoints);
}

/// The same across a real (virtual) network: each worker in its own network namespace, joined to
/// this one by a veth pair, listening on its own address — where the machine allows it (root and
/// iproute2); elsewhere the loopback test above covers the split.
#[test]
fn chat_across_workers_in_their_own_network_namespaces_answers_as_alone() {
    let namespaces = match (0..2).map(Namespace::create).collect::<Result<Vec<_>, _>>() {
        Ok(n) => n,
        Err(why) => {
            eprintln!("network namespaces are not available here ({why}); the loopback test covers the split");
            return;
        }
    };
    let _workers: Vec<Worker> = namespaces
        .iter()
        .map(|ns| {
            Worker(
                ns.command(env!("CARGO_BIN_EXE_seekdeck"))
                    .args([
                        "worker",
                        "--host",
                        &ns.address,
                        "--port",
                        "50052",
                        "--threads",
                        "1",
                    ])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    let endpoints: Vec<String> = namespaces
        .iter()
        .map(|ns| format!("{}:50052", ns.address))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    answers_alone_and_across_agree(&six_layer_model(dir.path()), &endpoints);
}

/// Waits for the workers at `endpoints`, then asks `path` the same question alone and across
/// them (greedy): the answers are the same, every block on the workers.
fn answers_alone_and_across_agree(path: &std::path::Path, endpoints: &[String]) {
    for e in endpoints {
        wait_for(e);
    }
    let chat = |extra: &[&str]| {
        let mut args = vec![
            "chat",
            path.to_str().unwrap(),
            "--prompt",
            "hello world",
            "--max-tokens",
            "16",
            "--temp",
            "0",
        ];
        args.extend_from_slice(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_seekdeck"))
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{err}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), err)
    };
    let (alone, _) = chat(&[]);
    let rpc = endpoints.join(",");
    // seekdeck's own plan keeps a model this PC holds here: nothing is sent.
    let (kept, log) = chat(&["--rpc", &rpc]);
    assert!(
        log.contains("split: 0 of 6 blocks on the devices (-ngl 0)"),
        "{log}"
    );
    assert!(log.contains("fits on this PC alone"), "{log}");
    assert_eq!(kept, alone);
    // The user's split over the workers' devices places every layer on them.
    let even = vec!["1"; endpoints.len()].join(",");
    let (split, log) = chat(&["--rpc", &rpc, "--tensor-split", &even]);
    assert!(
        log.contains(&format!(
            "split: 6 of 6 blocks on the devices (-ngl 7 --tensor-split {even})"
        )),
        "{log}"
    );
    // CPU-only workers: layers on machines, never "GPU layers".
    assert!(log.contains("on 2 other machines"), "{log}");
    assert!(!log.contains("GPU layers"), "{log}");
    assert_eq!(split, alone);
}

/// A worker killed in the middle of an answer: the command line says which machine was lost and
/// ends (the engine host it started dies, not seekdeck); started again, the same command works.
#[test]
fn a_worker_lost_mid_answer_is_named_and_a_relaunch_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = six_layer_model(dir.path());
    let ports = [free_port(), free_port()];
    let mut first = start_worker(&["--port", &ports[0].to_string(), "--threads", "1"]);
    let _second = start_worker(&["--port", &ports[1].to_string(), "--threads", "1"]);
    let endpoints: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    for e in &endpoints {
        wait_for(e);
    }
    let chat = || {
        Command::new(env!("CARGO_BIN_EXE_seekdeck"))
            .args([
                "chat",
                path.to_str().unwrap(),
                "--prompt",
                "hello world",
                "--max-tokens",
                "3000",
                "--temp",
                "0",
                "--rpc",
                &endpoints.join(","),
                // Every layer on the workers (this PC would hold this model alone).
                "--tensor-split",
                "1,1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut answering = chat();
    // Wait for the answer to start, then take the first worker away.
    let mut stdout = answering.stdout.take().unwrap();
    let mut first_bytes = [0u8; 4];
    stdout.read_exact(&mut first_bytes).unwrap();
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let started = Instant::now();
    let status = answering.wait().unwrap();
    let mut err = String::new();
    answering
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("lost the machine {}", endpoints[0])),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    // The worker comes back; the same command runs to its end.
    let _again = start_worker(&["--port", &ports[0].to_string(), "--threads", "1"]);
    wait_for(&endpoints[0]);
    let out = Command::new(env!("CARGO_BIN_EXE_seekdeck"))
        .args([
            "chat",
            path.to_str().unwrap(),
            "--prompt",
            "hello world",
            "--max-tokens",
            "8",
            "--rpc",
            &endpoints.join(","),
            "--tensor-split",
            "1,1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A six-block random model (enough blocks to split over three machines).
fn six_layer_model(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("six-layers.gguf");
    let arch = Architecture {
        layers: 6,
        ..tiny_architecture("llama")
    };
    write_random_model(&path, &arch, "chatml", GgmlType::F32);
    path
}

/// The engine host behind an ordinary engine handle, as the window will drive it: a load across
/// a worker, an answer stopped by its cancel flag (a `Cancel` line to the host), then another
/// answer from the same loaded model.
#[test]
fn an_engine_host_loads_stops_and_answers_again() {
    use seekdeck::engine::{Engine, Event, FinishReason, Prompt, Request};
    use seekdeck::estimate::placement::{Offload, Placement};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let path = six_layer_model(dir.path());
    let port = free_port();
    let _worker = start_worker(&["--port", &port.to_string(), "--threads", "1"]);
    let endpoint = format!("127.0.0.1:{port}");
    wait_for(&endpoint);
    let engine = Engine::spawn_host(
        std::path::Path::new(env!("CARGO_BIN_EXE_seekdeck")),
        &[endpoint],
        || {},
    )
    .unwrap();
    engine.send(Request::Load {
        path: path.clone(),
        ctx_tokens: 2048,
        placement: Placement {
            offload: Offload {
                gpu_layers: 3,
                ..Offload::default()
            },
            split_limits: None,
        },
        settings: Default::default(),
        cancel: Arc::default(),
    });
    let next = || engine.events.recv_timeout(Duration::from_secs(60)).unwrap();
    let loaded = loop {
        match next() {
            Event::Loaded(info) => break info,
            Event::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    };
    assert_eq!(loaded.source.file(), Some(path.as_path()));
    assert_eq!(loaded.offload.gpu_layers, 3);
    let ask = |id: u64, max_tokens: u32, cancel: Arc<AtomicBool>| {
        engine.send(Request::Generate {
            id,
            prompt: Prompt::Text("hello world".into()),
            sampling: support::greedy(max_tokens),
            cancel,
        });
    };
    let cancel = Arc::new(AtomicBool::new(false));
    ask(1, 100_000, cancel.clone());
    let stopped = loop {
        match next() {
            Event::Piece { .. } => cancel.store(true, Ordering::Relaxed),
            Event::Finished { id: 1, reason, .. } => break reason,
            Event::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    };
    assert_eq!(stopped, FinishReason::Stopped);
    ask(2, 4, Arc::default());
    loop {
        match next() {
            Event::Finished { id: 2, stats, .. } => {
                assert_eq!(stats.generated_tokens, 4);
                break;
            }
            Event::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
}

/// Cancel in the middle of sending the weights leaves every worker usable: a load across two
/// workers is cancelled at its first progress step, and the next load across the same workers
/// answers.
#[test]
fn a_load_cancelled_while_sending_leaves_the_workers_usable() {
    use seekdeck::engine::{Engine, EngineError, Event, Prompt, Request};
    use seekdeck::estimate::placement::{Offload, Placement};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    // About 170 MB of weights: enough that the load reports progress while it sends.
    let path = dir.path().join("wide.gguf");
    let arch = Architecture {
        layers: 4,
        hidden_size: 1024,
        ffn_size: 2048,
        heads: 8,
        attention: seekdeck::catalog::Attention::Gqa {
            kv_heads: 8,
            head_dim: 128,
        },
        ..tiny_architecture("llama")
    };
    write_random_model(&path, &arch, "", GgmlType::F32);
    let ports = [free_port(), free_port()];
    let _workers: Vec<Worker> = ports
        .iter()
        .map(|p| start_worker(&["--port", &p.to_string(), "--threads", "1"]))
        .collect();
    let endpoints: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    for e in &endpoints {
        wait_for(e);
    }
    let engine = Engine::spawn_host(
        std::path::Path::new(env!("CARGO_BIN_EXE_seekdeck")),
        &endpoints,
        || {},
    )
    .unwrap();
    let load = |cancel: Arc<AtomicBool>| {
        engine.send(Request::Load {
            path: path.clone(),
            ctx_tokens: 512,
            placement: Placement {
                offload: Offload {
                    gpu_layers: 5,
                    ..Offload::default()
                },
                split_limits: None,
            },
            settings: Default::default(),
            cancel,
        });
    };
    let next = || {
        engine
            .events
            .recv_timeout(Duration::from_secs(120))
            .unwrap()
    };
    let cancel = Arc::new(AtomicBool::new(false));
    load(cancel.clone());
    loop {
        match next() {
            Event::Progress(p) if p > 0.0 => cancel.store(true, Ordering::Relaxed),
            Event::Failed { error, .. } => {
                assert!(matches!(error, EngineError::Cancelled), "{error}");
                break;
            }
            Event::Loaded(_) => panic!("the load ended before the cancel reached it"),
            _ => {}
        }
    }
    load(Arc::default());
    loop {
        match next() {
            Event::Loaded(info) => {
                assert_eq!(info.offload.gpu_layers, 5);
                break;
            }
            Event::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
    engine.send(Request::Generate {
        id: 1,
        prompt: Prompt::Text("hello world".into()),
        sampling: support::greedy(4),
        cancel: Arc::default(),
    });
    loop {
        match next() {
            Event::Finished { id: 1, stats, .. } => {
                assert_eq!(stats.generated_tokens, 4);
                break;
            }
            Event::Failed { error, .. } => panic!("{error}"),
            _ => {}
        }
    }
}
