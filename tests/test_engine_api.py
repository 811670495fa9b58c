"""The public API, and safety: no heap scans, switches, threads and re-entry."""
from __future__ import annotations

import gc
import threading
import time

import pytest
from engine_helpers import REPO, assert_ran, run_python

import qtreload
from qtreload import ReloadReport, reloader
from qtreload._engine import INFLIGHT_GRACE, INFLIGHT_TIMEOUT

COUNTED = """
    from {p}state import RUNS
    RUNS.append("counted")

    def version():
        return "v1"
"""


@pytest.fixture
def counted(project):
    project.write("state", "RUNS = []\n")
    project.write("counted", COUNTED)
    module = project.load("counted")
    qtreload.check()
    return project, module, project.load("state").RUNS


def test_check_with_nothing_changed_reports_nothing(counted):
    project, module, runs = counted
    report = qtreload.check()
    assert not report and report.ok and report.reloaded == () and report.warnings == ()
    assert runs == ["counted"]


@pytest.mark.parametrize("by", ["name", "module"])
def test_reload_forces_a_rerun(counted, by):
    project, module, runs = counted
    report = qtreload.reload(module.__name__ if by == "name" else module)
    assert report.reloaded == (module.__name__,)
    assert runs == ["counted", "counted"]
    project.edit("counted", '"v1"', '"v2"')
    assert qtreload.reload(module).reloaded == (module.__name__,)
    assert module.version() == "v2"
    assert not qtreload.check()  # the save was taken by reload()


def test_reload_of_an_unknown_module_raises(counted):
    with pytest.raises(ValueError, match="not a watched module"):
        qtreload.reload("no_such_module_anywhere")


def test_disable_and_enable(counted):
    project, module, runs = counted
    assert qtreload.is_enabled()
    qtreload.disable()
    try:
        assert not qtreload.is_enabled()
        project.edit("counted", '"v1"', '"v2"')
        assert not qtreload.check()
        assert reloader.call(module.version, (), {}) == "v1"
    finally:
        qtreload.enable()
    assert qtreload.is_enabled()
    assert qtreload.check().reloaded == (module.__name__,)  # the save made while off
    assert reloader.call(module.version, (), {}) == "v2"


def test_call_runs_the_check_first(counted):
    project, module, runs = counted
    project.edit("counted", '"v1"', '"v2"')
    assert reloader.call(module.version, (), {}) == "v2"


def test_no_heap_scans_during_a_reload(project, monkeypatch):
    project.write("heavy", """
        import dataclasses, enum, functools

        class Color(enum.Enum):
            RED = 1

        @dataclasses.dataclass
        class Item:
            name: str = "item v1"

        class Widget:
            def __init__(self):
                self.callback = lambda: "lambda v1"

            def method(self):
                return "method v1"

        @functools.lru_cache
        def cached():
            return "cached v1"

        INSTANCE = Widget()
    """)
    heavy = project.load("heavy")
    widget = heavy.Widget()

    def forbidden(*args, **kwargs):
        raise AssertionError("qtreload must not scan the heap")

    for name in ("get_referrers", "get_referents", "get_objects"):
        monkeypatch.setattr(gc, name, forbidden)
    project.path("heavy").write_text(project.path("heavy").read_text().replace("v1", "v2"))
    report = qtreload.check()
    monkeypatch.undo()
    assert report.ok and report.reloaded == (heavy.__name__,), report.failures
    assert widget.method() == "method v2" and widget.callback() == "lambda v2"
    assert heavy.cached() == "cached v2" and heavy.Item().name == "item v2"


SLOW = """
    import time
    from {p}state import STARTED

    PART_ONE = "one v1"
    STARTED.set()
    time.sleep(0.3)
    PART_TWO = "two v1"

    def both():
        return (PART_ONE, PART_TWO)

    def slow_both():
        first = PART_ONE
        STARTED.set()
        time.sleep(0.3)
        return (first, PART_TWO)

    def very_slow_both(seconds):
        first = PART_ONE
        STARTED.set()
        time.sleep(seconds)
        return (first, PART_TWO)
"""


