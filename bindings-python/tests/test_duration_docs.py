"""Python takes durations in seconds, so no generated docstring and no README paragraph may
describe one duration in both milliseconds and seconds (the schema's docs say "in milliseconds";
the generator restates them)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

BINDING = Path(__file__).resolve().parents[1]
# The generated modules and the hand-written public ones, of `dollr` and of its testing companion
# `dollr_testing`; `_support.py` is left out: it is the one converter between the two units and
# must name both.
MODULES = [
    "python/dollr/enums.py",
    "python/dollr/models.py",
    "python/dollr/resources.py",
    "python/dollr/__init__.py",
    "python/dollr/errors.py",
    "python/dollr/testing.py",
    "testing/python/dollr_testing/__init__.py",
    "testing/python/dollr_testing/pytest_plugin.py",
]
# The words, not names such as `_support._milliseconds`; "second" not as the tail of "millisecond".
MILLISECONDS = re.compile(r"\bmilliseconds?\b", re.IGNORECASE)
SECONDS = re.compile(r"(?<!milli)\bseconds?\b", re.IGNORECASE)


def both_units(text: str) -> bool:
    return MILLISECONDS.search(text) is not None and SECONDS.search(text) is not None


def docstrings(source: str) -> list[str]:
    """Every docstring of a module: of the module, classes, functions and attributes."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            found.append(node.value.value)
    return found


def entries(docstring: str) -> list[str]:
    """A docstring's summary paragraphs and its `Args:` entries, one per parameter."""
    head, *rest = re.split(r"\n\s*Args:\n", docstring, maxsplit=1)
    args = rest[0] if rest else ""
    parts = [" ".join(p.split()) for p in head.split("\n\n")]
    parts += [
        " ".join(entry.split())
        for entry in re.split(r"\n(?=\s*[A-Za-z_][A-Za-z0-9_]*: )", args)
        if entry.strip()
    ]
    return parts


@pytest.mark.parametrize("name", MODULES)
def test_no_docstring_gives_a_duration_two_units(name: str) -> None:
    source = (BINDING / name).read_text(encoding="utf-8")
    offenders = [e for d in docstrings(source) for e in entries(d) if both_units(e)]
    assert offenders == []


def test_the_duration_docstrings_say_seconds() -> None:
    source = (BINDING / "python" / "dollr" / "resources.py").read_text(encoding="utf-8")
    wait = [e for d in docstrings(source) for e in entries(d) if e.startswith("wait_timeout: ")]
    # The core's doc gives the default in words ("3 minutes"); the generator states the unit.
    assert wait and all("(default 3 minutes)" in e and "In seconds." in e for e in wait), wait


def test_no_readme_paragraph_gives_a_duration_two_units() -> None:
    readme = (BINDING / "README.md").read_text(encoding="utf-8")
    # Paragraphs and list items (a `*` bullet starts a new one).
    parts = re.split(r"\n\s*\n|\n(?=\* )", readme)
    assert [p for p in parts if both_units(p)] == []
