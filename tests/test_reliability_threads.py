"""Concurrency: handlers called from several threads while their module reloads.

The module under test stamps every call: ``handler`` reads ``VERSION``, works a
little, then asks ``helper()`` for ``VERSION`` again. A call that saw half of
one version and half of the next returns ``a != b``; a thread that ran a newer
version and then an older one sees versions go down. Saves are atomic
(write-temp-then-rename), so no thread can catch a half-written file: that
fault has its own row in test_reliability_faults.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from qtpy.QtCore import QObject, QThread, Signal
from reliability_helpers import atomic_write

import qtreload

HANDLERS = '''
import qtreload

VERSION = @N@


@qtreload.autoreload_slot
def handler():
    a = VERSION
    total = 0
    for i in range(30):
        total += i
    b = helper()
    return (a, b)


@HELPER_DECO@
def helper():
    return VERSION
'''

WORKERS = 3
MIN_CALLS = 10_000
RELOADS = 60
JOIN_TIMEOUT = 60.0


def source(project, version: int, nested: bool) -> str:
    deco = "@qtreload.autoreload_slot" if nested else ""
    text = HANDLERS.replace("@N@", str(version)).replace("@HELPER_DECO@", deco)
    return text.replace("{p}", project.prefix)


class ReloadCounter:
    """Counts committed reloads of one module, whichever thread ran them."""

    def __init__(self, module: str) -> None:
        self.module, self.count, self.failures = module, 0, []

    def __call__(self, report) -> None:
        if self.module in report.reloaded:
            self.count += 1
        self.failures.extend(report.failures)

    def __enter__(self):
        qtreload.reloader.listeners.append(self)
        return self

    def __exit__(self, *exc) -> None:
        qtreload.reloader.listeners.remove(self)


def check_stamps(name: str, stamps: list[tuple[int, int]]) -> None:
    """Every call consistent (a == b), versions never going down in one thread."""
    torn = [s for s in stamps if s[0] != s[1]]
    assert not torn, f"{name}: {len(torn)} torn calls, first {torn[:5]}"
    versions = [a for a, _ in stamps]
    drops = [(x, y) for x, y in zip(versions, versions[1:], strict=False) if y < x]
    assert not drops, f"{name}: versions went down {drops[:5]}"


def hammer(project, nested: bool) -> tuple[int, list, int]:
    """Workers call ``handler`` in loops while the main thread reloads RELOADS times."""
    project.write("threaded", source(project, 1, nested))
    module = project.load("threaded")
    path = project.path("threaded")
    handler = module.handler  # the wrapper: its identity survives every reload
    stamps: list[list[tuple[int, int]]] = [[] for _ in range(WORKERS)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def work(index: int) -> None:
        mine = stamps[index]
        try:
            while not (stop.is_set() and len(mine) >= MIN_CALLS // WORKERS + 1):
                mine.append(handler())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(WORKERS)]
    with ReloadCounter(module.__name__) as counter:
        for thread in threads:
            thread.start()
        try:
            for version in range(2, RELOADS + 2):
                atomic_write(path, source(project, version, nested))
                deadline = time.monotonic() + 20
                # Whoever notices first reloads (a worker or the main thread);
                # the main thread waits until this version is the live one.
                while True:
                    qtreload.check()
                    a, b = handler()
                    assert a == b
                    if a == version:
                        break
                    assert not errors, errors
                    assert time.monotonic() < deadline, f"version {version} never went live"
                time.sleep(0.002)  # let the workers run this version too
        finally:
            stop.set()
            for thread in threads:
                thread.join(JOIN_TIMEOUT)
    alive = [t.name for t in threads if t.is_alive()]
    assert not alive, f"worker threads deadlocked: {alive}"
    assert not errors, errors
    assert not counter.failures, counter.failures
    for index, mine in enumerate(stamps):
        check_stamps(f"worker {index}", mine)
    total = sum(len(s) for s in stamps)
    return total, stamps, counter.count


@pytest.mark.timeout(240)
def test_threads_call_handlers_while_the_main_thread_reloads(project):
    total, stamps, reloads = hammer(project, nested=False)
    assert total >= MIN_CALLS
    assert reloads >= 50, reloads
    seen = {a for mine in stamps for a, _ in mine}
    assert len(seen) > 10, sorted(seen)  # the workers really ran across the reloads


@pytest.mark.timeout(240)
def test_threads_nested_wrapped_calls_stay_consistent(project):
    """``helper`` is itself ``@autoreload_slot``: a wrapped call made inside a wrapped
    call must not reload in the middle of the outer call (its own thread's ``a``
    would be old and ``b`` new), nor stall the other threads' in-flight calls."""
    started = time.monotonic()
    total, _stamps, reloads = hammer(project, nested=True)
    assert total >= MIN_CALLS
    assert reloads >= 50, reloads
    # Each stall of INFLIGHT_TIMEOUT means a reload waited that long for in-flight calls.
    assert time.monotonic() - started < 60


QT_WORKER = '''
import threading

from qtpy.QtCore import QObject

VERSION = @N@


class Worker(QObject):
    def __init__(self):
        super().__init__()
        self.results = []

    def on_job(self, n):
        a = VERSION
        total = 0
        for i in range(30):
            total += i
        b = helper()
        self.results.append((n, a, b, threading.get_ident()))


def helper():
    return VERSION
'''


