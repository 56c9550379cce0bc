#!/usr/bin/env bash
# Takes a screenshot of the real window under Xvfb, with a card open, on a simulated
# RTX 4090 (so the picture shows every verdict colour whatever machine takes it).
# Usage: scripts/screenshot.sh target/release/seekdeck docs/screenshot.png [model id]
# (SEEKDECK_SHOT_ASSUME=SPEC for another machine, e.g. a cluster; SEEKDECK_SHOT_QUANT=IQ1_S;
# SEEKDECK_SHOT_COMPARE=true for the Compare view, SEEKDECK_SHOT_CARD=false for no card,
# SEEKDECK_SHOT_SCROLL=N to scroll the card down N steps, SEEKDECK_SHOT_STATE=',field:value' for
# more of the persisted state, e.g. a model's launch settings)
set -euo pipefail
bin=${1:-target/release/seekdeck}
out=${2:-docs/screenshot.png}
card=${3:-deepseek-v2-lite}
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
data=$(mktemp -d)
# Start with the model's card open (DeepSeek-V2-Lite's by default), through eframe's own
# persisted state.
mkdir -p "$data/seekdeck"
cat > "$data/seekdeck/app.ron" <<RON
{"app":"(quant:${SEEKDECK_SHOT_QUANT:-Q4_K_M},ctx_tokens:8192,selected:Some(\\"$card\\"),card_open:${SEEKDECK_SHOT_CARD:-true},sort:Catalog,ascending:true,compare:${SEEKDECK_SHOT_COMPARE:-false}${SEEKDECK_SHOT_STATE:-})"}
RON
XDG_DATA_HOME=$data SEEKDECK_CONFIG_DIR=$data "$bin" --assume "${SEEKDECK_SHOT_ASSUME:-24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s}" >/dev/null 2>&1 &
pid=$!
sleep 8
# SEEKDECK_SHOT_SCROLL=N scrolls the card down N wheel steps (the card is the lower half).
if [ -n "${SEEKDECK_SHOT_SCROLL:-}" ]; then
  xdotool mousemove 500 760 click --repeat "$SEEKDECK_SHOT_SCROLL" --delay 100 5
  sleep 1
fi
# The window opens at 1440x900 in the top-left corner.
import -window root -crop 1440x900+0+0 +repage "$out"
kill "$pid" 2>/dev/null || true
echo "wrote $out"
