"""What the generated layer stands on: value conversions, the model and enum bases, the clients.

Only translation happens here. The core decides everything else: defaults, validation (a float
that is not exactly representable or an unknown currency is refused by the core with a
``ValidationError`` naming the field), retries, journaling and error kinds.

Conversions, by bridge type:

* ``decimal``: :class:`~decimal.Decimal` in and out; on input ``int`` and ``str`` pass as their
  exact text, and a ``float`` as its exact binary value (``Decimal(0.1)`` is
  ``0.1000000000000000055511151231257827021181583404541015625``, which the core refuses for money
  while ``250.0`` becomes ``250``) — never rounded here.
* ``integer`` / ``number``: ``int`` (and for ``number`` also a finite ``float``) as given; the core
  refuses what its type does not take (a negative id, a fraction, a value beyond its range),
  naming the field. What JSON cannot carry or would carry as something else (NaN, ±inf, ``bool``,
  text, other objects) is refused here, before anything is sent.
* durations: seconds (``int``, ``float`` or ``timedelta``) in, the bridge's ``*_ms`` integer
  milliseconds out, checked by :func:`_milliseconds` for every duration of the API.
* ``timestamp``: timezone-aware :class:`~datetime.datetime` out; ``datetime`` (ISO 8601) or RFC 3339
  text in (a naive ``datetime`` is read by the core as UTC).
* ``enum:<Name>``: the enum's member when known, else the plain ``str`` (forward compatible).
* ``model:<Name>``: the model class; on input a model instance or a mapping of its fields.
* ``list:<type>``: lists of the above. ``json``: passed through.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import keyword
import math
import weakref
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Callable, ClassVar, TypeVar, Union, cast

from dollr import _native

__all__ = [
    "AsyncClientBase",
    "ClientBase",
    "DecimalInput",
    "FlowEvent",
    "Model",
    "Secret",
    "StrEnum",
    "TimeoutLike",
    "UnknownEvent",
    "as_secret",
    "from_wire",
    "to_wire",
]

_Converter = Callable[[Any], Any]
M = TypeVar("M", bound="Model")

FieldSpecs = tuple[tuple[str, str, str], ...]
"""A model's fields: ``(attribute, JSON name, bridge type)`` each."""

DecimalInput = Union[Decimal, int, str]
"""What a money argument accepts: ``Decimal`` (preferred), ``int`` or decimal text. No ``float``
in the type, so ``mypy`` flags ``amount=0.1``; at run time an exactly representable float
(``250.0``) still passes and ``0.1`` is refused by the core, never rounded."""

TimeoutLike = Union[float, int, _dt.timedelta]
"""A duration in seconds, or a ``timedelta``."""

_MODELS: dict[str, type[Model]] = {}
_ENUMS: dict[str, type[StrEnum]] = {}
_EVENTS: dict[str, type[FlowEvent]] = {}


class Secret:
    """A secret value (an access token, a 3-D Secure client secret, a passcode), following
    pydantic's ``SecretStr``: ``str()``, ``repr()``, ``format()``, f-strings and ``print`` show
    ``**********``, never the value; reading it is explicit, :meth:`get_secret_value`. Equal (and
    hashed) by value. Arguments that take a secret accept a ``Secret`` or a plain ``str``."""

    __slots__ = ("_value",)
    _value: str

    def __init__(self, value: Secret | str) -> None:
        if isinstance(value, Secret):
            value = value._value
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds a str, got {_what(value)}")
        self._value = value

    def get_secret_value(self) -> str:
        """The value itself: the one way to read it."""
        return self._value

    def __str__(self) -> str:
        return _MASK if self._value else ""

    def __repr__(self) -> str:
        return f"Secret('{self}')"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __getstate__(self) -> str:
        return self._value

    def __setstate__(self, state: str) -> None:
        self._value = state


_MASK = "**********"
"""What a secret shows instead of its value (pydantic's ``SecretStr`` mask)."""


def as_secret(value: Any) -> Any:
    """A model's secret field as given to its constructor: a ``str`` wrapped in a ``Secret``;
    ``None`` and what is no text at all are kept, for the core to refuse naming the field."""
    return Secret(value) if isinstance(value, str) else value


def _secret_value(value: Any) -> Any:
    """A secret argument (``Secret`` or ``str``) as the text the core needs."""
    return value.get_secret_value() if isinstance(value, Secret) else value


