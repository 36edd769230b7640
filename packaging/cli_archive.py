#!/usr/bin/env python3
"""Packs the `dollr` binary that packaging/native.py built into the release archive users download:
`<dist>/dollr-<version>-<target>.tar.gz` holding `dollr-<version>-<target>/dollr`, a README and the
license texts.

    packaging/cli_archive.py BUILT_JSON DIST_DIR TARGET
"""

from __future__ import annotations

import io
import json
import sys
import tarfile
from pathlib import Path

import tomllib
from licenses import LICENSES

ROOT = Path(__file__).resolve().parent.parent

README = """\
dollr {version} ({target})

  dollr sandbox    a stateful local Dollr API with test numbers and fault injection
                   (listens on http://127.0.0.1:8787; `dollr sandbox --help`)
  dollr demo       a collection and a payout end to end on an embedded sandbox

The same binary is what the SDKs' test helpers run (dollr.testing, dollr-native/testing,
Kotlin/Swift TestSandbox); it is also inside the testing companion packages.
"""


def workspace_version() -> str:
    with (ROOT / "Cargo.toml").open("rb") as manifest:
        return str(tomllib.load(manifest)["workspace"]["package"]["version"])


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    archive.addfile(info, io.BytesIO(data))


def main() -> None:
    built_json, dist_dir, target = sys.argv[1:4]
    [binary] = json.loads(Path(built_json).read_text())["dollr-cli"]
    version = workspace_version()
    folder = f"dollr-{version}-{target}"
    out = Path(dist_dir) / f"{folder}.tar.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:gz") as archive:
        add_bytes(archive, f"{folder}/dollr", Path(binary).read_bytes(), 0o755)
        text = README.format(version=version, target=target).encode()
        add_bytes(archive, f"{folder}/README.txt", text, 0o644)
        for name in LICENSES:
            add_bytes(archive, f"{folder}/{name}", (ROOT / name).read_bytes(), 0o644)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
