# bindings-swift: the Kotlin/JVM and Swift packages of dollr (one uniffi library, libdollr_ffi).
# Included by the root Makefile, which provides CARGO and the target lists.
#
#   make test-swift       the uniffi library and the generator (the workspace's own debug test
#                         build, shared with `make test-rust`), the committed Kotlin/Swift/C files
#                         checked against a fresh generation, the Kotlin JUnit suite (Maven), and
#                         the C program over the Swift package's headers (its ABI)
#   make test-kotlin      only the JUnit suite (after the library is built)
#   make test-c-abi       only the C ABI check
#   make generate-swift   regenerate the resource objects (src/resources.rs, from the core's
#                         `#[dollr_macros::operations]`), then the committed Kotlin, Swift, header
#                         and modulemap files
#
# The Swift package itself (`swift test`) runs on macOS: .github/workflows/swift.yml.

# This file is included before the root Makefile's first rule: keep `make` (no goal) meaning
# what the root Makefile says by restoring the default goal at the end.
SWIFT_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

SWIFT_BINDING := bindings-swift
MVN ?= mvn
# The library and the generator come from the same `cargo test --workspace --all-targets` build
# as `make test-rust` (same features, so nothing is compiled twice): the test build leaves every
# crate type of dollr-uniffi in target/debug/deps, and the generator's CLI test builds its binary.
UNIFFI_LIB_DIR := target/debug/deps
UNIFFI_LIB := $(UNIFFI_LIB_DIR)/libdollr_ffi.$(if $(filter Darwin,$(shell uname -s)),dylib,so)
UNIFFI_BINDGEN := target/debug/uniffi-bindgen
# Maven: batch mode, quiet; the dependencies come from Maven Central into ~/.m2 on first use.
# No ANSI codes in the log: batch mode turns colours off, but Maven's console library (jansi) still
# writes a reset code (ESC[0m) on each stream unless told not to. The pom turns the Kotlin compile
# daemon off (none may outlive `make test`).
MVN_FLAGS := -B -q -Dstyle.color=never -f $(SWIFT_BINDING)/kotlin/pom.xml
MVN_ENV := MAVEN_OPTS="$(MAVEN_OPTS) -Djansi.noreset=true"

BINDING_TESTS += test-swift
GENERATE_TARGETS += generate-swift

.PHONY: test-swift swift-build check-swift-generated generate-swift test-kotlin test-c-abi maven

swift-build: workspace-build

# Fails when the committed generated files differ from what the generator produces now.
check-swift-generated: swift-build
	$(SWIFT_BINDING)/scripts/check-generated.sh $(UNIFFI_BINDGEN) $(UNIFFI_LIB)

# src/resources.rs first: the library the bindgen reads is built from it. (Its drift is checked by
# the core test `uniffi_resources_are_up_to_date`.)
generate-swift:
	$(CARGO) run -q -p dollr-core --features bridge --example write_generated -- uniffi
	$(MAKE) --no-print-directory swift-build
	$(SWIFT_BINDING)/scripts/generate.sh $(UNIFFI_BINDGEN) $(UNIFFI_LIB) $(SWIFT_BINDING)

# Maven from the distribution when a machine lacks it (root + apt, as on the CI images).
maven:
	@command -v $(MVN) >/dev/null || { apt-get update -qq && apt-get install -y -qq maven >/dev/null; }

# JNA finds libdollr_ffi through jna.library.path (set from dollr.lib.dir by the pom).
# The Kotlin plugin compiles every source each run but never deletes the class of a source that is
# gone (a type that moved to another package would shadow its new home): start from no classes.
test-kotlin: swift-build maven
	rm -rf $(SWIFT_BINDING)/kotlin/target/classes $(SWIFT_BINDING)/kotlin/target/test-classes
	RUST_BACKTRACE=0 $(MVN_ENV) $(MVN) $(MVN_FLAGS) test \
		-Ddollr.lib.dir=$(abspath $(UNIFFI_LIB_DIR)) -Ddollr.scenarios.dir=$(abspath tests/scenarios)
	@# Maven runs quietly; say what JUnit ran (surefire's reports of this run).
	@cat $(SWIFT_BINDING)/kotlin/target/surefire-reports/*.txt | awk '/^Tests run:/ { \
		gsub(",", ""); run += $$3; failed += $$5 + $$7; skipped += $$9 } \
		END { printf "kotlin junit: %d passed, %d failed, %d skipped\n", run - failed - skipped, failed, skipped }'

test-c-abi: swift-build
	$(SWIFT_BINDING)/tests/c/run.sh $(UNIFFI_LIB_DIR)

test-swift: check-swift-generated test-kotlin test-c-abi

.DEFAULT_GOAL := $(SWIFT_SAVED_DEFAULT_GOAL)
