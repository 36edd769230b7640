# tests/postgres: the PostgreSQL journal against a real, throwaway PostgreSQL server (no mocks).
# Included by the root Makefile (`-include tests/postgres/rules.mk`).
#
#   make test-postgres   start a server (tests/postgres/server.sh: Debian's postgresql, installed
#                        with apt when missing, run as the `postgres` user on a free loopback
#                        port in a temp dir), run the 4-process Python test, then stop the
#                        server. The journal contract and lease tests (core/tests/journal_postgres.rs)
#                        run in `make test-rust`, under WITH_POSTGRES.
#
# The server is stopped by the recipe's EXIT trap, and by a detached watcher if the recipe's
# shell is killed outright, so no server outlives the run (also under `nohup`, SIGINT ignored).
# The tests find it through DOLLR_TEST_POSTGRES_URL and FAIL without it (never skipped).

# This file is included before the root Makefile's first rule: keep `make` (no goal) meaning
# what the root Makefile says by restoring the default goal at the end.
PG_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

PG_SERVER := tests/postgres/server.sh

.PHONY: test-postgres test-postgres-python

# A recipe prefix: starts a server for the rest of the recipe line (DOLLR_TEST_POSTGRES_URL) and
# stops it when the line's shell exits. `make test-rust` runs under it too: the workspace build
# enables the core's `postgres` feature (the bindings do), so `cargo test --workspace` includes
# the journal_postgres contract and lease tests, which fail without a server.
WITH_POSTGRES = dir=$$($(PG_SERVER) start $$$$) || exit 1; \
	trap '$(PG_SERVER) stop "$$dir"' EXIT; \
	export DOLLR_TEST_POSTGRES_URL=$$(cat "$$dir/url");

# The 4-process test: the debug Python module (bindings-python enables `postgres`) and the `dollr`
# binary for its sandbox (workspace-build).
test-postgres: python-develop workspace-build
	@$(WITH_POSTGRES) $(MAKE) --no-print-directory test-postgres-python

# Expects DOLLR_TEST_POSTGRES_URL (set by test-postgres).
test-postgres-python:
	$(VENV_PY) -m pytest -q -p no:cacheprovider tests/postgres/test_four_processes.py

.DEFAULT_GOAL := $(PG_SAVED_DEFAULT_GOAL)
