# seekdeck — `make run` starts the app, `make test` passes the tests, on a fresh machine.
# Missing build tools (cmake, clang/libclang for llama.cpp's bindings) and, for tests and
# screenshots, Xvfb + Mesa are installed first through the system's package manager.

SHELL := /bin/bash
CARGO ?= cargo

# The app's llama.cpp back-ends, each a module seekdeck finds at run time beside its binary: the
# CPU code once per instruction-set level, Vulkan (NVIDIA, AMD and Intel cards with only the
# graphics driver), CUDA where a CUDA toolkit is present (nvcc), ROCm where HIP is (hipcc); Metal
# on macOS. The tests build llama.cpp for the CPU alone (one static build, as CI's time allows).
comma := ,
ifeq ($(shell uname),Darwin)
GPU_FEATURES := metal
else
GPU_FEATURES := vulkan$(if $(shell command -v nvcc 2>/dev/null),$(comma)cuda)$(if $(shell command -v hipcc 2>/dev/null),$(comma)rocm)
endif
FEATURES ?= dynamic-backends,$(GPU_FEATURES)
# ggml-vulkan needs newer Vulkan-Hpp headers than some systems ship (scripts/vulkan-build-deps.sh
# unpacks them under target/ then); evaluated per command, after `deps` made them, and given to
# the module builds alone (a changed include path would rebuild the test build's C dependencies).
VULKAN_INCLUDE = $(shell [ -d target/vulkan-headers/usr/include ] && echo $(CURDIR)/target/vulkan-headers/usr/include)
run build: export CPLUS_INCLUDE_PATH = $(VULKAN_INCLUDE)

.PHONY: run test build deps test-deps llama-server lint fuzz bench bench-estimator bench-engine bench-scan bench-download bench-remote bench-window bench-cluster catalog-doc screenshot reader-memory accuracy accuracy-gpu accuracy-cluster server-plans clean

# llama-cpp-sys-2 links its shared libraries into target/release as links that dangle once
# another build of them replaces the files; its next build fails on them ("File exists"):
# they are removed first.
# The Sapphire Rapids CPU variant is left out: where CPUID reports AMX but the hypervisor does not
# grant it (seen on this project's VMs), llama.cpp picks that variant and its AMX kernels die with
# an illegal instruction on quantized models; without it such CPUs run the AVX512-BF16 variant.
run: build
	target/release/seekdeck

build: deps
	@find target/release -maxdepth 2 -xtype l -name 'lib*.so*' -delete 2>/dev/null || true
	$(CARGO) build --release --features $(FEATURES)
	@rm -f target/release/build/llama-cpp-sys-2-*/out/backends/libggml-cpu-sapphirerapids.so

# llama-server (for the remote engine's tests) is compiled on the llama.cpp libraries clippy's
# build of llama-cpp-sys-2 leaves, beside the test build, filling the moments cargo leaves a core
# idle (single crates, links); its log is printed if it fails.
test: deps test-deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --features verify,fuzzing -- -D warnings
	@# A contributor's first `cargo clippy` / `cargo test` has no features: every target compiles without them too.
	$(CARGO) clippy --all-targets -- -D warnings
	@mkdir -p target
	scripts/llama-server.sh >target/llama-server-build.log 2>&1 & server=$$!; \
	  $(CARGO) test --all-targets --features verify,fuzzing --no-run; built=$$?; \
	  wait $$server || { tail -40 target/llama-server-build.log; exit 1; }; exit $$built
	$(CARGO) test --all-targets --features verify,fuzzing

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --features verify,fuzzing -- -D warnings
	$(CARGO) clippy --all-targets -- -D warnings

# Coverage-guided fuzzing of every reader of outside input (cargo-fuzz, nightly), FUZZ_SECONDS
# (default 60) per target; findings land in fuzz/regressions/, which `make test` replays.
fuzz: deps
	scripts/fuzz.sh

# Build tools for llama.cpp (cmake, a C++ compiler, libclang for bindgen, glslc and the Vulkan
# headers for its Vulkan module) and the window's run-time libraries (xkbcommon, Vulkan/GL drivers).
deps:
	@scripts/install-deps.sh build

# llama.cpp's own llama-server (same llama.cpp as the engine), the real server the remote
# engine's tests talk to, compiled on the engine's own llama.cpp libraries: built once into
# target/llama-server (about five minutes on 2 cores).
llama-server: deps
	scripts/llama-server.sh

# Xvfb and Mesa, so UI tests and screenshots run without a display or a GPU.
test-deps:
	@scripts/install-deps.sh test

bench: bench-estimator bench-engine bench-scan bench-download bench-remote bench-window bench-cluster

bench-estimator: deps
	$(CARGO) bench --bench estimator

