#!/usr/bin/env bash
# Takes a screenshot of the chat with every side section open, in the real window under Xvfb at
# 1280x720: a home folder with shape-only DeepSeek GGUFs and the tiny random-weight test model,
# a paused download, llama.cpp's own llama-server on loopback serving the tiny model (Servers),
# a `seekdeck worker` on loopback (Other machines). xdotool clicks the server model's "Use",
# types a message and presses Enter, as a user would; the transcript must stay in view under
# the sections. The tiny model's answer is noise: it has random weights.
# Usage: scripts/screenshot-sections.sh BINDIR docs/screenshot-sections.png
# (BINDIR holds seekdeck and examples/fake_home, examples/tiny_model; llama-server comes from
# scripts/llama-server.sh.)
set -euo pipefail
bindir=${1:-target/release}
out=${2:-docs/screenshot-sections.png}
server=$(scripts/llama-server.sh)
XVFB_SCREEN=1280x720x24
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
home=$(mktemp -d)
data=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; kill $xvfb_pid 2>/dev/null || true; rm -rf "$home" "$data"' EXIT
# shellcheck source=scripts/fake-home.sh
. "$(dirname "$0")/fake-home.sh"
port=$((20000 + RANDOM % 20000))
worker_port=$((port + 1))
"$server" -m "$home/models/tiny-chat.gguf" --host 127.0.0.1 --port "$port" -c 2048 --alias tiny-chat >/dev/null 2>&1 &
pids+=($!)
"$bindir/seekdeck" worker --port "$worker_port" --threads 1 >/dev/null 2>&1 &
pids+=($!)
mkdir -p "$data/seekdeck"
cat > "$data/seekdeck/app.ron" <<RON
{"app":"(quant:Q4_K_M,ctx_tokens:8192,sort:Catalog,ascending:true,workers:[\\"127.0.0.1:$worker_port\\"])"}
RON
cat > "$data/servers.json" <<JSON
[{"name":"GPU box","base_url":"http://127.0.0.1:$port/v1","has_key":false}]
JSON
sha=$(printf '%064d' 0)
commit=$(printf '%040d' 0)
cat > "$data/seekdeck/downloads.json" <<JSON
{"next_id":2,"jobs":[{"id":1,"file":{"repo":"unsloth/DeepSeek-R1-Distill-Qwen-14B-GGUF","commit":"$commit","name":"DeepSeek-R1-Distill-Qwen-14B-Q4_K_M.gguf","parts":[{"path":"DeepSeek-R1-Distill-Qwen-14B-Q4_K_M.gguf","bytes":8988109920,"sha256":"$sha"}]},"state":{"Paused":null}}]}
JSON
sleep 2
HOME=$home XDG_DATA_HOME=$data SEEKDECK_DATA_DIR=$data/seekdeck SEEKDECK_CONFIG_DIR=$data HF_ENDPOINT=http://127.0.0.1:9 \
  "$bindir/seekdeck" --assume "24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s" >/dev/null 2>&1 &
pids+=($!)
sleep "${SHOT_WAIT:-8}"
xdotool search --name seekdeck windowfocus --sync >/dev/null 2>&1 || true
# Scroll the side sections to Servers, Use the server's model, ask, and scroll on to Other machines.
xdotool mousemove 1070 200 click --repeat 6 --delay 80 5
sleep 1
xdotool mousemove 905 264 click 1
sleep 4
xdotool mousemove 1070 640 click 1
sleep 1
xdotool type --delay 30 "Which DeepSeek model fits my PC?"
xdotool key Return
sleep 6
xdotool mousemove 1070 200 click --repeat 4 --delay 80 5
sleep 1
xdotool mousemove 640 700
import -window root -crop 1280x720+0+0 +repage "$out"
echo "wrote $out"
