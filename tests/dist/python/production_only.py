"""Runs in a fresh venv where only `dollr` (no `[testing]` extra) is installed from dist: the
production package carries no sandbox — `dollr.testing` says what to install, the native module
holds no sandbox code, and neither the `dollr` binary nor a pytest plugin came with it."""

from __future__ import annotations

import importlib
import sys
from importlib import metadata
from pathlib import Path

import dollr
from dollr import _native

HINT = 'pip install "dollr[testing]"'


def main() -> None:
    assert Path(sys.prefix).resolve() in Path(str(dollr.__file__)).resolve().parents
    try:
        importlib.import_module("dollr.testing")
    except ImportError as error:
        assert HINT in str(error), error
    else:
        raise AssertionError("dollr.testing imported without the testing companion")
    try:
        importlib.import_module("dollr_testing")
    except ModuleNotFoundError:
        pass
    else:
        raise AssertionError("dollr_testing is installed without the [testing] extra")
    native = Path(str(_native.__file__)).read_bytes()
    assert b"dollr_sandbox" not in native and not hasattr(_native, "NativeSandbox")
    assert _native.TEST_NUMBERS["COMPLETES"] == "231771234567"
    assert not (Path(sys.executable).parent / "dollr").exists()
    # pytest without the companion must never try to load a plugin that is not there.
    assert all(entry.group != "pytest11" for entry in metadata.distribution("dollr").entry_points)
    print(
        f"dollr {dollr.__version__} alone: no sandbox (native module "
        f"{len(native) / 1e6:.1f} MB, dollr.testing names {HINT})"
    )


if __name__ == "__main__":
    main()
