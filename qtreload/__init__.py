"""qtreload: edit a running Qt or blinker app; the next event runs the new code.

Before each wrapped handler call (``@autoreload_slot``, ``qtreload.connect``)
qtreload runs a stale check. If a watched source file changed, the changed
modules are reloaded in dependency order as one transaction, and the existing
functions and classes are hot-swapped in place, so live widgets, instances and
connections run the new code. ``QTRELOAD=0`` in the environment turns it all off.
"""
from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from typing import Any

import blinker

# _guithread plugs in the GUI thread; _keepalive, _metaobject and _standins add the Qt rules.
from . import _blinker, _connections, _guithread, _keepalive, _metaobject, _standins  # noqa: F401
from ._default import reloader
from ._engine import Reloader
from ._hotswap import ClassRule
from ._report import FAST_PATH, FULL_RUN, ReloadFailure, ReloadReport, ReloadWarning
from ._slot import autoreload_slot
from ._triggers import switches
from ._watch import OPT_OUT_MARKER

__all__ = [
    "OPT_OUT_MARKER",
    "ClassRule",
    "ReloadFailure",
    "ReloadReport",
    "ReloadWarning",
    "FAST_PATH",
    "FULL_RUN",
    "Reloader",
    "add_class_rule",
    "autoreload_slot",
    "check",
    "configure",
    "connect",
    "disable",
    "disconnect",
    "enable",
    "install_event_hook",
    "install_menu",
    "is_enabled",
    "load_ipython_extension",
    "reload",
    "reloader",
    "unload_ipython_extension",
]

__version__ = "0.1.0"


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
    """Is the stale check running before wrapped calls?"""
    return reloader.enabled


def configure(roots: Iterable[str] | None = None, include: Iterable[str] | None = None,
              exclude: Iterable[str] | None = None, *, before_script: bool | None = None,
              before_command: bool | None = None, before_events: bool | None = None,
              time_limit: float | None = None, rerun_importers: bool | None = None) -> None:
    """Choose the watched modules, the trigger points, the reload time limit, and
    whether importers re-run with a module.

    ``roots``: root folders; ``include``/``exclude``: fnmatch patterns on module
    names. ``before_script`` (``%run`` in IPython), ``before_command`` (each
    IPython cell or ``qtreload shell`` line) and ``before_events`` (wrapped
    handlers and the event hook) turn each trigger point on or off; None keeps it.
    ``time_limit``: seconds a reloaded module's top-level code may run before it
    is interrupted and the reload fails (default 5; 0: no limit; None keeps it).
    ``rerun_importers``: when a save re-runs a module in full, also re-run (in
    full, in import order) the unchanged modules whose top level ran its code
    at their import, as a restart would (default False; their module-level data
    then starts afresh too).
    """
    if time_limit is not None:
        if isinstance(time_limit, bool) or not isinstance(time_limit, (int, float)):
            raise TypeError(f"qtreload.configure: time_limit must be a number of seconds, "
                            f"not {time_limit!r}")
        if not time_limit >= 0:
            raise ValueError(f"qtreload.configure: time_limit must be 0 (no limit) or more, "
                             f"not {time_limit!r}")
    wanted = {"before_script": before_script, "before_command": before_command,
              "before_events": before_events}
    for key, on in {**wanted, "rerun_importers": rerun_importers}.items():
        if on is not None and not isinstance(on, bool):
            raise TypeError(f"qtreload.configure: {key} must be True, False or None, not {on!r}")
    if roots is not None or include is not None or exclude is not None:
        reloader.configure(roots=roots, include=include, exclude=exclude)
    for key, on in wanted.items():
        if on is not None:
            switches.set(key, on)
    if time_limit is not None:
        reloader.time_limit = time_limit or None
    if rerun_importers is not None:
        reloader.rerun_importers = rerun_importers


def add_class_rule(rule: ClassRule) -> None:
    """Add a rule that says when a class change cannot be applied to live objects."""
    reloader.rules.append(rule)


def install_event_hook(timers: bool = False) -> None:
    """Run the stale check before every user-input event of the app (and timers, if asked).

    This refreshes handlers connected without qtreload too; ``python -m qtreload
    run`` does it for you. Works before or after the QApplication exists.
    """
    from . import _eventhook

    _eventhook.install(timers=timers)


def install_menu(menu_or_menubar: Any) -> Any:
    """Add a "Reload modules" submenu (switches and the reload dialog); see ``qtreload.widgets``."""
    from .widgets import install_menu as install

    return install(menu_or_menubar)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext qtreload``: the stale check before each IPython cell and ``%run``.

    Also rebinds the names the session imported after each reload, checks
    before the events of a ``%gui qt5`` window, and adds the ``%qtreload`` magic.
    """
    from . import _ipython

    _ipython.load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext qtreload``: undo :func:`load_ipython_extension`."""
    from . import _ipython

    _ipython.unload(ipython)


def connect(signal: Any, handler: Callable, **options: Any) -> Any:
    """Connect ``handler`` to a Qt bound signal or a blinker signal, reloading before each call.

    Qt: a QObject's method runs in the receiver's thread and the connection
    dies with the receiver; ``type=`` and other options go to ``connect``.
    Connecting twice calls the handler twice, as in Qt. blinker: ``sender=`` and
    ``weak=`` (default True) as in blinker; connecting twice calls it once.
    """
    if not callable(handler):
        raise TypeError(f"qtreload.connect: the handler must be callable (a function or a "
                        f"method), not {handler!r}")
    if isinstance(signal, blinker.Signal):
        return _blinker.connect(signal, handler, **options)
    return _connections.connect(signal, handler, **options)


def disconnect(signal: Any, handler: Callable) -> None:
    """Undo :func:`connect` for ``handler`` (the original handler, not a wrapper)."""
    if isinstance(signal, blinker.Signal):
        _blinker.disconnect(signal, handler)  # not connected: ignored, as blinker does
    else:
        _connections.disconnect(signal, handler)
