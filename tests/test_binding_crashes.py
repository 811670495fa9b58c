"""The binding-specific crash facts (docs/binding-facts.md), met through qtreload: no crash.

Each scenario runs in a fresh subprocess on the binding of the test run
(``QT_API``), does what a user does (click, save an edit, click again) and
must exit with rc 0, showing what the user sees.
"""
from __future__ import annotations

from engine_helpers import assert_ran, run_python

from qtreload import _compat

WIDGET = '''
from qtpy.QtWidgets import QWidget

from state import SEEN


def other_press(self, event):
    SEEN.append("other override")


class Pad(QWidget):
    def mousePressEvent(self, event):
        SEEN.append("@V@")
'''

CLICK_EDIT_CLICK = '''
import gc, os
from qtpy.QtCore import Qt
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication
app = QApplication([])
import qtreload, pad, state

def save(text):
    with open("pad.py.tmp", "w") as f:
        f.write(text)
    os.replace("pad.py.tmp", "pad.py")

widget = pad.Pad()
QTest.mouseClick(widget, Qt.MouseButton.LeftButton)  # the override has run: PySide keeps it
save(open("pad.py").read().replace(%(old)r, %(new)r))
report = qtreload.check()
assert report.ok and report.reloaded == ("pad",), report
for _ in range(3):
    gc.collect()
QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
print(state.SEEN, [w.reason for w in report.warnings])
'''


OVERRIDE = "    def mousePressEvent(self, event):\n        SEEN.append(\"v1\")\n"


def _click_edit_click(tmp_path, old: str, new: str) -> str:
    (tmp_path / "state.py").write_text("SEEN = []\n")
    (tmp_path / "pad.py").write_text(WIDGET.replace("@V@", "v1"))
    return assert_ran(run_python(CLICK_EDIT_CLICK % {"old": old, "new": new}, tmp_path))


def test_an_edited_virtual_override_that_already_ran_runs_the_new_code(tmp_path):
    out = _click_edit_click(tmp_path, '"v1"', '"v2"')
    assert out.startswith("['v1', 'v2'] []")


def test_a_removed_virtual_override_that_already_ran(tmp_path):
    """PySide6 segfaults at the next click once an override that ran is deleted (F7):
    qtreload leaves a stand-in under the name; PySide6 still calls the old function
    on that widget (kept alive), and qtreload says so; PyQt calls the C++ default."""
    out = _click_edit_click(tmp_path, OVERRIDE, "    pass\n")
    if _compat.PYSIDE:
        assert out.startswith("['v1', 'v1']") and "PySide keeps calling the old one" in out
    else:
        assert out.startswith("['v1'] []")


def test_a_virtual_override_replaced_by_another_function_warns_on_pyside(tmp_path):
    """``mousePressEvent = other_press``: the override is replaced, not swapped by code.
    PySide6 segfaults if the old function is freed; qtreload keeps it alive, so live
    widgets on which it ran go on calling it (and PySide6 says so); PyQt calls the new one."""
    out = _click_edit_click(tmp_path, OVERRIDE, "    mousePressEvent = other_press\n")
    if _compat.PYSIDE:
        assert out.startswith("['v1', 'v1']") and "PySide keeps calling the old one" in out
    else:
        assert out.startswith("['v1', 'other override']")


def test_a_connected_method_deleted_from_its_class(tmp_path):
    """PyQt5 segfaults once a connected method's function is freed, PySide6 once its
    name is gone from the class (F1); PyQt6 keeps the function."""
    (tmp_path / "board.py").write_text(
        "from qtpy.QtWidgets import QWidget\n"
        "HITS = []\n"
        "class Board(QWidget):\n"
        "    def on_click(self):\n"
        "        HITS.append('v1')\n"
        "    def keep(self):\n"
        "        return 1\n")
    out = assert_ran(run_python("""
        import gc
        from qtpy.QtWidgets import QApplication, QPushButton
        app = QApplication([])
        import qtreload, board
        widget, button = board.Board(), QPushButton()
        button.clicked.connect(widget.on_click)
        button.click()
        text = open("board.py").read()
        gone = "    def on_click(self):\\n        HITS.append('v1')\\n"
        open("board.py", "w").write(text.replace(gone, ""))
        assert qtreload.check().reloaded == ("board",)
        for _ in range(3):
            gc.collect()
        button.click()
        button.click()
        print(board.HITS)
    """, tmp_path))
    # PyQt: the removed function is kept alive and still runs; PySide: the stand-in reports
    assert out.strip() == ("['v1', 'v1', 'v1']" if _compat.PYQT else "['v1']")


def test_many_reloads_of_a_qt_class_with_live_instances(tmp_path):
    """PySide6 puts a ``staticMetaObject`` in each class: copied onto the live class by
    a reload, it is freed with the new class and the next read segfaults (F12)."""
    (tmp_path / "tile.py").write_text(
        "from qtpy.QtCore import Signal\n"
        "from qtpy.QtWidgets import QWidget\n"
        "class Tile(QWidget):\n"
        "    moved = Signal(int)\n"
        "    def label(self):\n"
        "        return 'v0'\n")
    out = assert_ran(run_python("""
        import gc
        from qtpy.QtWidgets import QApplication
        app = QApplication([])
        import qtreload, tile
        tiles = [tile.Tile() for _ in range(3)]
        for n in range(1, 31):
            text = open("tile.py").read()
            open("tile.py", "w").write(text.replace(f"'v{n - 1}'", f"'v{n}'"))
            assert qtreload.check().reloaded == ("tile",), n
            gc.collect()
        print({t.label() for t in tiles}, type(tiles[0]).staticMetaObject.className())
    """, tmp_path))
    assert out.strip() == "{'v30'} Tile"
