#!/usr/bin/env python3
"""The install check of the Python artifacts of `make dist` (`make check-dist-python`):

    tests/dist/python/check.py DIST_DIR

For this machine's CPython and, when pyenv has it, CPython 3.9 (the oldest the abi3 wheel
claims): a fresh venv gets `pip install --no-index --find-links DIST_DIR dollr` and runs
production_only.py (no sandbox in it), then `pip install … "dollr[testing]"` and runs
collect_and_payout.py. Every step runs through packaging/without_rust.py: no cargo/rustc on PATH,
registries unreachable, no DOLLR_SANDBOX_BINARY. Prints the time each step took.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WITHOUT_RUST = ROOT / "packaging" / "without_rust.py"
# Generous: a busy 2-core machine; each step takes seconds.
STEP_TIMEOUT = 600


def interpreters() -> list[Path]:
    found = [Path(sys.executable)]
    oldest = sorted((Path.home() / ".pyenv" / "versions").glob("3.9*/bin/python"))
    if oldest:
        found.append(oldest[-1])
    else:
        print("(no CPython 3.9 under ~/.pyenv/versions: abi3 checked on this CPython only)")
    return found


def run(*command: str | Path, cwd: Path) -> None:
    """``command`` as on a user's machine without Rust or a registry, its output shown."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))
    }
    # pip reads no user or site configuration (an index URL there must not matter).
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    started = time.monotonic()
    shown = " ".join(str(part) for part in command)
    print(f"+ {shown}", flush=True)
    subprocess.run(
        [sys.executable, WITHOUT_RUST, *(str(part) for part in command)],
        cwd=cwd,
        env=env,
        check=True,
        timeout=STEP_TIMEOUT,
    )
    print(f"  ({time.monotonic() - started:.1f} s)", flush=True)


def check(python: Path, dist: Path, scratch: Path) -> None:
    version = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"== CPython {version} ({python})", flush=True)
    # One fresh venv (with the pip this CPython bundles, as a user's has): `dollr` alone first,
    # then the extra added, as a project adds its test dependencies.
    venv = scratch / f"venv-{version}"
    run(python, "-m", "venv", venv, cwd=scratch)
    pip: list[str | Path] = [
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
    ]
    for requirement, program in (
        ("dollr", "production_only.py"),
        ("dollr[testing]", "collect_and_payout.py"),
    ):
        run(*pip, "--find-links", dist, requirement, cwd=scratch)
        run(venv / "bin" / "python", HERE / program, cwd=scratch)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dist = Path(sys.argv[1]).resolve()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dollr-dist-python-") as scratch:
        for python in interpreters():
            check(python, dist, Path(scratch))
    print(f"check-dist-python: ok in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
