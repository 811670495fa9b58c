"""Helpers shared by the reliability tests (tests/test_reliability_*.py).

Real clicks, qtreload log records, atomic saves, the process RSS, and a
subprocess runner for rows that could segfault (``-X faulthandler``).
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from qtpy.QtCore import Qt

REPO = Path(__file__).resolve().parent.parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def click(qtbot, button) -> None:
    """A real mouse click (press and release) on ``button``."""
    qtbot.mouseClick(button, Qt.LeftButton)


def records(caplog, level: int = logging.WARNING) -> list[logging.LogRecord]:
    """Records of logger ``qtreload`` at ``level`` or above (exactly ``level`` if asked)."""
    return [r for r in caplog.records if r.name == "qtreload" and r.levelno >= level]


def records_at(caplog, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "qtreload" and r.levelno == level]


def real(path: Path | str) -> str:
    """The path as qtreload reports it (it watches real paths)."""
    return os.path.realpath(path)


def line_of(path: Path, text: str) -> int:
    """1-based number of the first line of ``path`` containing ``text``."""
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def atomic_write(path: Path, text: str | bytes) -> None:
    """Save like an editor that writes a temp file and renames it over the original."""
    tmp = path.with_name(path.name + ".tmp~")
    data = text.encode() if isinstance(text, str) else text
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def rss_bytes() -> int:
    """Resident set size of this process, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE


# Prepended to every subprocess script: offscreen Qt app, a recording excepthook
# (so a Python exception in a slot is reported, not a qFatal abort), and a
# collector for the "qtreload" logger.
SUBPROCESS_PRELUDE = '''
import gc, logging, os, sys, textwrap
from pathlib import Path
from qtpy.QtCore import Qt, QObject, Signal, QCoreApplication, QEvent
from qtpy.QtWidgets import QApplication, QPushButton
import qtreload

app = QApplication.instance() or QApplication([])
EXCEPTIONS = []
def _hook(tp, value, tb):
    import traceback
    traceback.print_exception(tp, value, tb)
    EXCEPTIONS.append(value)
sys.excepthook = _hook

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []
    def emit(self, record):
        self.records.append(record)
        print("LOG", record.levelname, record.getMessage().splitlines()[0], flush=True)
LOGS = _Collect()
logging.getLogger("qtreload").addHandler(LOGS)
logging.getLogger("qtreload").setLevel(logging.DEBUG)

ROOT = Path(os.getcwd())
sys.path.insert(0, str(ROOT))

def write(name, source):
    path = ROOT / (name + ".py")
    path.write_text(textwrap.dedent(source))
    return path

def logs(level):
    return [r.getMessage() for r in LOGS.records if r.levelno == level]

def settle():
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    app.processEvents()
    gc.collect()
'''


def run_script(code: str, cwd: Path, params: dict | None = None,
               timeout: float = 90) -> subprocess.CompletedProcess:
    """Run the prelude plus ``code`` in a fresh ``python -X faulthandler``.

    ``params`` (literals only) is available to the script as ``PARAMS``.
    """
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), str(cwd)] + ([environ["PYTHONPATH"]] if environ.get("PYTHONPATH") else [])
    )
    environ["QT_QPA_PLATFORM"] = "offscreen"
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    environ.pop("QTRELOAD", None)
    script = f"PARAMS = {params or {}!r}\n" + SUBPROCESS_PRELUDE + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", script],
        cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout,
    )


def assert_clean_exit(result: subprocess.CompletedProcess) -> str:
    """The subprocess exited with rc 0 (no segfault, no abort); returns its stdout."""
    assert result.returncode == 0, (
        f"rc={result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result.stdout
