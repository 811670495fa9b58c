"""The time limit on a reload's top-level code: a runaway save is interrupted.

A save whose top level never ends (``while True: pass``, a loop waiting for a
condition that never comes) would hold the reload, the app's event loop and
every thread waiting for the reload forever. While a module's code runs, one
watchdog thread (started once, then asleep) waits for the limit; when it
passes, it raises :class:`RunawayReload` in the reloading thread with
``PyThreadState_SetAsyncExc``, again every :data:`REPEAT` seconds in case the
code catches it. The reload then fails and rolls back like any failed save,
and the traceback names the file and line that was running.

Arming and disarming cost a lock and a notify, only while a reload runs: the
stale check never touches this module. Code blocked inside a C call (a
``time.sleep``, a blocking read) is interrupted when that call returns.
"""
from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds between two interrupts of code that catches the first one.
REPEAT = 0.2

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc


class RunawayReload(BaseException):
    """Raised into a module's top-level code that ran longer than the reload time limit.

    A ``BaseException``, so that ``except Exception`` in the module does not stop it.
    (Raised as a class: before Python 3.12 an async exception cannot be an instance.)
    """

    #: The limit in force when it was raised, for the message.
    limit = 0.0

    def __str__(self) -> str:
        return (f"top-level code ran longer than the reload time limit ({self.limit:g} s) "
                "and was interrupted")


class _Watchdog:
    """One daemon thread that interrupts the armed thread once its deadline passes."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._target: int | None = None
        self._deadline = 0.0
        self._limit = 0.0
        self._sent = False
        self._thread: threading.Thread | None = None

    def arm(self, limit: float) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="qtreload-time-limit",
                                                daemon=True)
                self._thread.start()
            self._target, self._limit = threading.get_ident(), limit
            self._deadline, self._sent = time.monotonic() + limit, False
            self._cond.notify()

    def disarm(self) -> bool:
        """Stop watching; True if the thread was interrupted (a pending interrupt is withdrawn)."""
        with self._cond:
            target, self._target = self._target, None
            sent = self._sent
        if sent and target is not None:
            _set_async_exc(ctypes.c_ulong(target), None)  # not raised yet: withdraw it
        return sent

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._target is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                RunawayReload.limit = self._limit
                _set_async_exc(ctypes.c_ulong(self._target), ctypes.py_object(RunawayReload))
                self._sent = True
                self._deadline = time.monotonic() + REPEAT


_watchdog = _Watchdog()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the code in the ``with`` block (this thread) after ``seconds``; None: no limit."""
    if not seconds:
        yield
        return
    _watchdog.arm(seconds)
    try:
        yield
    finally:
        _watchdog.disarm()
