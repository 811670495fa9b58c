"""Adversarial rows (issue 10): what real apps do that used to kill or freeze them.

Each row runs in a fresh ``python -X faulthandler`` subprocess (a segfault or an
abort shows as a non-zero rc) and asserts what the user sees: which code a
click or an emission runs, and what qtreload logged.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from reliability_helpers import REPO, assert_clean_exit, run_script

# -- signals and whatever else Qt holds without owning it ---------------------------

SIGNAL_SCRIPT = """
write("box", '''
from qtpy.QtCore import QObject, Signal
STAMP = "v1"
class Box(QObject):
    moved = Signal(int)
    def on_moved(self, value):
        GOT.append(("method", STAMP, value))
GOT = []
''')
import box
b = box.Box()
got = []
b.moved.connect(got.append)          # connected before the save: PyQt holds the signal
b.moved.connect(b.on_moved)
b.moved.emit(1)
old_signal = box.Box.__dict__["moved"]
write("box", open("box.py").read().replace('STAMP = "v1"', 'STAMP = "v2"'))  # re-runs it all
report = qtreload.check()
assert report.reloaded == ("box",), report
assert box.Box.__dict__["moved"] is old_signal   # the live class keeps its signal
for _ in range(3):
    gc.collect()
churn = [box.Box() for _ in range(200)]       # reuse any freed memory
b.moved.emit(2)
late = []
b.moved.connect(late.append)
b.moved.emit(3)
assert got == [1, 2, 3] and late == [3], (got, late)
assert box.GOT[-1] == ("method", "v2", 3), box.GOT
assert not logs(logging.WARNING) and not logs(logging.ERROR)
print("DONE")
"""


def test_unchanged_signal_survives_a_full_re_run_of_its_module(tmp_path):
    """A save re-running a module with a QObject subclass and a ``Signal``, while a
    connection made before it is live: emitting and connecting after it work (it used
    to segfault, 3 of 3 runs: the old signal object was freed under PyQt)."""
    assert "DONE" in assert_clean_exit(run_script(SIGNAL_SCRIPT, tmp_path))


MEMBER_SCRIPT = """
write("state", "LOG = []\\n")
write("panel", PARAMS["v1"])
import panel, state
p = getattr(panel, "Panel", object)()
button = QPushButton()
button.clicked.connect(PARAMS["connect"] and eval(PARAMS["connect"]))   # plain PyQt
button.click()
assert state.LOG == ["v1"], state.LOG
write("panel", PARAMS["v2"])
report = qtreload.check()
assert report.ok, report
for _ in range(3):
    gc.collect()
