# bindings-wasm: the WebAssembly engine of the npm package `dollr-native` (wasm-bindgen over
# dollr-core), for workerd, Deno, edge functions and browsers. Included by the root Makefile.
#
#   make wasm-build   bindings-wasm/pkg: the module and its two glues (debug build); adds the
#                     rustup target and installs wasm-bindgen-cli into target/tools when missing
#   make test-wasm    the shared scenarios through the WebAssembly engine under Node, and a Worker
#                     importing dollr-native running a collection inside workerd (miniflare)
#   make lint-wasm    clippy for wasm32-unknown-unknown on the core and this crate
#   make wasm-size    the dist-profile module after wasm-opt, raw and gzipped (README figures)

WASM_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

WASM_BINDING := bindings-wasm
NODE ?= node
NPM ?= npm
# esbuild, miniflare (workerd) and binaryen, pinned by bindings-wasm/test/package-lock.json.
WASM_TEST_DEPS := $(WASM_BINDING)/test/node_modules/.dollr-wasm-deps
# The test files only: worker/ holds the Workers they bundle, which are not tests themselves.
WASM_TEST_FILES := $(wildcard $(WASM_BINDING)/test/*.test.js $(WASM_BINDING)/test/*.test.mjs)

BINDING_TESTS += test-wasm
LINT_TARGETS += lint-wasm

.PHONY: wasm-build wasm-tools test-wasm lint-wasm wasm-size

$(WASM_TEST_DEPS): $(WASM_BINDING)/test/package.json $(WASM_BINDING)/test/package-lock.json
	@command -v $(NODE) >/dev/null || { echo "node (20+) is required for bindings-wasm"; exit 1; }
	cd $(WASM_BINDING)/test && $(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

wasm-tools:
	$(NODE) $(WASM_BINDING)/build.mjs --tools-only

wasm-build:
	$(NODE) $(WASM_BINDING)/build.mjs

# The scenarios and result-shape files are bindings-node's own (one runner, two engines:
# DOLLR_NATIVE_ENGINE picks the WebAssembly build); the sandbox is the workspace's `dollr`
# (workspace-build).
test-wasm: $(WASM_TEST_DEPS) wasm-build workspace-build
	DOLLR_NATIVE_ENGINE=wasm $(NODE) --test --test-reporter=spec $(NODE_BINDING)/test/scenarios.test.js $(NODE_BINDING)/test/result_shapes.test.js $(WASM_TEST_FILES)

lint-wasm: wasm-tools
	$(CARGO) clippy -p dollr-core -p dollr-wasm --features dollr-core/bridge --target wasm32-unknown-unknown -- -D warnings

# The packed dollr-native carries this engine (dist-node builds it on $(DIST_PROFILE)); its install
# check bundles a Worker from the installed package and runs it with this folder's pinned tools.
check-dist-node: $(WASM_TEST_DEPS)

# One release (`dist` profile) build of the module, then wasm-opt -Oz (binaryen, pinned).
wasm-size: $(WASM_TEST_DEPS) wasm-tools
	$(NODE) $(WASM_BINDING)/size.mjs

.DEFAULT_GOAL := $(WASM_SAVED_DEFAULT_GOAL)
