# packaging: `make dist` — the artifacts users install, built for the Linux glibc floor of
# manylinux2014 (2.17) with zig, written to $(DIST_DIR). Included by the root Makefile, which
# provides VENV / VENV_PY and the target lists; each binding's rules.mk appends its packaging
# target to DIST_TARGETS and its install check to DIST_CHECKS.
#
#   make dist        release artifacts (profile `dist`: fat LTO, opt-level "s", stripped) into dist/
#   make test-dist   the same packaging steps on profile `dist-check` into target/dist-check/out,
#                    then every install check: the artifacts installed where no Rust toolchain is
#                    on PATH and no registry is asked, a collect and a payout run in each language
#                    (part of `make test`)

PACKAGING_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

# `dist` for what users install; `make test` passes `dist-check` (same steps, unoptimized build).
DIST_PROFILE ?= dist
DIST_DIR ?= $(abspath dist)
DIST_CHECK_DIR := $(abspath target/dist-check/out)
DIST_TRIPLE ?= x86_64-unknown-linux-gnu
PACKAGING_TOOLS := $(VENV)/.dollr-packaging-tools
# maturin and cargo-zigbuild find zig through the `python` on PATH: the venv's bin goes first.
PACKAGING_ENV := VIRTUAL_ENV=$(abspath $(VENV)) PATH=$(abspath $(VENV))/bin:$$PATH
# The rust target of the dist builds installs on a fresh machine (it is the host triple here, so
# this only checks; a cross target is added by `rustup target add`).
DIST_RUSTUP_TARGET := rustup target add $(DIST_TRIPLE) >/dev/null 2>&1 || true

DIST_TARGETS :=
# Every artifact carries the license texts (packaging/licenses.py); each binding appends its own
# install check.
DIST_CHECKS := check-dist-licenses

.PHONY: dist-tools dist-cli dist-cross check-dist-licenses

# Linux aarch64, cross-built from this x86-64 machine with zig by the same steps, then checked for
# format: every ELF file for aarch64 and the glibc floor, the wheels' tags confirmed by
# auditwheel. The Python wheels carry both kinds of native file (the SDK's extension module and,
# in dollr-testing, the `dollr` binary), so they prove the cross path for every artifact at the
# cost of one build; the npm and Maven platform packages for aarch64 come from the release
# workflow's arm64 runner, which also runs them (this machine cannot).
DIST_CROSS_TRIPLE ?= aarch64-unknown-linux-gnu
DIST_CROSS_TARGETS := dist-python

$(PACKAGING_TOOLS): $(VENV_PY) packaging/requirements.txt
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r packaging/requirements.txt
	touch $@

dist-tools: $(PACKAGING_TOOLS)
	@$(DIST_RUSTUP_TARGET)
	mkdir -p $(DIST_DIR) target

# `dollr` (the sandbox and the demo) as a release binary: dist/dollr-<version>-<triple>.tar.gz.
dist-cli: dist-tools
	$(PACKAGING_ENV) $(VENV_PY) packaging/native.py --profile $(DIST_PROFILE) --target $(DIST_TRIPLE) dollr-cli > target/dist-cli-$(DIST_TRIPLE)-$(DIST_PROFILE).json
	$(VENV_PY) packaging/cli_archive.py target/dist-cli-$(DIST_TRIPLE)-$(DIST_PROFILE).json $(DIST_DIR) $(DIST_TRIPLE)

check-dist-licenses: $(VENV_PY)
	$(VENV_PY) packaging/licenses.py $(DIST_DIR)

dist-cross: dist-tools
	$(MAKE) --no-print-directory $(DIST_CROSS_TARGETS) DIST_TRIPLE=$(DIST_CROSS_TRIPLE) DIST_DIR=$(DIST_DIR)/$(DIST_CROSS_TRIPLE)
	$(VENV_PY) packaging/check_format.py $(DIST_DIR)/$(DIST_CROSS_TRIPLE) $(DIST_CROSS_TRIPLE)

.DEFAULT_GOAL := $(PACKAGING_SAVED_DEFAULT_GOAL)
