#!/usr/bin/env bash
# Takes a screenshot of the chat pane in the real window under Xvfb: a home folder with two
# shape-only DeepSeek GGUFs (LM Studio's folder and ~/models, one in the legacy MLA layout) and the
# tiny random-weight test model; xdotool clicks its Launch button, types a message and presses
# Enter, as a user would. The tiny model's answer is noise: it has random weights.
# Usage: scripts/screenshot-chat.sh target/release docs/screenshot-chat.png
set -euo pipefail
bindir=${1:-target/release}
out=${2:-docs/screenshot-chat.png}
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
home=$(mktemp -d)
data=$(mktemp -d)
# shellcheck source=scripts/fake-home.sh
. "$(dirname "$0")/fake-home.sh"
mkdir -p "$data/seekdeck"
cat > "$data/seekdeck/app.ron" <<'RON'
{"app":"(quant:Q4_K_M,ctx_tokens:8192,selected:Some(\"deepseek-r1-distill-qwen-7b\"),card_open:true,sort:Catalog,ascending:true)"}
RON
HOME=$home XDG_DATA_HOME=$data SEEKDECK_DATA_DIR=$data/seekdeck SEEKDECK_CONFIG_DIR=$data \
  "$bindir/seekdeck" --assume "24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s" >/dev/null 2>&1 &
pid=$!
sleep 6
xdotool search --name seekdeck windowfocus --sync >/dev/null 2>&1 || true
# The window opens at 1440x900 in the top-left corner; the third file's Launch button, then the
# message box (which moves down once the context meter appears).
# Scroll "On this PC" to the tiny model's row, Launch it, then click into the message box.
xdotool mousemove 1200 300 click --repeat 3 --delay 100 5
sleep 1
xdotool mousemove 1232 340 click 1
sleep 2
xdotool mousemove 1200 823 click 1
sleep 1
xdotool type --delay 40 "Which DeepSeek model fits my PC?"
xdotool key Return
sleep 3
import -window root -crop 1440x900+0+0 +repage "$out"
kill "$pid" 2>/dev/null || true
rm -rf "$home" "$data"
echo "wrote $out"
