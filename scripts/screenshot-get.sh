#!/usr/bin/env bash
# Screenshot of "Get a GGUF": the real window under Xvfb with DeepSeek-R1-Distill-Qwen-1.5B's card
# open, its section listing the files the loopback Hub of examples/hub_server serves (shape-only
# files with the real headers), one of them downloading.
# Usage: scripts/screenshot-get.sh target/release docs/screenshot-get.png
set -euo pipefail
bins=${1:-target/release}
out=${2:-docs/screenshot-get.png}
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
data=$(mktemp -d)
files=target/hub-files
port=$((18000 + RANDOM % 1000))
"$bins/examples/hub_server" "$files" "$port" >"$data/hub.log" 2>&1 &
hub=$!
trap 'kill $hub $xvfb_pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 120); do grep -q http "$data/hub.log" && break; sleep 1; done
mkdir -p "$data/seekdeck"
cat > "$data/seekdeck/app.ron" <<'RON'
{"app":"(quant:Q4_K_M,ctx_tokens:8192,selected:Some(\"deepseek-r1-distill-qwen-1.5b\"),card_open:true,sort:Catalog,ascending:true)"}
RON
HF_ENDPOINT="http://127.0.0.1:$port" HF_HOME="$data/hf" SEEKDECK_DATA_DIR="$data/sd" \
  XDG_DATA_HOME=$data SEEKDECK_CONFIG_DIR=$data \
  "$bins/seekdeck" --assume "8GiB GPU @448GB/s, 32GiB RAM @51.2GB/s" >/dev/null 2>&1 &
app=$!
trap 'kill $app $hub $xvfb_pid 2>/dev/null || true; rm -rf "$data"' EXIT
sleep 8
# Open the section (its header sits below the card's memory lines), scroll the card to it.
xdotool mousemove 109 661 click 1
sleep 3
xdotool mousemove 500 700 click 5 click 5
sleep 1
# Download the Q8_0 file (its button, with the card scrolled so).
xdotool mousemove 719 650 click 1
sleep 1.5
import -window root -crop 1440x900+0+0 +repage "$out"
echo "wrote $out"