churn = [(lambda: i) for i in range(2000)]   # reuse any freed function's memory
button.click()
assert state.LOG == ["v1", PARAMS["after"]], state.LOG
assert not EXCEPTIONS, EXCEPTIONS
print("DONE")
"""

CLASSMETHOD_V1 = '''
from state import LOG
class Panel:
    @classmethod
    def handle(cls):
        LOG.append("v1")
'''

DESCRIPTOR_V1 = '''
import types
from state import LOG
class logged:
    def __init__(self, func):
        self.func = func
    def __get__(self, obj, owner=None):
        return self if obj is None else types.MethodType(self.func, obj)

class Panel:
    @logged
    def handle(self):
        LOG.append("v1")
'''

BOUND_V1 = '''
from state import LOG
class Helper:
    def handle(self):
        LOG.append("v1")
handler = Helper().handle
'''

MEMBER_ROWS = {
    # A module-level bound method: the re-run binds a new one to a new instance;
    # the old instance, whose method PyQt holds without a reference, stays alive.
    "module_level_bound_method": (BOUND_V1, BOUND_V1.replace('"v1"', '"v2"').replace(
        "handler = Helper().handle", "handler = Helper().handle\nEXTRA = 1"),
        "panel.handler", "v2"),
    # A classmethod connected with plain PyQt becomes something else: the old one,
    # which Qt still calls, stays alive and runs its last code.
    "classmethod_to_staticmethod": (CLASSMETHOD_V1, CLASSMETHOD_V1.replace(
        "@classmethod\n    def handle(cls)", "@staticmethod\n    def handle()").replace(
        '"v1"', '"v2"'), "panel.Panel.handle", "v1"),
    "classmethod_to_method": (CLASSMETHOD_V1, CLASSMETHOD_V1.replace(
        "@classmethod\n    def handle(cls)", "def handle(self)").replace('"v1"', '"v2"'),
        "panel.Panel.handle", "v1"),
    "classmethod_to_property": (CLASSMETHOD_V1, CLASSMETHOD_V1.replace(
        "@classmethod\n    def handle(cls)", "@property\n    def handle(self)").replace(
        '"v1"', '"v2"'), "panel.Panel.handle", "v1"),
    # The decorator's descriptor is kept, and its function takes the new code:
    # the method PyQt took from it runs the edit.
    "descriptor_body_edited": (DESCRIPTOR_V1, DESCRIPTOR_V1.replace('"v1"', '"v2"'),
                               "p.handle", "v2"),
    # Another state (here: another option): a new descriptor; the old one stays alive.
    "descriptor_replaced": (DESCRIPTOR_V1, DESCRIPTOR_V1.replace('"v1"', '"v2"').replace(
        "self.func = func", "self.func, self.option = func, None"), "p.handle", "v1"),
}


@pytest.mark.parametrize("row", sorted(MEMBER_ROWS))
def test_replaced_class_member_connected_with_plain_pyqt_stays_alive(tmp_path, row):
    """A class member connected with plain ``clicked.connect`` is replaced by a save
    (a classmethod becomes a staticmethod, a method or a property; a method under a
    small descriptor decorator is edited): the next click runs a live function, never
    freed memory or an unrelated function (it used to segfault)."""
    v1, v2, connect, after = MEMBER_ROWS[row]
    params = {"v1": v1, "v2": v2, "connect": connect, "after": after}
    assert "DONE" in assert_clean_exit(run_script(MEMBER_SCRIPT, tmp_path, params))


# -- every exception a save can raise is a failed reload ----------------------------

BASE_EXCEPTION_SCRIPT = """
sys.excepthook = sys.__excepthook__   # PyQt5's rule: an exception escaping a slot aborts
write("state", "LOG = []\\n")
write("handlers", "from state import LOG\\ndef on_click():\\n    LOG.append('v1')\\n")
write("other", "def value():\\n    return 'o1'\\n")
import handlers, other, state
button = QPushButton()
qtreload.connect(button.clicked, handlers.on_click)
button.click()
bad = PARAMS["raise"]
write("handlers", "from state import LOG\\n" + bad + "\\ndef on_click():\\n    LOG.append('v2')\\n")
button.click()                                  # must not abort
assert state.LOG == ["v1", "v1"], state.LOG
errors = logs(logging.ERROR)
assert len(errors) == 1 and PARAMS["where"] in errors[0], errors
write("other", "def value():\\n    return 'o2'\\n")   # another module's save goes ahead
button.click()
assert other.value() == "o2" and state.LOG[-1] == "v1", state.LOG
assert len(logs(logging.ERROR)) == 1, logs(logging.ERROR)   # reported once
write("handlers", "from state import LOG\\ndef on_click():\\n    LOG.append('v3')\\n")
button.click()
assert state.LOG[-1] == "v3", state.LOG
print("DONE")
"""

RAISES = {
    "GeneratorExit": "raise GeneratorExit",
    "own_BaseException": "class Stop(BaseException): pass\nraise Stop('stop')",
    "SystemExit": "import sys; sys.exit(3)",
}


@pytest.mark.parametrize("kind", sorted(RAISES))
def test_save_raising_a_base_exception_is_a_failed_reload(tmp_path, kind):
    """A save whose top level raises ``GeneratorExit`` or another ``BaseException``: the
    click runs the last good code, one error names the file and line, other modules'
    saves go ahead, the next good save is picked up, rc 0 (it used to abort)."""
    bad = RAISES[kind]
    params = {"raise": bad, "where": f"handlers.py:{1 + len(bad.splitlines())}"}
    assert "DONE" in assert_clean_exit(run_script(BASE_EXCEPTION_SCRIPT, tmp_path, params))


def test_internal_error_fails_the_reload_once_and_other_saves_go_ahead(project, monkeypatch,
                                                                       caplog):
    """An error in qtreload's own reload code is a failed reload of those modules,
    logged once: it is not raised at every check, and other modules' saves go ahead."""
    import qtreload
    from qtreload import _transaction

    project.write("a", "def f():\n    return 'a1'\n")
    project.write("b", "def g():\n    return 'b1'\n")
    a, b = project.load("a"), project.load("b")
    qtreload.check()
    real_find = _transaction.find_chunk

    def broken(old, new, *more):
        if new.path.endswith("a.py"):
            raise AssertionError("qtreload bug")
        return real_find(old, new, *more)

    monkeypatch.setattr(_transaction, "find_chunk", broken)
    project.edit("a", "'a1'", "'a2'")
    report = qtreload.check()
    assert not report.ok and report.failures[0].module == a.__name__
    assert a.f() == "a1"
    assert qtreload.check().ok  # the same content is not tried again
    project.edit("b", "'b1'", "'b2'")
    assert qtreload.check().reloaded == (b.__name__,) and b.g() == "b2"
    errors = [r for r in caplog.records if r.name == "qtreload" and r.levelname == "ERROR"]
    assert len([r for r in errors if "internal error" in r.getMessage()]) == 1


# -- receivers deleted under a connection --------------------------------------------

