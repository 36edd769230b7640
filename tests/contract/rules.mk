# Contract testing of the sandbox against its own OpenAPI document (#18): schemathesis (PyPI,
# pinned in requirements.txt) installed into the root .venv, run by contract.py against a fresh
# `dollr sandbox` (the workspace's debug build, DOLLR_SANDBOX_BINARY), bounded in examples and time.
CONTRACT_DIR := tests/contract
CONTRACT_TOOLS := $(VENV)/.contract-tools-installed

.PHONY: test-contract
$(CONTRACT_TOOLS): $(CONTRACT_DIR)/requirements.txt | $(VENV_PY)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $<
	touch $@

test-contract: $(CONTRACT_TOOLS) sandbox-build
	$(VENV_PY) $(CONTRACT_DIR)/contract.py

BINDING_TESTS += test-contract

# The sandbox README's contract-testing block runs `schemathesis` from the root .venv (test-docs
# puts it on PATH).
test-docs: $(CONTRACT_TOOLS)
