//! Every reader of outside input takes memory in proportion to its input, measured on the worst
//! input of each kind (`seekdeck::fuzzing::hostile`) at 1 MiB: each runs alone in a child process
//! (this test binary again) that reports the kernel's high-water mark above what it held before.
//! Templates render as in the app, in the `seekdeck render-template` child capped at 1 GiB.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use seekdeck::fuzzing::{hostile, TARGETS};

const SIZE: usize = 1 << 20;
const CHILD: &str = "SEEKDECK_READER_MEMORY_CHILD";

/// The child: runs one input and prints its peak bytes (does nothing in a normal run).
#[test]
fn child_runs_one_input() {
    let Ok(index) = std::env::var(CHILD) else {
        return;
    };
    seekdeck::engine::template_sandbox::use_helper(Some(env!("CARGO_BIN_EXE_seekdeck").into()));
    let input = hostile::inputs(SIZE).swap_remove(index.parse().unwrap());
    let (_, run) = TARGETS.iter().find(|(n, _)| *n == input.target).unwrap();
    let peak = hostile::peak_rss_above(|| run(&input.bytes)).unwrap();
    println!("PEAK {peak}");
}

#[test]
fn every_reader_stays_within_twelve_times_its_input() {
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("this kernel does not let a process reset its memory high-water mark: skipped");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    for (i, input) in hostile::inputs(SIZE).iter().enumerate() {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "child_runs_one_input",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD, i.to_string())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{} ({}): {text}{}",
            input.target,
            input.what,
            String::from_utf8_lossy(&out.stderr)
        );
        let peak: u64 = text
            .lines()
            .find_map(|l| l.split("PEAK ").nth(1))
            .unwrap_or_else(|| panic!("{}: no figure in {text}", input.target))
            .trim()
            .parse()
            .unwrap();
        let bound = 12 * input.bytes.len() as u64 + (32 << 20);
        assert!(
            peak <= bound,
            "{} ({}): {} MiB for {} bytes",
            input.target,
            input.what,
            peak >> 20,
            input.bytes.len()
        );
    }
}
