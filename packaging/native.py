#!/usr/bin/env python3
"""Builds native artifacts for distribution and prints where each went. Linux targets go through
`cargo zigbuild`, for the glibc floor the wheels declare (manylinux2014: glibc 2.17) whatever
glibc this machine has, and for other architectures from this one (aarch64).

    packaging/native.py [--profile dist] [--target x86_64-unknown-linux-gnu] PACKAGE...

PACKAGE is a workspace package (`dollr-node`, `dollr-uniffi`, `dollr-cli`). Prints one JSON
object on stdout: `{"dollr-node": ["/…/libdollr_node.so"], "dollr-cli": ["/…/dollr"], …}` — the
cdylibs and binaries cargo reported. Each package is built on its own (`-p`), so each gets the
features it declares, as a user's build of it would.

zig and cargo-zigbuild come from PyPI (packaging/requirements.txt, in the root .venv): the
Makefile puts the venv's bin first on PATH, where cargo-zigbuild looks for `python -m ziglang`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLIBC_FLOOR = "2.17"  # manylinux2014; Rust's own floor for x86_64/aarch64 Linux


def zig_target(target: str) -> str:
    """cargo-zigbuild's spelling of a target with a glibc version (`….2.17`), for gnu targets."""
    return f"{target}.{GLIBC_FLOOR}" if target.endswith("-linux-gnu") else target


def cargo_command(target: str) -> list[str]:
    """zig links Linux targets (any glibc floor, any architecture, from any Linux host); Apple and
    Windows targets are built on their own runners with their own linkers (release workflow)."""
    if "-linux-" not in target:
        return ["cargo", "build"]
    cargo_zigbuild = shutil.which("cargo-zigbuild")
    if cargo_zigbuild is None:
        sys.exit("packaging/native.py: cargo-zigbuild is not on PATH (make dist installs it)")
    return [cargo_zigbuild, "zigbuild"]


def build(package: str, profile: str, target: str) -> list[str]:
    manifest = manifest_path(package)
    command = [
        *cargo_command(target),
        "-p",
        package,
        "--profile",
        profile,
        "--target",
        zig_target(target),
        "--message-format=json-render-diagnostics",
    ]
    print("+", " ".join(["cargo", *command[1:]]), file=sys.stderr, flush=True)
    result = subprocess.run(
        command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    if result.returncode != 0:
        sys.exit(result.returncode)
    artifacts: list[str] = []
    for line in result.stdout.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("reason") != "compiler-artifact":
            continue
        if message.get("manifest_path") != manifest:
            continue
        kinds = message["target"]["kind"]
        if "cdylib" in kinds:
            artifacts += [f for f in message["filenames"] if f.endswith((".so", ".dylib", ".dll"))]
        elif "bin" in kinds and message.get("executable"):
            artifacts.append(message["executable"])
    if not artifacts:
        sys.exit(f"packaging/native.py: cargo built no cdylib or binary for {package}")
    return artifacts


def manifest_path(package: str) -> str:
    """The Cargo.toml of a workspace package (cargo's messages name packages by it)."""
    metadata = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--no-deps", "--format-version=1"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        ).stdout
    )
    for candidate in metadata["packages"]:
        if candidate["name"] == package:
            return str(candidate["manifest_path"])
    sys.exit(f"packaging/native.py: no workspace package named {package}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="dist")
    parser.add_argument("--target", default="x86_64-unknown-linux-gnu")
    parser.add_argument("packages", nargs="+")
    args = parser.parse_args()
    built = {package: build(package, args.profile, args.target) for package in args.packages}
    print(json.dumps(built, indent=2))


if __name__ == "__main__":
    main()
