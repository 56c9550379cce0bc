#!/usr/bin/env bash
# `make accuracy-cluster`: starts five `seekdeck worker` processes on loopback, runs the
# accuracy_cluster example against them (llama.cpp's dry runs over its RPC back-end vs seekdeck's
# estimate, device by device) and writes docs/accuracy-cluster.md. The workers end with the script.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --features verify --bin seekdeck --example accuracy_cluster
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
endpoints=()
for port in 50171 50172 50173 50174 50175; do
    target/release/seekdeck worker --port "$port" > "target/accuracy-cluster-worker-$port.log" 2>&1 &
    pids+=($!)
    endpoints+=("127.0.0.1:$port")
done
for e in "${endpoints[@]}"; do
    for _ in $(seq 50); do
        grep -q "serving" "target/accuracy-cluster-worker-${e##*:}.log" 2>/dev/null && break
        sleep 0.2
    done
done
list=$(IFS=,; echo "${endpoints[*]}")
target/release/examples/accuracy_cluster "$list" > docs/accuracy-cluster.md.tmp
mv docs/accuracy-cluster.md.tmp docs/accuracy-cluster.md
grep -m1 'comparisons' docs/accuracy-cluster.md
