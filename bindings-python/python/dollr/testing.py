"""Test your own code against a local Dollr API: :class:`Sandbox` and :class:`TestNumbers`, from
the testing companion package ``dollr-testing`` (``pip install "dollr[testing]"``), which brings
the sandbox (the ``dollr`` binary) and the pytest fixtures ``dollr_sandbox`` / ``dollr_client``.

>>> from dollr.testing import Sandbox, TestNumbers
>>> with Sandbox(settle_ms=20) as sandbox, sandbox.client() as client:
...     outcome = client.collect(phone=TestNumbers.COMPLETES, amount="12.00", currency="USD")
...     assert outcome.execution.status == "COMPLETED"

The production package ``dollr`` carries no sandbox; this module is the import path, kept.
"""

from __future__ import annotations

try:
    from dollr_testing import Sandbox, TestNumbers
except ModuleNotFoundError as missing:
    if missing.name != "dollr_testing":
        raise
    raise ImportError(
        'dollr.testing needs the testing companion package: pip install "dollr[testing]"',
        name="dollr_testing",
    ) from None

__all__ = ["Sandbox", "TestNumbers"]
