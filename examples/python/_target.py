"""Where the examples run: the API named by DOLLR_BASE_URL (with DOLLR_CLIENT_ID,
DOLLR_CLIENT_SECRET and, for payouts, DOLLR_PASSCODE), or else a local sandbox that
`dollr.testing` starts (installed with `pip install "dollr[testing]"`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dollr


@dataclass
class Target:
    """A client and the merchant passcode payouts need."""

    client: dollr.Client
    passcode: str


@contextmanager
def target() -> Iterator[Target]:
    """A client for DOLLR_BASE_URL when it is set, else for a fresh local sandbox."""
    if os.environ.get("DOLLR_BASE_URL"):
        # Credentials come from DOLLR_CLIENT_ID / DOLLR_CLIENT_SECRET (read by the SDK itself).
        with dollr.Client() as client:
            yield Target(client, os.environ.get("DOLLR_PASSCODE", ""))
        return
    # Imported only here: against a real API the examples need nothing but `dollr`.
    from dollr.testing import Sandbox

    with Sandbox(settle_ms=200) as sandbox, sandbox.client() as client:
        print(f"(no DOLLR_BASE_URL: using a local sandbox at {sandbox.url})")
        yield Target(client, sandbox.passcode)


def show(event: dollr.FlowEvent) -> None:
    """Prints a flow's progress as it happens."""
    if isinstance(event, dollr.ProgressEvent):
        print(f"  {event.elapsed_ms:>5} ms  {event.message}")
