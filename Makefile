# dollr — one command runner, mirrored by CI (.ci/run runs `make test`).
#
#   make demo    the flows end to end on the embedded sandbox (collection + payout)
#   make test    everything: lint, Rust tests (core, sandbox, cli), docs-guide clients on the sandbox
#   make lint    rustfmt --check, clippy with warnings denied
#   make fmt     format everything
#   make sandbox run the local Dollr API simulation on http://127.0.0.1:8787
#   make soak    the long chaos run (thousands of payments with faults), not part of `make test`
#   make fuzz    every fuzz target of fuzz/ for minutes (FUZZ_SECONDS each; `make test` runs each a few seconds)
#   make bench   the SDKs against the code users would write instead (release builds, ~15 min);
#                writes BENCHMARKS.md, not part of `make test` (bench/README.md)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
PYTHON ?= python3
VENV := .venv
VENV_PY := $(VENV)/bin/python
# `make sandbox` listens here (the README's port; the docs check picks a free one).
SANDBOX_PORT ?= 8787
# Tests share one debug target dir; keep parallel test binaries modest on 2-core machines.
export CARGO_TERM_COLOR ?= never
export RUST_BACKTRACE ?= 1
# No incremental caches: a cold `make test` writes ~14 GB of build output with them (4 GB of it
# incremental state nobody reuses on a fresh machine), and CI once ran out of disk. Iterating by
# hand, `cargo test` keeps them; `make test CARGO_INCREMENTAL=1` does too.
export CARGO_INCREMENTAL ?= 0
# Every language's test helpers (dollr.testing, dollr-native/testing, Kotlin/Swift TestSandbox)
# run the sandbox as a child process: the `dollr` binary. Users get it from the testing companion
# packages; here it is the workspace's debug build (`workspace-build`).
export DOLLR_SANDBOX_BINARY ?= $(abspath target/debug/dollr)

.PHONY: demo sandbox-build test dist test-dist test-docs lint fmt sandbox soak bench tools test-rust workspace-build clean generate generate-schema lint-rust

# `make` alone runs the demo, whatever the included rules.mk files define first.
.DEFAULT_GOAL := demo

# Each binding owns a rules.mk that appends its targets to these lists (and defines them).
BINDING_TESTS :=
LINT_TARGETS := lint-rust
GENERATE_TARGETS := generate-schema
-include packaging/rules.mk
-include bindings-python/rules.mk
-include bindings-node/rules.mk
-include bindings-wasm/rules.mk
-include bindings-swift/rules.mk
-include bench/rules.mk
-include tests/postgres/rules.mk
-include tests/realtime_clients/rules.mk
-include tests/contract/rules.mk
-include fuzz/rules.mk

# `dollr` alone (`-p dollr-cli`): cargo unifies features across what one command builds, so this
# is a different dollr-core build from the workspace's, compiled on its first use. Built first
# with cargo's own progress (a cold build takes minutes: it should not look stuck), and before any
# README block starts `make sandbox &` and waits for its port (test-docs).
sandbox-build:
	@echo "building the dollr command (cargo build -p dollr-cli; minutes on a cold machine)..."
	$(CARGO) build -p dollr-cli

demo: sandbox-build
	$(CARGO) run -q -p dollr-cli -- demo

# The benchmark (bench/rules.mk): release builds, every row's own step, then every contender against
# one sandbox; one report in BENCHMARKS.md.
bench: bench-all

sandbox: sandbox-build
	$(CARGO) run -q -p dollr-cli -- sandbox --port $(SANDBOX_PORT)

# Python tools the tests need (the docs' own `requests` client). Installed into a local venv
# from PyPI so a fresh machine needs nothing by hand.
$(VENV_PY):
	$(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check requests

tools: $(VENV_PY)
	@command -v node >/dev/null || { echo "node (20+) is required for the docs' Node guide test"; exit 1; }

test: tools lint test-rust $(BINDING_TESTS) test-postgres test-docs test-dist

# The artifacts users install (packaging/rules.mk; each binding appends its part to DIST_TARGETS):
# after every include, so the lists are complete.
dist: dist-tools $(DIST_TARGETS) dist-cli dist-cross
	$(VENV_PY) packaging/sizes.py $(DIST_DIR) --profile $(DIST_PROFILE)

# `make dist`'s steps on the quick profile into target/dist-check/out, then every install check.
test-dist:
	$(MAKE) --no-print-directory dist DIST_PROFILE=dist-check DIST_DIR=$(DIST_CHECK_DIR)
	$(MAKE) --no-print-directory $(DIST_CHECKS) DIST_PROFILE=dist-check DIST_DIR=$(DIST_CHECK_DIR)

# Every code block of the READMEs runs, compiles or is checked (tests/docs/run_code_blocks.py),
# against the Python module, the Node addon and its npm tools (`npx tsc`), and the CLI: built
# here too, so that `make test-docs` alone works (in `make test` the bindings' targets built them).
test-docs: tools sandbox-build python-develop $(NODE_DEPS) node-build
	$(VENV_PY) -m pytest -q -p no:cacheprovider tests/docs
	DOLLR_NATIVE_ADDON=debug $(VENV_PY) tests/docs/run_code_blocks.py

# Under a throwaway PostgreSQL server (tests/postgres/rules.mk): the journal's contract runs
# against memory, SQLite and PostgreSQL alike.
test-rust:
	@$(WITH_POSTGRES) DOLLR_TEST_PYTHON=$(abspath $(VENV_PY)) $(CARGO) test --workspace --all-targets

# The workspace's test build without running it: every crate with the features `cargo test
# --workspace` gives it (so nothing is compiled twice), the uniffi library and the `dollr` binary
# (DOLLR_SANDBOX_BINARY) included.
workspace-build:
	$(CARGO) test --workspace --all-targets --no-run -q

lint: $(LINT_TARGETS)

lint-rust:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Regenerates every generated file (bridge schema, stubs, typings, uniffi sources); `make test`
# fails when the committed copies drift from what this produces.
generate: $(GENERATE_TARGETS)

# The bridge schema (core/bridge-schema.json) that every binding generates its typed layer from.
generate-schema:
	$(CARGO) run -q -p dollr-core --features bridge --example write_generated -- schema

fmt:
	$(CARGO) fmt --all

soak:
	DOLLR_SOAK=1 $(CARGO) test --release -p dollr-core --test chaos -- --nocapture

clean:
	$(CARGO) clean
	rm -rf $(VENV)
