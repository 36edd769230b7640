"""Typing for the native module ``dollr._native`` (Rust, bindings-python/src). Checked against
the built module by ``mypy.stubtest`` in ``make test``."""

import asyncio
from typing import Any, Callable, Final, final

__all__ = [
    "TEST_NUMBERS",
    "LoopInbox",
    "NativeClient",
    "NativeStream",
    "__version__",
    "_error_classes",
    "_panic_async_for_tests",
    "_panic_for_tests",
    "_panic_in_guard_for_tests",
    "_raise_for_tests",
    "_register_classes",
    "decode",
    "schema",
]

__version__: Final[str]
TEST_NUMBERS: Final[dict[str, str]]

@final
class NativeClient:
    def __new__(cls, options: dict[str, Any], blocking: bool = False) -> NativeClient: ...
    @property
    def base_url(self) -> str: ...
    @property
    def client_id(self) -> str | None: ...
    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def call(
        self,
        operation: str,
        args: dict[str, Any],
        on_event: Callable[[Any], object] | None = None,
    ) -> Any: ...
    def call_async(
        self,
        operation: str,
        args: dict[str, Any],
        future: asyncio.Future[Any],
        on_event: Callable[[Any], object] | None = None,
    ) -> Any: ...
    def stream(self, operation: str, args: dict[str, Any]) -> NativeStream: ...

@final
class NativeStream:
    def next(self) -> dict[str, Any] | None: ...
    def next_async(self, future: asyncio.Future[dict[str, Any] | None]) -> Any: ...
    def close(self) -> None: ...

@final
class LoopInbox:
    def __new__(cls) -> LoopInbox: ...
    def fileno(self) -> int: ...
    def drain(self) -> None: ...

def schema() -> str: ...
def decode(kind: str, value: Any) -> Any: ...
def _register_classes(
    models: dict[str, type],
    enums: dict[str, type],
    events: dict[str, type],
    secret: type,
    unknown_event: type,
) -> None: ...
def _error_classes() -> list[tuple[str, str]]: ...
def _raise_for_tests(kind: str) -> None: ...
def _panic_for_tests(message: str) -> None: ...
def _panic_async_for_tests(message: str, future: asyncio.Future[Any]) -> Any: ...
def _panic_in_guard_for_tests(message: str) -> None: ...