class Emitter(QObject):
    job = Signal(int)


@pytest.mark.timeout(240)
def test_qthread_worker_receives_queued_signals_while_main_reloads(qtbot, project):
    """A worker QObject moved to a QThread, connected with ``qtreload.connect``, gets
    queued ``job(int)`` signals from the main thread while the main thread saves and
    reloads its module 50 times. Every job runs in the worker thread, each result is
    consistent, versions never go down, and jobs emitted after a reload returned in
    the main thread run at least that version."""
    project.write("qtworker", QT_WORKER.replace("@N@", "1"))
    module = project.load("qtworker")
    path = project.path("qtworker")
    thread = QThread()
    worker = module.Worker()
    worker.moveToThread(thread)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    emitter = Emitter()
    qtreload.connect(emitter.job, worker.on_job)
    floor: list[int] = []  # per job: the version live in main when it was emitted
    jobs_per_version = 40
    live = 1
    try:
        with ReloadCounter(module.__name__) as counter:
            for version in range(2, 52):
                for _ in range(jobs_per_version):
                    floor.append(live)
                    emitter.job.emit(len(floor) - 1)
                atomic_write(path, QT_WORKER.replace("@N@", str(version)))
                deadline = time.monotonic() + 20
                while getattr(module, "VERSION", None) != version:
                    qtreload.check()
                    assert time.monotonic() < deadline, f"version {version} never went live"
                    time.sleep(0.0005)
                live = version
            for _ in range(jobs_per_version):
                floor.append(live)
                emitter.job.emit(len(floor) - 1)
            qtbot.waitUntil(lambda: len(worker.results) == len(floor), timeout=30_000)
    finally:
        thread.quit()
        assert thread.wait(20_000), "worker thread did not stop"
    results = list(worker.results)
    assert [n for n, *_ in results] == list(range(len(floor)))  # queued: in order
    assert {ident for *_, ident in results} != {threading.get_ident()}
    assert len({ident for *_, ident in results}) == 1
    check_stamps("qt worker", [(a, b) for _, a, b, _ in results])
    stale = [(n, a, floor[n]) for n, a, _, _ in results if a < floor[n]]
    assert not stale, f"jobs ran code older than the reload before them: {stale[:5]}"
    assert results[-1][1] == 51
    assert counter.count >= 50
    assert not counter.failures, counter.failures


@pytest.mark.timeout(120)
def test_call_right_after_a_save_runs_it_while_another_thread_checks(project):
    """The main thread saves, then calls the handler: that call must run the save,
    even when a worker thread's stale check is draining the same change at that
    moment (the worker found it first, the main thread must wait for its reload,
    not run the old code because nothing looks pending any more)."""
    project.write("racy", source(project, 0, False))
    module = project.load("racy")
    path = project.path("racy")
    handler = module.handler
    stop = threading.Event()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while not stop.is_set():
                handler()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    stale = []
    try:
        for version in range(1, 301):
            atomic_write(path, source(project, version, False))
            a, b = handler()
            if a != version:
                stale.append((version, a))
            deadline = time.monotonic() + 20
            while handler()[0] != version:  # let it go live before the next save
                assert time.monotonic() < deadline, f"version {version} never went live"
    finally:
        stop.set()
        thread.join(JOIN_TIMEOUT)
    assert not thread.is_alive()
    assert not errors, errors
    assert not stale, f"{len(stale)}/300 calls right after a save ran older code: {stale[:10]}"


STARVED = '''
import qtreload

VERSION = @N@


@qtreload.autoreload_slot
def handler():
    return VERSION


@qtreload.autoreload_slot
def short_call():
    total = 0
    for i in range(60_000):  # a few ms of CPU
        total += i
    return VERSION
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux scheduling controls")
@pytest.mark.timeout(120)
def test_call_after_a_save_waits_for_a_short_call_starved_of_cpu(project):
    """On a loaded machine a worker's short wrapped call can be off the CPU for longer
    than the 50 ms a reload waits for calls in flight; the call right after a save
    must still run the save, not defer it and run the old code. The worker thread
    is made to starve: it shares one core with a busy process at a much lower
    priority, so each of its few-ms calls takes a few hundred ms of wall time."""
    project.write("starved", STARVED.replace("@N@", "0"))
    module = project.load("starved")
    handler, short_call = module.handler, module.short_call
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    stop, ready = threading.Event(), threading.Event()
    walls: list[float] = []

    def work() -> None:
        os.sched_setaffinity(0, {0})  # this thread only
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        ready.set()
        while not stop.is_set():
            began = time.monotonic()
            short_call()
            walls.append(time.monotonic() - began)

    try:
        os.sched_setaffinity(hog.pid, {0})
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        assert ready.wait(10)
        deadline = time.monotonic() + 30
        while len(walls) < 3:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert max(walls) > 0.1, f"the worker was not starved: {walls}"  # the premise
        stale = []
        for version in range(1, 6):
            atomic_write(project.path("starved"), STARVED.replace("@N@", str(version)))
            if handler() != version:
                stale.append(version)
    finally:
        stop.set()
        hog.kill()
        hog.wait()
    thread.join(30)
    assert not thread.is_alive()
    assert not stale, f"calls right after these saves ran older code: {stale}"
