"""The event hook: a stale check before user input, never an exception into Qt, switchable."""
from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterator

import pytest
from qtpy.QtCore import QCoreApplication, QEvent, QMimeData, QPoint, QPointF, Qt, QTimer
from qtpy.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QHoverEvent,
    QKeySequence,
    QWheelEvent,
)
from qtpy.QtWidgets import QPushButton, QShortcut, QWidget
from test_cli import ok, python

import qtreload
from qtreload import _eventhook


class Recorder(QWidget):
    """A widget that notes each input event it receives in a shared log."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log
        self.setFocusPolicy(Qt.StrongFocus)

    def mousePressEvent(self, event) -> None:
        self.log.append("press")

    def mouseReleaseEvent(self, event) -> None:
        self.log.append("release")

    def keyPressEvent(self, event) -> None:
        self.log.append("key")

    def keyReleaseEvent(self, event) -> None:
        self.log.append("key up")

    def wheelEvent(self, event) -> None:
        self.log.append("wheel")

    def mouseMoveEvent(self, event) -> None:
        self.log.append("move")

    def dragEnterEvent(self, event) -> None:
        event.acceptProposedAction()  # or Qt sends no DragMove and no Drop

    def event(self, event) -> bool:
        if event.type() in HOVER_AND_DRAG:
            self.log.append(HOVER_AND_DRAG[event.type()])
        return super().event(event)


HOVER_AND_DRAG = {getattr(QEvent, name): name for name in (
    "Enter", "Leave", "HoverEnter", "HoverMove", "HoverLeave", "DragEnter", "DragMove",
    "DragLeave", "Drop")}


@pytest.fixture
def log(qapp) -> Iterator[list[str]]:
    """What happened, in order: "check" for each check the hook ran, and the widget's events."""
    entries: list[str] = []
    _eventhook.install(check=lambda: entries.append("check"))
    yield entries
    _eventhook.uninstall()


@pytest.fixture
def widget(qtbot, log: list[str]) -> Recorder:
    w = Recorder(log)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    qtbot.mouseMove(w)  # Qt 6 sends Enter before the first synthetic click, if not yet in
    qtbot.wait(1)
    log.clear()
    return w


def collapsed(entries: list[str]) -> list[str]:
    """``entries`` with runs of "check" counted once (an event may pass more than one object)."""
    return [e for i, e in enumerate(entries) if not (e == "check" and entries[i - 1:i] == [e])]


def test_check_runs_before_a_mouse_press_and_release(qtbot, widget: Recorder,
                                                     log: list[str]) -> None:
    qtbot.mouseClick(widget, Qt.LeftButton)
    assert collapsed(log) == ["check", "press", "check", "release"]


def test_check_runs_before_keys_and_wheel_but_not_key_release(qtbot, widget: Recorder,
                                                              log: list[str]) -> None:
    qtbot.keyClick(widget, Qt.Key_A)
    assert collapsed(log) == ["check", "key", "key up"]
    log.clear()
    qtbot.mouseDClick(widget, Qt.LeftButton)
    assert log[0] == "check"
    log.clear()
    wheel = QWheelEvent(QPointF(2, 2), QPointF(2, 2), QPoint(), QPoint(0, 120), Qt.NoButton,
                        Qt.NoModifier, Qt.NoScrollPhase, False)
    QCoreApplication.sendEvent(widget, wheel)
    assert log == ["check", "wheel"]


def test_check_runs_before_a_shortcut(qtbot, widget: Recorder, log: list[str]) -> None:
    shortcut = QShortcut(QKeySequence("Ctrl+K"), widget)
    shortcut.activated.connect(lambda: log.append("shortcut"))
    widget.activateWindow()
    qtbot.waitActive(widget)
    log.clear()
    qtbot.keyClick(widget, Qt.Key_K, Qt.ControlModifier)
    assert log[log.index("shortcut") - 1] == "check"


def test_other_events_are_not_checked(widget: Recorder, log: list[str]) -> None:
    QCoreApplication.sendEvent(widget, QEvent(QEvent.User))
    widget.resize(50, 60)
    widget.repaint()
    assert log == []


def test_switched_off_and_uninstalled(qtbot, widget: Recorder, log: list[str]) -> None:
    _eventhook.current().enabled = False
    qtbot.mouseClick(widget, Qt.LeftButton)
    assert log == ["press", "release"]
    _eventhook.current().enabled = True
    _eventhook.uninstall()
    assert _eventhook.current() is None
    log.clear()
    qtbot.mouseClick(widget, Qt.LeftButton)
    assert log == ["press", "release"]