DELETED_RECEIVER_SCRIPT = """
sys.excepthook = sys.__excepthook__   # PyQt5's rule: an exception escaping a slot aborts
from qtpy.QtWidgets import QLabel
button = QPushButton()
label, other = QLabel("one"), QLabel("two")
qtreload.connect(button.clicked, label.clear)        # a C++ method of a QObject
qtreload.connect(button.clicked, other.clear)
button.click()
assert label.text() == "" and other.text() == "", (label.text(), other.text())
label.setText("again")
label.deleteLater()
settle()
other.setText("still connected")
button.click()                                       # must not abort
assert other.text() == "", other.text()
qtreload.disconnect(button.clicked, other.clear)     # found again by the same expression
other.setText("kept")
button.click()
assert other.text() == "kept"
print("DONE")
"""


def test_connection_to_a_deleted_labels_cpp_method_dies_with_it(tmp_path):
    """``qtreload.connect(btn.clicked, label.clear)``, the label deleted, the button
    clicked: nothing happens, as with plain PyQt (a ``RuntimeError`` used to escape
    into Qt and abort); the other label's connection still works and disconnects."""
    assert "DONE" in assert_clean_exit(run_script(DELETED_RECEIVER_SCRIPT, tmp_path))


# -- the script under ``qtreload run`` -------------------------------------------------

MP_APP = """
import multiprocessing  # noqa: F401  (aliases this script as sys.modules["__mp_main__"])
import sys
from pathlib import Path

from qtpy.QtCore import Qt, QTimer
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication, QPushButton

import handler

print("script top level", flush=True)
app = QApplication(sys.argv)
button = QPushButton("go")
button.clicked.connect(handler.on_click)


def drive():
    QTest.mouseClick(button, Qt.LeftButton)
    for path in (Path(__file__), Path(handler.__file__)):
        path.write_text(path.read_text().replace("v1", "v2"))
    QTest.mouseClick(button, Qt.LeftButton)
    app.quit()


QTimer.singleShot(0, drive)
sys.exit(app.exec())
# v1
"""


def _qtreload_run_app(cwd):
    """``python -m qtreload run app.py`` in ``cwd`` (offscreen, autoreload not turned off)."""
    env = {k: v for k, v in os.environ.items() if k != "QTRELOAD"}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-X", "faulthandler", "-m", "qtreload", "run",
                           "app.py"], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=60)


def test_run_never_re_runs_the_script_aliased_by_multiprocessing(tmp_path):
    """Under ``qtreload run``, an app importing ``multiprocessing`` (pyqtgraph does):
    saving the script does not re-run it as ``__mp_main__`` (which started a second
    ``app.exec()`` and then segfaulted); the handler module's save is picked up."""
    (tmp_path / "app.py").write_text(MP_APP)
    (tmp_path / "handler.py").write_text(textwrap.dedent("""
        def on_click():
            print("click v1", flush=True)
    """))
    result = _qtreload_run_app(tmp_path)
    out = assert_clean_exit(result)
    assert out.splitlines() == ["script top level", "click v1", "click v2"], out


# -- misuse fails at the call, clearly ------------------------------------------------


def _handler() -> None:
    pass


@pytest.mark.parametrize("handler", [42, None, "on_click"])
def test_connect_to_something_not_callable_is_a_type_error(qtbot, handler):
    import blinker
    from qtpy.QtWidgets import QPushButton

    import qtreload

    button = QPushButton()
    qtbot.addWidget(button)
    for signal in (button.clicked, blinker.Signal()):
        with pytest.raises(TypeError, match="must be callable"):
            qtreload.connect(signal, handler)
    button.click()  # nothing was connected


def test_connect_to_an_unbound_or_non_signal_is_a_type_error():
    from qtpy.QtWidgets import QPushButton

    import qtreload

    with pytest.raises(TypeError, match=r"not QPushButton\.clicked"):
        qtreload.connect(QPushButton.clicked, _handler)
    for thing in (42, _handler, "clicked"):
        with pytest.raises(TypeError, match="expected a Qt bound signal"):
            qtreload.connect(thing, _handler)


def test_unique_connection_made_twice_is_a_type_error_as_in_pyqt(qtbot):
    """On every binding (PySide6 itself makes no unique connection to a callable: F6)."""
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QLabel, QPushButton

    import qtreload

    button, label = QPushButton(), QLabel()
    qtbot.addWidget(button)
    qtbot.addWidget(label)
    calls = []

    def handler():
        calls.append(1)

    for target in (handler, label.clear):
        qtreload.connect(button.clicked, target, type=Qt.UniqueConnection)
        with pytest.raises(TypeError, match="already connected"):
            # (Qt 6's ConnectionType is an Enum: no ``AutoConnection | UniqueConnection``)
            qtreload.connect(button.clicked, target, type=Qt.UniqueConnection)
    button.click()
    assert calls == [1]  # connected once
    other = QPushButton()
    qtbot.addWidget(other)
    qtreload.connect(other.clicked, handler, type=Qt.UniqueConnection)  # another signal: fine
    other.click()
    assert calls == [1, 1]


