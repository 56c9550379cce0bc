#!/usr/bin/env bash
# `make fuzz`: every target of fuzz/ for FUZZ_SECONDS (default 60) each with libFuzzer
# (cargo-fuzz, nightly), starting from the seeds the tests' generators write. Prints one table
# row per target: executions, coverage, crashes. Each crash found is copied into
# fuzz/regressions/<target>/, which `make test` replays (tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked
fi
rustup toolchain list | grep -q nightly || rustup toolchain install nightly --profile minimal
cargo run --quiet --release --features fuzzing --example fuzz_seeds -- fuzz/corpus
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v seekdeck-fuzz)
(cd fuzz && cargo +nightly fuzz build -O)
printf '| target | seconds | executions | coverage (edges) | crashes |\n|---|---|---|---|---|\n' > fuzz/last-run.md
for t in $targets; do
  log=$(mktemp)
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  # -timeout: one input may take at most 10 s (a template out of fuel stops far sooner);
  # -rss_limit_mb: memory beyond 2 GiB is a finding, as is a panic.
  (cd fuzz && cargo +nightly fuzz run -O "$t" "corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) >"$log" 2>&1 || true
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  crashes=$(find "fuzz/artifacts/$t" -type f | wc -l)
  if [ "$crashes" -gt 0 ]; then
    mkdir -p "fuzz/regressions/$t"
    cp fuzz/artifacts/"$t"/* "fuzz/regressions/$t/"
    grep -m3 -A3 'panicked\|ERROR' "$log" || true
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$t" "$seconds" "${execs:-?}" "${cov:-?}" "$crashes" | tee -a fuzz/last-run.md
  rm -f "$log"
done
echo "table in fuzz/last-run.md; crashes (if any) copied to fuzz/regressions/"
