#!/usr/bin/env python3
"""Checks the Python artifacts `make dist-python` wrote, before anyone installs them:

    bindings-python/wheel_tags.py DIST_DIR TRIPLE

* the `dollr` wheel is `cp39-abi3-manylinux_2_17_<arch>` and `auditwheel show` agrees that its
  native module needs nothing newer than manylinux_2_17 (glibc 2.17) and links only the libraries
  the policy allows; its native module holds no sandbox (`dollr_sandbox` absent);
* the `dollr-testing` wheel is `py3-none-manylinux_2_17_<arch>`, holds `dollr_testing`, the `dollr`
  binary as a script and the pytest11 entry point;
* the sdists `dollr-<version>.tar.gz` and `dollr_testing-<version>.tar.gz` are there;

and prints their sizes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

POLICY = "manylinux_2_17"


def one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        sys.exit(f"wheel_tags.py: expected one {pattern} in {dist}, found {found}")
    return found[0]


def auditwheel(wheel: Path, platform: str) -> None:
    tool = shutil.which("auditwheel") or sys.exit("wheel_tags.py: auditwheel is not on PATH")
    shown = subprocess.run([tool, "show", wheel], check=True, capture_output=True, text=True).stdout
    # "is consistent with the following platform tag: "manylinux_2_17_x86_64"" (the tag is
    # right) — with the symbol versions it needs listed, glibc 2.17 the newest.
    wanted = f'consistent with the following platform tag: "{platform}"'
    if wanted not in " ".join(shown.split()):
        sys.exit(
            f"wheel_tags.py: auditwheel does not confirm {platform} for {wheel.name}:\n{shown}"
        )


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    dist, triple = Path(sys.argv[1]), sys.argv[2]
    platform = f"{POLICY}_{triple.split('-')[0]}"
    wheel = one(dist, f"dollr-*-cp39-abi3-*{platform}.whl")
    companion = one(dist, f"dollr_testing-*-py3-none-*{platform}.whl")
    version = wheel.name.split("-")[1]
    sdist = one(dist, f"dollr-{version}.tar.gz")
    companion_sdist = one(dist, f"dollr_testing-{version}.tar.gz")
    auditwheel(wheel, platform)
    auditwheel(companion, platform)
    with zipfile.ZipFile(wheel) as archive:
        [native] = [
            i
            for i in archive.infolist()
            if i.filename.startswith("dollr/_native.") and i.filename.endswith(".so")
        ]
        if b"dollr_sandbox" in archive.read(native):
            sys.exit(f"wheel_tags.py: {wheel.name} carries the sandbox ({native.filename})")
        metadata = archive.read(f"dollr-{version}.dist-info/METADATA").decode()
    extra = f"Requires-Dist: dollr-testing=={version} ; extra == 'testing'"
    if extra not in metadata.splitlines():
        sys.exit(f"wheel_tags.py: {wheel.name} does not declare the extra `testing`: {extra}")
    with zipfile.ZipFile(companion) as archive:
        names = set(archive.namelist())
        binary = f"dollr_testing-{version}.data/scripts/dollr"
        entry_points = archive.read(f"dollr_testing-{version}.dist-info/entry_points.txt").decode()
        binary_size = archive.getinfo(binary).file_size if binary in names else 0
    missing = {binary, "dollr_testing/__init__.py", "dollr_testing/pytest_plugin.py"} - names
    plugin = "dollr=dollr_testing.pytest_plugin"
    if missing or plugin not in entry_points.replace(" ", "").splitlines():
        sys.exit(f"wheel_tags.py: {companion.name} lacks {sorted(missing) or 'its pytest11 entry'}")
    for artifact in (wheel, companion, sdist, companion_sdist):
        print(f"{artifact.name}: {artifact.stat().st_size / 1e6:.2f} MB")
    print(
        f"  native module {native.filename}: {native.file_size / 1e6:.2f} MB unpacked; "
        f"`dollr` binary in the companion: {binary_size / 1e6:.2f} MB unpacked"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