def test_autoreload_slot_of_something_else_is_a_type_error():
    import qtreload

    with pytest.raises(TypeError, match="expected a function to decorate"):
        qtreload.autoreload_slot(42)
    with pytest.raises(TypeError, match="expected a function, method"):
        qtreload.autoreload_slot(int)(42)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"roots": "/tmp"}, TypeError, "list of folders"),
    ({"include": "myapp.*"}, TypeError, "list of patterns"),
    ({"exclude": 3}, TypeError, "must be a list"),
    ({"roots": ["/no/such/folder"]}, ValueError, "not an existing folder"),
    ({"roots": [3]}, TypeError, "must be a str"),
])
def test_configure_with_a_wrong_argument_fails_and_changes_nothing(kwargs, error, match):
    import qtreload

    before = (list(qtreload.reloader.config.roots), list(qtreload.reloader.config.include),
              list(qtreload.reloader.config.exclude))
    with pytest.raises(error, match=match):
        qtreload.configure(**kwargs)
    after = (qtreload.reloader.config.roots, qtreload.reloader.config.include,
             qtreload.reloader.config.exclude)
    assert after == before


# -- a runaway save cannot freeze the app ----------------------------------------------

RUNAWAY_SCRIPT = """
import threading, time
qtreload.configure(time_limit=0.5)
write("state", "LOG = []\\n")
write("handlers", "from state import LOG\\ndef on_click():\\n    LOG.append('v1')\\n")
write("work", "def step():\\n    return 1\\n")
import handlers, state, work
button = QPushButton()
qtreload.connect(button.clicked, handlers.on_click)
step = qtreload.autoreload_slot(lambda: work.step())
done, calls = threading.Event(), []

def worker():                       # another thread calling a wrapped function all along
    while not done.is_set():
        calls.append(step())
        time.sleep(0.002)

thread = threading.Thread(target=worker, daemon=True)
thread.start()
button.click()
write("handlers", "from state import LOG\\n" + PARAMS["top"] + "\\ndef on_click():\\n"
      "    LOG.append('v2')\\n")
start = time.monotonic()
button.click()                                  # interrupted after 0.5 s, not a hang
took = time.monotonic() - start
before = len(calls)
time.sleep(0.2)
assert len(calls) > before, "the worker's wrapped calls must go on"
assert state.LOG == ["v1", "v1"], state.LOG
assert took < PARAMS["max_seconds"], took
errors = logs(logging.ERROR)
assert len(errors) == 1, errors
assert any(f"handlers.py:{line}:" in errors[0] for line in PARAMS["lines"]), errors
assert "RunawayReload" in errors[0] and "0.5 s" in errors[0], errors
write("handlers", "from state import LOG\\ndef on_click():\\n    LOG.append('v3')\\n")
button.click()
assert state.LOG[-1] == "v3", state.LOG
done.set()
thread.join(5)
assert not thread.is_alive()
print("DONE")
"""

RUNAWAYS = {
    # (top-level code, the lines of the loop, the most the click may take)
    "busy_loop": ("n = 0\nwhile True:\n    n += 1", (3, 4), 3.0),
    "loop_that_catches_the_first_interrupt": (
        "n = 0\ntry:\n    while True:\n        n += 1\nexcept BaseException:\n    pass\n"
        "while True:\n    n += 1", (8, 9), 3.0),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", sorted(RUNAWAYS))
def test_runaway_top_level_is_interrupted_and_rolled_back(tmp_path, kind):
    """A save whose top level never ends (``while True``), with a worker thread calling
    a wrapped function all along: the click returns after the time limit, the reload
    failed naming the file and the line, the worker never stopped, the next good save
    is picked up (it used to hang: the lock was held forever)."""
    top, lines, most = RUNAWAYS[kind]
    params = {"top": top, "lines": lines, "max_seconds": most}
    assert "DONE" in assert_clean_exit(run_script(RUNAWAY_SCRIPT, tmp_path, params,
                                                  timeout=40))


BLOCKED_SCRIPT = """
import threading, time
qtreload.configure(time_limit=0.5)
write("slow", "def value():\\n    return 1\\n")
write("other", "def value():\\n    return 'o1'\\n")
import slow, other
get = qtreload.autoreload_slot(lambda: other.value())
write("slow", "import time\\ntime.sleep(6)\\ndef value():\\n    return 2\\n")
got = []

def worker():
    time.sleep(0.3)                    # the GUI thread's reload is stuck by then
    write("other", "def value():\\n    return 'o2'\\n")
    start = time.monotonic()
    got.append(get())                  # waits for the stuck reload, but not without bound
    got.append(time.monotonic() - start)

thread = threading.Thread(target=worker)
thread.start()
qtreload.check()                        # blocked in C (time.sleep), not interruptible
thread.join(15)
assert got[0] == "o1" and 1.0 < got[1] < 4.5, got
assert any("goes ahead without waiting" in m for m in logs(logging.WARNING))
assert slow.value() == 1   # the sleep ended; then the time limit failed the reload
assert any("RunawayReload" in m and "slow.py:2" in m for m in logs(logging.ERROR))
assert get() == "o2"
print("DONE")
"""


@pytest.mark.timeout(60)
def test_other_threads_never_wait_on_a_stuck_reload_without_bound(tmp_path):
    """A save blocked in a C call (``time.sleep(6)``) at its top level holds the reload:
    another thread's wrapped call waits for it at most the time limit plus about 1 s, then goes
    ahead on the code it has; the blocked save fails when the call returns."""
    assert "DONE" in assert_clean_exit(run_script(BLOCKED_SCRIPT, tmp_path, timeout=40))


@pytest.mark.timeout(30)
def test_module_file_replaced_by_a_fifo_is_skipped_with_a_message(project, caplog):
    """A watched ``.py`` replaced by a FIFO: the check does not block in ``open`` (it used
    to hang), says what the file is, and the module keeps its code; a regular file put
    back is picked up."""
    import logging
    import os

    import qtreload

    project.write("piped", "def value():\n    return 1\n")
    module = project.load("piped")
    qtreload.check()
    path = project.path("piped")
    path.unlink()
    os.mkfifo(path)
    with caplog.at_level(logging.WARNING, logger="qtreload"):
        assert qtreload.check().ok
    assert module.value() == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "qtreload"]
    assert any("not a regular file" in m and str(path) in m for m in warnings), warnings
    path.unlink()
    project.write("piped", "def value():\n    return 2\n")
    assert qtreload.check().reloaded == (module.__name__,) and module.value() == 2


