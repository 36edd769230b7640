#!/usr/bin/env python3
"""Checks that the Maven dependencies bindings-swift/README.md tells users to add are the ones the
consumer project of `make check-dist-kotlin` declares: every `xml` block of the README with
`mirror=PATH` stands verbatim in PATH (tests/docs/run_code_blocks.py skips Maven blocks; this is
their check).

    python tests/dist/kotlin/readme_pom.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "docs"))

from run_code_blocks import blocks_of, contains_verbatim  # noqa: E402

README = "bindings-swift/README.md"


def main() -> int:
    checked = 0
    for block in blocks_of(README):
        target = block.options.get("mirror")
        if block.language != "xml" or not target:
            continue
        source = (ROOT / target).read_text(encoding="utf-8").splitlines()
        if not contains_verbatim(source, block.text.splitlines()):
            print(f"{block.where}: the Maven block is not in {target} as written", file=sys.stderr)
            return 1
        checked += 1
    if checked == 0:
        print(f"{README}: no Maven block with mirror=PATH", file=sys.stderr)
        return 1
    print(f"{README}: {checked} Maven block(s) match the consumer project")
    return 0


if __name__ == "__main__":
    sys.exit(main())
