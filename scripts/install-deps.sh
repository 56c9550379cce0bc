#!/usr/bin/env bash
# Installs what seekdeck needs and the machine lacks, with the system's package manager.
#   install-deps.sh build  — cmake, C/C++ compiler, clang + libclang, window run-time libraries,
#                            and what llama.cpp's Vulkan back-end is built with (vulkan-build-deps.sh)
#   install-deps.sh test   — Xvfb, xauth, Mesa (software Vulkan/GL) for the real window headless
#   install-deps.sh shot   — ImageMagick's `import` and xdotool, for screenshots
# Does nothing when everything is present, so it is cheap to run before every build.
set -euo pipefail
what=${1:-build}

have() { command -v "$1" >/dev/null 2>&1; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif have sudo; then sudo "$@"; else "$@"; fi; }

libclang_present() {
  ldconfig -p 2>/dev/null | grep -q 'libclang' && return 0
  ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 && return 0
  [ -n "${LIBCLANG_PATH:-}" ] && return 0
  return 1
}

missing=()
case "$what" in
  build)
    have cmake || missing+=(cmake)
    have c++ || have g++ || missing+=(cxx)
    have clang || missing+=(clang)
    libclang_present || missing+=(libclang)
    if [ "$(uname)" = Linux ]; then
      ldconfig -p 2>/dev/null | grep -q 'libxkbcommon-x11' || missing+=(xkb)
      ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' || missing+=(vulkan)
      ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' || missing+=(gl)
    fi
    ;;
  test)
    if [ "$(uname)" = Linux ]; then
      have Xvfb || missing+=(xvfb)
      have xauth || missing+=(xauth)
      ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || missing+=(mesa)
    fi
    ;;
  shot)
    have import || missing+=(imagemagick)
    have xdotool || missing+=(xdotool)
    ;;
  *) echo "usage: $0 build|test|shot" >&2; exit 2 ;;
esac

vulkan() {
  if [ "$what" = build ] && [ "$(uname)" = Linux ]; then
    "$(dirname "$0")/vulkan-build-deps.sh" >/dev/null
  fi
}
[ ${#missing[@]} -eq 0 ] && { vulkan; exit 0; }
echo "installing: ${missing[*]}"

apt_names() {
  for m in "$@"; do case $m in
    cmake) echo cmake ;; cxx) echo g++ ;; clang) echo clang ;; libclang) echo libclang-dev ;;
    xkb) echo libxkbcommon-x11-0 ;; vulkan) echo libvulkan1 mesa-vulkan-drivers ;; gl) echo libegl1 libgl1-mesa-dri ;;
    xvfb) echo xvfb ;; xauth) echo xauth ;; mesa) echo mesa-vulkan-drivers libgl1-mesa-dri libegl1 ;;
    imagemagick) echo imagemagick ;; xdotool) echo xdotool ;;
  esac; done
}
dnf_names() {
  for m in "$@"; do case $m in
    cmake) echo cmake ;; cxx) echo gcc-c++ ;; clang) echo clang ;; libclang) echo clang-devel ;;
    xkb) echo libxkbcommon-x11 ;; vulkan) echo vulkan-loader mesa-vulkan-drivers ;; gl) echo mesa-libEGL mesa-dri-drivers ;;
    xvfb) echo xorg-x11-server-Xvfb ;; xauth) echo xorg-x11-xauth ;; mesa) echo mesa-vulkan-drivers mesa-dri-drivers ;;
    imagemagick) echo ImageMagick ;; xdotool) echo xdotool ;;
  esac; done
}
pacman_names() {
  for m in "$@"; do case $m in
    cmake) echo cmake ;; cxx) echo gcc ;; clang|libclang) echo clang ;;
    xkb) echo libxkbcommon-x11 ;; vulkan) echo vulkan-icd-loader vulkan-swrast ;; gl) echo mesa ;;
    xvfb) echo xorg-server-xvfb ;; xauth) echo xorg-xauth ;; mesa) echo mesa vulkan-swrast ;;
    imagemagick) echo imagemagick ;; xdotool) echo xdotool ;;
  esac; done
}

if have apt-get; then
  export DEBIAN_FRONTEND=noninteractive
  sudo_if_needed apt-get update -qq
  # shellcheck disable=SC2046
  sudo_if_needed apt-get install -y -qq --no-install-recommends $(apt_names "${missing[@]}" | sort -u) >/dev/null
elif have dnf; then
  # shellcheck disable=SC2046
  sudo_if_needed dnf install -y $(dnf_names "${missing[@]}" | sort -u)
elif have pacman; then
  # shellcheck disable=SC2046
  sudo_if_needed pacman -S --noconfirm --needed $(pacman_names "${missing[@]}" | sort -u)
elif have brew; then
  for m in "${missing[@]}"; do case $m in
    cmake) brew install cmake ;; clang|libclang) brew install llvm ;;
  esac; done
else
  echo "Please install: ${missing[*]} (no apt-get, dnf, pacman or brew found)" >&2
  exit 1
fi
vulkan
