# bindings-python: the `dollr` Python package (pyo3 + maturin). Included by the root Makefile,
# which provides VENV / VENV_PY (the root .venv, created with `requests`) and the target lists.
#
#   make test-python      build the module (debug), check generated files, pytest, stubtest, mypy
#                         --strict on the examples, then install a built wheel into a fresh venv and
#                         run the examples against `dollr sandbox` (ruff runs in lint-python)
#   make lint-python      ruff check + ruff format --check, mypy --strict on the package and examples
#   make generate-python  regenerate enums.py / models.py / resources.py from core/bridge-schema.json
#   make python-release   the release wheel exactly as `pip install .` builds it (stripped), installed
#                         into a fresh venv with the examples run; prints its size and import time
#                         (fails above 6 MB or 50 ms). Not part of `make test`: a cold release build
#                         of the whole tree takes minutes.

# This file is included before the root Makefile's first rule: keep `make` (no goal) meaning
# what the root Makefile says by restoring the default goal at the end.
PY_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

PY_BINDING := bindings-python
PY_PACKAGE := $(PY_BINDING)/python/dollr
PY_EXAMPLES := examples/python
# Installed from PyPI into the root venv on a fresh machine; the stamp reinstalls when the pins move.
PY_TOOLS := $(VENV)/.dollr-python-tools
PY_MATURIN := $(VENV)/bin/maturin
PY_ENV := VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH

BINDING_TESTS += test-python
LINT_TARGETS += lint-python
GENERATE_TARGETS += generate-python

.PHONY: test-python lint-python generate-python python-develop python-release

$(PY_TOOLS): $(VENV_PY) $(PY_BINDING)/requirements-dev.txt
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(PY_BINDING)/requirements-dev.txt
	touch $@

# Debug build into the source tree (bindings-python/python/dollr/_native.abi3.so) plus an editable
# install; shares the workspace target dir with cargo, so only this crate's changes recompile.
python-develop: $(PY_TOOLS)
	$(PY_ENV) $(PY_MATURIN) develop --quiet

# The generator needs only the standard library.
generate-python: $(VENV_PY)
	$(VENV_PY) $(PY_BINDING)/codegen.py

lint-python: $(PY_TOOLS)
	$(VENV_PY) -m ruff check $(PY_BINDING) $(PY_EXAMPLES) tests/docs
	$(VENV_PY) -m ruff format --check $(PY_BINDING) $(PY_EXAMPLES) tests/docs
	$(VENV_PY) -m mypy --strict $(PY_PACKAGE) $(PY_EXAMPLES) tests/docs

test-python: lint-python python-develop
	$(VENV_PY) $(PY_BINDING)/codegen.py --check
	$(VENV_PY) -m pytest -q -p no:cacheprovider $(PY_BINDING)/tests
	$(VENV_PY) -m mypy.stubtest --mypy-config-file pyproject.toml dollr._native
	$(VENV_PY) -m mypy --strict $(PY_EXAMPLES)
	$(PY_ENV) $(VENV_PY) $(PY_BINDING)/wheel_check.py

python-release: $(PY_TOOLS)
	$(PY_ENV) $(VENV_PY) $(PY_BINDING)/wheel_check.py --release

.DEFAULT_GOAL := $(PY_SAVED_DEFAULT_GOAL)
