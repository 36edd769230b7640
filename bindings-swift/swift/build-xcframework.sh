#!/usr/bin/env bash
# Builds DollrFFI.xcframework on macOS: libdollr_ffi (release, static; the production library, no
# sandbox: DollrTesting runs the `dollr` binary) for each Apple platform,
# with the generated headers and modulemap from Headers/ (the `DollrFFI` clang module that
# Sources/Dollr/*.swift import).
#
#   ./build-xcframework.sh            macOS (arm64 + x86_64), iOS devices, iOS simulators
#   ./build-xcframework.sh --macos    this Mac's architecture only (CI's `swift test`)
#
# Needs Xcode's command-line tools and rustup (the targets are added when missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$here/DollrFFI.xcframework
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ "$(uname)" = Darwin ] || { echo "build-xcframework.sh runs on macOS (xcodebuild, lipo)"; exit 1; }

build() { # target...
  for target in "$@"; do
    rustup target add "$target" >/dev/null
    (cd "$root" && cargo build -p dollr-uniffi --release --target "$target")
  done
}

lib() { echo "$root/target/$1/release/libdollr_ffi.a"; }

# One static library per platform; the architectures of a platform joined with lipo.
universal() { # name target...
  local name=$1
  shift
  local inputs=()
  for target in "$@"; do inputs+=("$(lib "$target")"); done
  mkdir -p "$work/$name"
  lipo -create "${inputs[@]}" -output "$work/$name/libdollr_ffi.a"
  echo "$work/$name/libdollr_ffi.a"
}

args=()
if [ "${1:-}" = "--macos" ]; then
  target=$([ "$(uname -m)" = arm64 ] && echo aarch64-apple-darwin || echo x86_64-apple-darwin)
  build "$target"
  args+=(-library "$(lib "$target")" -headers "$here/Headers")
else
  build aarch64-apple-darwin x86_64-apple-darwin aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
  args+=(-library "$(universal macos aarch64-apple-darwin x86_64-apple-darwin)" -headers "$here/Headers")
  args+=(-library "$(lib aarch64-apple-ios)" -headers "$here/Headers")
  args+=(-library "$(universal ios-simulator aarch64-apple-ios-sim x86_64-apple-ios)" -headers "$here/Headers")
fi

rm -rf "$out"
xcodebuild -create-xcframework "${args[@]}" -output "$out"
echo "built $out"
