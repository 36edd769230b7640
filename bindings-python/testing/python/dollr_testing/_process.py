"""The sandbox as a child process: the ``dollr`` binary found, started with
``dollr sandbox --exit-when-stdin-closes``, and stopped.

The child's stdin is a pipe this process holds open: when this process ends, however it ends
(SIGKILL included), the pipe closes and the sandbox stops, so no sandbox outlives its test run.
"""

from __future__ import annotations

import functools
import os
import re
import selectors
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

BINARY_VARIABLE = "DOLLR_SANDBOX_BINARY"
INSTALL_HINT = 'pip install "dollr[testing]"'
# The first line can take a while on a busy machine (a cold binary, both cores taken).
START_TIMEOUT = 30.0
# A sandbox lets in-flight requests finish when its stdin closes; SIGTERM, then SIGKILL, after.
STOP_TIMEOUT = 10.0
_EXECUTABLES = ("dollr", "dollr.exe")
_FIRST_LINE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")


class SandboxNotFoundError(FileNotFoundError):
    """No ``dollr`` binary to run the sandbox with."""


def find_binary() -> str:
    """The ``dollr`` binary, in the order every dollr SDK's test helper looks: the path in
    ``DOLLR_SANDBOX_BINARY``, the one installed with this package (``dollr-testing``), ``dollr``
    on ``PATH``."""
    explicit = os.environ.get(BINARY_VARIABLE)
    if explicit:
        if not os.path.isfile(explicit):
            raise SandboxNotFoundError(
                f"{BINARY_VARIABLE} is set to {explicit!r}, which is not a file"
            )
        return explicit
    bundled = _bundled_binary()
    if bundled is not None:
        return bundled
    on_path = shutil.which("dollr")
    if on_path is not None:
        return on_path
    raise SandboxNotFoundError(
        "the sandbox needs the `dollr` binary, which is installed with the testing companion: "
        f"{INSTALL_HINT} (or put `dollr` on PATH, or set {BINARY_VARIABLE} to its path)"
    )


@functools.cache
def _bundled_binary() -> str | None:
    """The binary the ``dollr-testing`` wheel installed (into the environment's scripts
    directory, wherever that is: a venv, ``--user``, ``--target``), found through the files the
    installation recorded."""
    from importlib import metadata  # only here: it takes milliseconds to import

    try:
        distribution = metadata.distribution("dollr-testing")
    except metadata.PackageNotFoundError:
        return None
    for file in distribution.files or []:
        if file.name in _EXECUTABLES:
            path = Path(str(distribution.locate_file(file))).resolve()
            if path.is_file():
                return str(path)
    return None


class SandboxProcess:
    """A running ``dollr sandbox``: its URL, and :meth:`stop` (idempotent, thread-safe)."""

    def __init__(self, arguments: list[str]) -> None:
        binary = find_binary()
        command = [binary, "sandbox", "--port", "0", "--exit-when-stdin-closes", *arguments]
        # stderr goes to an unlinked file, never a pipe nobody reads: the child can never block on
        # it, and a failed start can say why.
        self._stderr = tempfile.TemporaryFile()
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                bufsize=0,
                # Its own session: a Ctrl-C at the terminal is for the test run, which then stops
                # the sandbox itself (or its exit closes the stdin pipe).
                start_new_session=True,
            )
        except BaseException:
            self._stderr.close()
            raise
        self._lock = threading.Lock()
        self._stopped = False
        try:
            self.url = self._read_url(binary)
        except BaseException:
            self.stop()
            raise

    def _read_url(self, binary: str) -> str:
        stdout = self._process.stdout
        assert stdout is not None
        first, ended = _first_line(stdout, time.monotonic() + START_TIMEOUT)
        # The rest of stdout is for people; the sandbox's later writes to it are best-effort.
        stdout.close()
        found = _FIRST_LINE.fullmatch(first.strip())
        if found is not None:
            return found.group(1)
        if first:
            problem = f"its first line was {first.strip()!r}"
        elif not ended:
            problem = f"it printed nothing within {START_TIMEOUT:.0f} s"
        else:
            try:
                problem = f"it exited with status {self._process.wait(STOP_TIMEOUT)}"
            except subprocess.TimeoutExpired:
                problem = "it closed its output without printing its address"
        raise OSError(f"the sandbox ({binary}) did not start: {problem}{self.diagnostics()}")

    def diagnostics(self) -> str:
        """The end of what the sandbox wrote to stderr (a line break first), or ``""``."""
        with self._lock:
            if self._stderr.closed:
                return ""
            # Read at an offset, never seek: the child writes through the same file description.
            fd = self._stderr.fileno()
            size = os.fstat(fd).st_size
            start = max(0, size - 2000)
            text = os.pread(fd, size - start, start).decode("utf-8", "replace").strip()
        return f"\n{text}" if text else ""

    def exit_status(self) -> int | None:
        """The exit status once the process has ended, else ``None``."""
        return self._process.poll()

    def stop(self) -> None:
        """Closes the sandbox's stdin (it stops, letting in-flight requests finish); SIGTERM if
        it has not stopped within STOP_TIMEOUT, then SIGKILL."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            _stop(self._process, self._stderr)


def _stop(process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    """Closes ``process``'s stdin, waits STOP_TIMEOUT, then SIGTERM, waits, then SIGKILL; closes
    the file its stderr went to."""
    try:
        if process.stdin is not None:
            try:
                process.stdin.close()
            except OSError:
                pass
        for escalate in (process.terminate, process.kill):
            try:
                process.wait(STOP_TIMEOUT)
                break
            except subprocess.TimeoutExpired:
                escalate()
        else:
            process.wait()
    finally:
        stderr.close()


def _first_line(stdout: IO[bytes], deadline: float) -> tuple[str, bool]:
    """The first line of ``stdout`` (or what came before its end or the deadline), and whether
    the output ended."""
    received = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        while b"\n" not in received:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                return received.decode("utf-8", "replace"), False
            chunk = os.read(stdout.fileno(), 4096)
            if not chunk:
                return received.decode("utf-8", "replace"), True
            received += chunk
    return received.split(b"\n", 1)[0].decode("utf-8", "replace"), False