# -- module-level objects that must not die -------------------------------------------

THREAD_MODULE = '''
from qtpy.QtCore import QThread
import state

class Ticker(QThread):
    # No global lookups while it runs: a full re-run rebuilds the namespace under it.
    def run(self, ticks=state.TICKS):
        while not self.isInterruptionRequested():
            ticks.append(1)
            self.msleep(5)

ticker = Ticker()
ticker.start()
STAMP = "@V@"
'''

THREAD_SCRIPT = """
write("state", "TICKS = []\\n")
write("threads", PARAMS["module"].replace("@V@", "v1"))
import state, threads
first = threads.ticker
save = PARAMS["module"].replace("@V@", "v2") + PARAMS["tail"]
write("threads", save)
report = qtreload.check()
assert report.ok is PARAMS["ok"], report
for _ in range(3):
    gc.collect()
settle()
(warning,) = [w for w in logs(logging.WARNING) if "QThread" in w]
assert "threads.ticker" in warning and "kept alive" in warning, warning
if PARAMS["ok"]:
    assert threads.ticker is not first and threads.STAMP == "v2"
else:
    assert threads.ticker is first and threads.STAMP == "v1"
assert first.isRunning()
count = len(state.TICKS)
import time; time.sleep(0.1)
assert len(state.TICKS) > count   # every thread still runs
from qtpy.QtCore import QThread
for thread in [t for t in gc.get_objects() if isinstance(t, QThread)]:
    thread.requestInterruption()
    thread.wait(2000)
print("DONE")
"""


@pytest.mark.parametrize("case", ["replaced_by_a_good_save", "started_by_a_failed_save"])
def test_running_qthread_dropped_by_a_reload_is_kept_alive(tmp_path, case):
    """A module-level ``QThread`` started at the top level: a good save replaces the
    module-level object, or a save starts a new one and then fails further down. The
    dropped thread is kept alive and running, with one warning naming it (it used to
    abort: "QThread: Destroyed while thread is still running")."""
    ok = case == "replaced_by_a_good_save"
    params = {"module": THREAD_MODULE, "ok": ok, "tail": "" if ok else "1 / 0\n"}
    assert "DONE" in assert_clean_exit(run_script(THREAD_SCRIPT, tmp_path, params))


# -- module-level instances of a module's own Qt classes, saved again and again -------

RETYPED_SCRIPT = """
SOURCE = '''
from qtpy.QtCore import QObject, QThread

class Hub(QObject):
    def stamp(self):
        return "@V@"

class Runner(QThread):
    def run(self):
        self.msleep(1)

HUB = Hub()
RUNNER = Runner()
RUNNER.start()
RUNNER.wait()
'''
write("hubs", SOURCE.replace("@V@", "v0"))
import hubs
live_hub, live_runner = hubs.Hub, hubs.Runner
for version in range(1, 13):
    # Each good save makes new module-level instances, which the hot-swap gives the
    # live classes; the next save drops them.
    write("hubs", SOURCE.replace("@V@", f"v{version}"))
    report = qtreload.check()
    assert report.ok and report.reloaded == ("hubs",), report
    assert type(hubs.HUB) is live_hub and type(hubs.RUNNER) is live_runner
    assert hubs.HUB.stamp() == f"v{version}"
    settle()
    for _ in range(20):  # the live classes in use: new instances, their meta-objects
        assert live_hub().stamp() == f"v{version}"
        assert live_hub.staticMetaObject.className() == "Hub"
        assert live_runner().metaObject().className() == "Runner"
    gc.collect()
print("DONE")
"""


