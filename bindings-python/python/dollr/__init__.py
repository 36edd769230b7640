"""dollr: the Dollr payments API (mobile money and cards in Liberia and Rwanda) for Python.

>>> import dollr
>>> with dollr.Client() as client:  # DOLLR_CLIENT_ID / DOLLR_CLIENT_SECRET / DOLLR_BASE_URL
...     outcome = client.collect(phone="231771234567", amount=Decimal("250.00"), currency="USD")
...     print(outcome.execution.status)  # COMPLETED

``Client`` blocks; ``AsyncClient`` has the same surface with awaitables. Resources mirror the
REST API (``client.parties.create(fullname=..., phone=...)``, ``client.invoices.add_item(id, ...)``,
``client.status.wait(reference_id, operation="COLLECTION")``) and the flows are single calls
(``collect``, ``payout``, ``transfer``, ``refund``, ``hosted_checkout``, ``reconcile``). Results are
typed objects with ``Decimal`` money and timezone-aware ``datetime``s; failures are
:class:`DollrError` subclasses with a stable ``kind``. Logs go to the ``dollr`` logger, secrets
never included. ``dollr.testing.Sandbox`` runs a local Dollr API for your tests (with the testing
companion: ``pip install "dollr[testing]"``).

Everything is implemented once, in the Rust core shared by every dollr SDK; this package is its
thin binding.
"""

from __future__ import annotations

from dollr import _native, enums, errors, models, resources
from dollr._support import DecimalInput, FlowEvent, Model, Secret, StrEnum, UnknownEvent
from dollr.enums import *  # noqa: F403
from dollr.errors import *  # noqa: F403
from dollr.models import *  # noqa: F403
from dollr.resources import *  # noqa: F403

__version__: str = _native.__version__
"""The SDK version (one number for every dollr package)."""

__all__ = [
    "DecimalInput",
    "FlowEvent",
    "Model",
    "Secret",
    "StrEnum",
    "UnknownEvent",
    "__version__",
]
__all__ += enums.__all__
__all__ += errors.__all__
__all__ += models.__all__
__all__ += resources.__all__
