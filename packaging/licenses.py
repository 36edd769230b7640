#!/usr/bin/env python3
"""Checks that every artifact users install carries the project's license texts, byte for byte
the repository's: the wheels and sdists, the npm tarballs (the platform packages too, which hold
only a binary), the jars (in META-INF) and the CLI archive. MIT and Apache-2.0 both ask that
copies of the software come with their notice; a package that ships without it cannot be
redistributed by the letter of either.

    packaging/licenses.py DIST_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

from archives import is_archive, members

ROOT = Path(__file__).resolve().parent.parent
# The project's license texts (the repository's root files), in every artifact (cli_archive.py
# packs them from here).
LICENSES = ("LICENSE-MIT", "LICENSE-APACHE")


def problems(artifact: Path) -> list[str]:
    """What `artifact` lacks: each license it does not carry with the repository's text."""
    wanted = {name: (ROOT / name).read_bytes() for name in LICENSES}
    found = {name: False for name in LICENSES}
    for member, data in members(artifact):
        name = PurePosixPath(member).name
        if name in wanted and data == wanted[name]:
            found[name] = True
    missing = [name for name in LICENSES if not found[name]]
    return [f"{artifact.name}: no {name} (the repository's text)" for name in missing]


def main() -> None:
    dist = Path(sys.argv[1])
    artifacts = sorted(path for path in dist.rglob("*") if path.is_file() and is_archive(path))
    if not artifacts:
        sys.exit(f"{dist}: no artifacts to check")
    missing = [problem for artifact in artifacts for problem in problems(artifact)]
    if missing:
        sys.exit("artifacts without the license texts:\n  " + "\n  ".join(missing))
    print(f"licenses: {len(artifacts)} artifacts carry {' and '.join(LICENSES)}")


if __name__ == "__main__":
    main()