def test_module_level_qt_objects_of_reloaded_classes_are_freed_safely(tmp_path):
    """A module that makes instances of its own QObject and QThread subclasses at the top
    level, saved a dozen times: each save's instances take the live classes, and the next
    save frees them. On PySide6 each freed one took a reference from its live class, which
    was freed while in use: a segfault after a few saves (docs/binding-facts.md, F18)."""
    assert "DONE" in assert_clean_exit(run_script(RETYPED_SCRIPT, tmp_path))


# -- a restart-needed Qt class change applies what it can -----------------------------

PARTIAL_SCRIPT = """
write("state", "LOG = []\\n")
SOURCE = '''
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QWidget
from state import LOG

class Panel(QWidget):
    moved = Signal(int)

    def on_click(self):
        LOG.append(("click", "@V@"))

    def on_moved(self, value):
        LOG.append(("moved", "@V@", value))
'''
write("panel", SOURCE.replace("@V@", "v1"))
import panel, state
live = panel.Panel()
live.moved.connect(live.on_moved)            # plain PyQt, before the save
button = QPushButton()
button.clicked.connect(live.on_click)
button.click()
live.moved.emit(1)
write("panel", SOURCE.replace("@V@", "v2").replace(
    "    moved = Signal(int)", "    moved = Signal(int)\\n    resized = Signal()"))
report = qtreload.check()
assert report.reloaded == ("panel",), report
(warning,) = report.warnings
assert warning.restart_needed and "signal resized()" in warning.reason, warning
gc.collect()
button.click()
live.moved.emit(2)
assert state.LOG == [("click", "v1"), ("moved", "v1", 1), ("click", "v2"), ("moved", "v2", 2)], \\
    state.LOG
assert type(live) is panel.Panel and not hasattr(live, "resized")
print("DONE")
"""


def test_restart_needed_qt_class_change_still_swaps_the_method_code(tmp_path):
    """A new ``Signal`` together with method-body edits: the live widget's methods
    (connected with plain PyQt) run the new code and its existing signal keeps working;
    only the new signal waits for the restart, reported once (live widgets used to get
    none of the edit)."""
    assert "DONE" in assert_clean_exit(run_script(PARTIAL_SCRIPT, tmp_path))


# -- async handlers and blinker's connect_via -----------------------------------------

ASYNC_MODULE = """
import asyncio
import qtreload


class Base:
    async def work(self):
        return "base"


class Handler(Base):
    @qtreload.autoreload_slot
    async def work(self):
        await asyncio.sleep(0)
        return "v1"


@qtreload.autoreload_slot
async def fetch():
    return "f1"
"""


def test_wrapped_async_def_stays_a_coroutine_function_across_edits(project):
    """``@autoreload_slot`` on an ``async def``: ``inspect.iscoroutinefunction`` is true,
    also after an edit that adds ``super()`` (which makes the live method forward to the
    new one), and awaiting it runs the new code."""
    import asyncio
    import inspect

    import qtreload

    project.write("handler", ASYNC_MODULE)
    module = project.load("handler")
    handler = module.Handler()
    assert inspect.iscoroutinefunction(module.fetch)
    assert inspect.iscoroutinefunction(module.Handler.work)
    assert asyncio.run(handler.work()) == "v1"
    project.edit("handler", 'return "v1"', 'return "v2 " + await super().work()')
    project.edit("handler", 'return "f1"', 'return "f2"')
    assert qtreload.check().ok
    for func in (module.fetch, module.Handler.work, module.Handler.work.__wrapped__):
        assert inspect.iscoroutinefunction(func), func
    assert asyncio.run(handler.work()) == "v2 base"
    assert asyncio.run(module.fetch()) == "f2"


CONNECT_VIA = """
import blinker
from {p}state import CALLS

saved = blinker.Signal()
named = blinker.signal("{p}named")
VERSION = "v1"


@saved.connect_via(blinker.ANY)
def on_saved(sender):
    CALLS.append(("saved", VERSION))


@named.connect_via("editor")
def on_named(sender):
    CALLS.append(("named", VERSION))
"""


def test_connect_via_handlers_are_called_once_after_several_edits(project):
    """``@sig.connect_via(ANY)`` (and a named signal with a sender): each full re-run
    connects the new function; after three edits a send still calls the handler once,
    with the latest code (it was called once more after each edit)."""
    import blinker

    import qtreload

    project.write("state", "CALLS = []\n")
    project.write("handlers", CONNECT_VIA)
    state, module = project.load("state"), project.load("handlers")
    named = blinker.signal(project.name("named"))
    for version in ("v2", "v3", "v4"):
        project.edit("handlers", 'VERSION = "v', f'VERSION = "{version}"  # "v')
        assert qtreload.check().ok
    state.CALLS.clear()
    module.saved.send("anyone")
    named.send("editor")
    named.send("someone else")
    assert state.CALLS == [("saved", "v4"), ("named", "v4")]


# -- reloads run on the GUI thread; long and nested calls do not block them ------------

