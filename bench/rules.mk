# bench: `make bench` — the docs' collect flow against one sandbox by every dollr SDK and its
# pure-language peers, plus per-call binding overhead; writes BENCHMARKS.md. Included by the root
# Makefile (`-include bench/rules.mk`, with `bench: bench-run`). NOT part of `make test`.
#
#   make bench-run      release builds (Rust, Python wheel, Node addon, Kotlin if its package
#                       exists), then the matrix (bench/README.md) → BENCHMARKS.md + the table
#   make bench-build    only the builds
#   make bench-journal  the journal rows (memory, SQLite, PostgreSQL) into target/bench/journal.md
#   make bench-bulk     the bulk-payout row (10,000 payouts by `dollr payouts run` vs the sandbox's
#                       ceiling, the CLI's peak RSS) into target/bench/bulk.md
#   make bench-callgrind  instructions per flow of the sequential contenders under valgrind's
#                       callgrind (repeatable whatever the machine does) into target/bench/callgrind.md
#   make bench-memory   each SDK's RSS idle, after 1,000 and after 100,000 calls into
#                       target/bench/memory.md
#   make bench-ceiling  the sandbox's read and write paths beside nginx serving the same bytes,
#                       loaded by wrk in turn for 3 rounds, with each server's CPU per request
#                       (wrk and nginx installed from Debian's packages when missing) into
#                       target/bench/ceiling.md
#   make bench-quick    a short smoke run of the whole matrix (200 flows, 2 rounds) into
#                       target/bench/BENCHMARKS.quick.md
#
# Knobs: BENCH_FLOWS (timed flows per contender, default 1000), BENCH_ROUNDS (default 5),
# BENCH_ARGS (extra `dollr-bench run` flags, e.g. --only py-dollr-1,py-httpx-1).
#
# Everything bench-only stays under target/bench: a venv with requests + httpx + the release
# dollr wheel (so the root .venv and its editable debug install are untouched), the Kotlin build,
# the contenders' logs and criterion's output.

# This file is included before the root Makefile's first rule: keep `make` (no goal) meaning
# what the root Makefile says by restoring the default goal at the end.
BENCH_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

BENCH_OUT := target/bench
BENCH_VENV := $(BENCH_OUT)/venv
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_FLOWS ?= 1000
BENCH_ROUNDS ?= 5
BENCH_ARGS ?=
BENCH_PYTHON ?= python3
BENCH_MVN ?= mvn
BENCH_KOTLIN_POM := bench/kotlin/pom.xml
BENCH_KOTLIN_JAR := $(BENCH_OUT)/kotlin/dollr-bench-kotlin-0.1.0.jar
# Written by bench-kotlin: the contender's command line, or why there is none.
BENCH_KOTLIN_CMD := $(BENCH_OUT)/kotlin.cmd
BENCH_KOTLIN_MISSING := $(BENCH_OUT)/kotlin.missing
BENCH_PY_TOOLS := $(BENCH_VENV)/.tools

.PHONY: bench-run bench-build bench-release-line bench-quick bench-rust bench-python bench-node bench-kotlin

