#!/usr/bin/env bash
# `make accuracy-gpu`: builds seekdeck's accuracy_gpu example against llama.cpp's Vulkan back-end
# and writes docs/accuracy-gpu.md. No GPU needed: Mesa's software Vulkan device (lavapipe) stands
# in, through a small Vulkan layer (scripts/vk-simulated-gpu) that gives it a discrete card's
# buffer limits. llama.cpp runs with no_alloc, so nothing is allocated on the device.
# Then it takes docs/screenshot-gpu-check.png: the real window, built with the same back-end,
# showing llama.cpp's check of DeepSeek 67B's split on a simulated 24 GiB card.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/vulkan-check
mkdir -p "$out"

# glslc, the Vulkan and SPIR-V headers, Mesa's software device; the include folder to build with.
include=$(scripts/vulkan-build-deps.sh)

layer="$out/layer"
mkdir -p "$layer"
gcc -shared -fPIC -O2 -Wall -I"$include" -o "$layer/libVkLayer_seekdeck_simulated_gpu.so" \
    scripts/vk-simulated-gpu/simulated_gpu_layer.c
cp scripts/vk-simulated-gpu/VkLayer_seekdeck_simulated_gpu.json "$layer/"

CPLUS_INCLUDE_PATH="$include" CARGO_TARGET_DIR="$out/cargo" \
    cargo build --release --features vulkan,verify --example accuracy_gpu --bin seekdeck
export VK_ADD_LAYER_PATH="$PWD/$layer" VK_INSTANCE_LAYERS=VK_LAYER_SEEKDECK_simulated_gpu GGML_VK_VISIBLE_DEVICES=0
"$out/cargo/release/examples/accuracy_gpu" > docs/accuracy-gpu.md.tmp
mv docs/accuracy-gpu.md.tmp docs/accuracy-gpu.md
grep -m3 -- '- ' docs/accuracy-gpu.md | cut -c1-200

# The window with DeepSeek 67B's card open on a simulated 24 GiB card.
# shellcheck source=scripts/xvfb.sh
. scripts/xvfb.sh
data=$(mktemp -d)
mkdir -p "$data/seekdeck"
cat > "$data/seekdeck/app.ron" <<'RON'
{"app":"(quant:Q4_K_M,ctx_tokens:8192,selected:Some(\"deepseek-llm-67b\"),card_open:true,sort:Catalog,ascending:true)"}
RON
HOME=$data XDG_DATA_HOME=$data SEEKDECK_CONFIG_DIR=$data \
    "$out/cargo/release/seekdeck" --assume "24GiB GPU, 64GiB RAM" >/dev/null 2>&1 &
pid=$!
sleep 12
import -window root -crop 1440x900+0+0 +repage docs/screenshot-gpu-check.png
kill "$pid" 2>/dev/null || true
rm -rf "$data"
echo "wrote docs/screenshot-gpu-check.png"
