# bindings-python: the `dollr` Python package (pyo3 + maturin) and its testing companion
# `dollr-testing` (bindings-python/testing: `dollr_testing` + the `dollr` binary). Included by the
# root Makefile, which provides VENV / VENV_PY (the root .venv, created with `requests`), the
# packaging variables (packaging/rules.mk) and the target lists.
#
#   make test-python        build the module (debug), check generated files, pytest (the sandbox is
#                           target/debug/dollr, DOLLR_SANDBOX_BINARY), stubtest, mypy --strict on the
#                           examples, then install a built wheel into a fresh venv and run the
#                           examples against `dollr sandbox` (ruff runs in lint-python)
#   make lint-python        ruff check + ruff format --check, mypy --strict on both packages, the
#                           examples and the install check
#   make generate-python    regenerate enums.py / models.py / resources.py from core/bridge-schema.json
#   make python-release     the release wheel exactly as `pip install .` builds it (stripped), installed
#                           into a fresh venv with the examples run; prints its size and import time
#                           (fails above 6 MB or 50 ms). Not part of `make test`: a cold release build
#                           of the whole tree takes minutes.
#   make dist-python        (part of `make dist`) into $(DIST_DIR): the manylinux2014 abi3 wheel of
#                           `dollr` (maturin --zig, checked by `auditwheel show`), the
#                           `dollr-testing` wheel, on $(DIST_PROFILE), and both sdists
#   make check-dist-python  (part of `make test-dist`) installs them from $(DIST_DIR) only, with no
#                           Rust and no registry, into fresh venvs (also CPython 3.9 when pyenv has
#                           it): a collect and a payout on the bundled sandbox; `dollr` alone has no
#                           sandbox (tests/dist/python)

# This file is included before the root Makefile's first rule: keep `make` (no goal) meaning
# what the root Makefile says by restoring the default goal at the end.
PY_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

PY_BINDING := bindings-python
PY_PACKAGE := $(PY_BINDING)/python/dollr
PY_COMPANION := $(PY_BINDING)/testing
PY_COMPANION_PACKAGE := $(PY_COMPANION)/python/dollr_testing
PY_EXAMPLES := examples/python
PY_DIST_CHECK := tests/dist/python
# Installed from PyPI into the root venv on a fresh machine; the stamp reinstalls when the pins move.
PY_TOOLS := $(VENV)/.dollr-python-tools
PY_MATURIN := $(VENV)/bin/maturin
PY_ENV := VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH

BINDING_TESTS += test-python
LINT_TARGETS += lint-python
GENERATE_TARGETS += generate-python
DIST_TARGETS += dist-python
DIST_CHECKS += check-dist-python

.PHONY: test-python lint-python generate-python python-develop python-release dist-python check-dist-python

$(PY_TOOLS): $(VENV_PY) $(PY_BINDING)/requirements-dev.txt
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(PY_BINDING)/requirements-dev.txt
	touch $@

# Debug build into the source tree (bindings-python/python/dollr/_native.abi3.so) plus an editable
# install; shares the workspace target dir with cargo, so only this crate's changes recompile.
# `dollr_testing` is imported from its source through a .pth (its wheel would compile the `dollr`
# binary once more: the tests run target/debug/dollr, DOLLR_SANDBOX_BINARY), and pytest loads its
# plugin with `-p`, as the wheel's `pytest11` entry point does for users.
python-develop: $(PY_TOOLS)
	$(PY_ENV) $(PY_MATURIN) develop --quiet
	echo "$(abspath $(PY_COMPANION))/python" > "$$($(VENV_PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/dollr_testing.pth"

# The generator needs only the standard library.
generate-python: $(VENV_PY)
	$(VENV_PY) $(PY_BINDING)/codegen.py

lint-python: $(PY_TOOLS)
	$(VENV_PY) -m ruff check $(PY_BINDING) $(PY_EXAMPLES) $(PY_DIST_CHECK) packaging tests/docs tests/postgres tests/realtime_clients tests/contract bench/python
	$(VENV_PY) -m ruff format --check $(PY_BINDING) $(PY_EXAMPLES) $(PY_DIST_CHECK) packaging tests/docs tests/postgres tests/realtime_clients tests/contract bench/python
	$(VENV_PY) -m mypy --strict $(PY_PACKAGE) $(PY_COMPANION_PACKAGE) $(PY_EXAMPLES) tests/docs
	@# Its own run (the programs are scripts run in other venvs); the two packages come from source
	@# here, as `lint` runs before anything is installed on a fresh clone.
	MYPYPATH=$(PY_BINDING)/python:$(PY_BINDING)/testing/python $(VENV_PY) -m mypy --strict $(PY_DIST_CHECK)

test-python: lint-python python-develop workspace-build
	$(VENV_PY) $(PY_BINDING)/codegen.py --check
	$(VENV_PY) -m pytest -q -p no:cacheprovider -p dollr_testing.pytest_plugin $(PY_BINDING)/tests
	$(VENV_PY) -m mypy.stubtest --mypy-config-file pyproject.toml dollr._native
	$(VENV_PY) -m mypy --strict $(PY_EXAMPLES)
	$(PY_ENV) $(VENV_PY) $(PY_BINDING)/wheel_check.py

python-release: $(PY_TOOLS)
	$(PY_ENV) $(VENV_PY) $(PY_BINDING)/wheel_check.py --release

# What `pip install dollr` and `pip install "dollr[testing]"` download: built for the glibc floor
# of manylinux2014 (2.17) with zig from PyPI (packaging/requirements.txt), whatever glibc this
# machine has. The main wheel is abi3 (one wheel for CPython >= 3.9); the companion wheel holds
# no Python extension, only the `dollr` binary, so it is `py3-none-<platform>`.
# Linux wheels link with zig at their tag's floor (packaging/platform.py: manylinux2014, or
# musllinux_1_2 for musl); macOS and Windows wheels are built on their own runners, natively.
PY_DIST_PLATFORM = $(if $(findstring -linux-,$(DIST_TRIPLE)),--zig --compatibility $(shell $(PYTHON) packaging/platform.py $(DIST_TRIPLE) wheel_compat))
PY_DIST_BUILD = build --quiet $(PY_DIST_PLATFORM) --target $(DIST_TRIPLE) --profile $(DIST_PROFILE) --out $(DIST_DIR)
# maturin's zig linker sets other compiler variables than cargo-zigbuild (packaging/native.py):
# in one target dir, each would rebuild the other's ~170 crates on every `make dist`.
PY_DIST_ENV := $(PACKAGING_ENV) CARGO_TARGET_DIR=$(abspath target/python-dist)

dist-python: dist-tools
	rm -f $(DIST_DIR)/dollr-*-abi3-*.whl $(DIST_DIR)/dollr_testing-*
	$(PY_DIST_ENV) maturin $(PY_DIST_BUILD)
	cd $(PY_COMPANION) && $(PY_DIST_ENV) maturin $(PY_DIST_BUILD)
	$(PACKAGING_ENV) maturin sdist --out $(DIST_DIR)
	cd $(PY_COMPANION) && $(PACKAGING_ENV) maturin sdist --out $(DIST_DIR)
	$(PACKAGING_ENV) $(VENV_PY) $(PY_BINDING)/wheel_tags.py $(DIST_DIR) $(DIST_TRIPLE)

# Through packaging/without_rust.py: no cargo/rustc on PATH, registries unreachable.
check-dist-python: $(VENV_PY)
	$(VENV_PY) $(PY_DIST_CHECK)/check.py $(DIST_DIR)

.DEFAULT_GOAL := $(PY_SAVED_DEFAULT_GOAL)