# Bench-only Python tools from PyPI (latest releases: the peers should be today's versions).
# sniffio: without it httpcore re-attempts a failing `import sniffio` several times per request
# (anyio >= 4.11 no longer pulls it in; encode/httpcore#1103), which halves httpx.AsyncClient's
# speed; installed so httpx is measured at its best.
$(BENCH_PY_TOOLS):
	$(BENCH_PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check requests httpx sniffio maturin
	touch $@

# The sandbox (`dollr sandbox`), the driver + Rust contenders and the criterion benchmark, in one
# cargo invocation. The Python wheel (maturin) then only adds pyo3 and its own crate: same
# features, same artifacts.
bench-rust:
	$(CARGO) build --release -p dollr-cli -p dollr-bench --bins --benches

# The release wheel, installed into the bench venv. A broken binding does not stop the run: its
# contenders report "not built" in the table.
bench-python: $(BENCH_PY_TOOLS)
	rm -rf $(BENCH_OUT)/wheels
	@if $(BENCH_VENV)/bin/maturin build --quiet --release --strip -o $(BENCH_OUT)/wheels; then \
		$(BENCH_PY) -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps $(BENCH_OUT)/wheels/dollr-*.whl; \
	else \
		echo "bench: the dollr wheel did not build; its contenders will be reported as not built"; \
		$(BENCH_PY) -m pip uninstall --quiet --yes dollr >/dev/null 2>&1 || true; \
	fi

# The release addon (`npm run build`: bindings-node/build.mjs --release), then the WebAssembly
# engine on the `dist` profile (bindings-wasm/build.mjs; the node-wasm contenders).
bench-node:
	@command -v node >/dev/null || { echo "node (20+) is required for make bench"; exit 1; }
	@node bindings-node/build.mjs --release || echo "bench: the dollr-native addon did not build; its contenders will be reported as not built"
	@node bindings-wasm/build.mjs --profile dist || echo "bench: the WebAssembly engine did not build; its contenders will be reported as not built"

# The Kotlin package (bindings-swift/kotlin) when it exists: the release libdollr_ffi (its own
# cargo invocation: the uniffi feature changes dollr-core, which the Rust contender must not get)
# and the contender compiled with the package's sources (Maven). Otherwise, or if that fails, the reason
# goes into the table.
bench-kotlin:
	@mkdir -p $(BENCH_OUT)
	@rm -f $(BENCH_KOTLIN_CMD) $(BENCH_KOTLIN_MISSING)
	@if [ ! -f bindings-swift/kotlin/pom.xml ] || [ ! -d bindings-swift/kotlin/src/main/kotlin ]; then \
		echo "the Kotlin package (bindings-swift/kotlin) is not in this checkout" > $(BENCH_KOTLIN_MISSING); \
	elif ! command -v java >/dev/null || ! command -v $(BENCH_MVN) >/dev/null; then \
		echo "java or Maven is not installed" > $(BENCH_KOTLIN_MISSING); \
	elif ! $(CARGO) build --release -p dollr-uniffi; then \
		echo "the uniffi library (dollr-uniffi) did not build" > $(BENCH_KOTLIN_MISSING); \
	elif ! $(BENCH_MVN) -B -q -f $(BENCH_KOTLIN_POM) package; then \
		echo "the Kotlin package did not compile with the contender" > $(BENCH_KOTLIN_MISSING); \
	else \
		echo "java -Djna.library.path=$(abspath target/release) -cp $(abspath $(BENCH_KOTLIN_JAR)):$$(cat $(BENCH_OUT)/kotlin/classpath.txt) app.heydollr.bench.ContenderKt --concurrency 1" > $(BENCH_KOTLIN_CMD); \
	fi
	@if [ -f $(BENCH_KOTLIN_MISSING) ]; then echo "bench: Kotlin skipped: $$(cat $(BENCH_KOTLIN_MISSING))"; fi

# The release builds, as two lines of work side by side: everything that shares target/release
# (the sandbox, driver and criterion; then the wheel, which reuses them; then the uniffi library
# and Kotlin), one after the other since cargo locks that directory; and beside it the Node addon,
# whose own profile (target/noderel) ends in a long single-threaded fat-LTO link that would
# otherwise leave a core idle.
bench-build:
	@$(MAKE) --no-print-directory -j2 bench-node bench-release-line

bench-release-line:
	@$(MAKE) --no-print-directory bench-rust
	@$(MAKE) --no-print-directory bench-python
	@$(MAKE) --no-print-directory bench-kotlin

# The newest criterion executable of the `overhead` bench (cargo names it overhead-<hash>), looked
# up by the shell after the build.
BENCH_CRITERION_BIN = $$(ls -t target/release/deps/overhead-* 2>/dev/null | grep -v '\.d$$' | head -1)

# DOLLR_NATIVE_ADDON=release: the Node contender measures the release addon or fails to load,
# never a debug build it fell back to.
bench-run:
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory bench-build; \
	built=$$(( $$(date +%s) - started )); \
	echo "bench: builds took $${built} s"; \
	$(MAKE) --no-print-directory bench-matrix BENCH_BUILD_SECONDS=$$built; \
	echo "bench: done in $$(( $$(date +%s) - started )) s"

# The matrix alone, on the builds already made; BENCH_ROW_ARGS places rows measured by other steps
# of the same `make bench` in the report (`--row TITLE=PATH`).
BENCH_BUILD_SECONDS ?=
BENCH_ROW_ARGS ?=
# Set by bench-all, which has made the release builds already: the row steps skip bench-build.
BENCH_BUILT ?=
bench-matrix:
	@kotlin=(); [ -f $(BENCH_KOTLIN_CMD) ] && kotlin=(--kotlin "$$(cat $(BENCH_KOTLIN_CMD))"); \
	DOLLR_NATIVE_ADDON=release ./target/release/dollr-bench run --python $(BENCH_PY) --node node $${kotlin[@]+"$${kotlin[@]}"} \
		--kotlin-missing "$$(cat $(BENCH_KOTLIN_MISSING) 2>/dev/null || echo not built)" \
		--criterion-bin "$(BENCH_CRITERION_BIN)" \
		--flows $(BENCH_FLOWS) --rounds $(BENCH_ROUNDS) \
		$(if $(BENCH_BUILD_SECONDS),--build-seconds $(BENCH_BUILD_SECONDS)) $(BENCH_ROW_ARGS) $(BENCH_ARGS)

# `make bench`: ONE run that carries every figure. The release builds (timed), then each row's own
# step (a failed row is reported as not measured, the others go on), then the matrix, whose report
# places every row written by this run in BENCHMARKS.md's generated section. Rows from an earlier
# run are deleted first so none can pass for this one's.
BENCH_ALL_ROW_ARGS := \
	--row 'Journals (issue \#21)=$(BENCH_OUT)/journal.md' \
	--row 'Live status (issue \#15)=$(BENCH_OUT)/realtime.md' \
	--row 'Bulk payouts (issue \#16)=$(BENCH_OUT)/bulk.md' \
	--row 'Instructions per flow (callgrind)=$(BENCH_OUT)/callgrind.md' \
	--row 'Resident memory=$(BENCH_OUT)/memory.md' \
	--row 'Sandbox ceiling beside nginx=$(BENCH_OUT)/ceiling.md'
BENCH_ROW_STEPS := bench-journal bench-realtime bench-bulk bench-callgrind bench-memory bench-ceiling
.PHONY: bench-all bench-matrix
bench-all:
	@rm -f $(BENCH_OUT)/journal.md $(BENCH_OUT)/realtime.md $(BENCH_OUT)/bulk.md \
		$(BENCH_OUT)/callgrind.md $(BENCH_OUT)/memory.md $(BENCH_OUT)/ceiling.md
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory bench-build; \
	built=$$(( $$(date +%s) - started )); \
	echo "bench: builds took $${built} s"; \
	for step in $(BENCH_ROW_STEPS); do \
		$(MAKE) --no-print-directory $$step BENCH_BUILT=1 || echo "bench: $$step failed; its row is reported as not measured"; \
	done; \
	$(MAKE) --no-print-directory bench-matrix BENCH_BUILD_SECONDS=$$built \
		BENCH_ROW_ARGS="$(BENCH_ALL_ROW_ARGS)"; \
	echo "bench: done in $$(( $$(date +%s) - started )) s"

bench-quick: bench-build
	@kotlin=(); [ -f $(BENCH_KOTLIN_CMD) ] && kotlin=(--kotlin "$$(cat $(BENCH_KOTLIN_CMD))"); \
	DOLLR_NATIVE_ADDON=release ./target/release/dollr-bench run --python $(BENCH_PY) --node node $${kotlin[@]+"$${kotlin[@]}"} \
		--kotlin-missing "$$(cat $(BENCH_KOTLIN_MISSING) 2>/dev/null || echo not built)" \
		--flows 200 --rounds 2 --overhead-calls 200 --overhead-batches 3 \
		--out $(BENCH_OUT)/BENCHMARKS.quick.md $(BENCH_ARGS)

# The journal rows (decision 0015): intents journaled per second for the memory, SQLite and
# PostgreSQL journals, and reconcile() over 10,000 pending intents against a local sandbox, with a
# throwaway PostgreSQL server (tests/postgres/server.sh) → target/bench/journal.md.
.PHONY: bench-journal bench-realtime bench-callgrind bench-memory bench-ceiling
# The sandbox's ceiling beside nginx (#19): wrk from a second process, same run → target/bench/ceiling.md.
bench-ceiling:
	@command -v wrk >/dev/null && { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk nginx-light
	$(CARGO) build --release -p dollr-cli -p dollr-bench --bins
	PATH="$$PATH:/usr/sbin" ./target/release/dollr-bench ceiling --out $(BENCH_OUT)/ceiling.md

# Resident memory (#19): each SDK's process idle, after 1,000 and after 100,000 calls; the release
# builds of bench-build → target/bench/memory.md.
bench-memory: $(if $(BENCH_BUILT),,bench-build)
	@kotlin=(); [ -f $(BENCH_KOTLIN_CMD) ] && kotlin=(--kotlin "$$(cat $(BENCH_KOTLIN_CMD))"); \
	DOLLR_NATIVE_ADDON=release ./target/release/dollr-bench memory --python $(BENCH_PY) --node node $${kotlin[@]+"$${kotlin[@]}"} \
		--kotlin-missing "$$(cat $(BENCH_KOTLIN_MISSING) 2>/dev/null || echo not built)" --out $(BENCH_OUT)/memory.md

# Instructions per flow (#19): each sequential contender under valgrind's callgrind, the sandbox
# natively; the release builds of bench-build → target/bench/callgrind.md.
bench-callgrind: $(if $(BENCH_BUILT),,bench-build)
	@command -v valgrind >/dev/null || { echo "valgrind is required for make bench-callgrind (apt-get install valgrind)"; exit 1; }
	DOLLR_NATIVE_ADDON=release ./target/release/dollr-bench callgrind --python $(BENCH_PY) --node node --out $(BENCH_OUT)/callgrind.md

# The realtime row (decision 0017): commit of COMPLETED → the caller's watch, over the sandbox's
# Supabase Realtime server and by polling (default 2 s interval), same run → target/bench/realtime.md.
bench-realtime:
	$(CARGO) build --release -p dollr-cli -p dollr-bench --bins
	./target/release/dollr-bench realtime --sandbox-binary target/release/dollr --out $(BENCH_OUT)/realtime.md

bench-journal:
	$(CARGO) build --release -p dollr-cli -p dollr-bench --bins
	@dir=$$(tests/postgres/server.sh start $$$$) || exit 1; \
	trap 'tests/postgres/server.sh stop "$$dir"' EXIT; \
	./target/release/dollr-bench journal --postgres-url "$$(cat "$$dir/url")" \
		--sandbox-binary target/release/dollr --out $(BENCH_OUT)/journal.md

# The bulk-payout row (issue #16, decision 0016): `dollr payouts run` over BENCH_BULK_PAYOUTS
# payouts (default 10,000) against the sandbox's own ceiling for the same payouts, and the CLI's
# peak RSS (target < 100 MB) → target/bench/bulk.md.
BENCH_BULK_PAYOUTS ?= 10000
.PHONY: bench-bulk
bench-bulk:
	$(CARGO) build --release -p dollr-cli -p dollr-bench --bins
	./target/release/dollr-bench bulk --dollr-binary target/release/dollr \
		--payouts $(BENCH_BULK_PAYOUTS) --out $(BENCH_OUT)/bulk.md

.DEFAULT_GOAL := $(BENCH_SAVED_DEFAULT_GOAL)
