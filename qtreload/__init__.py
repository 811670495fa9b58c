"""qtreload: edit a running PyQt5 or blinker app; the next event runs the new code.

Before each wrapped handler call (``@autoreload_slot``, ``qtreload.connect``)
qtreload runs a stale check. If a watched source file changed, the changed
modules are reloaded in dependency order as one transaction, and the existing
functions and classes are hot-swapped in place, so live widgets, instances and
connections run the new code. ``QTRELOAD=0`` in the environment turns it all off.
"""
from __future__ import annotations

import types

from ._engine import Reloader, disabled_by_environment
from ._hotswap import ClassRule
from ._report import ReloadFailure, ReloadReport, ReloadWarning
from ._watch import OPT_OUT_MARKER

__all__ = [
    "ClassRule",
    "OPT_OUT_MARKER",
    "ReloadFailure",
    "ReloadReport",
    "ReloadWarning",
    "Reloader",
    "add_class_rule",
    "check",
    "configure",
    "disable",
    "enable",
    "is_enabled",
    "reload",
    "reloader",
]

#: The process-wide reloader that the module-level functions act on.
reloader = Reloader()


def check() -> ReloadReport:
    """Run the stale check now; reload and hot-swap whatever changed on disk."""
    return reloader.check()


def reload(*modules: str | types.ModuleType) -> ReloadReport:
    """Force a reload of the given modules (names or module objects)."""
    return reloader.reload(*modules)


def enable() -> None:
    """Turn autoreload on (it is on after import unless ``QTRELOAD=0`` or frozen)."""
    reloader.enable()


def disable() -> None:
    """Turn autoreload off: wrapped handlers just call their current code."""
    reloader.disable()


def is_enabled() -> bool:
    return reloader.enabled


def configure(roots=None, include=None, exclude=None) -> None:
    """Choose the watched modules: root folders, and fnmatch patterns on module names."""
    reloader.configure(roots=roots, include=include, exclude=exclude)


def add_class_rule(rule: ClassRule) -> None:
    """Add a rule that says when a class change cannot be applied to live objects."""
    reloader.rules.append(rule)


if not disabled_by_environment():
    reloader.enable()
