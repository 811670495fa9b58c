"""Run a scenario in a real IPython ``InteractiveShell``, in a fresh subprocess.

The scenario is Python code with three helpers: ``cell(code)`` runs a cell
as a user typing it would (``store_history=True``; IPython prints tracebacks
and results to stdout), ``save(name, text)`` writes a module file in the
scenario's folder (on ``sys.path``) as an editor does, ``edit(name, old, new)``
replaces text in it. ``%load_ext qtreload`` has run before the scenario.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PREAMBLE = '''
import sys, textwrap
from pathlib import Path
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()

def cell(code):
    return shell.run_cell(textwrap.dedent(code).strip(), store_history=True)

def save(name, text):
    Path(name).write_text(textwrap.dedent(text))

def edit(name, old, new):
    path = Path(name)
    text = path.read_text()
    assert old in text, (old, name)
    path.write_text(text.replace(old, new))

LOAD = cell("%load_ext qtreload")
assert LOAD.success, LOAD
'''


def run_session(folder: Path, scenario: str, env: dict[str, str] | None = None,
                timeout: float = 120, merged: bool = False) -> subprocess.CompletedProcess:
    """Run ``scenario`` after the preamble in ``folder``; the finished process.

    ``merged``: stderr goes into stdout, in the order it was written.
    """
    driver = folder / "session_driver.py"
    driver.write_text(PREAMBLE + textwrap.dedent(scenario))
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})}
    environ.pop("QTRELOAD", None)
    return subprocess.run([sys.executable, "-X", "faulthandler", "-u", str(driver)],
                          cwd=folder, env=environ, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT if merged else subprocess.PIPE, text=True,
                          timeout=timeout)


def session_lines(folder: Path, scenario: str, **options) -> tuple[list[str], str]:
    """Run the scenario; it must exit 0. (stdout lines, stderr)."""
    result = run_session(folder, scenario, **options)
    assert result.returncode == 0, (
        f"rc={result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result.stdout.splitlines(), result.stderr
