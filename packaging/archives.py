"""The files inside a built artifact, whatever its kind: the packaging checks read wheels, jars
and zips (`zipfile`) and sdists, npm tarballs and the CLI archive (`tarfile`) the same way."""

from __future__ import annotations

import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

ZIP_SUFFIXES = {".whl", ".jar", ".zip", ".aar"}
TAR_SUFFIXES = (".tar.gz", ".tgz")


def is_archive(path: Path) -> bool:
    return path.suffix in ZIP_SUFFIXES or path.name.endswith(TAR_SUFFIXES)


def members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name inside the archive, bytes) of every regular file in `path`."""
    if path.suffix in ZIP_SUFFIXES:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    yield info.filename, archive.read(info)
    elif path.name.endswith(TAR_SUFFIXES):
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                extracted = archive.extractfile(member) if member.isfile() else None
                if extracted is not None:
                    yield member.name, extracted.read()
    else:
        raise ValueError(f"{path}: not an archive this check reads")
