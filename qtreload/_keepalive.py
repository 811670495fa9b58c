"""What must stay alive across reloads: running ``QThread``s a reload drops, and, on
PySide6, the classes a hot-swap gives to live instances."""
from __future__ import annotations

from typing import Any

from ._compat import PYSIDE, QThread, is_deleted, wrappertype
from ._default import reloader
from ._edits import retype_hooks


def qt_keep_rule(value: Any) -> str | None:
    """A running ``QThread`` a reload drops must stay alive.

    Destroying one aborts the app (docs/binding-facts.md, F15).
    """
    if not isinstance(value, QThread) or is_deleted(value):
        return None
    if value.isRunning():
        return ("a running QThread was dropped by the reload (replaced, or made by a failed "
                "save); it is kept alive and keeps running: destroying it would abort the app")
    return None


#: PySide6: one more reference to the class, for each instance a hot-swap gave it to.
_retype_refs: list[type] = []


def keep_class_of_retyped(instance: Any, cls: type) -> None:
    """PySide6: an instance that took the class ``cls`` gives it back one reference too many.

    A PySide object holds a reference to the class it was made with and, when
    freed, drops one from the class it has then: each retyped instance freed
    took a reference from the live class, which was then freed while in use and
    the app segfaulted at random later places (docs/binding-facts.md, F18). One
    more reference per retype balances it (the class it was made with keeps one
    reference too many: it stays, which is harmless).
    """
    if PYSIDE and isinstance(cls, wrappertype):
        _retype_refs.append(cls)


reloader.keep_rules.append(qt_keep_rule)
retype_hooks.append(keep_class_of_retyped)
