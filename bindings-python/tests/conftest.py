"""Shared fixtures: a fresh in-process sandbox per test (the `dollr_sandbox` / `dollr_client`
fixtures come from the package's own pytest plugin, which these tests use as users would)."""

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
