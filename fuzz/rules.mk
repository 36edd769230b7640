# fuzz: the cargo-fuzz targets of fuzz/fuzz_targets/ (issue #18). Included by the root Makefile.
#
#   make test-fuzz   (part of `make test`) every target a few seconds (FUZZ_SMOKE_SECONDS) from
#                    the seeds fuzz/seeds.py writes from the documented examples: a crash fails
#   make fuzz        every target FUZZ_SECONDS (default 300) on the optimized build, keeping its
#                    corpus in target/fuzz/corpus/<target> between runs
#   make lint-fuzz   (part of `make lint`) rustfmt --check and clippy -D warnings on the crate,
#                    which is outside the workspace
#
# libFuzzer needs a nightly rustc (-Z sanitizer flags, sancov): a dated nightly and cargo-fuzz
# are installed on first use (rustup, crates.io), cargo-fuzz into target/tools. The sanitizer is
# `none` by default: the core and the sandbox forbid `unsafe` (workspace lints), so AddressSanitizer
# would only watch the C inside rusqlite/ring at twice the build time and a slower run, while
# every property these targets check is an assertion or a panic, which libFuzzer catches without
# it. `make fuzz FUZZ_SANITIZER=address` runs with it.

FUZZ_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

FUZZ_NIGHTLY ?= nightly-2026-05-20
CARGO_FUZZ_VERSION ?= 0.13.2
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_SECONDS ?= 300
FUZZ_SANITIZER ?= none
FUZZ_TARGETS := decode_response bridge_args money_time sandbox_request
FUZZ_TOOLS := target/tools
FUZZ_DIR := target/fuzz
CARGO_FUZZ := $(FUZZ_TOOLS)/bin/cargo-fuzz
FUZZ_CARGO := PATH=$(abspath $(FUZZ_TOOLS))/bin:$$PATH cargo +$(FUZZ_NIGHTLY) fuzz
FUZZ_FLAGS := --fuzz-dir fuzz --target-dir $(FUZZ_DIR) -s $(FUZZ_SANITIZER)

BINDING_TESTS += test-fuzz
LINT_TARGETS += lint-fuzz

.PHONY: fuzz test-fuzz lint-fuzz fuzz-tools fuzz-seeds

fuzz-tools:
	@rustup run $(FUZZ_NIGHTLY) rustc --version >/dev/null 2>&1 || rustup toolchain install $(FUZZ_NIGHTLY) --profile minimal
	@test -x $(CARGO_FUZZ) || cargo install --locked cargo-fuzz --version $(CARGO_FUZZ_VERSION) --root $(FUZZ_TOOLS)

fuzz-seeds:
	rm -rf $(FUZZ_DIR)/seeds
	$(PYTHON) fuzz/seeds.py $(FUZZ_DIR)/seeds

# The smoke: the unoptimized build (`--dev`, minutes less to compile than the optimized one),
# each target FUZZ_SMOKE_SECONDS after every seed ran once. A crash's input is written to
# $(FUZZ_DIR)/artifacts/<target>/ and the run fails; it becomes a regression test
# (core/tests/fuzz_regressions.rs, or the sandbox's tests) with its fix.
test-fuzz: fuzz-tools fuzz-seeds
	$(FUZZ_CARGO) build --dev $(FUZZ_FLAGS)
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/smoke/$$target $(FUZZ_DIR)/artifacts/$$target; \
		log=$(FUZZ_DIR)/smoke-$$target.log; \
		if ! $(FUZZ_CARGO) run --dev $(FUZZ_FLAGS) $$target $(FUZZ_DIR)/smoke/$$target $(FUZZ_DIR)/seeds/$$target -- \
			-max_total_time=$(FUZZ_SMOKE_SECONDS) -artifact_prefix=$(FUZZ_DIR)/artifacts/$$target/ -print_final_stats=1 >$$log 2>&1; then \
			tail -n 40 $$log; echo "fuzz target $$target failed: the input is in $(FUZZ_DIR)/artifacts/$$target/"; exit 1; \
		fi; \
		echo "fuzz smoke: $$target: $$(grep -o 'stat::number_of_executed_units: *[0-9]*' $$log | grep -o '[0-9]*$$') inputs in $(FUZZ_SMOKE_SECONDS) s, no crash"; \
	done

fuzz: fuzz-tools fuzz-seeds
	$(FUZZ_CARGO) build $(FUZZ_FLAGS)
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$target $(FUZZ_DIR)/artifacts/$$target; \
		$(FUZZ_CARGO) run $(FUZZ_FLAGS) $$target $(FUZZ_DIR)/corpus/$$target $(FUZZ_DIR)/seeds/$$target -- \
			-max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_DIR)/artifacts/$$target/ || exit 1; \
	done

# On the stable toolchain, in the workspace's target dir; and the seed script as the Python of
# the repository is checked (ruff, mypy --strict; the tools of bindings-python/rules.mk).
lint-fuzz: $(PY_TOOLS)
	$(VENV_PY) -m ruff check fuzz
	$(VENV_PY) -m ruff format --check fuzz
	$(VENV_PY) -m mypy --strict fuzz/seeds.py
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	$(CARGO) clippy --manifest-path fuzz/Cargo.toml --target-dir target --all-targets -- -D warnings

.DEFAULT_GOAL := $(FUZZ_SAVED_DEFAULT_GOAL)
