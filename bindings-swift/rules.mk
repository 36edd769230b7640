# bindings-swift: the Kotlin/JVM and Swift packages of dollr (one uniffi library, libdollr_ffi).
# Included by the root Makefile, which provides CARGO and the target lists.
#
#   make test-swift         the uniffi library and the generator (the workspace's own debug test
#                           build, shared with `make test-rust`), the committed Kotlin/Swift/C files
#                           checked against a fresh generation, the Kotlin JUnit suite (Maven), and
#                           the C program over the Swift package's headers (its ABI)
#   make test-kotlin        only the JUnit suite (after the library is built)
#   make test-c-abi         only the C ABI check
#   make generate-swift     regenerate the resource objects (src/resources.rs, from the core's
#                           `#[dollr_macros::operations]`), then the committed Kotlin, Swift, header
#                           and modulemap files
#   make dist-kotlin        (part of `make dist`) the Maven artifacts app.heydollr:dollr (with
#                           linux-x86-64/libdollr_ffi.so) and app.heydollr:dollr-testing (with
#                           linux-x86-64/dollr), installed into the local Maven repository; jars and
#                           poms copied to $(DIST_DIR)
#   make check-dist-kotlin  (part of `make test-dist`) a Kotlin project that depends on them, built
#                           offline (`mvn -o`) with no Rust toolchain: a collect and a payout on
#                           TestSandbox, the production library checked for sandbox code
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
KOTLIN_DIR := $(SWIFT_BINDING)/kotlin
MVN_FLAGS := -B -q -Dstyle.color=never -f $(KOTLIN_DIR)/pom.xml
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

