#!/usr/bin/env python3
"""Prints the size of every artifact in a dist folder and, for the release profile, checks the
budgets the README promises (issue #14): the Python wheel under 4 MB, the npm platform package
under 5 MB packed, the jar under 6 MB. A missed budget fails `make dist`.

    packaging/sizes.py DIST_DIR [--profile dist]
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path

MB = 1_000_000
# (glob in the dist folder, budget in bytes, what it is)
BUDGETS = [
    ("dollr-*-cp39-abi3-*.whl", 4 * MB, "Python wheel"),
    ("dollr-native-linux-*.tgz", 5 * MB, "npm platform package (packed)"),
    ("dollr-[0-9]*.jar", 6 * MB, "Kotlin jar"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dist_dir", type=Path)
    parser.add_argument("--profile", default="dist")
    args = parser.parse_args()
    files = sorted(p for p in args.dist_dir.iterdir() if p.is_file())
    width = max((len(p.name) for p in files), default=10)
    print(f"{'artifact':<{width}}  {'size':>10}  budget")
    missed = []
    for path in files:
        size = path.stat().st_size
        budget = next((b for glob, b, _ in BUDGETS if fnmatch.fnmatch(path.name, glob)), None)
        verdict = ""
        if budget is not None:
            verdict = f"< {budget / MB:.0f} MB"
            if args.profile == "dist":
                verdict += " ok" if size < budget else " MISSED"
                if size >= budget:
                    missed.append(path.name)
            else:
                verdict += f" (not checked on profile {args.profile})"
        print(f"{path.name:<{width}}  {size / MB:>7.2f} MB  {verdict}")
    for glob, _, what in BUDGETS:
        if not any(fnmatch.fnmatch(p.name, glob) for p in files):
            missed.append(f"no {what} ({glob})")
    if missed:
        sys.exit(f"size budget missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()
