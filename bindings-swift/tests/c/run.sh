#!/usr/bin/env bash
# Builds and runs the C ABI check (ffi_check.c) against the committed headers in swift/Headers and
# the built library in LIBDIR. The expected checksums and contract version are read from the
# committed Swift sources, so the check also proves that the Swift package matches the library.
#
# usage: run.sh LIBDIR
set -euo pipefail
libdir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
swift=$here/swift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sed -n 's/.*if (\(uniffi_[a-z0-9_]*_checksum_[a-z0-9_]*\)() != \([0-9]*\)) {.*/    {"\1", \1, \2},/p' \
  "$swift/Sources/Dollr/Dollr.swift" "$swift/Sources/Dollr/DollrCore.swift" > "$work/checksums.inc"
contract=$(sed -n 's/.*let bindings_contract_version = \([0-9]*\).*/\1/p' "$swift/Sources/Dollr/Dollr.swift" | head -1)
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$here/../Cargo.toml")

cc=${CC:-cc}
command -v "$cc" >/dev/null || { echo "a C compiler is required for the Swift ABI check (apt-get install gcc)"; exit 1; }
# The headers use clang's nullability qualifiers; gcc needs them defined away.
"$cc" -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -D_Nonnull= -D_Nullable= \
  -DCONTRACT_VERSION="$contract" -DSDK_VERSION="\"$version\"" \
  -I "$swift/Headers" -I "$work" "$here/tests/c/ffi_check.c" -o "$work/ffi_check" \
  -L "$libdir" -ldollr_ffi -lpthread -lm -ldl
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" DYLD_LIBRARY_PATH="$libdir" RUST_BACKTRACE=0 "$work/ffi_check"
