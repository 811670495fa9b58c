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
from PyQt5.QtCore import QObject, pyqtSignal
STAMP = "v1"
class Box(QObject):
    moved = pyqtSignal(int)
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
    """A save re-running a module with a QObject subclass and a ``pyqtSignal``, while a
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

    def broken(old, new):
        if new.path.endswith("a.py"):
            raise AssertionError("qtreload bug")
        return real_find(old, new)

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
from PyQt5.QtWidgets import QLabel
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

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtTest import QTest
from PyQt5.QtWidgets import QApplication, QPushButton

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
sys.exit(app.exec_())
# v1
"""


def test_run_never_re_runs_the_script_aliased_by_multiprocessing(tmp_path):
    """Under ``qtreload run``, an app importing ``multiprocessing`` (pyqtgraph does):
    saving the script does not re-run it as ``__mp_main__`` (which started a second
    ``app.exec_()`` and then segfaulted); the handler module's save is picked up."""
    (tmp_path / "app.py").write_text(MP_APP)
    (tmp_path / "handler.py").write_text(textwrap.dedent("""
        def on_click():
            print("click v1", flush=True)
    """))
    env = {k: v for k, v in os.environ.items() if k != "QTRELOAD"}
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-X", "faulthandler", "-m", "qtreload", "run",
                             "app.py"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    out = assert_clean_exit(result)
    assert out.splitlines() == ["script top level", "click v1", "click v2"], out
