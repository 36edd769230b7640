#!/usr/bin/env python3
"""Proves the package installs and works like a user's: builds a wheel, installs it into a fresh
virtualenv (nothing from the source tree on the path), runs the examples against `dollr sandbox`
(the CLI, as the README's quickstart does), and reports the wheel's size and `import dollr` time.

    python bindings-python/wheel_check.py            # debug wheel via maturin (fast; make test)
    python bindings-python/wheel_check.py --release  # `pip wheel .` exactly as `pip install .`
                                                     # builds it (release, stripped); fails above
                                                     # the size budget
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SIZE_BUDGET = 6_000_000  # bytes, release wheel
IMPORT_BUDGET_MS = 50.0


def run(*command: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(str(c) for c in command), flush=True)
    result: subprocess.CompletedProcess[str] = subprocess.run(
        [str(c) for c in command], check=True, text=True, **kwargs
    )
    return result


def build_wheel(out: Path, release: bool) -> Path:
    if release:
        # What `pip install .` does: a PEP 517 build through maturin (release, stripped).
        run(
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--wheel-dir",
            out,
            ROOT,
            env={**os.environ, "MATURIN_PEP517_ARGS": "--strip"},
        )
    else:
        maturin = shutil.which("maturin") or "maturin"
        run(maturin, "build", "--quiet", "--out", out, cwd=ROOT)
    [wheel] = out.glob("dollr-*.whl")
    return wheel


def sandbox_command() -> list[str]:
    """`dollr sandbox` from the workspace (already built by `cargo test`), else through cargo."""
    for profile in ("debug", "release"):
        binary = ROOT / "target" / profile / "dollr"
        if binary.exists():
            return [str(binary)]
    return ["cargo", "run", "-q", "-p", "dollr-cli", "--"]


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*sandbox_command(), "sandbox", "--port", "0", "--settle-ms", "100"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # "listening on http://127.0.0.1:PORT", once it accepts
    found = re.search(r"http://\S+", first)
    if not found:
        process.kill()
        raise SystemExit(f"`dollr sandbox` did not report its URL: {first!r}")
    return process, found.group(0)


def import_time_ms(python: Path, env: dict[str, str], runs: int = 15) -> float:
    code = "import time; t = time.perf_counter(); import dollr; print(time.perf_counter() - t)"
    samples = [
        float(subprocess.run([python, "-c", code], env=env, check=True, capture_output=True).stdout)
        * 1000
        for _ in range(runs)
    ]
    return min(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dollr-wheel-") as scratch:
        work = Path(scratch)
        wheel = build_wheel(work / "dist", options.release)
        with zipfile.ZipFile(wheel) as archive:
            native = max(archive.infolist(), key=lambda info: info.file_size)
        venv = work / "venv"
        run(sys.executable, "-m", "venv", venv)
        python = venv / "bin" / "python"
        # A user's environment: no DOLLR_* settings, no PYTHON* tweaks (pip byte-compiles on
        # install, as for every user).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DOLLR_", "PYTHON"))}
        run(
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            wheel,
            env={**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
        located = run(
            python,
            "-c",
            "import dollr; print(dollr.__file__)",
            capture_output=True,
            cwd=work,
            env=env,
        ).stdout.strip()
        assert Path(located).is_relative_to(venv), f"dollr imported from {located}, not the venv"
        milliseconds = import_time_ms(python, env)

        process, url = start_sandbox()
        try:
            quickstart = {
                **env,
                "DOLLR_BASE_URL": url,
                "DOLLR_CLIENT_ID": "dollr_test_client",
                "DOLLR_CLIENT_SECRET": "dollr_test_secret",
                "DOLLR_PASSCODE": "123456",
            }
            for example in ("collect.py", "payout.py"):
                started = time.monotonic()
                result = run(
                    python,
                    ROOT / "examples" / "python" / example,
                    cwd=work,
                    env=quickstart,
                    capture_output=True,
                )
                print(result.stdout, end="")
                assert "COMPLETED" in result.stdout, result.stdout
                assert "local sandbox" not in result.stdout, "the CLI sandbox was not used"
                print(f"  {example}: ok in {time.monotonic() - started:.1f} s")
        finally:
            process.terminate()
            process.wait(timeout=30)

        size = wheel.stat().st_size
        print(
            f"\nwheel {wheel.name}: {size / 1e6:.2f} MB "
            f"(native module {native.filename}: {native.file_size / 1e6:.2f} MB unpacked)"
        )
        print(f"import dollr (fresh venv, byte-compiled, best of 15): {milliseconds:.1f} ms")
        if options.release:
            if size > SIZE_BUDGET:
                print(f"FAIL: the wheel is above {SIZE_BUDGET / 1e6:.0f} MB")
                return 1
            if milliseconds > IMPORT_BUDGET_MS:
                print(f"FAIL: import takes more than {IMPORT_BUDGET_MS:.0f} ms")
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
