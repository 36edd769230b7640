#!/usr/bin/env python3
"""Assembles the Android library (AAR) of the Kotlin SDK: the same classes as the JVM jar, minus
its desktop native libraries, plus libdollr_ffi.so for each Android ABI under `jni/<abi>/` (the
folder Android's packager turns into the APK's `lib/<abi>/`). JNA on Android comes from
`net.java.dev.jna:jna:<version>@aar`, declared in the published pom.

    packaging/aar.py --jar dollr-0.1.0.jar --abi arm64-v8a=path/libdollr_ffi.so [--abi ...] OUT.aar

Built by the release workflow (.github/workflows/release.yml) after cargo-ndk; this machine has
no Android NDK.
"""

from __future__ import annotations

import argparse
import io
import re
import zipfile
from pathlib import Path

MANIFEST = """<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="app.heydollr.dollr">
    <uses-sdk android:minSdkVersion="24" />
    <uses-permission android:name="android.permission.INTERNET" />
</manifest>
"""
ABIS = {"arm64-v8a", "armeabi-v7a", "x86_64", "x86"}
# JNA's per-platform resource folders (com.sun.jna.Platform.RESOURCE_PREFIX): linux-x86-64/, …
JNA_FOLDER = re.compile(r"^(linux|darwin|win32|freebsd|openbsd|sunos|aix)-[^/]+/")


def classes_only(jar: Path) -> bytes:
    """The jar without its desktop native folders (`linux-x86-64/`, `darwin-aarch64/`, …)."""
    out = io.BytesIO()
    with zipfile.ZipFile(jar) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if JNA_FOLDER.match(item.filename):
                continue
            target.writestr(item, source.read(item))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jar", type=Path, required=True)
    parser.add_argument("--abi", action="append", default=[], metavar="ABI=LIBRARY")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    with zipfile.ZipFile(args.out, "w", zipfile.ZIP_DEFLATED) as aar:
        aar.writestr("AndroidManifest.xml", MANIFEST)
        aar.writestr("R.txt", "")
        aar.writestr("classes.jar", classes_only(args.jar))
        for spec in args.abi:
            abi, library = spec.split("=", 1)
            if abi not in ABIS:
                raise SystemExit(f"unknown Android ABI {abi!r} (one of {sorted(ABIS)})")
            aar.write(library, f"jni/{abi}/libdollr_ffi.so")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
