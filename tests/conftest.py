"""Shared fixtures: offscreen Qt, and a scratch project of real module files."""
from __future__ import annotations

import importlib
import os
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qtreload import _compat  # noqa: E402  (picks the binding: QT_API, else the first installed)

# pytest-qt tests on the binding qtreload picked (its own variable, read at configure time).
os.environ["PYTEST_QT_API"] = _compat.API


class Project:
    """Real module files in a temporary folder on ``sys.path``, with unique names.

    ``name("mod2")`` gives the test's unique module name; sources may say
    ``{p}`` where a unique name prefix belongs (``import {p}mod3``).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = f"m{uuid.uuid4().hex[:8]}_"

    def name(self, short: str) -> str:
        return self.prefix + short

    def path(self, short: str) -> Path:
        return self.root / (self.name(short).replace(".", "/") + ".py")

    def write(self, short: str, source: str) -> Path:
        """Save a module's source, as an editor would (in place)."""
        path = self.path(short)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).replace("{p}", self.prefix))
        return path

    def edit(self, short: str, old: str, new: str) -> None:
        """Replace text in a module's file; the text must be there."""
        path = self.path(short)
        text = path.read_text()
        old, new = old.replace("{p}", self.prefix), new.replace("{p}", self.prefix)
        assert old in text, f"{old!r} not in {path}"
        path.write_text(text.replace(old, new))

    def load(self, short: str):
        """Import the module by its unique name."""
        return importlib.import_module(self.name(short))


@pytest.fixture
def project(tmp_path: Path):
    """A scratch project; its modules are removed from ``sys.modules`` afterwards."""
    proj = Project(tmp_path)
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield proj
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith(proj.prefix)]:
            del sys.modules[name]


# -- measurements shown after the run ----------------------------------------------

_MEASUREMENT = "qtreload measurement"


@pytest.fixture
def measurements(request):
    """``measurements(text)``: lines printed in pytest's summary, under the test's name.

    Tables and figures (leaks, soak) go there rather than into the progress dots.
    They travel in the test's report (``user_properties``), so they reach the
    summary from pytest-xdist's worker processes too.
    """

    def add(text: str) -> None:
        request.node.user_properties.append((_MEASUREMENT, text.rstrip("\n")))

    return add


def pytest_terminal_summary(terminalreporter, config):
    found = [
        (report.nodeid, value)
        for reports in terminalreporter.stats.values() for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", ()) if key == _MEASUREMENT
    ]
    if not found:
        return
    terminalreporter.section("qtreload measurements")
    last = None
    for nodeid, text in found:
        if nodeid != last:
            terminalreporter.write_line(nodeid)
            last = nodeid
        for line in text.splitlines():
            terminalreporter.write_line("  " + line)
