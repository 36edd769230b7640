# tests/postgres: the PostgreSQL journal against a real, throwaway PostgreSQL server (no mocks).
# Included by the root Makefile (`-include tests/postgres/rules.mk`).
#
#   make test-postgres   start a server (tests/postgres/server.sh: Debian's postgresql, installed
#                        with apt when missing, run as the `postgres` user on a free loopback
#                        port in a temp dir), run the journal contract and lease tests
#                        (cargo test --features postgres --test journal_postgres) and the
#                        4-process Python test, then stop the server.
#
# The server is stopped by the recipe's EXIT trap, and by a detached watcher if the recipe's
# shell is killed outright, so no server outlives the run (also under `nohup`, SIGINT ignored).
# The tests find it through DOLLR_TEST_POSTGRES_URL and FAIL without it (never skipped).

# This file is included before the root Makefile's first rule: keep `make` (no goal) meaning
# what the root Makefile says by restoring the default goal at the end.
PG_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

PG_SERVER := tests/postgres/server.sh

.PHONY: test-postgres test-postgres-rust test-postgres-python

# The Python test needs the debug module with the postgres feature (bindings-python enables it)
# and the `dollr` binary for its sandbox.
test-postgres: python-develop
	$(CARGO) build -p dollr-cli
	@dir=$$($(PG_SERVER) start $$$$) || exit 1; \
	trap '$(PG_SERVER) stop "$$dir"' EXIT; \
	export DOLLR_TEST_POSTGRES_URL=$$(cat "$$dir/url"); \
	$(MAKE) --no-print-directory test-postgres-rust test-postgres-python

# Both expect DOLLR_TEST_POSTGRES_URL (set by test-postgres).
test-postgres-rust:
	$(CARGO) test -p dollr-core --features postgres --test journal_postgres

test-postgres-python:
	DOLLR_SANDBOX_BINARY=$(abspath target/debug/dollr) $(VENV_PY) -m pytest -q -p no:cacheprovider tests/postgres/test_four_processes.py

.DEFAULT_GOAL := $(PG_SAVED_DEFAULT_GOAL)
