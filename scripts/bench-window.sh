#!/usr/bin/env bash
# Measures the real window under Xvfb: time to first frame (reported by the app itself,
# from process start to the end of its first frame) over 5 launches, and idle CPU use over
# 30 s after the window has settled (from /proc/PID/stat), on the live-hardware path.
# Usage: scripts/bench-window.sh target/release/seekdeck
set -euo pipefail
bin=${1:-target/release/seekdeck}
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
config=$(mktemp -d)

echo "== time to first frame (5 launches) =="
times=()
for i in 1 2 3 4 5; do
  log=$(mktemp)
  SEEKDECK_CONFIG_DIR=$config XDG_DATA_HOME=$config SEEKDECK_REPORT_STARTUP=1 "$bin" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q first-frame-ms "$log" && break; sleep 0.1; done
  t=$(grep -o 'first-frame-ms: [0-9]*' "$log" | awk '{print $2}')
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  echo "launch $i: ${t:-?} ms"; times+=("${t:-0}")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median: " a[int((NR+1)/2)] " ms"}'

echo "== idle CPU over 30 s =="
SEEKDECK_CONFIG_DIR=$config XDG_DATA_HOME=$config "$bin" >/dev/null 2>&1 &
pid=$!
sleep 5
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks "$pid"); sleep 30; t1=$(ticks "$pid")
kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "CPU time in 30 s: %.2f s = %.2f%% of one core\n", (b-a)/hz, 100*(b-a)/hz/30 }'
