"""Shared fixtures. The `dollr_sandbox` / `dollr_client` fixtures (a fresh sandbox per test) come
from the testing companion's pytest plugin, which these tests use as users would: installed, its
`pytest11` entry point loads it; in this checkout `make test-python` passes
`-p dollr_testing.pytest_plugin`, the sandbox being target/debug/dollr (DOLLR_SANDBOX_BINARY)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def schema() -> dict[str, Any]:
    """The committed bridge schema (the generator's input)."""
    result: dict[str, Any] = json.loads((ROOT / "core" / "bridge-schema.json").read_text())
    return result
