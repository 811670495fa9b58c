"""Calls in flight: the wrapped calls running in each thread, and waiting for them.

A reload first waits for wrapped calls running in other threads, so that a
short call ends on the version it began with. A long call (a worker loop) or a
blocked one (waiting on a queue or a socket) must not hold the reloading thread,
usually the GUI thread, for more than a moment: the wait ends after ``timeout``.

On a loaded machine a short call may get no CPU for longer than that, and the
call that found the save would then run the old code. So, where the system
says so (Linux: ``/proc`` and the threads' CPU clocks), the wait goes on past
``timeout``, up to ``limit``, while every call still in flight is a starved
short one: its thread was runnable (running or waiting for a CPU, state R) at
nearly every look since the wait began, never or hardly ever blocked (a worker
loop that sleeps or waits on a queue is blocked most of the time), and has had
less than ``timeout`` of CPU time since then (a busy loop has more).
"""
from __future__ import annotations

import threading
import time
from contextlib import suppress

_get_ident = threading.get_ident
_POLL = 0.0005  # seconds between looks at the other threads
_RUNNABLE_SHARE = 0.9  # of the looks at a starved thread, at least this many see it runnable


class CallsInFlight:
    """Depth of wrapped calls per thread (a one-item list each thread keeps)."""

    def __init__(self) -> None:
        self.depths: dict[int, list[int]] = {}
        self._native_ids: dict[int, int] = {}

    def enter_thread(self) -> list[int]:
        """The calling thread's depth counter, made at its first wrapped call."""
        ident = _get_ident()
        self._native_ids[ident] = threading.get_native_id()
        depth = self.depths[ident] = [0]
        return depth

    def others_finished(self, timeout: float, limit: float) -> bool:
        """Wait until no other thread is inside a wrapped call; False if one still is.

        Waits at most ``timeout``, or up to ``limit`` while the calls still
        running are starved short ones (see the module docstring).
        """
        me = _get_ident()
        start = time.monotonic()
        watch = _Starvation(self._native_ids)
        while True:
            running = [tid for tid, depth in list(self.depths.items()) if depth[0] and tid != me]
            if not running:
                return True
            now = time.monotonic()
            starved = watch.all_starved(running, timeout)
            if now - start > timeout and (now - start > limit or not starved):
                return False
            time.sleep(_POLL)


class _Starvation:
    """What the system says of other threads during one wait (Linux; elsewhere: nothing)."""

    def __init__(self, native_ids: dict[int, int]) -> None:
        self._native_ids = native_ids
        self._cpu_at_start: dict[int, float] = {}
        self._looks: dict[int, list[int]] = {}  # ident -> [looks, runnable looks]

    def all_starved(self, idents: list[int], timeout: float) -> bool:
        """Is each of ``idents`` nearly always runnable, with under ``timeout`` of CPU so far?"""
        starved = True
        for ident in idents:
            cpu = _cpu_time(ident)
            if cpu is None:
                return False
            first = self._cpu_at_start.setdefault(ident, cpu)
            looks = self._looks.setdefault(ident, [0, 0])
            looks[0] += 1
            looks[1] += _is_runnable(self._native_ids.get(ident))
            starved = (starved and looks[1] >= _RUNNABLE_SHARE * looks[0]
                       and cpu - first < timeout)
        return starved


def _cpu_time(ident: int) -> float | None:
    """CPU seconds the thread ``ident`` has used, or None where the system cannot say."""
    with suppress(AttributeError, OSError, OverflowError):
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    return None


def _is_runnable(native_id: int | None) -> bool:
    """Is the thread running or waiting for a CPU (state R), rather than blocked?"""
    if native_id is None:
        return False
    try:
        with open(f"/proc/self/task/{native_id}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3] == b"R"
