//! Peak memory and time of every reader of outside input on hostile inputs of growing size
//! (`seekdeck::fuzzing::hostile`), each run alone in a child process so nothing else counts:
//! `cargo run --release --features fuzzing --example reader_memory [SIZE_MIB…]` (`make
//! reader-memory`) prints docs/reliability.md's table.

#![allow(clippy::expect_used)]

use std::process::Command;
use std::time::Instant;

use seekdeck::fuzzing::{hostile, TARGETS};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--one") {
        child(&args[1..]);
        return;
    }
    let sizes: Vec<usize> = if args.is_empty() {
        vec![1, 16]
    } else {
        args.iter().filter_map(|a| a.parse().ok()).collect()
    };
    let exe = std::env::current_exe().expect("own path");
    println!("| reader (fuzz target) | hostile input | input | peak memory above the input | × input | seconds |");
    println!("|---|---|---|---|---|---|");
    for mib in sizes {
        let size = mib << 20;
        for (i, input) in hostile::inputs(size).iter().enumerate() {
            if mib > 1 && input.bytes.len() < 1 << 20 {
                continue; // a fixed small input: measured once, with the first size
            }
            let started = Instant::now();
            let out = Command::new(&exe)
                .args(["--one", &i.to_string(), &size.to_string()])
                .output()
                .expect("child runs");
            let seconds = started.elapsed().as_secs_f64();
            let text = String::from_utf8_lossy(&out.stdout);
            let peak = text.trim().parse::<u64>().ok();
            let len = input.bytes.len() as f64;
            let (peak_text, ratio) = match peak {
                // A few bytes against a process's fixed noise is no ratio worth printing.
                Some(p) if out.status.success() => (
                    format!("{:.1} MiB", p as f64 / f64::from(1 << 20)),
                    if len >= 65536.0 {
                        format!("{:.2}", p as f64 / len)
                    } else {
                        "(a small input)".into()
                    },
                ),
                _ => (
                    format!("failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
                    "—".into(),
                ),
            };
            println!(
                "| `{}` | {} | {} | {} | {} | {:.2} |",
                input.target,
                input.what,
                bytes_words(len),
                peak_text,
                ratio,
                seconds
            );
        }
    }
}

/// Runs hostile input `index` at `size` and prints the peak bytes it took above the input.
fn child(args: &[String]) {
    let index: usize = args[0].parse().expect("index");
    let size: usize = args[1].parse().expect("size");
    let input = hostile::inputs(size).swap_remove(index);
    // Templates render as the app renders them: in the seekdeck binary beside this example
    // (target/release/seekdeck), whose memory the kernel caps; its own memory is not counted here.
    let helper = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("seekdeck")))
        .filter(|p| p.is_file());
    seekdeck::engine::template_sandbox::use_helper(helper);
    let (_, run) = TARGETS
        .iter()
        .find(|(n, _)| *n == input.target)
        .expect("a known target");
    let peak = hostile::peak_rss_above(|| run(&input.bytes)).expect("Linux /proc");
    println!("{peak}");
}

fn bytes_words(n: f64) -> String {
    if n >= f64::from(1 << 20) {
        format!("{:.1} MiB", n / f64::from(1 << 20))
    } else if n >= 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{n} bytes")
    }
}