class StrEnum(str, enum.Enum):
    """A known value of an API enum. Members are ``str``: ``status == "COMPLETED"`` holds.

    Fields typed with an enum hold the member when the value is known to this SDK version and the
    plain ``str`` otherwise, so a value Dollr adds later never breaks decoding.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _ENUMS[cls.__name__] = cls

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Model:
    """Base of every result and input model: attributes, ``repr`` without secrets, equality by
    value and :meth:`to_dict`."""

    __slots__ = ()
    _fields: ClassVar[FieldSpecs] = ()
    """``(attribute, JSON name, bridge type)`` of every field, in schema order."""
    _secrets: ClassVar[frozenset[str]] = frozenset()
    """Fields whose values never appear in ``repr``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _MODELS[cls.__name__] = cls

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self._shown(name)!r}" for name, _, _ in self._fields)
        return f"{type(self).__name__}({shown})"

    def _shown(self, name: str) -> Any:
        value = getattr(self, name)
        # A secret field shows as a `Secret` even if a plain str was assigned to it.
        return Secret(value) if name in self._secrets and isinstance(value, str) else value

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name, _, _ in self._fields)

    __hash__ = None  # type: ignore[assignment]

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict keyed by the API's names (nested models as dicts; Decimal, datetime,
        enum members and :class:`Secret` values kept, as pydantic's ``model_dump`` keeps
        ``SecretStr``: dumped to JSON with ``default=str`` they show ``**********``)."""
        return {wire: _plain(getattr(self, name)) for name, wire, _ in self._fields}

    @classmethod
    def _from_wire(cls: type[M], data: Mapping[str, Any]) -> M:
        """An instance from the API's JSON for it (as ``json.loads`` gives it)."""
        return cast(M, _native.decode(f"model:{cls.__name__}", data))

    def _to_wire(self) -> dict[str, Any]:
        wire = {}
        for name, key, kind in self._fields:
            value = getattr(self, name)
            if value is not None:
                try:
                    wire[key] = to_wire(kind, value)
                except _Refused as refused:
                    raise refused.at(name) from None
        return wire


class FlowEvent(Model):
    """Base of the progress events flows (and ``status.wait``) report as they happen; the
    subclass says which (``PartyReadyEvent``, ``StatusChangedEvent``, …)."""

    __slots__ = ()
    event: ClassVar[str] = ""
    """The event's name, as in the bridge schema (``party_ready``, ``status_changed``, …)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.event:
            _EVENTS[cls.event] = cls

    def __str__(self) -> str:
        # Flow steps carry the core's own sentence for them ("party #2 Amara created").
        message = getattr(self, "message", None)
        return message if isinstance(message, str) else repr(self)


class UnknownEvent(FlowEvent):
    """An event this SDK version does not know (a newer core): its name and raw fields."""

    __slots__ = ("data", "name")
    _fields: ClassVar[FieldSpecs] = (("name", "event", "string"), ("data", "data", "json"))

    name: str
    """The event's name."""
    data: dict[str, Any]
    """Its fields, as JSON."""

    def __init__(self, *, name: str, data: dict[str, Any]) -> None:
        self.name = name
        self.data = data