def test_a_failing_check_is_logged_and_the_event_still_arrives(qtbot, widget: Recorder,
                                                               log: list[str], caplog) -> None:
    def broken() -> None:
        raise RuntimeError("check broke")

    _eventhook.install(check=broken)
    with caplog.at_level(logging.ERROR, logger="qtreload"):
        qtbot.mouseClick(widget, Qt.LeftButton)
    assert log == ["press", "release"]
    assert "MouseButtonPress" in caplog.records[0].getMessage()
    assert "check broke" in caplog.text


@pytest.mark.parametrize("timers", [False, True])
def test_timer_events_only_when_asked(qtbot, log: list[str], timers: bool) -> None:
    _eventhook.install(timers=timers, check=lambda: log.append("check"))
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(lambda: log.append("timeout"))
    with qtbot.waitSignal(timer.timeout, timeout=5000):
        timer.start(1)
    if timers:
        assert log[log.index("timeout") - 1] == "check"
    else:
        assert "check" not in log


def test_a_plain_connection_runs_the_edited_handler(qtbot, qapp, project) -> None:
    project.write("state", "RESULTS = []\n")
    project.write("handler", """
        from {p}state import RESULTS
        def on_click():
            RESULTS.append("v1")
    """)
    state, handler = project.load("state"), project.load("handler")
    _eventhook.install()  # the real stale check
    try:
        button = QPushButton("go")
        qtbot.addWidget(button)
        button.clicked.connect(handler.on_click)  # no qtreload here
        qtbot.mouseClick(button, Qt.LeftButton)
        project.edit("handler", '"v1"', '"v2"')
        qtbot.mouseClick(button, Qt.LeftButton)
    finally:
        _eventhook.uninstall()
    assert state.RESULTS == ["v1", "v2"]


def test_installed_as_soon_as_the_application_is_constructed(tmp_path) -> None:
    script = """
        from qtpy.QtCore import QCoreApplication, Qt
        from qtpy.QtTest import QTest
        from qtpy.QtWidgets import QApplication, QPushButton
        from qtreload import _eventhook

        checks = []
        _eventhook.install(check=lambda: checks.append(1))
        waiting = lambda: QCoreApplication.__dict__.get("__init__") is _eventhook._init_then_attach
        print("waiting:", waiting(), _eventhook.current())

        class App(QApplication):
            def __init__(self, argv):
                super().__init__(argv)
                self.mine = True

        app = App([])
        print("created:", waiting(), app.mine,
              _eventhook.current() is not None)
        QTest.mouseClick(QPushButton(), Qt.LeftButton)
        print("checks:", len(checks) >= 2)
        _eventhook.uninstall()
        print("uninstalled:", _eventhook.current())
    """
    lines = ok(python(["-c", textwrap.dedent(script)], cwd=tmp_path))
    assert lines == ["waiting: True None", "created: False True True", "checks: True",
                     "uninstalled: None"]


def _drag_event(kind: QEvent.Type, widget: QWidget):
    mime = QMimeData()
    mime.setText("dropped")
    point = QPoint(5, 5)
    if kind == QEvent.DragLeave:
        return QDragLeaveEvent()
    cls = {QEvent.DragEnter: QDragEnterEvent, QEvent.DragMove: QDragMoveEvent,
           QEvent.Drop: QDropEvent}[kind]
    if cls is QDropEvent:  # Qt 6 takes a QPointF here only
        point = QPointF(point)
    return cls(point, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)


@pytest.mark.parametrize("kind", list(HOVER_AND_DRAG.values()))
def test_check_runs_before_hover_enter_leave_and_drag_and_drop(widget: Recorder, log: list[str],
                                                               kind: str) -> None:
    widget.setAcceptDrops(True)
    kind_ = getattr(QEvent, kind)
    if kind.startswith("Drag") or kind == "Drop":
        if kind != "DragEnter":  # Qt delivers the rest of a drag only after it entered
            enter = _drag_event(QEvent.DragEnter, widget)
            QCoreApplication.sendEvent(widget, enter)
            log.clear()
        event = _drag_event(kind_, widget)
    elif kind.startswith("Hover"):
        event = QHoverEvent(kind_, QPointF(3, 3), QPointF(2, 2))
    else:
        event = QEvent(kind_)
    QCoreApplication.sendEvent(widget, event)
    assert log == ["check", kind]


