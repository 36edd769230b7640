#!/usr/bin/env bash
# Generates the Kotlin and Swift sources, the C headers and the modulemap of the Swift/Kotlin
# packages from a built libdollr_ffi (uniffi library mode), under DEST:
#
#   DEST/kotlin/src/main/kotlin/app/heydollr/dollr/dollr.kt            (component `dollr`)
#   DEST/kotlin/src/main/kotlin/app/heydollr/dollr/model/dollr_core.kt (component `dollr_core`)
#   DEST/swift/Sources/Dollr/{Dollr,DollrCore}.swift
#   DEST/swift/Headers/{dollrFFI.h,dollr_coreFFI.h,module.modulemap}   (the `DollrFFI` clang module)
#
# usage: generate.sh BINDGEN LIBRARY DEST   (BINDGEN: the uniffi-bindgen binary of this workspace)
# Run inside the workspace: uniffi-bindgen reads `cargo metadata` to find each crate.
set -euo pipefail
bindgen=$1 library=$2 dest=$3
here=$(cd "$(dirname "$0")/.." && pwd)
config=$here/bindgen.toml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bindgen" kotlin "$config" "$library" "$work/kotlin" >/dev/null
"$bindgen" swift "$config" "$library" "$work/swift" >/dev/null

kotlin=$dest/kotlin/src/main/kotlin/app/heydollr/dollr
mkdir -p "$kotlin/model" "$dest/swift/Sources/Dollr" "$dest/swift/Headers"
cp "$work/kotlin/app/heydollr/dollr/dollr.kt" "$kotlin/dollr.kt"
cp "$work/kotlin/app/heydollr/dollr/model/dollr_core.kt" "$kotlin/model/dollr_core.kt"
cp "$work/swift/Dollr.swift" "$work/swift/DollrCore.swift" "$dest/swift/Sources/Dollr/"
cp "$work/swift/dollrFFI.h" "$work/swift/dollr_coreFFI.h" "$work/swift/module.modulemap" \
  "$dest/swift/Headers/"
