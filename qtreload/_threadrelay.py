"""A thread relay: a QObject that runs, in its own thread, the callables emitted to it.

Used to hand work to a given thread through Qt's event loop: reloads to the GUI
thread (``_guithread``), and on PySide the calls of a plain function connected
with ``qtreload.connect`` to the thread that connected it (``_connections``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._compat import QObject, Qt, Signal, Slot


class ThreadRelay(QObject):
    """Runs, in the thread it lives in, each callable emitted on :attr:`run`.

    :meth:`call` is a declared slot, connected by :meth:`listen` after any
    ``moveToThread``: PyQt runs an undeclared Python slot through a helper
    object that stays in the thread where ``connect`` was called
    (docs/binding-facts.md, F16).
    """

    run = Signal(object)

    def listen(self, kind: Any = Qt.ConnectionType.AutoConnection) -> None:
        """Connect :attr:`run` to :meth:`call` with the connection type ``kind``."""
        # PyQt5's stub of connect() omits its connection-type argument.
        self.run.connect(self.call, type=kind)  # type: ignore[call-arg]

    @Slot(object)
    def call(self, func: Callable[[], object]) -> None:
        func()