WORKER_SEND_SCRIPT = """
import threading, time, blinker
from qtpy.QtCore import QTimer
write("state", "RAN_IN = []\\nTICKS = []\\nSENT = []\\n")
SOURCE = '''
import threading
from qtpy.QtCore import QTimer
import state

state.RAN_IN.append(threading.get_ident())
VERSION = "@V@"

def tick():
    state.TICKS.append(VERSION)

TIMER = QTimer()
TIMER.timeout.connect(tick)
TIMER.start(5)

def on_send(sender):
    state.SENT.append((VERSION, threading.get_ident()))
'''
write("ticker", SOURCE.replace("@V@", "v1"))
import state, ticker
signal = blinker.Signal()
qtreload.connect(signal, ticker.on_send)
main = threading.get_ident()
write("ticker", SOURCE.replace("@V@", "v2"))

worker = threading.Thread(target=lambda: signal.send("worker"))
worker.start()
worker.join(10)
assert state.RAN_IN == [main], (state.RAN_IN, main)   # handed over, not run in the worker
deadline = time.monotonic() + 10
while state.RAN_IN == [main] and time.monotonic() < deadline:
    app.processEvents()                                   # the GUI thread runs it
    time.sleep(0.005)
assert state.RAN_IN == [main, main], state.RAN_IN
state.TICKS.clear()
deadline = time.monotonic() + 5
while len(state.TICKS) < 3 and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.005)
assert state.TICKS[-3:] == ["v2"] * 3, state.TICKS        # the new timer fires, on v2
assert "v1" not in state.TICKS, state.TICKS               # the old one is gone
worker = threading.Thread(target=lambda: signal.send("worker"))
worker.start()
worker.join(10)
assert [v for v, _ in state.SENT] == ["v1", "v2"], state.SENT  # next call: new code
assert all(tid != main for _, tid in state.SENT)
print("DONE")
"""


def test_blinker_send_from_a_worker_reloads_on_the_gui_thread(tmp_path):
    """A blinker send from a worker thread just after a save: the reload runs on the GUI
    thread (module-level code, its new ``QTimer`` fires there; it used to run in the
    worker, where the timer never fired), the worker's send that found it runs the code it
    had, and its next send runs the new code."""
    assert "DONE" in assert_clean_exit(run_script(WORKER_SEND_SCRIPT, tmp_path))


LONG_WORKER_SCRIPT = """
import threading, time
from qtpy.QtCore import QThread, QObject
write("state", "SEEN = []\\nSTOP = []\\n")
write("work", "def helper():\\n    return 'v1'\\n")
write("handlers", "def on_click():\\n    return 'click v1'\\n")
import state, work, handlers

class Worker(QObject):
    def run(self):                        # never returns until told: a worker loop
        while not state.STOP:
            state.SEEN.append(work.helper())
            time.sleep(0.001)

thread = QThread()
worker = Worker()
worker.moveToThread(thread)
qtreload.connect(thread.started, worker.run)
thread.start()
button = QPushButton()
clicks = []
qtreload.connect(button.clicked, lambda: clicks.append(handlers.on_click()))
time.sleep(0.05)
write("work", "def helper():\\n    return 'v2'\\n")
write("handlers", "def on_click():\\n    return 'click v2'\\n")
slowest, start = 0.0, time.monotonic()
while not clicks or clicks[-1] != "click v2":
    t = time.monotonic()
    button.click()
    slowest = max(slowest, time.monotonic() - t)
    assert time.monotonic() - start < 5, clicks
    time.sleep(0.02)
took = time.monotonic() - start
count = len(state.SEEN)
deadline = time.monotonic() + 5
while state.SEEN[-1] != "v2" and time.monotonic() < deadline:
    time.sleep(0.01)
state.STOP.append(1)
thread.quit()
assert thread.wait(5000)
print("slowest", slowest, "took", took)
assert slowest < 0.2, slowest      # 50 ms per event, plus a loaded machine's slack
assert took < 3, took              # the reload ran while the worker still loops
assert state.SEEN[-1] == "v2"      # its calls after the reload run the new code
print("DONE")
"""


def test_never_returning_wrapped_worker_does_not_block_gui_clicks(tmp_path):
    """A worker connected with ``qtreload.connect(thread.started, worker.run)`` loops
    forever: after a save, no click waits much more than 50 ms, the reload happens while
    the worker still runs (within about a second), clicks then run the new code, and the
    worker's running loop calls the new ``helper`` (it used to block each click 1 s and
    run the old code until the worker stopped)."""
    assert "DONE" in assert_clean_exit(run_script(LONG_WORKER_SCRIPT, tmp_path))