@pytest.fixture
def slow(project, monkeypatch):
    # The engine alone: a check in any thread reloads there. (With a QApplication,
    # the Qt adapter's dispatcher hands reloads to the GUI thread: see
    # test_reliability_crashes.py.)
    monkeypatch.setattr(reloader, "dispatcher", None)
    project.write("state", "import threading\nSTARTED = threading.Event()\n")
    project.write("slow", SLOW)
    module, state = project.load("slow"), project.load("state")
    qtreload.check()
    state.STARTED.clear()
    return project, module, state.STARTED


def in_thread(func) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.append(func()))
    thread.start()
    return thread, out


def test_call_from_another_thread_waits_for_a_reload_in_progress(slow):
    project, module, started = slow
    both = module.both  # a handler held by the app, as a connection holds it
    project.path("slow").write_text(project.path("slow").read_text().replace("v1", "v2"))
    thread, reports = in_thread(qtreload.check)
    assert started.wait(10)  # the reload is running the module's top level now
    assert reloader.call(both, (), {}) == ("one v2", "two v2")
    thread.join(10)
    assert reports[0].reloaded == (module.__name__,)


def check_until_reloaded(limit: float) -> tuple[ReloadReport, list[float]]:
    """Check (as events would) until something reloads; the report and each check's time."""
    took: list[float] = []
    begin = time.monotonic()
    while time.monotonic() - begin < limit:
        start = time.monotonic()
        report = qtreload.check()
        took.append(time.monotonic() - start)
        if report.reloaded:
            return report, took
        time.sleep(0.01)
    raise AssertionError(f"nothing reloaded in {limit} s")


def test_reload_waits_for_a_call_in_progress_in_another_thread(slow):
    """A call shorter than the grace ends on the version it started with; each check
    that waits for it blocks at most INFLIGHT_TIMEOUT (plus scheduling)."""
    project, module, started = slow
    slow_both = module.slow_both
    thread, results = in_thread(lambda: reloader.call(slow_both, (), {}))
    assert started.wait(10)  # the call is half-way through
    started.clear()
    project.path("slow").write_text(project.path("slow").read_text().replace("v1", "v2"))
    report, took = check_until_reloaded(INFLIGHT_GRACE)
    assert report.reloaded == (module.__name__,)
    assert max(took[:-1]) < INFLIGHT_TIMEOUT + 0.1, took  # the waits before the reload
    thread.join(10)
    assert results == [("one v1", "two v1")]  # all old, never half and half
    assert module.both() == ("one v2", "two v2")


def test_nested_call_does_not_reload_in_the_middle_of_the_outer_call(slow):
    project, module, started = slow
    both = module.both
    go, results = threading.Event(), []

    def outer():
        first = both()
        started.set()
        assert go.wait(10)
        return (first, reloader.call(both, (), {}))

    caller, results = in_thread(lambda: reloader.call(outer, (), {}))
    assert started.wait(10)  # the outer call is in flight
    started.clear()
    project.path("slow").write_text(project.path("slow").read_text().replace("v1", "v2"))
    begin = time.monotonic()
    reloading, reports = in_thread(lambda: check_until_reloaded(INFLIGHT_GRACE + 1))
    while not reloader._busy:  # the reload waits for the outer call to end
        assert time.monotonic() - begin < 10
    go.set()  # the nested call now runs while the reload waits
    caller.join(10)
    reloading.join(10)
    assert results == [(("one v1", "two v1"), ("one v1", "two v1"))]
    assert reports[0][0].reloaded == (module.__name__,)
    assert both() == ("one v2", "two v2")


