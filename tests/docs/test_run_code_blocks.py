"""The README check itself: a broken block fails it, a working one passes, nothing is left out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNNER = Path(__file__).with_name("run_code_blocks.py")

DOCUMENT = """# A README

A block that works:

```python
import dollr
print(dollr.__name__)
```

A block that drifted from the code (the keyword was renamed):

```python
import dollr
dollr.Client(timeout_in_ms=5)
```

A Kotlin block that no compiled file holds:

<!-- doctest: mirror=README.md -->
```kotlin
val client = DollrClient(nobodyCompilesThis)
```

A shell block that does not say how it is tested:

```bash
echo hello
```

A shell block that runs and fails:

<!-- doctest: run -->
```bash
false
```

A prose block:

```
a/
  tree
```
"""


def test_a_drifted_block_fails_the_check_and_is_named(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(DOCUMENT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(readme)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    failed = [line for line in output.splitlines() if line.startswith("FAILED ")]
    assert [line.split()[1] for line in failed] == [
        f"{readme}:{line}" for line in (12, 20, 26, 33)
    ], output
    assert "timeout_in_ms" in output
    assert "is not in README.md as it is written here" in output
    assert "a shell block says how it is tested" in output
    assert "exited 1" in output
    assert "readme code blocks: 1 passed, 4 failed, 0 skipped (1 prose blocks)" in output
