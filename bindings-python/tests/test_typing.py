"""The annotations catch what the API would refuse: `mypy --strict` rejects every deliberately
wrong call in `typing/bad_calls.py` (an enum typo as an argument or in a comparison, a float
amount, a secret used as text) at exactly the lines marked `# expect: <code>`, and accepts
`typing/good_calls.py`."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPING = Path(__file__).resolve().parent / "typing"
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def mypy_errors(*files: Path) -> tuple[set[tuple[str, int, str]], str]:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            *(str(f) for f in files),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = set()
    for line in run.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            name = Path(match["file"]).name
            found.add((name, int(match["line"]), match["code"]))
    return found, run.stdout + run.stderr


def expected(path: Path) -> set[tuple[str, int, str]]:
    marks = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        mark = re.search(r"# expect: ([a-z-]+)$", line)
        if mark:
            marks.add((path.name, number, mark[1]))
    return marks


def test_mypy_strict_rejects_the_bad_calls_and_accepts_the_good_ones() -> None:
    bad, good = TYPING / "bad_calls.py", TYPING / "good_calls.py"
    wanted = expected(bad)
    assert len(wanted) >= 8  # the marks themselves were read
    found, output = mypy_errors(bad, good)
    assert found == wanted, output
