#!/usr/bin/env bash
# Screenshots of the real window while an answer streams, at a given size: a home folder with
# shape-only DeepSeek GGUFs in LM Studio's folder, and a scripted chat (SEEKDECK_SCRIPT_CHAT) on a
# full-size random-weight model, so the answer takes long enough to be caught mid-stream.
# Usage: scripts/screenshot-stream.sh target/release MODEL.gguf WIDTHxHEIGHT out.png [seconds]
set -euo pipefail
bindir=$1
model=$2
size=$3
out=$4
wait_secs=${5:-14}
width=${size%x*}
height=${size#*x}
export XVFB_SCREEN="${width}x${height}x24"
# shellcheck source=scripts/xvfb.sh
. "$(dirname "$0")/xvfb.sh"
home=$(mktemp -d)
"$bindir/examples/fake_home" "$home/fake" >/dev/null
mkdir -p "$home/.lmstudio/models/lmstudio-community"
mv "$home/fake/"*.gguf "$home/.lmstudio/models/lmstudio-community/"
rm -rf "$home/fake"
HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config SEEKDECK_DATA_DIR=$home/data/seekdeck \
  SEEKDECK_CONFIG_DIR=$home/config SEEKDECK_SCRIPT_CHAT="$model" SEEKDECK_SCRIPT_MAX_TOKENS=400 \
  SEEKDECK_SCRIPT_PROMPT="Which DeepSeek model fits a PC with 24 GiB of VRAM, and why?" \
  "$bindir/seekdeck" --assume "24GiB GPU @1008GB/s, 64GiB RAM @89.6GB/s" >/dev/null 2>&1 &
pid=$!
sleep 3
xdotool search --sync --name seekdeck windowsize "$width" "$height" windowmove 0 0 >/dev/null 2>&1 || true
sleep "$wait_secs"
import -window root -crop "${width}x${height}+0+0" +repage "$out"
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
rm -rf "$home"
echo "wrote $out"
