"""How reload reports reach widgets: from any thread, through a queued signal.

Also the guard every slot of the UI wears, so no exception reaches Qt.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from .._compat import (
    QObject,
    Signal,
    Slot,
    is_deleted,
)
from .._engine import Reloader
from .._report import ReloadReport

log = logging.getLogger("qtreload")
F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Qt calls it: log any exception instead of letting it abort the app."""
    @functools.wraps(func)
    def slot(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception:
            log.exception("qtreload: error in the reload UI (ignored)")
            return None
    return slot  # type: ignore[return-value]


class Listener:
    """The callback put in ``reloader.listeners``: hands each report to a relay held weakly."""

    def __init__(self, relay: Relay) -> None:
        self._ref = weakref.ref(relay)

    def relay(self) -> Relay | None:
        relay = self._ref()
        return None if relay is None or is_deleted(relay) else relay

    def __call__(self, report: ReloadReport) -> None:
        relay = self.relay()
        if relay is not None:
            with contextlib.suppress(RuntimeError):  # deleted by the GUI thread meanwhile
                relay.reported.emit(report)


class Relay(QObject):
    """Carries reload reports from any thread to the GUI thread; unregisters when deleted."""

    reported = Signal(object)

    def __init__(self, reloader: Reloader, parent: QObject) -> None:
        super().__init__(parent)
        self.listener = Listener(self)
        self._listeners = reloader.listeners
        reloader.listeners.append(self.listener)
        _Janitor.instance().watch(self, reloader.listeners)

    def stop(self) -> None:
        """Stop listening now and delete this relay."""
        _unregister(self._listeners, self.listener)
        self.setObjectName("")
        self.deleteLater()


class _Janitor(QObject):
    """Unregisters the listeners of deleted relays.

    ``destroyed`` reaches it through a plain Qt connection (a decorated slot of a
    long-lived object): a Python callable connected to a relay's own ``destroyed``
    can be freed by PyQt's garbage collection before the signal fires (a segfault).
    """

    _instance: _Janitor | None = None

    @classmethod
    def instance(cls) -> _Janitor:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def __init__(self) -> None:
        super().__init__()
        self._watched: list[tuple[list, Listener]] = []

    def watch(self, relay: Relay, listeners: list) -> None:
        self._watched.append((listeners, relay.listener))
        relay.destroyed.connect(self.sweep)

    @Slot()
    def sweep(self) -> None:
        try:
            alive = []
            for listeners, listener in self._watched:
                if listener.relay() is None:
                    _unregister(listeners, listener)
                else:
                    alive.append((listeners, listener))
            self._watched = alive
        except Exception:
            log.exception("qtreload: error in the reload UI (ignored)")


def _unregister(listeners: list, listener: Callable) -> None:
    if listener in listeners:
        listeners.remove(listener)
