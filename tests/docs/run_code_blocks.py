#!/usr/bin/env python3
"""Docs are code: runs (or compiles, or checks) every fenced code block of the READMEs and of
CONTRIBUTING.md.

    python tests/docs/run_code_blocks.py            # every document in DOCUMENTS
    python tests/docs/run_code_blocks.py --list     # what would run, and how

A README block that no test runs drifts from the code (it happened once in every language), so
every block is handled by its language:

* ``python`` blocks run as scripts (in a fresh temporary directory) with the root virtualenv's
  Python, where ``dollr`` is installed, against a ``dollr sandbox`` this script starts
  (``DOLLR_BASE_URL``, ``DOLLR_CLIENT_ID``, ``DOLLR_CLIENT_SECRET``, ``DOLLR_PASSCODE`` name it,
  ``DOLLR_SUPABASE_URL`` / ``DOLLR_SUPABASE_ANON_KEY`` its Supabase Realtime server).
* ``js`` blocks run as ES modules under Node, importing ``dollr-native`` from this checkout; a
  block with ``mirror=PATH`` (a Cloudflare Worker) must stand verbatim in that file instead, which
  ``make test-wasm`` runs inside workerd.
* ``bash`` blocks run under ``bash -euo pipefail`` from the repository root with ``dollr`` on
  PATH. The sandbox's documented port 8787 is replaced by a free port, and after a line that
  starts a server in the background (``… &``) the block waits until that port answers.
* ``rust``, ``kotlin`` and ``swift`` blocks must appear verbatim in a source file that the build
  compiles (named by ``mirror=PATH``): a Rust example or test, a Kotlin JUnit test, a Swift XCTest
  (compiled by ``swift test`` on macOS only: no Swift compiler on Linux).
* ``json`` blocks must parse; ``put=PATH`` also sends one to the sandbox, which must accept it.
* Blocks without a language (directory trees, diagrams, usage lines) are prose, not code.

An HTML comment on the line before a fence sets how a block is handled:
``<!-- doctest: mirror=core/examples/readme_quickstart.rs -->``,
``<!-- doctest: put=/_sandbox/faults -->``, ``<!-- doctest: run -->`` (shell blocks) or
``<!-- doctest: skip="why" -->``. Skipped blocks are listed in the summary with their reason.
A failure prints the block's file and line, the command and its output, and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    "README.md",
    "bindings-python/README.md",
    "bindings-node/README.md",
    "bindings-wasm/README.md",
    "bindings-swift/README.md",
    "sandbox/README.md",
    "CONTRIBUTING.md",
]
SANDBOX_PORT_IN_DOCS = "8787"
BLOCK_DEADLINE_S = 180
FENCE = re.compile(r"^(\s*)```\s*([A-Za-z0-9_+-]*)(.*)$")
DIRECTIVE = re.compile(r"^\s*<!--\s*doctest:(.*?)-->\s*$")
PROSE = {"", "text", "console", "output"}
RUN_BY_DEFAULT = {"python", "js", "javascript", "json"}
MIRRORED = {"rust", "kotlin", "swift"}
SHELL = {"bash", "sh", "shell"}


@dataclass
class Block:
    """One fenced block: where it is, its language, its directive options and its text."""

    document: str
    line: int
    language: str
    options: dict[str, str]
    text: str

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


@dataclass
class Outcome:
    """What running the blocks gave."""

    passed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    prose: int = 0


class BlockFailed(Exception):
    """A block did not do what the README says."""


def parse_directive(text: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for word in shlex.split(text):
        key, _, value = word.partition("=")
        options[key] = value
    return options


def blocks_of(document: str) -> list[Block]:
    """Every fenced block of a Markdown file, with the directive that precedes it (if any)."""
    lines = (ROOT / document).read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, language = opening.group(1), opening.group(2).lower()
        options: dict[str, str] = {}
        previous = index - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        if previous >= 0 and (directive := DIRECTIVE.match(lines[previous])):
            options = parse_directive(directive.group(1))
        body: list[str] = []
        index += 1
        while index < len(lines) and lines[index].strip() != "```":
            line = lines[index]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        if index >= len(lines):
            raise SystemExit(f"{document}:{index}: unclosed code fence")
        found.append(Block(document, index - len(body), language, options, "\n".join(body) + "\n"))
        index += 1
    return found


def stop_process_group(leader: int) -> None:
    """Ends what a block left running in the background: SIGTERM, then SIGKILL after a grace."""
    try:
        os.killpg(leader, signal.SIGTERM)
    except ProcessLookupError:
        return
    until = time.monotonic() + 10
    while time.monotonic() < until:
        try:
            os.killpg(leader, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.killpg(leader, signal.SIGKILL)
    except ProcessLookupError:
        pass


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def wait_for_port(port: int, deadline_s: float = 60.0) -> None:
    until = time.monotonic() + deadline_s
    while time.monotonic() < until:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
    raise BlockFailed(f"nothing answered on 127.0.0.1:{port} within {deadline_s:.0f} s")


class SandboxProcess:
    """`dollr sandbox` on a free port, for the blocks that talk to the API."""

    def __init__(self, dollr: Path) -> None:
        self.process = subprocess.Popen(
            [str(dollr), "sandbox", "--port", "0", "--settle-ms", "20"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().strip()
        if not first.startswith("listening on "):
            self.stop()
            raise SystemExit(f"dollr sandbox did not start (first line: {first!r})")
        self.url = first.removeprefix("listening on ")
        # Its Supabase Realtime server, as a user would configure it from the banner: the blocks'
        # clients listen for live status the way the README's "Live payment status" says.
        with urllib.request.urlopen(f"{self.url}/_sandbox/realtime", timeout=10) as answer:
            self.realtime: dict[str, str] = json.load(answer)

    def env(self) -> dict[str, str]:
        return {
            "DOLLR_BASE_URL": self.url,
            "DOLLR_CLIENT_ID": "dollr_test_client",
            "DOLLR_CLIENT_SECRET": "dollr_test_secret",
            "DOLLR_PASSCODE": "123456",
            "DOLLR_SUPABASE_URL": self.realtime["supabase_url"],
            "DOLLR_SUPABASE_ANON_KEY": self.realtime["supabase_anon_key"],
        }

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Runner:
    """Runs each kind of block; the sandbox, tools and environment are shared by all of them."""

    def __init__(self, python: Path, dollr: Path) -> None:
        self.python = python
        self.dollr = dollr
        self.sandbox = SandboxProcess(dollr)
        self.scratch = Path(tempfile.mkdtemp(prefix="dollr-doctest-"))
        # `import … from 'dollr-native'` resolves to this checkout, as after `npm install`.
        modules = self.scratch / "node_modules"
        modules.mkdir()
        (modules / "dollr-native").symlink_to(ROOT, target_is_directory=True)
        # The blocks' own temporary files (a README's `mktemp -d`) go here, removed with the rest:
        # a user's block has no reason to clean up after itself, a test run has.
        self.temporary = self.scratch / "tmp"
        self.temporary.mkdir()

    def close(self) -> None:
        self.sandbox.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.sandbox.env())
        env["PATH"] = os.pathsep.join(
            [str(self.dollr.parent), str(self.python.parent), env.get("PATH", "")]
        )
        env.pop("DOLLR_JOURNAL", None)
        env["TMPDIR"] = str(self.temporary)
        return env

    def execute(
        self, block: Block, command: list[str], cwd: Path, env: dict[str, str], shown: str = ""
    ) -> None:
        # Its own process group, so that servers a block starts in the background end with it;
        # output to a file, not a pipe, which such a server would hold open after the block ends.
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as log:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                process.wait(timeout=BLOCK_DEADLINE_S)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                log.seek(0)
                raise BlockFailed(
                    f"still running after {BLOCK_DEADLINE_S} s\n{log.read()}"
                ) from None
            finally:
                stop_process_group(process.pid)
            log.seek(0)
            output = log.read()
        if process.returncode != 0:
            what = shown or " ".join(command)
            raise BlockFailed(f"`{what}` exited {process.returncode}\n{output}")

    def workdir(self, block: Block) -> Path:
        name = re.sub(r"[^A-Za-z0-9]+", "-", block.where)
        directory = self.scratch / name
        directory.mkdir()
        return directory

    def run_python(self, block: Block) -> None:
        directory = self.workdir(block)
        (directory / "snippet.py").write_text(block.text, encoding="utf-8")
        self.execute(block, [str(self.python), "snippet.py"], directory, self.environment())

    def run_js(self, block: Block) -> None:
        # Beside the scratch node_modules, so the package resolves as it would for a user.
        script = self.scratch / (re.sub(r"[^A-Za-z0-9]+", "-", block.where) + ".mjs")
        script.write_text(block.text, encoding="utf-8")
        self.execute(block, ["node", str(script)], self.scratch, self.environment())

    def run_shell(self, block: Block) -> None:
        port = str(free_port())
        lines = []
        for line in block.text.replace(SANDBOX_PORT_IN_DOCS, port).splitlines():
            code = line.split("#", 1)[0].rstrip()
            lines.append(line)
            if code.endswith("&") and not code.endswith("&&"):
                lines.append(f"__doctest_wait_for_port {port}")
        prelude = textwrap.dedent(
            """\
            __doctest_wait_for_port() {
              for _ in $(seq 1 1200); do
                (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
                sleep 0.05
              done
              echo "nothing answered on port $1" >&2; return 1
            }
            """
        )
        script = prelude + "\n".join(lines) + "\n"
        env = self.environment()
        env["SANDBOX_PORT"] = port
        command = ["bash", "-euo", "pipefail", "-c", script]
        self.execute(block, command, ROOT, env, shown="bash -euo pipefail (the block)")

    def check_mirror(self, block: Block) -> None:
        target = block.options.get("mirror")
        if not target:
            raise BlockFailed(
                f"a {block.language} block needs `<!-- doctest: mirror=PATH -->`: "
                "the compiled source file it is copied into"
            )
        try:
            source = (ROOT / target).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise BlockFailed(f"cannot read {target}: {error}") from None
        if not contains_verbatim(source, block.text.splitlines()):
            raise BlockFailed(
                f"the block is not in {target} as it is written here (indentation aside): "
                "copy it there again, so that the build compiles what the README shows"
            )

    def check_json(self, block: Block) -> None:
        try:
            value = json.loads(block.text)
        except json.JSONDecodeError as error:
            raise BlockFailed(f"not JSON: {error}") from None
        path = block.options.get("put")
        if path:
            request = urllib.request.Request(
                self.sandbox.url + path,
                data=json.dumps(value).encode(),
                method="PUT",
                headers={"content-type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    if answer.status != 200:
                        raise BlockFailed(f"PUT {path} answered {answer.status}")
            except urllib.error.HTTPError as error:
                raise BlockFailed(f"PUT {path} answered {error.code}: {error.read()!r}") from None

    def run(self, block: Block) -> None:
        language = block.language
        if language == "python":
            self.run_python(block)
        elif language in ("js", "javascript"):
            if block.options.get("mirror"):
                # A Worker (edge runtimes): the mirrored file is what `make test-wasm` runs
                # inside workerd; Node cannot run it as it is.
                self.check_mirror(block)
            else:
                self.run_js(block)
        elif language in SHELL:
            self.run_shell(block)
        elif language in MIRRORED:
            self.check_mirror(block)
        elif language == "json":
            self.check_json(block)
        else:
            raise BlockFailed(f"no way to run a `{language}` block: teach {Path(__file__).name}")


def contains_verbatim(source: list[str], block: list[str]) -> bool:
    """Whether `block` stands in `source` line for line, shifted right by one indentation."""
    wanted = [line.rstrip() for line in block]
    while wanted and not wanted[-1]:
        wanted.pop()
    if not wanted:
        return True
    first = wanted[0]
    for start, line in enumerate(source):
        if line.strip() != first.strip():
            continue
        depth = len(line) - len(line.lstrip()) - (len(first) - len(first.lstrip()))
        if depth < 0:
            continue
        shift = " " * depth
        if all(
            start + offset < len(source)
            and (
                source[start + offset].rstrip() == (shift + expected if expected else "")
                or (not expected and not source[start + offset].strip())
            )
            for offset, expected in enumerate(wanted)
        ):
            return True
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the blocks, and how each runs")
    parser.add_argument("--python", default=str(ROOT / ".venv/bin/python"))
    parser.add_argument("--dollr", default=str(ROOT / "target/debug/dollr"))
    parser.add_argument("documents", nargs="*", default=DOCUMENTS)
    args = parser.parse_args()

    blocks = [block for document in args.documents for block in blocks_of(document)]
    if args.list:
        for block in blocks:
            print(f"{block.where:40} {block.language or '(prose)':8} {block.options or ''}")
        return 0

    outcome = Outcome()
    runner = Runner(Path(args.python), Path(args.dollr))
    try:
        for block in blocks:
            if block.language in PROSE:
                outcome.prose += 1
                continue
            if "skip" in block.options:
                outcome.skipped.append(f"{block.where} ({block.language}): {block.options['skip']}")
                continue
            if block.language in SHELL and "run" not in block.options:
                outcome.failed.append(
                    f"{block.where} ({block.language}): a shell block says how it is tested: "
                    '`<!-- doctest: run -->` or `<!-- doctest: skip="why" -->`'
                )
                continue
            try:
                runner.run(block)
            except BlockFailed as failure:
                outcome.failed.append(f"{block.where} ({block.language}): {failure}")
            else:
                outcome.passed.append(block.where)
    finally:
        runner.close()

    for line in outcome.skipped:
        print(f"not run: {line}")
    for line in outcome.failed:
        print(f"FAILED {line}\n")
    print(
        f"readme code blocks: {len(outcome.passed)} passed, {len(outcome.failed)} failed, "
        f"{len(outcome.skipped)} skipped ({outcome.prose} prose blocks)"
    )
    return 1 if outcome.failed else 0


if __name__ == "__main__":
    sys.exit(main())
