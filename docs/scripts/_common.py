"""Shared by the fact scripts: the binding named by QT_API (through qtpy), offscreen."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qtpy  # noqa: E402
from qtpy.QtWidgets import QApplication  # noqa: E402

BINDING = f"{qtpy.API_NAME} {qtpy.PYQT_VERSION or qtpy.PYSIDE_VERSION} (Qt {qtpy.QT_VERSION})"
app = QApplication.instance() or QApplication([])


def say(*parts: object) -> None:
    """Print and flush, so the output survives a crash that follows."""
    print(*parts, flush=True)


def variant(default: str) -> str:
    """The variant named on the command line (each variant runs in its own process)."""
    return sys.argv[1] if len(sys.argv) > 1 else default
