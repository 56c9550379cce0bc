//! Every fuzz target over its seeds and over every input `make fuzz` ever found troublesome
//! (`fuzz/regressions/<target>/`, committed): none may panic, and each finishes in bounded time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use seekdeck::fuzzing::{seeds, TARGETS};

#[test]
fn seeds_and_past_findings_pass_every_target() {
    // Templates render as the app renders them: in a child whose memory the kernel caps.
    seekdeck::engine::template_sandbox::use_helper(Some(env!("CARGO_BIN_EXE_seekdeck").into()));
    let mut ran = 0;
    for (target, bytes) in seeds() {
        let (_, run) = TARGETS.iter().find(|(n, _)| *n == target).unwrap();
        run(&bytes);
        ran += 1;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for (name, run) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(name)) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            run(&std::fs::read(e.path()).unwrap());
            ran += 1;
        }
    }
    assert!(ran >= TARGETS.len());
}

#[test]
fn every_target_has_a_seed() {
    let seeds = seeds();
    for (name, _) in TARGETS {
        assert!(seeds.iter().any(|(t, _)| t == name), "{name} has no seed");
    }
}
