"""The Python surface is the schema's: every operation and flow of the core is a method of both
clients with the schema's parameters, every public name is documented, and the generated files
match what the generator produces from the schema the native module was built with."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import dollr
from dollr import _native, models

ROOT = Path(__file__).resolve().parents[2]


def method_for(client: Any, operation: dict[str, Any]) -> Any:
    owner = getattr(client, operation["resource"]) if operation["resource"] else client
    name = operation["method"] or operation["name"]
    return getattr(owner, name)


def test_the_native_module_was_built_from_the_committed_schema(schema: dict[str, Any]) -> None:
    assert json.loads(_native.schema()) == schema
    assert dollr.__version__ == schema["sdk_version"]


def test_the_generated_files_are_up_to_date() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bindings-python" / "codegen.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def python_name(param: dict[str, Any]) -> str:
    """The schema's name as Python spells it: ``from`` is a keyword, and integer ``*_ms``
    durations are seconds under the name without the suffix (``timeout_ms`` -> ``timeout``)."""
    name = str(param["name"])
    if param["type"] == "integer" and name.endswith("_ms"):
        name = name[:-3]
    return "from_" if name == "from" else name


def test_every_operation_is_a_method_of_both_clients_with_the_schema_params(
    schema: dict[str, Any],
) -> None:
    names = [op["name"] for op in schema["operations"]]
    assert len(names) == len(set(names)) >= 70
    # Constructing a client does not connect: the loopback URL is never dialled here.
    options = {"client_id": "id", "client_secret": "secret", "base_url": "http://127.0.0.1:9"}
    for client in (dollr.Client(**options), dollr.AsyncClient(**options)):
        is_async = isinstance(client, dollr.AsyncClient)
        for operation in schema["operations"]:
            method = method_for(client, operation)
            assert callable(method), operation["name"]
            assert inspect.iscoroutinefunction(method) == is_async, operation["name"]
            parameters = inspect.signature(method).parameters
            expected = {python_name(p) for p in operation["params"]}
            if operation["events"]:
                expected.add("on_event")
            assert set(parameters) == expected, operation["name"]
            for param in operation["params"]:
                default = parameters[python_name(param)].default
                assert (default is inspect.Parameter.empty) == param["required"], (
                    operation["name"],
                    param["name"],
                )
            assert method.__doc__ and method.__doc__.strip(), operation["name"]
        # Nothing beyond the schema either: every public method maps to an operation.
        public = {
            f"{resource}.{name}" if resource else name
            for resource, owner in [("", client)]
            + [(r, getattr(client, r)) for r in type(client).__slots__]
            for name, _ in inspect.getmembers(type(owner), inspect.isfunction)
            if not name.startswith("_")
        }
        lifecycle = {"close"}
        # Written by hand (dollr/_watch.py): an iterator over `status.wait`'s transitions.
        iterators = {"status.watch"}
        assert public - lifecycle - iterators == set(names)


def test_every_model_event_and_enum_of_the_schema_is_a_documented_class(
    schema: dict[str, Any],
) -> None:
    for enum in schema["enums"]:
        cls = getattr(dollr, enum["name"])
        assert [member.value for member in cls] == enum["values"]
        assert cls.__doc__
    for event in schema["events"]:
        cls = models.EVENTS[event["name"]]
        assert cls.event == event["name"]
        assert [wire for _, wire, _ in cls._fields] == [f["name"] for f in event["fields"]]
    by_name = {m["name"]: m for m in schema["models"]}
    for name in models.__all__:
        cls = getattr(models, name)
        assert cls.__doc__ and cls.__doc__.strip(), name
        if name in by_name:
            fields = by_name[name]["fields"]
            assert [(wire, kind) for _, wire, kind in cls._fields] == [
                (f["name"], f["type"]) for f in fields
            ]


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in dollr.__all__:
        value = getattr(dollr, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            if not (value.__doc__ or "").strip():
                missing.append(name)
            for attr, member in vars(value).items():
                if attr.startswith("_") or not inspect.isfunction(member):
                    continue
                if not (member.__doc__ or "").strip():
                    missing.append(f"{name}.{attr}")
    assert not missing


def test_test_numbers_are_the_cores(schema: dict[str, Any]) -> None:
    from dollr.testing import TestNumbers

    assert _native.TEST_NUMBERS == schema["test_numbers"]
    assert {k: getattr(TestNumbers, k) for k in schema["test_numbers"]} == schema["test_numbers"]


def test_error_kinds_are_the_schemas(schema: dict[str, Any]) -> None:
    assert [kind for kind, _ in _native._error_classes()] == [e["kind"] for e in schema["errors"]]


def test_the_client_constructor_covers_the_client_options(schema: dict[str, Any]) -> None:
    options = {o["name"] for o in schema["client_options"]}
    # The same options as every language: durations in seconds, named without `_ms`.
    python_names = {
        f"{name}_ms" if "TimeoutLike" in str(param.annotation) else name
        for name, param in inspect.signature(dollr.Client).parameters.items()
    }
    assert python_names == options
    assert inspect.signature(dollr.Client) == inspect.signature(dollr.AsyncClient)