def test_check_runs_before_a_mouse_move(qtbot, widget: Recorder, log: list[str]) -> None:
    widget.setMouseTracking(True)
    qtbot.mouseMove(widget, QPoint(10, 10))
    qtbot.mouseMove(widget, QPoint(20, 12))
    moves = [i for i, entry in enumerate(log) if entry == "move"]
    assert moves and all(log[i - 1] == "check" for i in moves)


HOVER_WIDGET = """
    from qtpy.QtWidgets import QWidget

    class Hovered(QWidget):
        def __init__(self, log):
            super().__init__()
            self.log = log
            self.setMouseTracking(True)

        def mouseMoveEvent(self, event):
            self.log.append("hover v1")

        def paintEvent(self, event):
            self.log.append("paint v1")
"""


def test_an_edited_hover_handler_runs_at_the_next_move_and_the_window_repaints_once(
        qtbot, qapp, project) -> None:
    view = project.write("view", HOVER_WIDGET)
    module = project.load("view")
    _eventhook.install()  # the real stale check
    try:
        entries: list[str] = []
        widget = module.Hovered(entries)
        qtbot.addWidget(widget)
        widget.resize(80, 60)
        widget.show()
        qtbot.waitExposed(widget)
        qtbot.mouseMove(widget, QPoint(10, 10))
        qtbot.waitUntil(lambda: "hover v1" in entries)
        qapp.processEvents()
        entries.clear()

        project.edit("view", '"hover v1"', '"hover v2"')
        project.edit("view", '"paint v1"', '"paint v2"')
        qtbot.mouseMove(widget, QPoint(30, 20))  # a move, no click
        qtbot.waitUntil(lambda: "paint v2" in entries)
        assert "hover v1" not in entries and "hover v2" in entries
        qapp.processEvents()
        assert entries.count("paint v2") == 1  # one repaint, not one per event
        entries.clear()
        qtbot.mouseMove(widget, QPoint(31, 21))  # nothing changed: no repaint
        qapp.processEvents()
        assert "paint v2" not in entries
    finally:
        _eventhook.uninstall()
    assert view.exists()


def test_installed_before_qtwidgets_is_even_imported(tmp_path) -> None:
    # Importing QtWidgets runs QCoreApplication.__init__ on a placeholder that is
    # not the app (docs/scripts/qapp_placeholder.py): the hook must wait for the real one.
    script = """
        from qtreload import _eventhook

        checks = []
        _eventhook.install(check=lambda: checks.append(1))
        from qtpy.QtCore import Qt
        from qtpy.QtTest import QTest
        from qtpy.QtWidgets import QApplication, QPushButton

        app = QApplication([])
        print("hooked:", _eventhook.current() is not None and _eventhook._app is app)
        QTest.mouseClick(QPushButton(), Qt.LeftButton)
        print("checks:", len(checks) >= 2)
    """
    lines = ok(python(["-c", textwrap.dedent(script)], cwd=tmp_path))
    assert lines == ["hooked: True", "checks: True"]


SCENE_ITEM = """
    from qtpy.QtCore import QRectF
    from qtpy.QtWidgets import QGraphicsItem

    class Dot(QGraphicsItem):
        def __init__(self, log):
            super().__init__()
            self.log = log

        def boundingRect(self):
            return QRectF(0, 0, 20, 20)

        def paint(self, painter, option, widget=None):
            self.log.append("paint v1")
"""


def test_an_edited_graphics_item_paint_shows_after_the_reload_with_no_event(qtbot, project):
    from qtpy.QtWidgets import QGraphicsScene, QGraphicsView

    project.write("item", SCENE_ITEM)
    module = project.load("item")
    _eventhook.install()
    try:
        entries: list[str] = []
        scene = QGraphicsScene()
        scene.addItem(module.Dot(entries))
        view = QGraphicsView(scene)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        qtbot.waitUntil(lambda: "paint v1" in entries)
        project.edit("item", '"paint v1"', '"paint v2"')
        assert qtreload.check().reloaded == (project.name("item"),)
        qtbot.waitUntil(lambda: "paint v2" in entries)  # no event, no hover: the repaint
    finally:
        _eventhook.uninstall()