MODAL_SCRIPT = """
from qtpy.QtCore import QTimer
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QDialog, QVBoxLayout
write("handlers", "def on_ok():\\n    return 'ok v1'\\n")
import handlers
results = []

def open_dialog():
    dialog = QDialog()
    ok = QPushButton("ok", dialog)
    QVBoxLayout(dialog).addWidget(ok)
    qtreload.connect(ok.clicked, lambda: results.append(handlers.on_ok()))

    def drive():
        QTest.mouseClick(ok, Qt.LeftButton)
        write("handlers", "def on_ok():\\n    return 'ok v2'\\n")
        QTest.mouseClick(ok, Qt.LeftButton)
        dialog.accept()

    QTimer.singleShot(50, drive)
    dialog.exec()                      # a nested event loop inside the wrapped call
    results.append(handlers.on_ok())    # the outer call, after the reload: new code

opener = QPushButton()
qtreload.connect(opener.clicked, open_dialog)
QTimer.singleShot(0, opener.click)
QTimer.singleShot(5000, app.quit)
QTimer.singleShot(100, lambda: app.quit() if len(results) == 3 else None)
QTimer.singleShot(500, lambda: app.quit() if len(results) == 3 else None)
app.exec()
assert results == ["ok v1", "ok v2", "ok v2"], results
print("DONE")
"""


def test_buttons_of_a_modal_dialog_opened_by_a_wrapped_handler_run_new_code(tmp_path):
    """A modal dialog opened from a wrapped handler (a nested event loop): a save while
    it is open reloads at the next click on its button, which runs the new code (it used
    to reload nothing while the dialog was open)."""
    assert "DONE" in assert_clean_exit(run_script(MODAL_SCRIPT, tmp_path))


RUN_BASE_EXCEPTION_APP = """
import sys
from pathlib import Path

from qtpy.QtCore import Qt, QTimer
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication, QPushButton

import handler
import other

app = QApplication(sys.argv)
button = QPushButton("go")
button.clicked.connect(handler.on_click)        # plain PyQt: the event hook checks


def save(module, text):
    Path(module.__file__).write_text(text)


def drive():
    QTest.mouseClick(button, Qt.LeftButton)
    save(handler, "raise GeneratorExit\\ndef on_click():\\n    print('click v2', flush=True)\\n")
    QTest.mouseClick(button, Qt.LeftButton)
    save(other, "def value():\\n    return 'o2'\\n")
    QTest.mouseClick(button, Qt.LeftButton)      # another module's save goes ahead
    print("other", other.value(), flush=True)
    save(handler, "def on_click():\\n    print('click v3', flush=True)\\n")
    QTest.mouseClick(button, Qt.LeftButton)
    app.quit()


QTimer.singleShot(0, drive)
sys.exit(app.exec())
"""


def test_run_survives_a_save_raising_generator_exit(tmp_path):
    """Under ``qtreload run`` (the event hook's check before each click), a save whose top
    level raises ``GeneratorExit``: one failed reload, not an abort nor an error at every
    check; another module's save and the next good save are picked up."""
    (tmp_path / "app.py").write_text(RUN_BASE_EXCEPTION_APP)
    (tmp_path / "handler.py").write_text("def on_click():\n    print('click v1', flush=True)\n")
    (tmp_path / "other.py").write_text("def value():\n    return 'o1'\n")
    result = _qtreload_run_app(tmp_path)
    out = assert_clean_exit(result)
    assert out.splitlines() == ["click v1", "click v1", "click v1", "other o2", "click v3"], out
    assert result.stderr.count("GeneratorExit") >= 1
    assert result.stderr.count("reloading handler failed") == 1, result.stderr


NAMESPACE_SCRIPT = r'''
import threading, time

write("state", "hub = object()\n")


def save(version):
    # Another import each time: a full run, which empties the namespace first.
    write("worker_mod", f"import {'os' if version % 2 else 'sys'}\nfrom state import hub\n\n\n"
                        f"def f():\n    return hub, {version}\n")


save(0)
import worker_mod


class Churn:
    """Garbage whose finalizer lets other threads run, as a Qt object's C++ destructor does."""
    def __del__(self):
        time.sleep(0.0002)
        churn()


def churn():
    garbage = Churn()
    garbage.me = garbage


churn()
gc.set_threshold(1)
errors, stop, f = [], threading.Event(), worker_mod.f


def long_call():
    while not stop.is_set():
        try:
            f()
        except Exception as exc:
            errors.append(exc)
        time.sleep(0.0001)


worker = threading.Thread(target=qtreload.autoreload_slot(long_call))
worker.start()
for version in range(1, 5):
    time.sleep(0.01)
    save(version)
    deadline = time.monotonic() + 10
    while not qtreload.check().reloaded and time.monotonic() < deadline:
        time.sleep(0.01)
stop.set()
worker.join()
gc.set_threshold(700)
print("ERRORS", errors[:1], "RUNS", f()[1])
'''


def test_a_call_in_flight_in_another_thread_never_finds_a_module_without_its_names(tmp_path):
    """A worker's call still running when the reload goes ahead (after the grace) runs
    the module's functions while its namespace is rebuilt; neither the time limit's
    watchdog thread starting nor a garbage collection (finalizers that let other
    threads run) may happen while the namespace is emptied: it was ``NameError: hub``."""
    out = assert_clean_exit(run_script(NAMESPACE_SCRIPT, tmp_path))
    assert "ERRORS [] RUNS 4" in out, out
