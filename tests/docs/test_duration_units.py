"""No doc states a duration in two units.

Each language takes durations its own way and says so once: Python in seconds (a number or a
``timedelta``), Node as ``*Ms`` numbers of milliseconds, Kotlin/Swift as ``Duration``. The
generators restate the core's docs in that unit; this test reads what they produced (every
docstring of the Python package, every comment of ``index.d.ts``) and the READMEs, and lists every
place where

* one sentence speaks of a duration in milliseconds and in seconds (``in milliseconds (default
  30 s)``), or
* a Python seconds parameter is documented in milliseconds, or a Node ``*Ms`` field in seconds, or
* a Python README passes ``<name>_ms=`` where the Python API takes ``<name>`` in seconds.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_PACKAGE = ROOT / "bindings-python" / "python" / "dollr"
# The modules whose docs users read (``_support`` documents the conversion between the units).
PYTHON_MODULES = ["resources.py", "models.py", "enums.py", "errors.py", "testing.py", "_native.pyi"]
NODE_TYPINGS = ROOT / "index.d.ts"
READMES = ["README.md", "bindings-python/README.md", "bindings-node/README.md"]

MILLISECONDS = re.compile(r"\b\d[\d_,.]*\s?ms\b|\bmilliseconds?\b|\bin ms\b", re.IGNORECASE)
SECONDS = re.compile(r"\b\d[\d_,.]*\s?s\b|\bseconds?\b", re.IGNORECASE)
# A sentence ends at `.`, `;` or `!` followed by a space (not inside `0.25` or `a.b`).
SENTENCE_END = re.compile(r"(?<=[.;!])\s+")


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(" ".join(text.split())) if s]


def mixed_units(text: str) -> list[str]:
    """The sentences of ``text`` that speak of milliseconds and of seconds."""
    return [s for s in sentences(text) if MILLISECONDS.search(s) and SECONDS.search(s)]


# ---- Python -------------------------------------------------------------------------------------


def args_entries(docstring: str) -> dict[str, str]:
    """The ``Args:`` entries of a Google-style docstring: name → its (joined) description."""
    _, found, rest = docstring.partition("\nArgs:\n")
    if not found:
        return {}
    entries: dict[str, str] = {}
    current = None
    for line in rest.splitlines():
        entry = re.match(r"^\s{4}(\w+): (.*)$", line)
        if entry and not line.startswith(" " * 8):
            current = entry[1]
            entries[current] = entry[2]
        elif current and line.strip():
            entries[current] += " " + line.strip()
    return entries


def python_docstrings() -> list[tuple[str, ast.AST, str]]:
    """(where, node, docstring) of every module, class, function and attribute docstring."""
    found: list[tuple[str, ast.AST, str]] = []
    for module in PYTHON_MODULES:
        path = PYTHON_PACKAGE / module
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    found.append((f"{module}:{getattr(node, 'lineno', 1)}", node, doc))
            if isinstance(body, list):
                # Attribute docstrings: a string right after an annotated name.
                for before, after in zip(body, body[1:]):
                    if (
                        isinstance(before, ast.AnnAssign)
                        and isinstance(before.target, ast.Name)
                        and isinstance(after, ast.Expr)
                        and isinstance(after.value, ast.Constant)
                        and isinstance(after.value.value, str)
                    ):
                        found.append((f"{module}:{after.lineno}", before, after.value.value))
    return found


def seconds_parameters() -> set[str]:
    """Every parameter of the Python API that takes seconds (typed ``TimeoutLike``)."""
    names = set()
    for module in PYTHON_MODULES:
        tree = ast.parse((PYTHON_PACKAGE / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in node.args.args + node.args.kwonlyargs:
                    if arg.annotation is not None and "TimeoutLike" in ast.unparse(arg.annotation):
                        names.add(arg.arg)
    return names


def python_problems() -> list[str]:
    problems = []
    for where, node, doc in python_docstrings():
        problems += [f"{where}: two units in one sentence: {s!r}" for s in mixed_units(doc)]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            params = {a.arg: a for a in node.args.args + node.args.kwonlyargs}
            for name, entry in args_entries(doc).items():
                arg = params.get(name)
                annotation = None if arg is None else arg.annotation
                if annotation is not None and "TimeoutLike" in ast.unparse(annotation):
                    if MILLISECONDS.search(entry):
                        problems.append(
                            f"{where}: `{name}` takes seconds but is documented in "
                            f"milliseconds: {entry!r}"
                        )
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if node.target.id.endswith("_ms") and SECONDS.search(doc):
                problems.append(f"{where}: `{node.target.id}` is milliseconds: {doc!r}")
    return problems


# ---- Node ---------------------------------------------------------------------------------------

COMMENT_THEN_NAME = re.compile(r"/\*\*((?:(?!\*/).)*)\*/\s*(?:readonly\s+)?(\w+)\??[:(]", re.DOTALL)


def node_problems() -> list[str]:
    text = NODE_TYPINGS.read_text()
    problems = []
    for found in re.finditer(r"/\*\*((?:(?!\*/).)*)\*/", text, re.DOTALL):
        line = text.count("\n", 0, found.start()) + 1
        comment = re.sub(r"^\s*\*", "", found[1], flags=re.MULTILINE)
        for sentence in mixed_units(comment):
            problems.append(f"index.d.ts:{line}: two units in one sentence: {sentence!r}")
        for param in re.finditer(r"@param (\w+Ms) (.*?)(?=@param|$)", comment, re.DOTALL):
            if SECONDS.search(param[2]):
                problems.append(f"index.d.ts:{line}: `{param[1]}` is milliseconds: {param[2]!r}")
    for found in COMMENT_THEN_NAME.finditer(text):
        name = found[2]
        comment = re.sub(r"^\s*\*", "", found[1], flags=re.MULTILINE)
        if name.endswith("Ms") and "@param" not in comment and SECONDS.search(comment):
            line = text.count("\n", 0, found.start()) + 1
            shown = " ".join(comment.split())
            problems.append(f"index.d.ts:{line}: `{name}` is milliseconds: {shown!r}")
    return problems


# ---- READMEs ------------------------------------------------------------------------------------


def readme_problems() -> list[str]:
    problems = []
    seconds = seconds_parameters()
    for readme in READMES:
        text = (ROOT / readme).read_text()
        # Prose, paragraph by paragraph (code blocks are checked by running them).
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        for paragraph in re.split(r"\n\s*\n", prose):
            for sentence in mixed_units(paragraph):
                problems.append(f"{readme}: two units in one sentence: {sentence!r}")
        for block in re.finditer(r"```python\n(.*?)```", text, re.DOTALL):
            for keyword in re.finditer(r"\b(\w+)_ms=", block[1]):
                if keyword[1] in seconds:
                    problems.append(
                        f"{readme}: `{keyword[1]}_ms=`: the Python API takes `{keyword[1]}=` "
                        "in seconds"
                    )
        if readme == "bindings-python/README.md":
            for keyword in re.finditer(r"`(\w+)_ms=", prose):
                if keyword[1] in seconds:
                    problems.append(
                        f"{readme}: `{keyword[1]}_ms=`: the Python API takes `{keyword[1]}=` "
                        "in seconds"
                    )
    return problems


def test_the_checks_see_what_they_check() -> None:
    # A checker that reads nothing would pass anything.
    assert "timeout" in seconds_parameters()
    assert len(python_docstrings()) > 500
    assert mixed_units("The timeout in milliseconds (default 30 s).")
    assert not mixed_units("The timeout (default 30 s). In seconds.")
    assert re.search(r"\w+Ms\??:", NODE_TYPINGS.read_text())


def test_no_python_docstring_states_a_duration_in_two_units() -> None:
    problems = python_problems()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_no_node_typing_states_a_duration_in_two_units() -> None:
    problems = node_problems()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_no_readme_states_a_duration_in_two_units() -> None:
    problems = readme_problems()
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
