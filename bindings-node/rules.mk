# bindings-node: the npm package `dollr-native` (napi-rs addon + a JS layer generated from
# core/bridge-schema.json). Included by the root Makefile, which provides the target lists.
#
#   make test-node      npm ci, debug addon, generated files up to date, `node --test`, tsc --strict
#   make lint-node      tsc --strict on index.d.ts, the testing typings and examples/node
#   make generate-node  regenerate bindings-node/lib/generated/api.js, index.d.ts, index.mjs
#   make node-release   stripped release addon, its size and `require` time
#   make dist-node      the npm tarballs users install (dollr-native with its WebAssembly engine,
#                       dollr-native-<platform>, dollr-native-testing,
#                       dollr-native-testing-<platform>) into $(DIST_DIR)
#   make check-dist-node  those tarballs installed offline without Rust: a collect and a payout
#                       against the companion's sandbox; dollr-native alone has no sandbox

# This file is included before the root Makefile's first rule: keep `make` (no goal) meaning
# what the root Makefile says by restoring the default goal at the end.
NODE_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

NODE_BINDING := bindings-node
NPM ?= npm
NODE ?= node
# Installed from the npm registry (pinned by package-lock.json) on a fresh machine; the stamp
# re-runs `npm ci` when the lock file moves.
NODE_DEPS := node_modules/.dollr-node-deps
TSC := node_modules/.bin/tsc

BINDING_TESTS += test-node
LINT_TARGETS += lint-node
GENERATE_TARGETS += generate-node
DIST_TARGETS += dist-node
DIST_CHECKS += check-dist-node

.PHONY: test-node lint-node generate-node node-build node-release dist-node check-dist-node

$(NODE_DEPS): package.json package-lock.json
	@command -v $(NODE) >/dev/null || { echo "node (20+) is required for bindings-node"; exit 1; }
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

# The debug addon for the tests: `cargo build -p dollr-node` on the workspace target dir (only
# the crates whose sources changed recompile), copied to bindings-node/debug/dollr-native.<triple>.node,
# apart from the release addon that `npm pack` ships (bindings-node/lib/addon_file.js).
node-build:
	$(NODE) $(NODE_BINDING)/build.mjs

generate-node:
	$(NODE) $(NODE_BINDING)/codegen.mjs

lint-node: $(NODE_DEPS)
	$(TSC) -p $(NODE_BINDING)/tsconfig.json
	$(TSC) -p examples/node/tsconfig.json

# The sandbox of dollr-native/testing is the `dollr` binary: DOLLR_SANDBOX_BINARY (the root
# Makefile) names the debug build that `workspace-build` makes.
test-node: $(NODE_DEPS) node-build lint-node workspace-build
	$(NODE) $(NODE_BINDING)/codegen.mjs --check
	DOLLR_NATIVE_ADDON=debug $(NODE) --test --test-reporter=spec $(NODE_BINDING)/test/

node-release:
	$(NODE) $(NODE_BINDING)/build.mjs --release
	DOLLR_NATIVE_ADDON=release $(NODE) $(NODE_BINDING)/measure.mjs

# The addon and `dollr` built by packaging/native.py (cargo zigbuild, glibc 2.17) on
# $(DIST_PROFILE), packed by pack.mjs in napi-rs's layout: one package of JS, one per platform.
dist-node: dist-tools
	@mkdir -p target # a fresh clone has none before cargo runs, and the redirect below opens first
	$(PACKAGING_ENV) $(VENV_PY) packaging/native.py --profile $(DIST_PROFILE) --target $(DIST_TRIPLE) dollr-node dollr-cli > target/dist-node-$(DIST_PROFILE).json
	$(NODE) bindings-wasm/build.mjs --profile $(DIST_PROFILE)
	$(NODE) $(NODE_BINDING)/pack.mjs --built target/dist-node-$(DIST_PROFILE).json --target $(DIST_TRIPLE) --out $(DIST_DIR)

# Installs from $(DIST_DIR) only, with no Rust and no registry (tests/dist/node/check.mjs).
check-dist-node:
	$(VENV_PY) packaging/without_rust.py $(NODE) tests/dist/node/check.mjs $(DIST_DIR)

.DEFAULT_GOAL := $(NODE_SAVED_DEFAULT_GOAL)
