#!/usr/bin/env bash
# The chat in the real window against `seekdeck chat` on the same file, in the same run: a release
# build under Xvfb with Mesa's software renderer, a 7B model (DeepSeek-R1-Distill-Qwen-7B's real
# shape, random Q4_0 weights, 4.3 GB, written once into target/bench-models), one question of
# 64 tokens, the same sampling. The window runs a scripted chat (SEEKDECK_SCRIPT_CHAT: launch,
# ask, print the engine's figures, close), the command line its one-shot `--prompt`. Runs
# alternate (and which goes first alternates by round), so drift hits both; each window figure is divided by the command line's of the same
# round, and the median ratio is reported (≥ 1 means the window is as fast or faster).
# Usage: scripts/bench-window-chat.sh target/release [rounds]
set -euo pipefail
bindir=${1:-target/release}
rounds=${2:-5}
model=${SEEKDECK_BENCH_MODEL:-target/bench-models/r1-distill-qwen-7b-q4_0.gguf}
prompt="Explain in two sentences what a mixture-of-experts model is."
tokens=${SEEKDECK_BENCH_TOKENS:-64}
ctx=4096
if [ ! -f "$model" ]; then
  mkdir -p "$(dirname "$model")"
  "$bindir/examples/tiny_model" "$model" deepseek-r1-distill-qwen-7b
fi
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
# Each run gets an empty home: no other models to scan, no earlier conversation to continue. The
# window launches the file once it shows its first hardware reading and scan, as a user would.
fresh_home() {
  home=$(mktemp -d)
  run_env=(env HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config"
    SEEKDECK_CONFIG_DIR="$home/config" SEEKDECK_DATA_DIR="$home/data")
  # The RAM bandwidth is measured once per machine and remembered in the data folder: measure it
  # here, as a user's earlier runs would have, so no run pays for it during a load.
  "${run_env[@]}" "$bindir/seekdeck" hw >/dev/null
}

# Both runs start from the same page cache: the file is read once before each, so neither pays
# (or is spared) a read from disk that the other is not.
warm_cache() { cat "$model" >/dev/null; }

cli_run() {
  fresh_home
  warm_cache
  local log; log=$(mktemp)
  "${run_env[@]}" "$bindir/seekdeck" chat "$model" --prompt "$prompt" --max-tokens $tokens \
    --ctx $ctx >/dev/null 2>"$log"
  local load first tps
  load=$(grep -o 'in [0-9.]* s, ' "$log" | head -1 | awk '{print $2}')
  first=$(grep -o 'first token [0-9.]* s' "$log" | awk '{print $3}')
  tps=$(grep -o '[0-9.]* tokens/s' "$log" | awk '{print $1}')
  rm -rf "$log" "$home"
  echo "$load $first $tps"
}

window_run() {
  fresh_home
  warm_cache
  local log; log=$(mktemp)
  "${run_env[@]}" SEEKDECK_SCRIPT_CHAT="$model" SEEKDECK_SCRIPT_PROMPT="$prompt" \
    SEEKDECK_SCRIPT_MAX_TOKENS=$tokens SEEKDECK_SCRIPT_CTX=$ctx \
    timeout 600 "$bindir/seekdeck" >/dev/null 2>"$log" || true
  local line; line=$(grep '^script:' "$log" | tail -1)
  rm -rf "$log" "$home"
  local load first tps
  load=$(echo "$line" | grep -o 'load_secs=[0-9.]*' | cut -d= -f2)
  first=$(echo "$line" | grep -o 'first_token_secs=[0-9.]*' | cut -d= -f2)
  tps=$(echo "$line" | grep -o 'tokens_per_sec=[0-9.]*' | cut -d= -f2)
  echo "$load $first $tps"
}

echo "round  cli: load s  first token s  tokens/s  |  window: load s  first token s  tokens/s"
ratios=$(mktemp)
for i in $(seq 1 "$rounds"); do
  # The order alternates: whichever runs second inherits the first one's page cache and memory.
  if [ $((i % 2)) -eq 1 ]; then
    read -r cl cf ct < <(cli_run)
    read -r wl wf wt < <(window_run)
  else
    read -r wl wf wt < <(window_run)
    read -r cl cf ct < <(cli_run)
  fi
  printf '%5d  %11s  %13s  %8s  |  %14s  %13s  %8s\n' "$i" "$cl" "$cf" "$ct" "$wl" "$wf" "$wt"
  # Speed ratios: time figures as cli/window, rates as window/cli.
  awk -v cl="$cl" -v cf="$cf" -v ct="$ct" -v wl="$wl" -v wf="$wf" -v wt="$wt" \
    'BEGIN { if (wl > 0 && wf > 0 && ct > 0) printf "%f %f %f\n", cl/wl, cf/wf, wt/ct }' >> "$ratios"
done
median() { sort -n | awk '{a[NR]=$1} END { if (NR) print a[int((NR+1)/2)]; else print "n/a" }'; }
echo "median speed ratio, window / command line (1.00 = same speed):"
echo "  load          $(cut -d' ' -f1 "$ratios" | median)"
echo "  first token   $(cut -d' ' -f2 "$ratios" | median)"
echo "  tokens/s      $(cut -d' ' -f3 "$ratios" | median)"
rm -f "$ratios"
