"""Reloads run on the GUI thread; events of a nested event loop run the stale check.

A module's top-level code creates widgets and timers, which belong to the
thread that creates them: a reload run by a worker thread's wrapped call (or a
blinker ``send`` from a worker) would give the app widgets in the wrong thread
and timers that never fire. So a check in another thread that finds something
to reload hands the reload to the thread that owns the ``QApplication``, through
a queued signal, and goes on with the code it has; it runs at once when there
is no application, or on that thread. Workers see the new code from their next
wrapped call after the reload is applied.

A modal dialog opened from a wrapped handler runs a nested event loop inside
that call, where wrapped calls would count as nested calls (no check, so that
one call runs one version). Calls made at a deeper event-loop level than the
application's own loop are events of a nested loop: they run the stale check.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from ._compat import QCoreApplication, QThread
from ._default import reloader
from ._threadrelay import ThreadRelay

_relay: ThreadRelay | None = None
_relay_lock = threading.Lock()


def dispatch(func: Callable[[], object] | None) -> bool:
    """The engine's dispatcher: hand ``func`` to the GUI thread (None: just ask if needed)."""
    app = QCoreApplication.instance()
    if app is None:
        return False
    gui = app.thread()
    if gui is None or QThread.currentThread() is gui:
        return False
    if func is not None:
        _gui_relay(gui).run.emit(func)
    return True


def _gui_relay(gui: QThread) -> ThreadRelay:
    global _relay
    with _relay_lock:
        if _relay is None or _relay.thread() is not gui:
            relay = ThreadRelay()
            relay.moveToThread(gui)
            relay.listen()
            _relay = relay
        return _relay


def nested_event() -> bool:
    """Is this call being made by a nested event loop (deeper than the app's own)?"""
    thread = QThread.currentThread()
    return thread is not None and thread.loopLevel() > 1


reloader.dispatcher = dispatch
reloader.nested_event = nested_event
