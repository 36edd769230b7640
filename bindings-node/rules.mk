# bindings-node: the npm package `dollr-native` (napi-rs addon + a JS layer generated from
# core/bridge-schema.json). Included by the root Makefile, which provides the target lists.
#
#   make test-node      npm ci, debug addon, generated files up to date, `node --test`, tsc --strict
#   make lint-node      tsc --strict on index.d.ts, the testing typings and examples/node
#   make generate-node  regenerate bindings-node/lib/generated/api.js, index.d.ts, index.mjs
#   make node-release   stripped release addon, its size and `require` time

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

.PHONY: test-node lint-node generate-node node-build node-release

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

test-node: $(NODE_DEPS) node-build lint-node
	$(NODE) $(NODE_BINDING)/codegen.mjs --check
	DOLLR_NATIVE_ADDON=debug $(NODE) --test --test-reporter=spec $(NODE_BINDING)/test/

node-release:
	$(NODE) $(NODE_BINDING)/build.mjs --release
	DOLLR_NATIVE_ADDON=release $(NODE) $(NODE_BINDING)/measure.mjs

.DEFAULT_GOAL := $(NODE_SAVED_DEFAULT_GOAL)