def test_call_longer_than_the_grace_keeps_its_frame_and_reads_new_code_after(slow):
    """"No half-applied version" for a call already running: a reload waits for it at
    most INFLIGHT_TIMEOUT per check and INFLIGHT_GRACE in all (so a never-ending worker
    cannot hold reloads back, nor block the checking thread for long); then it runs. The
    running call keeps its own frame (``first``, read before, stays v1); what it looks up
    after the reload (``PART_TWO``) is the new version."""
    project, module, started = slow
    very_slow_both = module.very_slow_both
    thread, results = in_thread(
        lambda: reloader.call(very_slow_both, (INFLIGHT_GRACE + 1.5,), {}))
    assert started.wait(10)  # the call is half-way through
    started.clear()
    project.path("slow").write_text(project.path("slow").read_text().replace("v1", "v2"))
    begin = time.monotonic()
    assert qtreload.check().reloaded == ()  # deferred for now, nothing changed
    assert module.both() == ("one v1", "two v1")
    report, took = check_until_reloaded(INFLIGHT_GRACE + 1)
    assert report.reloaded == (module.__name__,)
    assert time.monotonic() - begin >= INFLIGHT_GRACE
    assert max(took[:-1]) < INFLIGHT_TIMEOUT + 0.1, took
    assert thread.is_alive()  # reloaded while the call still runs
    assert module.both() == ("one v2", "two v2")
    thread.join(10)
    assert results == [("one v1", "two v2")]


def test_module_that_calls_check_at_top_level_does_not_recurse(project):
    project.write("state", "RESULTS = []\n")
    project.write("other", "VALUE = 'other v1'\n")
    project.write("reentrant", """
        import qtreload
        from {p}state import RESULTS
        from {p}other import VALUE as OTHER
        RESULTS.append(qtreload.check())
        VALUE = "v1"
    """)
    reentrant, other = project.load("reentrant"), project.load("other")
    results = project.load("state").RESULTS
    qtreload.check()
    results.clear()
    project.edit("reentrant", '"v1"', '"v2"')
    project.edit("other", "other v1", "other v2")
    report = qtreload.check()
    assert report.reloaded == (other.__name__, reentrant.__name__)
    assert len(results) == 1 and not results[0]  # the inner check did nothing
    assert reentrant.VALUE == "v2" and reentrant.OTHER == "other v2"


def test_environment_switch_off(tmp_path):
    (tmp_path / "envmod.py").write_text("RUNS = []\nRUNS.append(1)\ndef f():\n    return 'v1'\n")
    result = run_python("""
        import qtreload, envmod
        assert not qtreload.is_enabled()
        qtreload.enable()  # the environment wins
        assert not qtreload.is_enabled()
        open("envmod.py", "w").write(open("envmod.py").read().replace("'v1'", "'v2'"))
        assert not qtreload.check()
        assert not qtreload.reload("envmod")
        assert qtreload.reloader.call(envmod.f, (), {}) == "v1"
        print(envmod.f(), len(envmod.RUNS))
    """, tmp_path, env={"QTRELOAD": "0"})
    assert assert_ran(result).split() == ["v1", "1"]


def test_frozen_app_is_off_unless_asked(tmp_path):
    code = """
        import sys
        sys.frozen = True
        import qtreload
        print(qtreload.is_enabled())
    """
    assert assert_ran(run_python(code, tmp_path)).split() == ["False"]
    result = run_python(code, tmp_path, env={"QTRELOAD": "1"})
    assert assert_ran(result).split() == ["True"]


QT_PACKAGES = ("PyQt5", "PyQt6", "PySide2", "PySide6", "qtpy", "sip", "shiboken2", "shiboken6")
ENGINE = ("_engine", "_transaction", "_hotswap", "_compiler", "_closures", "_loader",
          "_fastpath", "_startcache", "_imports", "_watch", "_detector", "_report", "_trim",
          "_timelimit")


def test_the_engine_imports_neither_qt_nor_blinker(tmp_path):
    """The layers: detection, reload and hot-swap stand alone; the adapters sit on top."""
    out = assert_ran(run_python(f"""
import sys, types
package = types.ModuleType("qtreload")  # the modules alone, not the package's adapters
package.__path__ = [{str(REPO / "qtreload")!r}]
sys.modules["qtreload"] = package
for name in {ENGINE!r}:
    __import__("qtreload." + name)
print(sorted(m for m in sys.modules if m.split(".")[0] in {QT_PACKAGES + ("blinker",)!r}))
""", tmp_path))
    assert out.strip() == "[]"