def _plain(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# ---- from the bridge's JSON to Python -------------------------------------------------------
# One decoder, the native module's (src/typed.rs): call results and events arrive typed, built
# from the core's JSON by the bridge schema's types and the classes registered here.

_native._register_classes(_MODELS, _ENUMS, _EVENTS, Secret, UnknownEvent)


def from_wire(kind: str, value: Any) -> Any:
    """Converts one JSON value (as ``json.loads`` gives it) of bridge type ``kind`` to its Python
    value (``None`` stays)."""
    if value is None:
        return None
    return _native.decode(kind, value)


# ---- from Python to the bridge's JSON -------------------------------------------------------


class _Refused(Exception):
    """A value refused while converting it for the bridge. ``path`` collects the field's name on
    the way out (innermost last), so the ``ValidationError`` names it as the caller wrote it."""

    def __init__(self, problem: str, kind: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.kind = kind
        self.path: list[str] = []
        self.api_path: list[str] = []

    def at(self, name: str | int, api_name: str | int | None = None) -> _Refused:
        self.path.insert(0, str(name))
        self.api_path.insert(0, str(name if api_name is None else api_name))
        return self

    def error(self, location: str = "body") -> Exception:
        """The ``ValidationError`` the core would raise, shaped like its own: ``field`` as Python
        spells it, ``loc`` in the API's terms and where the API takes the argument."""
        from dollr.errors import ValidationError

        field = ".".join(self.path)
        message = f"invalid `{field}`: {self.problem}"
        return ValidationError(
            f"Validation: {message}",
            kind="Validation",
            message=message,
            details=[
                {
                    "loc": [location, *self.api_path],
                    "msg": message,
                    "type": self.kind,
                    "field": field,
                }
            ],
        )


def _what(value: Any) -> str:
    """A refused value in words, never echoing text (a misplaced string may be a secret)."""
    if isinstance(value, (bool, int, float, Decimal, _dt.timedelta)):
        return repr(value)
    return f"a {type(value).__name__}"


LARGEST_EXACT = 2**53 - 1
"""The largest whole number every binding's numbers hold exactly (JavaScript's
``Number.MAX_SAFE_INTEGER``): the bound of every integer, factor and duration the SDK takes, so
one input gets one verdict in every language."""


def _check_number(value: Any, whole: bool, expected: str = "a number") -> int | float:
    """The one check of an ``integer`` (``whole``) or ``number`` argument: an ``int`` or a finite
    ``float``, neither negative (no count, id, duration or factor of the API is) nor beyond
    :data:`LARGEST_EXACT`. The core still judges each field's own range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Refused(f"must be {expected}, got {_what(value)}", "type_error.number")
    if not math.isfinite(value):
        raise _Refused(f"must be a finite number, got {value!r}", "value_error.number.not_finite")
    if value < 0:
        raise _Refused(f"must not be negative, got {value!r}", "value_error.number.not_ge")
    if value > LARGEST_EXACT:
        raise _Refused(
            f"is too large: at most {LARGEST_EXACT}, got {value!r}", "value_error.number.not_le"
        )
    if whole and isinstance(value, float):
        if not value.is_integer():
            raise _Refused(f"must be a whole number, got {value!r}", "type_error.integer")
        return int(value)
    return value


def _integer_to_wire(value: Any) -> Any:
    return _check_number(value, whole=True)


def _number_to_wire(value: Any) -> Any:
    return _check_number(value, whole=False)


def _milliseconds(seconds: TimeoutLike) -> int:
    """The one conversion of every duration the API takes (client timeout, poll intervals, wait
    timeouts): seconds as ``int``, ``float`` or ``timedelta`` to whole milliseconds, checked like
    every number (:func:`_check_number`) and at most :data:`LARGEST_EXACT` milliseconds."""
    milliseconds: int | float
    if isinstance(seconds, _dt.timedelta):
        # Exact: a timedelta is whole microseconds.
        microseconds = (seconds.days * 86_400 + seconds.seconds) * 1_000_000 + seconds.microseconds
        if microseconds < 0:
            raise _Refused(f"must not be negative, got {seconds!r}", "value_error.number.not_ge")
        milliseconds = (microseconds + 500) // 1000
    else:
        expected = "a number of seconds (int, float or timedelta)"
        milliseconds = _check_number(seconds, whole=False, expected=expected) * 1000
    if milliseconds > LARGEST_EXACT:
        raise _Refused(
            f"is too long: at most {LARGEST_EXACT // 1000} seconds, got {_what(seconds)}",
            "value_error.number.not_le",
        )
    return round(milliseconds)


def _decimal_to_wire(value: Any) -> Any:
    """An amount: its exact decimal text, for the core to judge against the currency. Text passes
    as written; what is no amount at all (NaN, ±inf, ``bool``, other objects) is refused here."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        value = Decimal(value)  # the exact binary value: 0.1 is refused by the core, 250.0 is not
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _Refused(
                f"must be a finite amount, got {value}", "value_error.decimal.not_finite"
            )
        return format(value, "f")  # positional notation, every digit kept
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Refused(
        f"must be a Decimal, an int or decimal text, got {_what(value)}", "type_error.decimal"
    )


def _timestamp_to_wire(value: Any) -> Any:
    if isinstance(value, _dt.datetime):
        return value.isoformat()  # a naive datetime has no offset: the core's rule applies
    return value


def _enum_to_wire(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _model_to_wire(name: str) -> _Converter:
    def convert(value: Any) -> Any:
        if isinstance(value, Model):
            return value._to_wire()
        if isinstance(value, Mapping):
            types = {key: kind for _, key, kind in _MODELS[name]._fields}
            wire = {}
            for key, item in value.items():
                if item is None:
                    continue
                try:
                    wire[key] = to_wire(types[key], item) if key in types else item
                except _Refused as refused:
                    raise refused.at(key) from None
            return wire
        return value

    return convert


def _list_to_wire(item: _Converter) -> _Converter:
    def convert(value: Any) -> Any:
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            return value  # not a list: the core says so
        wire = []
        for index, v in enumerate(value):
            try:
                wire.append(item(v))
            except _Refused as refused:
                raise refused.at(index) from None
        return wire

    return convert


_TO_WIRE: dict[str, _Converter] = {}


def _to_wire_converter(kind: str) -> _Converter:
    converter = _TO_WIRE.get(kind)
    if converter is None:
        if kind == "decimal":
            converter = _decimal_to_wire
        elif kind == "seconds":
            converter = _milliseconds
        elif kind == "timestamp":
            converter = _timestamp_to_wire
        elif kind.startswith("enum:"):
            converter = _enum_to_wire
        elif kind.startswith("model:"):
            converter = _model_to_wire(kind[6:])
        elif kind.startswith("list:"):
            converter = _list_to_wire(_to_wire_converter(kind[5:]))
        elif kind == "integer":
            converter = _integer_to_wire
        elif kind == "number":
            converter = _number_to_wire
        elif kind == "json":
            converter = _json_to_wire
        elif kind == "secret":
            converter = _secret_value
        else:
            converter = _enum_to_wire  # str subclasses (enum members) as their value
        _TO_WIRE[kind] = converter
    return converter


def _json_to_wire(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _json_to_wire(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_to_wire(item) for item in value]
    if isinstance(value, (Decimal, float)) and not isinstance(value, bool):
        return _decimal_to_wire(value)
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, Secret):
        return value.get_secret_value()
    return _enum_to_wire(value)


def to_wire(kind: str, value: Any) -> Any:
    """Converts one Python value to the JSON the bridge takes for type ``kind``."""
    if value is None:
        return None
    return _to_wire_converter(kind)(value)


def _python_name(name: str, kind: str) -> str:
    """A parameter as the generated method spells it (``codegen.py``'s ``py_name``): durations
    without their ``_ms`` suffix, keywords with a trailing ``_``."""
    if kind == "seconds":
        name = name[:-3]
    return f"{name}_" if keyword.iskeyword(name) else name


def _args(*params: tuple[str, str, Any] | tuple[str, str, Any, str]) -> dict[str, Any]:
    """The bridge's argument object: ``(JSON name, bridge type, value[, "path" | "query"])``,
    ``None`` left out (the core applies its defaults). A value that cannot be sent is a
    ``ValidationError`` naming the parameter, raised before anything is sent and located where
    the API takes it (the body unless the generator says ``path`` or ``query``)."""
    args = {}
    for name, kind, value, *location in params:
        if value is None:
            continue
        try:
            args[name] = to_wire(kind, value)
        except _Refused as refused:
            at = refused.at(_python_name(name, kind), name)
            raise at.error(*location) from None
    return args


def _events(
    on_event: Callable[[FlowEvent], object] | None,
) -> Callable[[FlowEvent], None] | None:
    """A user callback for the native call's events (``FlowEvent`` objects), reporting its
    failures instead of raising them."""
    if on_event is None:
        return None
    handler = on_event

    def deliver(event: FlowEvent) -> None:
        # A flow cannot stop half-way because a progress callback broke: report, carry on.
        try:
            handler(event)
        except Exception:
            import logging

            logging.getLogger("dollr").exception(
                "the on_event callback raised; the call carries on without it"
            )

    return deliver


def _loads(text: str) -> Any:
    """JSON text as Python values the way the native module builds results (``dollr_testing``
    reads the sandbox's control API with it): money as ``Decimal``, never ``float``."""
    return json.loads(text, parse_float=Decimal)


# ---- the clients ----------------------------------------------------------------------------


class _NativeOwner:
    __slots__ = ("_native",)
    # Whether calls block the calling thread (which then drives the native client's own runtime)
    # or are awaited from asyncio.
    _BLOCKING: ClassVar[bool]

    def __init__(self, options: dict[str, Any]) -> None:
        # `options`: the core's `ClientOptions`, packed by the generated constructor. The core
        # turns them into a client (and refuses bad ones, naming the option).
        self._native = _native.NativeClient(options, blocking=self._BLOCKING)

    @property
    def base_url(self) -> str:
        """The API base URL in use."""
        return self._native.base_url

    @property
    def client_id(self) -> str | None:
        """The client id in use (the secret is never exposed)."""
        return self._native.client_id

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._native.closed

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, client_id={self.client_id!r})"


class ClientBase(_NativeOwner):
    """The blocking client's plumbing: construction, ``close``, ``with``, and the generic call."""

    __slots__ = ()
    _BLOCKING = True

    def close(self) -> None:
        """Releases the client's connections and journal; later calls raise ``ValidationError``."""
        self._native.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(
        self,
        operation: str,
        args: dict[str, Any],
        on_event: Callable[[Any], None] | None = None,
    ) -> Any:
        # The arguments go as Python values, the result and events arrive as Python values (dicts,
        # lists, str, int, Decimal, …): no JSON text either way (src/values.rs).
        return self._native.call(operation, args, on_event)


_C = TypeVar("_C", bound=ClientBase)
_A = TypeVar("_A", bound="AsyncClientBase")


class AsyncClientBase(_NativeOwner):
    """The asyncio client's plumbing: construction, ``close``, ``async with``, the generic call."""

    __slots__ = ()
    _BLOCKING = False

    async def close(self) -> None:
        """Releases the client's connections and journal; later calls raise ``ValidationError``."""
        self._native.close()

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _call(
        self,
        operation: str,
        args: dict[str, Any],
        on_event: Callable[[Any], None] | None = None,
    ) -> Any:
        import asyncio  # cached after the first call; keeps `import dollr` fast

        loop = asyncio.get_running_loop()
        callback = None
        if on_event is not None:
            handler = on_event

            # Events come through this loop's inbox, delivered on the loop's thread (or, on a loop
            # without one, from a runtime thread): the handler runs as a callback of this loop, in
            # order. Only from another thread does scheduling it need to wake the loop.
            def callback(event: Any) -> None:
                if asyncio._get_running_loop() is loop:
                    loop.call_soon(handler, event)
                else:
                    loop.call_soon_threadsafe(handler, event)

        # The native call answers at once, or returns `future` and settles it from this loop when
        # it ends (a result may be None: only the future itself means "not yet").
        future: asyncio.Future[Any] = loop.create_future()
        result = self._native.call_async(operation, args, future, callback)
        if result is future:
            result = await future
        return result


_LOOP_INBOXES: weakref.WeakKeyDictionary[Any, weakref.ref[_native.LoopInbox] | None] = (
    weakref.WeakKeyDictionary()
)


def _loop_inbox(loop: Any) -> _native.LoopInbox | None:
    """The inbox through which finished calls reach ``loop`` (created and watched with
    ``loop.add_reader`` on the loop's first call), or ``None`` for a loop that cannot watch a
    socket (Windows' proactor loop): its calls are handed back with ``call_soon_threadsafe``.

    Only the loop holds its inbox (the inbox holds the futures of calls in flight, which hold the
    loop): here a weak reference, so that a loop closed with calls in flight is freed."""
    try:
        known = _LOOP_INBOXES[loop]
    except KeyError:
        pass
    except TypeError:  # a loop that cannot be weakly referenced: no cache, no inbox
        return None
    else:
        inbox = known() if known is not None else None
        if known is None or inbox is not None:
            return inbox
    try:
        inbox = _native.LoopInbox()
        loop.add_reader(inbox.fileno(), inbox.drain)
    except NotImplementedError:
        _LOOP_INBOXES[loop] = None
        return None
    _LOOP_INBOXES[loop] = weakref.ref(inbox)
    return inbox


def _settle_future(future: Any, result: Any, error: BaseException | None) -> None:
    """Completes an asyncio call's future on its loop (from the loop's inbox, or scheduled there
    by the runtime worker that finished the call); a cancelled caller no longer wants the
    outcome."""
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
