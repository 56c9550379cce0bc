#!/usr/bin/env bash
# Takes a screenshot of a served model in the real window under Xvfb: llama.cpp's own
# llama-server (built by scripts/llama-server.sh) serves the tiny random-weight model in R1's
# layout with R1's template and `--reasoning-format deepseek`; seekdeck starts with that server
# saved, lists its model, and xdotool clicks Use, asks a question and opens the Thinking block,
# as a user would. The answer is noise (random weights), streamed as reasoning.
# Usage: scripts/screenshot-server.sh target/release docs/screenshot-server.png
set -euo pipefail
bindir=${1:-target/release}
out=${2:-docs/screenshot-server.png}
server=$(scripts/llama-server.sh)
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
work=$(mktemp -d)
port=$((18000 + RANDOM % 1000))
"$bindir/examples/tiny_model" "$work/r1.gguf" r1 >/dev/null
"$server" -m "$work/r1.gguf" --alias deepseek-r1-tiny-test --host 127.0.0.1 --port "$port" \
  -t 1 -c 4096 -np 1 --jinja --reasoning-format deepseek --ignore-eos >"$work/server.log" 2>&1 &
server_pid=$!
mkdir -p "$work/cfg" "$work/data/seekdeck" "$work/home"
cat > "$work/cfg/servers.json" <<JSON
[{"name":"GPU box","base_url":"http://127.0.0.1:$port/v1","has_key":false,"last_model":null}]
JSON
sleep 3
HOME=$work/home XDG_DATA_HOME=$work/data SEEKDECK_DATA_DIR=$work/data/seekdeck SEEKDECK_CONFIG_DIR=$work/cfg \
  "$bindir/seekdeck" --assume "24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s" >/dev/null 2>&1 &
pid=$!
sleep 8
xdotool search --name seekdeck windowfocus --sync >/dev/null 2>&1 || true
# The window opens at 1440x900 in the top-left corner: the server's model's Use, the message
# box, then (once answered) the Thinking block's header.
xdotool mousemove 1065 251 click 1
sleep 2
xdotool mousemove 1230 815 click 1
sleep 0.5
xdotool type --delay 40 "What is 2 + 2?"
xdotool key Return
sleep 8
xdotool mousemove 1060 518 click 1
sleep 2
import -window root -crop 1440x900+0+0 +repage "$out"
kill "$pid" "$server_pid" 2>/dev/null || true
rm -rf "$work"
echo "wrote $out"
