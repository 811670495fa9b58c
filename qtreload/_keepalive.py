"""Qt objects a reload drops that must stay alive: ``QThread``s."""
from __future__ import annotations

from typing import Any

from ._compat import PYSIDE, QThread, is_deleted
from ._default import reloader

#: PySide6: the ``QThread`` objects reloads dropped after they had run (kept for good).
_ended_threads: list[Any] = []


def qt_keep_rule(value: Any) -> str | None:
    """A running ``QThread`` a reload drops must stay alive.

    Destroying one aborts the app (docs/binding-facts.md, F15). On PySide6 one
    that ran and ended is kept too, silently: freeing it corrupted memory (the
    soak then segfaulted at random places, F18).
    """
    if not isinstance(value, QThread) or is_deleted(value):
        return None
    if value.isRunning():
        return ("a running QThread was dropped by the reload (replaced, or made by a failed "
                "save); it is kept alive and keeps running: destroying it would abort the app")
    if PYSIDE and value.isFinished():
        _ended_threads.append(value)
    return None


reloader.keep_rules.append(qt_keep_rule)
