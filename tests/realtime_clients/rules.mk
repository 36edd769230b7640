# The official Supabase clients that `sandbox/tests/realtime_clients.rs` runs against the sandbox's
# realtime server (#15): @supabase/supabase-js + ws from npm (pinned by package-lock.json) and
# `realtime` from PyPI (pinned by requirements.txt), installed here from the registries.
REALTIME_CLIENTS_DIR := tests/realtime_clients

.PHONY: realtime-clients
realtime-clients: $(REALTIME_CLIENTS_DIR)/node_modules/.installed $(REALTIME_CLIENTS_DIR)/.venv/.installed

$(REALTIME_CLIENTS_DIR)/node_modules/.installed: $(REALTIME_CLIENTS_DIR)/package.json $(REALTIME_CLIENTS_DIR)/package-lock.json
	cd $(REALTIME_CLIENTS_DIR) && npm ci --no-audit --no-fund --silent
	touch $@

$(REALTIME_CLIENTS_DIR)/.venv/.installed: $(REALTIME_CLIENTS_DIR)/requirements.txt
	$(PYTHON) -m venv $(REALTIME_CLIENTS_DIR)/.venv
	$(REALTIME_CLIENTS_DIR)/.venv/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

# `cargo test --workspace` runs them (sandbox/tests/realtime_clients.rs).
test-rust: realtime-clients
