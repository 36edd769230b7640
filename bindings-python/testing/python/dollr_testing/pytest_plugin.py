"""pytest fixtures for testing code that uses dollr, registered automatically once
``dollr-testing`` is installed (``pip install "dollr[testing]"``):

* ``dollr_sandbox``: a fresh :class:`dollr_testing.Sandbox` per test (settle time 20 ms);
* ``dollr_client``: a blocking :class:`dollr.Client` for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dollr.resources import Client
from dollr_testing import Sandbox


@pytest.fixture
def dollr_sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox, shut down after the test."""
    with Sandbox(settle_ms=20) as sandbox:
        yield sandbox


@pytest.fixture
def dollr_client(dollr_sandbox: Sandbox) -> Iterator[Client]:
    """A client for ``dollr_sandbox``, closed after the test."""
    with dollr_sandbox.client() as client:
        yield client