# JNA finds libdollr_ffi through jna.library.path (set from dollr.lib.dir by the tests' pom), and
# TestSandbox runs the debug `dollr` through DOLLR_SANDBOX_BINARY (exported by the root Makefile).
# The Kotlin plugin compiles every source each run but never deletes the class of a source that is
# gone (a type that moved to another package would shadow its new home): start from no classes.
# (Nor from another run's reports: the summary below reads them.)
test-kotlin: swift-build maven
	rm -rf $(KOTLIN_DIR)/*/target/classes $(KOTLIN_DIR)/*/target/test-classes $(KOTLIN_DIR)/tests/target/surefire-reports
	RUST_BACKTRACE=0 $(MVN_ENV) $(MVN) $(MVN_FLAGS) test \
		-Ddollr.lib.dir=$(abspath $(UNIFFI_LIB_DIR)) -Ddollr.scenarios.dir=$(abspath tests/scenarios)
	@# Maven runs quietly; say what JUnit ran (surefire's reports of this run).
	@cat $(KOTLIN_DIR)/tests/target/surefire-reports/*.txt | awk '/^Tests run:/ { \
		gsub(",", ""); run += $$3; failed += $$5 + $$7; skipped += $$9 } \
		END { printf "kotlin junit: %d passed, %d failed, %d skipped\n", run - failed - skipped, failed, skipped }'

# The C program gets a sandbox from run.sh: the `dollr` binary (DOLLR_SANDBOX_BINARY).
test-c-abi: swift-build
	$(SWIFT_BINDING)/tests/c/run.sh $(UNIFFI_LIB_DIR)

test-swift: check-swift-generated test-kotlin test-c-abi

# ---- Distribution: the Maven artifacts (`make dist`, `make test-dist`) ----

DIST_TARGETS += dist-kotlin
DIST_CHECKS += check-dist-kotlin

.PHONY: dist-kotlin check-dist-kotlin

KOTLIN_VERSION := $(shell sed -n 's:^  <version>\(.*\)</version>.*:\1:p' $(KOTLIN_DIR)/pom.xml | head -1)
# JNA's name of the platform of $(DIST_TRIPLE) (com.sun.jna.Platform.RESOURCE_PREFIX): where each
# jar carries its native file.
KOTLIN_JNA_PLATFORM = $(or $(KOTLIN_JNA_PLATFORM_$(DIST_TRIPLE)),$(error no JNA platform known for $(DIST_TRIPLE)))
KOTLIN_JNA_PLATFORM_x86_64-unknown-linux-gnu := linux-x86-64
KOTLIN_JNA_PLATFORM_aarch64-unknown-linux-gnu := linux-aarch64
# The native files staged for the jars: $(KOTLIN_NATIVE_ROOT)/<artifactId>/<platform>/<file>.
KOTLIN_DIST_WORK = target/kotlin-dist/$(DIST_PROFILE)
KOTLIN_NATIVE_ROOT = $(KOTLIN_DIST_WORK)/native
KOTLIN_CONSUMER := tests/dist/kotlin
KOTLIN_INSTALL_FILE := org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file

# The release libdollr_ffi and dollr (packaging/native.py: zig, glibc 2.17 floor, stripped) in the
# jars; both installed with their parent pom (`mvn install` of the two modules, not the suite).
# Then the consumer project is built once online without running its tests: every plugin, plugin
# dependency (surefire's JUnit provider) and dependency it needs lands in the local repository, so
# that its offline build in check-dist-kotlin needs nothing from the network, on a fresh machine
# too. (`dependency:go-offline` is not enough: it skips the plugins' declared dependencies.)
dist-kotlin: dist-tools maven
	mkdir -p $(KOTLIN_DIST_WORK)
	$(PACKAGING_ENV) $(VENV_PY) packaging/native.py --profile $(DIST_PROFILE) --target $(DIST_TRIPLE) \
		dollr-uniffi dollr-cli > $(KOTLIN_DIST_WORK)/native.json
	rm -rf $(KOTLIN_NATIVE_ROOT) $(KOTLIN_DIR)/dollr/target/classes $(KOTLIN_DIR)/dollr-testing/target/classes
	mkdir -p $(KOTLIN_NATIVE_ROOT)/dollr/$(KOTLIN_JNA_PLATFORM) $(KOTLIN_NATIVE_ROOT)/dollr-testing/$(KOTLIN_JNA_PLATFORM)
	$(VENV_PY) -c 'import json, shutil, sys; built = json.load(open(sys.argv[1])); \
		shutil.copy2(built["dollr-uniffi"][0], sys.argv[2]); shutil.copy2(built["dollr-cli"][0], sys.argv[3])' \
		$(KOTLIN_DIST_WORK)/native.json \
		$(KOTLIN_NATIVE_ROOT)/dollr/$(KOTLIN_JNA_PLATFORM)/libdollr_ffi.so \
		$(KOTLIN_NATIVE_ROOT)/dollr-testing/$(KOTLIN_JNA_PLATFORM)/dollr
	$(MVN_ENV) $(MVN) $(MVN_FLAGS) install -pl dollr,dollr-testing -am \
		-Ddollr.native.root=$(abspath $(KOTLIN_NATIVE_ROOT))
	cp $(KOTLIN_DIR)/pom.xml $(DIST_DIR)/dollr-parent-$(KOTLIN_VERSION).pom
	for artifact in dollr dollr-testing; do \
		cp $(KOTLIN_DIR)/$$artifact/target/$$artifact-$(KOTLIN_VERSION).jar $(DIST_DIR)/; \
		cp $(KOTLIN_DIR)/$$artifact/pom.xml $(DIST_DIR)/$$artifact-$(KOTLIN_VERSION).pom; \
	done
	work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; cp -r $(KOTLIN_CONSUMER)/pom.xml $(KOTLIN_CONSUMER)/src $$work/; \
		$(MVN_ENV) $(MVN) -B -q -Dstyle.color=never -f $$work/pom.xml test -DskipTests

# The README's Maven block is the consumer's. Our artifacts from $(DIST_DIR) only (installed again
# from there, so that nothing left in a module's target/ is what the consumer gets), then the
# consumer project in a fresh temporary copy: its JUnit test runs a collect and a payout on
# TestSandbox and checks the production library.
check-dist-kotlin: maven
	$(PYTHON) $(KOTLIN_CONSUMER)/readme_pom.py
	@start=$$(date +%s); \
	for artifact in dollr-parent dollr dollr-testing; do \
		file=$(DIST_DIR)/$$artifact-$(KOTLIN_VERSION).jar; [ -f $$file ] || file=$(DIST_DIR)/$$artifact-$(KOTLIN_VERSION).pom; \
		$(MVN_ENV) packaging/without_rust.py $(MVN) -o -B -q -Dstyle.color=never $(KOTLIN_INSTALL_FILE) \
			-Dfile=$$file -DpomFile=$(DIST_DIR)/$$artifact-$(KOTLIN_VERSION).pom; \
	done; \
	work=$$(mktemp -d); trap 'rm -rf "$$work"' EXIT; \
	cp -r $(KOTLIN_CONSUMER)/pom.xml $(KOTLIN_CONSUMER)/src $$work/; \
	$(MVN_ENV) packaging/without_rust.py $(MVN) -o -B -q -Dstyle.color=never -f $$work/pom.xml test; \
	cat $$work/target/surefire-reports/*.txt | awk '/^Tests run:/ { gsub(",", ""); run += $$3; failed += $$5 + $$7 } \
		END { printf "check-dist-kotlin: %d consumer tests passed, %d failed", run - failed, failed }'; \
	echo " ($$(( $$(date +%s) - start )) s)"

.DEFAULT_GOAL := $(SWIFT_SAVED_DEFAULT_GOAL)
