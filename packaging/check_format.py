#!/usr/bin/env python3
"""Checks artifacts built for another architecture than this machine's, which it cannot run:
every ELF file inside them (the wheel's extension module, the CLI in its archive, the npm
platform package's addon) is for the expected machine, and needs no glibc newer than the
manylinux2014 floor; the wheel's tag says the same (`auditwheel show`).

    packaging/check_format.py DIST_DIR TRIPLE
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from archives import is_archive, members

# e_machine values (System V ABI).
MACHINES = {"x86_64": 62, "aarch64": 183}
GLIBC_FLOOR = (2, 17)


def elf_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every ELF file in an archive (wheel/zip/jar, tar.gz) or the file itself."""
    if is_archive(path):
        for name, data in members(path):
            if data[:4] == b"\x7fELF":
                yield f"{path.name}:{name}", data


def elf_machine(data: bytes) -> int:
    # ELF64 little-endian: e_machine is the u16 at offset 18.
    return int(struct.unpack_from("<H", data, 18)[0])


def newest_glibc(data: bytes) -> tuple[int, ...]:
    """The newest GLIBC_x.y symbol version the file asks for (readelf reads foreign ELF too)."""
    readelf = shutil.which("readelf")
    if readelf is None:
        sys.exit("packaging/check_format.py: readelf (binutils) is required")
    with tempfile.NamedTemporaryFile(suffix=".elf") as copy:
        copy.write(data)
        copy.flush()
        output = subprocess.run(
            [readelf, "--version-info", "--wide", copy.name],
            stdout=subprocess.PIPE,
            check=True,
        ).stdout.decode()
    versions = {tuple(int(n) for n in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+)", output)}
    return max(versions, default=(0,))


def main() -> None:
    dist_dir, triple = Path(sys.argv[1]), sys.argv[2]
    arch = triple.split("-")[0]
    expected = MACHINES[arch]
    checked = 0
    problems = []
    for path in sorted(dist_dir.iterdir()):
        for name, data in elf_files(path):
            checked += 1
            machine = elf_machine(data)
            glibc = newest_glibc(data)
            print(f"{name}: e_machine {machine}, newest glibc symbol {'.'.join(map(str, glibc))}")
            if machine != expected:
                problems.append(f"{name} is e_machine {machine}, not {arch} ({expected})")
            if glibc > GLIBC_FLOOR:
                problems.append(f"{name} needs glibc {glibc}, newer than the floor {GLIBC_FLOOR}")
        if path.suffix == ".whl":
            shown = subprocess.run(
                [sys.executable, "-m", "auditwheel", "show", str(path)],
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            ).stdout
            tag = f"manylinux_2_17_{arch}"
            verdict = "confirms" if tag in shown else "does NOT confirm"
            print(f"{path.name}: auditwheel {verdict} {tag}")
            if tag not in shown:
                problems.append(f"{path.name}: auditwheel does not show {tag}:\n{shown}")
    if checked == 0:
        problems.append(f"no ELF file found in {dist_dir}")
    if problems:
        sys.exit("\n".join(problems))
    print(f"{checked} files for {triple}: format ok")


if __name__ == "__main__":
    main()
