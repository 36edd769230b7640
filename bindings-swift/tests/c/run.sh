#!/usr/bin/env bash
# Builds and runs the C ABI check (ffi_check.c) against the committed headers in swift/Headers and
# the built library in LIBDIR. The expected checksums and contract version are read from the
# committed Swift sources, so the check also proves that the Swift package matches the library.
# The program's client talks to a sandbox this script starts: the `dollr` binary named by
# DOLLR_SANDBOX_BINARY (`make test-c-abi` sets it), stopped when this script ends (its stdin closes).
#
# usage: run.sh LIBDIR
set -euo pipefail
libdir=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")/../.." && pwd)
swift=$here/swift
work=$(mktemp -d)
sandbox_pid=
stop_sandbox() {
  [ -n "$sandbox_pid" ] || return 0
  # Closing its stdin stops it (--exit-when-stdin-closes); a kill if it has not within 10 s.
  exec 3>&- 4<&-
  for _ in $(seq 1 200); do kill -0 "$sandbox_pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$sandbox_pid" 2>/dev/null || true
  wait "$sandbox_pid" 2>/dev/null || true
  sandbox_pid=
}
trap 'stop_sandbox; rm -rf "$work"' EXIT

binary=${DOLLR_SANDBOX_BINARY:-}
[ -n "$binary" ] && [ -x "$binary" ] || {
  echo "run.sh: DOLLR_SANDBOX_BINARY must name the dollr binary (got '${binary}'; make test-c-abi sets it)" >&2
  exit 1
}

sed -n 's/.*if (\(uniffi_[a-z0-9_]*_checksum_[a-z0-9_]*\)() != \([0-9]*\)) {.*/    {"\1", \1, \2},/p' \
  "$swift/Sources/Dollr/Dollr.swift" "$swift/Sources/Dollr/DollrCore.swift" > "$work/checksums.inc"
# The ClientOptions record the check builds, field by field in the order the committed Swift
# sources write it (FfiConverterTypeClientOptions.write): base_url is the sandbox, ignore_env is
# true, every optional field is None. Read from the sources rather than written out by hand, so a
# new option cannot shift the record under the check; a new required field stops it by name.
awk '/struct FfiConverterTypeClientOptions/ { inside = 1 }
     inside && /func write\(/ { writing = 1; next }
     writing && /^    }/ { exit }
     writing && match($0, /FfiConverter[A-Za-z0-9]*\.write\(value\.[A-Za-z0-9]*/) {
       call = substr($0, RSTART, RLENGTH); split(call, part, /\.write\(value\./)
       converter = part[1]; field = part[2]
       if (field == "baseUrl") print "put_u8(&client_options, 1); put_str(&client_options, sandbox_url);"
       else if (field == "ignoreEnv") print "put_u8(&client_options, 1);"
       else if (converter ~ /^FfiConverterOption/) print "put_u8(&client_options, 0); /* " field ": None */"
       else { print "run.sh: ClientOptions." field " is required and unknown to the C ABI check" > "/dev/stderr"; failed = 1; exit 1 }
       fields++
     }
     END { if (failed || fields < 3) { if (!failed) print "run.sh: no ClientOptions writer found in the Swift sources" > "/dev/stderr"; exit 1 } }' \
  "$swift/Sources/Dollr/DollrCore.swift" > "$work/client_options.inc"
contract=$(sed -n 's/.*let bindings_contract_version = \([0-9]*\).*/\1/p' "$swift/Sources/Dollr/Dollr.swift" | head -1)
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$here/../Cargo.toml")

cc=${CC:-cc}
command -v "$cc" >/dev/null || { echo "a C compiler is required for the Swift ABI check (apt-get install gcc)"; exit 1; }
# The headers use clang's nullability qualifiers; gcc needs them defined away.
"$cc" -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -D_Nonnull= -D_Nullable= \
  -DCONTRACT_VERSION="$contract" -DSDK_VERSION="\"$version\"" \
  -I "$swift/Headers" -I "$work" "$here/tests/c/ffi_check.c" -o "$work/ffi_check" \
  -L "$libdir" -ldollr_ffi -lpthread -lm -ldl

# The sandbox: stdin and stdout are pipes held by this script (fds 3 and 4); its first line is
# `listening on http://127.0.0.1:PORT` (30 s deadline: the machine may be busy).
client_id=c-abi-client client_secret=c-abi-secret
mkfifo "$work/in" "$work/out"
"$binary" sandbox --port 0 --exit-when-stdin-closes --seed 7 --settle-ms 20 \
  --client-id "$client_id" --client-secret "$client_secret" <"$work/in" >"$work/out" 2>"$work/sandbox.err" &
sandbox_pid=$!
exec 3>"$work/in" 4<"$work/out"
if ! read -r -t 30 line <&4 || [[ $line != "listening on http://127.0.0.1:"* ]]; then
  echo "run.sh: the sandbox did not start: ${line:-no address within 30 s}" >&2
  cat "$work/sandbox.err" >&2
  exit 1
fi
url=${line#listening on }

LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" DYLD_LIBRARY_PATH="$libdir" RUST_BACKTRACE=0 \
  "$work/ffi_check" "$url" "$client_id" "$client_secret"
