#!/usr/bin/env bash
# Fails when the committed generated files (Kotlin, Swift, C headers, modulemap) differ from what
# uniffi-bindgen generates from the library now. Fix: `make generate-swift`, then commit.
#
# usage: check-generated.sh BINDGEN LIBRARY
set -euo pipefail
bindgen=$1 library=$2
here=$(cd "$(dirname "$0")/.." && pwd)
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$here/scripts/generate.sh" "$bindgen" "$library" "$fresh"
status=0
while IFS= read -r file; do
  rel=${file#"$fresh"/}
  if ! cmp -s "$file" "$here/$rel"; then
    echo "drift: bindings-swift/$rel differs from what uniffi-bindgen generates now" >&2
    diff -u "$here/$rel" "$file" 2>&1 | head -20 >&2 || true
    status=1
  fi
done < <(find "$fresh" -type f | sort)
if [ "$status" -ne 0 ]; then
  echo "the generated Swift/Kotlin bindings are out of date: run \`make generate-swift\` and commit" >&2
  exit 1
fi
echo "bindings-swift: generated Kotlin, Swift, headers and modulemap are up to date"
