#!/usr/bin/env python3
"""Runs a command as on a user's machine that has no Rust toolchain and no network: the install
checks of `make test-dist` run their `pip install`, `npm install` and `mvn` through this.

    packaging/without_rust.py COMMAND [ARG...]

- PATH keeps only the directories that hold none of cargo, rustc, rustup and cargo-zigbuild (and
  the check fails loudly if `cargo` could still be found);
- every CARGO*/RUSTUP*/RUSTC* variable and the DOLLR_SANDBOX_BINARY of our own test targets are
  removed (the installed testing companion must bring its own sandbox);
- HTTP(S)_PROXY point at a closed loopback port, so a tool that tries to reach a registry fails at
  once instead of quietly downloading (loopback itself stays direct, for the sandbox).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

RUST_TOOLS = ("cargo", "rustc", "rustup", "cargo-zigbuild")
# Port 9 (discard) is closed on these machines: connecting is refused at once.
NOWHERE = "http://127.0.0.1:9"


def environment() -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CARGO", "RUSTUP", "RUSTC")) and name != "DOLLR_SANDBOX_BINARY"
    }
    kept = [
        directory
        for directory in os.environ.get("PATH", "").split(os.pathsep)
        if directory and not any((Path(directory) / tool).exists() for tool in RUST_TOOLS)
    ]
    env["PATH"] = os.pathsep.join(kept)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        env[name] = NOWHERE
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    return env


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    env = environment()
    for tool in RUST_TOOLS:
        found = shutil.which(tool, path=env["PATH"])
        if found:
            sys.exit(f"packaging/without_rust.py: {tool} is still reachable at {found}")
    command = sys.argv[1:]
    executable = shutil.which(command[0], path=env["PATH"]) or command[0]
    os.execve(executable, command, env)


if __name__ == "__main__":
    main()