# Engine tokens/s and first-token time against a bare llama-cpp-2 loop, and UI frame times while
# a model loads and streams (writes a 1 GB random-weight model into target/bench-models once);
# then `seekdeck chat` against llama.cpp's llama-server on a shape-only 7B Q4_K_M (load, first
# token of a first and a follow-up turn, prompt and decode tokens/s, peak RSS).
bench-engine: deps llama-server
	$(CARGO) bench --bench engine
	$(CARGO) bench --bench local_vs_server

# "On this PC" filling: 50 files with a 7B's 5.9 MB header, read, remembered, one changed;
# against reading the same bytes as cat would.
bench-scan: deps
	$(CARGO) bench --bench scan

# Downloads from the loopback Hub: 1 GiB against curl of the same URL (ratio), and the time to
# list 30 remote GGUFs with a verdict each (headers read by range requests, then cached).
bench-download: deps
	$(CARGO) bench --bench download

# A served model's tokens/s as the chat pane measures it against llama-server's own timings for
# the same requests (llama.cpp's llama-server on loopback, the 1.5B-shaped random model).
bench-remote: deps llama-server
	$(CARGO) bench --bench remote

# A model across two `seekdeck worker`s on loopback against the same model in one process
# (load, first token, tokens/s as ratios), and a worker's --cache: the next launch against the first.
bench-cluster: deps
	$(CARGO) bench --bench cluster

# The real window under Xvfb: idle CPU over 30 s, time to first frame, and a chat in the window
# against `seekdeck chat` on the same 7B-shaped file (load, first token, tokens/s as ratios).
bench-window: deps test-deps
	$(CARGO) build --release --bin seekdeck --example tiny_model
	scripts/bench-window.sh target/release/seekdeck
	scripts/bench-window-chat.sh target/release

# The README's screenshots: the real window under Xvfb (the second one chats with the tiny
# random-weight test model, the third downloads from the loopback Hub, the fourth chats with
# llama.cpp's own llama-server on loopback, driven by xdotool; the last has every side section open
# at 1280x720).
screenshot: deps test-deps
	@scripts/install-deps.sh shot
	$(CARGO) build --release --bin seekdeck --example fake_home --example tiny_model --example hub_server
	scripts/screenshot.sh target/release/seekdeck docs/screenshot.png
	scripts/screenshot-chat.sh target/release docs/screenshot-chat.png
	scripts/screenshot-get.sh target/release docs/screenshot-get.png
	scripts/screenshot-server.sh target/release docs/screenshot-server.png
	scripts/screenshot-sections.sh target/release docs/screenshot-sections.png
	SEEKDECK_SHOT_SCROLL=4 scripts/screenshot.sh target/release/seekdeck docs/screenshot-memory-curve.png deepseek-r1-distill-qwen-32b
	SEEKDECK_SHOT_COMPARE=true SEEKDECK_SHOT_CARD=false scripts/screenshot.sh target/release/seekdeck docs/screenshot-compare.png deepseek-r1

clean:
	$(CARGO) clean

# docs/catalog.md: every catalog fact with its source, generated from catalog/deepseek.ron.
catalog-doc:
	$(CARGO) run --example catalog_doc > docs/catalog.md.tmp && mv docs/catalog.md.tmp docs/catalog.md

# Peak memory of every reader of outside input on hostile inputs of 1 and 16 MiB, each in a child
# process (the table of docs/reliability.md).
reader-memory: deps
	$(CARGO) build --release --features fuzzing --bin seekdeck --example reader_memory
	target/release/examples/reader_memory 1 16

# The GPU-server planner against the engines' published figures (docs/server-plans.md).
server-plans:
	$(CARGO) run --features verify --example server_plans > docs/server-plans.md.tmp && mv docs/server-plans.md.tmp docs/server-plans.md
	@grep -m1 'rows agree' docs/server-plans.md

# The estimator against llama.cpp's own dry run for every catalog model (docs/accuracy.md).
accuracy: deps
	$(CARGO) run --release --features verify --example accuracy > docs/accuracy.md.tmp && mv docs/accuracy.md.tmp docs/accuracy.md
	@grep -m1 'comparisons' docs/accuracy.md

# The estimate across machines against llama.cpp's dry runs over three loopback `seekdeck worker`s
# (docs/accuracy-cluster.md).
accuracy-cluster: deps
	scripts/accuracy-cluster.sh

# The suggested GPU split and the MoE experts-in-RAM option against llama.cpp's Vulkan back-end
# (docs/accuracy-gpu.md). Needs no GPU: Mesa's software Vulkan device stands in, given a real
# card's buffer limits by a small Vulkan layer; llama.cpp sizes everything with no_alloc.
accuracy-gpu: deps test-deps
	@scripts/install-deps.sh shot
	scripts/accuracy-gpu.sh
