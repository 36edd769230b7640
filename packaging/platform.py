#!/usr/bin/env python3
"""One table of the names each package ecosystem gives a Rust target triple, so every packaging
step (the npm platform package, the jar's JNA resource folder, the wheel's compatibility, the
CLI archive) derives its names from `DIST_TRIPLE` alone.

    packaging/platform.py TRIPLE FIELD     prints one field (npm, jna, wheel_compat, lib, exe)
"""

from __future__ import annotations

import sys
from typing import NamedTuple


class Platform(NamedTuple):
    npm: str  # napi-rs's platform suffix: dollr-native-<npm>, dollr-native.<npm>.node
    jna: str  # the folder JNA searches in a jar (com.sun.jna.Platform.RESOURCE_PREFIX)
    wheel_compat: str  # maturin --compatibility ("" for the platform's default tag)
    lib: str  # how a cdylib named `dollr_ffi` is spelled there
    exe: str  # suffix of executables


PLATFORMS = {
    "x86_64-unknown-linux-gnu": Platform(
        "linux-x64-gnu", "linux-x86-64", "manylinux2014", "lib{}.so", ""
    ),
    "aarch64-unknown-linux-gnu": Platform(
        "linux-arm64-gnu", "linux-aarch64", "manylinux2014", "lib{}.so", ""
    ),
    "x86_64-unknown-linux-musl": Platform(
        "linux-x64-musl", "linux-x86-64", "musllinux_1_2", "lib{}.so", ""
    ),
    "aarch64-unknown-linux-musl": Platform(
        "linux-arm64-musl", "linux-aarch64", "musllinux_1_2", "lib{}.so", ""
    ),
    "aarch64-apple-darwin": Platform("darwin-arm64", "darwin-aarch64", "", "lib{}.dylib", ""),
    "x86_64-apple-darwin": Platform("darwin-x64", "darwin-x86-64", "", "lib{}.dylib", ""),
    "x86_64-pc-windows-msvc": Platform("win32-x64-msvc", "win32-x86-64", "", "{}.dll", ".exe"),
}


def platform(triple: str) -> Platform:
    try:
        return PLATFORMS[triple]
    except KeyError:
        known = ", ".join(PLATFORMS)
        sys.exit(f"packaging/platform.py: no packaging names for {triple} (known: {known})")


def main() -> None:
    triple, field = sys.argv[1:3]
    print(getattr(platform(triple), field))


if __name__ == "__main__":
    main()
