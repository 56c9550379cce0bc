#!/usr/bin/env bash
# What building llama.cpp's Vulkan back-end needs, installed where missing, and the C++ include
# folder to build it with (printed on stdout): glslc, the Vulkan loader's headers, SPIR-V headers,
# and Mesa's software Vulkan device for the tests. ggml-vulkan needs Vulkan-Hpp headers newer
# than Debian 12's 1.3.239 (VK_EXT_layer_settings, 1.3.261): where the system's are older, the
# next Debian release's libvulkan-dev is unpacked once under target/vulkan-headers (headers only,
# nothing installed system-wide). Without apt-get, it checks and says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }
missing=()
command -v glslc >/dev/null || missing+=(glslc)
[ -f /usr/include/vulkan/vulkan.h ] || missing+=(libvulkan-dev)
[ -d /usr/share/cmake/SPIRV-Headers ] || missing+=(spirv-headers)
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || missing+=(mesa-vulkan-drivers)
if [ ${#missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null; then
        echo "installing: ${missing[*]}" >&2
        sudo_if_needed apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    else
        echo "the Vulkan back-end needs: ${missing[*]} (install them with your package manager)" >&2
        exit 1
    fi
fi

include=/usr/include
if ! grep -q "LayerSettingEXT" /usr/include/vulkan/vulkan_structs.hpp 2>/dev/null; then
    headers=target/vulkan-headers
    if [ ! -f "$headers/usr/include/vulkan/vulkan.hpp" ]; then
        apt_dir=target/vulkan-headers-apt
        mkdir -p "$apt_dir/lists/partial" "$apt_dir/deb"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" > "$apt_dir/sources.list"
        opts=(-o "Dir::Etc::sourcelist=$PWD/$apt_dir/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$PWD/$apt_dir/lists")
        apt-get "${opts[@]}" update -qq >&2
        (cd "$apt_dir/deb" && apt-get "${opts[@]}" download libvulkan-dev >&2 2>/dev/null)
        dpkg-deb -x "$apt_dir"/deb/libvulkan-dev_*.deb "$headers"
        rm -rf "$apt_dir"
    fi
    include="$PWD/$headers/usr/include"
fi
echo "$include"
