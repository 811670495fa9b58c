"""The developer UI on real widgets and real files: the dialog, the menu, status-bar notices."""
from __future__ import annotations

import gc
import logging
import os
import threading
import weakref

import pytest
from qtpy.QtCore import QCoreApplication, QEvent, Qt
from qtpy.QtWidgets import QApplication, QMainWindow, QMenu, QPushButton, QStatusBar

import qtreload
from qtreload._triggers import BEFORE_COMMAND, BEFORE_EVENTS, BEFORE_SCRIPT, TRIGGERS, switches
from qtreload.widgets import (
    ReloadDialog,
    Toggle,
    _states,
    enable_notifications,
    install_menu,
)

try:
    from qtreload import _eventhook
except ImportError:  # the event hook is optional for the UI
    _eventhook = None

COUNTED = """
    from {p}counter import RUNS
    RUNS.append(1)
    VALUE = 1
"""
HANDLERS = """
    from {p}state import LOG
    def on_click():
        LOG.append("v1")
"""


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def switches_restored_and_ui_errors_caught():
    """Put the global switches back whatever a test did; fail on any error the UI logged."""
    reloader = qtreload.reloader
    enabled = reloader.enabled
    calls = getattr(reloader, "check_before_calls", None)
    triggers = switches.state()
    hooked = _eventhook.current() if _eventhook else None
    errors = _Errors()
    logger = logging.getLogger("qtreload")
    logger.addHandler(errors)
    try:
        yield
    finally:
        logger.removeHandler(errors)
        if enabled:
            qtreload.enable()
        else:
            qtreload.disable()
        for key, on in triggers.items():
            switches.set(key, on)
        if calls is not None:
            reloader.check_before_calls = calls
        if _eventhook and _eventhook.current() is not hooked:
            _eventhook.uninstall()
            if hooked is not None:
                _eventhook.install(timers=bool(hooked.events & _eventhook.TIMER_EVENTS),
                                   check=hooked.check)
    ui_errors = [r.getMessage() for r in errors.records
                 if "reload UI" in r.getMessage() or "listener failed" in r.getMessage()]
    assert not ui_errors


def flush_deletes() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)


def counted_module(project) -> str:
    """Load module "mod" (it counts its runs in module "counter"); its name."""
    project.write("counter", "RUNS = []\n")
    project.write("mod", COUNTED)
    project.load("counter")
    project.load("mod")
    return project.name("mod")


def shown_dialog(qtbot, **options) -> ReloadDialog:
    dialog = ReloadDialog(**options)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def state_of(dialog: ReloadDialog, name: str) -> str | None:
    shown = dialog.state(name)
    return None if shown is None else shown[0]


def menu_actions(menu: QMenu) -> dict:
    menu.aboutToShow.emit()  # what opening the menu does: read the switches
    return {a.text(): a for a in menu.actions() if a.text()}


def test_dialog_shows_failure_with_line_then_fix_then_manual_reload(qtbot, project):
    project.write("counter", "RUNS = []\n")
    project.write("mod", COUNTED)
    counter, mod = project.load("counter"), project.load("mod")
    name = project.name("mod")
    dialog = shown_dialog(qtbot)
    qtbot.waitUntil(lambda: state_of(dialog, name) == "up to date")

    project.edit("mod", "VALUE = 1", "VALUE = (1,")
    lineno = project.path("mod").read_text().splitlines().index("VALUE = (1,") + 1
    assert qtreload.check().failures
    qtbot.waitUntil(lambda: state_of(dialog, name) == "failed")
    details = dialog.state(name)[1]
    assert f"{project.name('mod')}.py:{lineno}: SyntaxError" in details
    assert counter.RUNS == [1]

    project.edit("mod", "VALUE = (1,", "VALUE = 2")
    assert qtreload.check().reloaded == (name,)
    qtbot.waitUntil(lambda: state_of(dialog, name) == "up to date")
    assert (counter.RUNS, mod.VALUE) == ([1, 1], 2)

    assert not dialog.reload_button.isEnabled()
    dialog.tree.findItems(name, Qt.MatchExactly, 0)[0].setSelected(True)
    assert dialog.reload_button.isEnabled()
    qtbot.mouseClick(dialog.reload_button, Qt.LeftButton)
    assert counter.RUNS == [1, 1, 1]  # the module really ran again
    assert dialog.outcome.text().startswith("Reloaded: ") and name in dialog.outcome.text()
    assert state_of(dialog, name) == "up to date"


def test_dialog_shows_changed_and_deleted_but_never_reloads(qtbot, project):
    project.write("counter", "RUNS = []\n")
    project.write("mod", COUNTED)
    counter, _ = project.load("counter"), project.load("mod")
    name = project.name("mod")
    dialog = shown_dialog(qtbot)
    qtbot.waitUntil(lambda: state_of(dialog, name) == "up to date")
    project.edit("mod", "VALUE = 1", "VALUE = 3")
    qtbot.waitUntil(lambda: state_of(dialog, name) == "changed on disk", timeout=3000)
    qtbot.wait(3 * ReloadDialog.REFRESH_MS)  # several live refreshes
    assert counter.RUNS == [1]  # the dialog only looks: no reload happened
    os.remove(project.path("mod"))
    qtbot.waitUntil(lambda: state_of(dialog, name) == "deleted", timeout=3000)
    assert "1 deleted" in dialog.summary.text()


@pytest.fixture
def wired_button(qtbot, project):
    """A real button connected with qtreload.connect to a handler module that logs "v1"."""
    project.write("state", "LOG = []\n")
    project.write("handlers", HANDLERS)
    state, handlers = project.load("state"), project.load("handlers")
    button = QPushButton("go")
    qtbot.addWidget(button)
    qtreload.connect(button.clicked, handlers.on_click)
    return state, button


def test_menu_autoreload_switch_really_stops_and_restarts_reloading(qtbot, project, wired_button):
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = install_menu(window.menuBar())
    assert menu.title() == "Reload modules" and menu.menuAction() in window.menuBar().actions()
    state, button = wired_button
    autoreload = menu_actions(menu)["Autoreload"]
    assert autoreload.isChecked() and qtreload.is_enabled()

    autoreload.trigger()
    assert not qtreload.is_enabled() and not menu_actions(menu)["Autoreload"].isChecked()
    project.edit("handlers", '"v1"', '"v2"')
    qtbot.mouseClick(button, Qt.LeftButton)
    assert state.LOG == ["v1"]  # the edit was not picked up

    autoreload.trigger()
    assert qtreload.is_enabled()
    qtbot.mouseClick(button, Qt.LeftButton)
    assert state.LOG == ["v1", "v2"]


def test_menu_events_trigger_really_switches_wrapped_calls(qtbot, project, wired_button):
    menu = QMenu()
    qtbot.addWidget(menu)
    sub = install_menu(menu)
    state, button = wired_button
    calls = menu_actions(sub)[BEFORE_EVENTS.label]
    assert calls.isEnabled() and calls.isChecked()

    calls.trigger()
    assert qtreload.is_enabled() and qtreload.reloader.check_before_calls is False
    assert switches.before_events is False
    project.edit("handlers", '"v1"', '"v2"')
    qtbot.mouseClick(button, Qt.LeftButton)
    assert state.LOG == ["v1"]

    calls.trigger()
    qtbot.mouseClick(button, Qt.LeftButton)
    assert state.LOG == ["v1", "v2"]


def test_menu_events_trigger_switches_the_event_hook_for_plain_pyqt_handlers(qtbot, project):
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = install_menu(window.menuBar())
    project.write("state", "LOG = []\n")
    project.write("handlers", HANDLERS)
    state, handlers = project.load("state"), project.load("handlers")
    button = QPushButton("go")
    qtbot.addWidget(button)
    button.clicked.connect(handlers.on_click)  # plain PyQt: no wrapped call to check before
    qtreload.install_event_hook()
    events = menu_actions(menu)[BEFORE_EVENTS.label]
    assert events.isChecked() and _eventhook.current().enabled

    events.trigger()
    assert not _eventhook.current().enabled
    project.edit("handlers", '"v1"', '"v2"')
    qtbot.mouseClick(button, Qt.LeftButton)
    assert state.LOG == ["v1"]

    events.trigger()
    assert menu_actions(menu)[BEFORE_EVENTS.label].isChecked() and _eventhook.current().enabled
    qtbot.mouseClick(button, Qt.LeftButton)
    assert state.LOG == ["v1", "v2"]


def test_menu_and_dialog_show_the_three_trigger_switches_in_menu_order(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = install_menu(window.menuBar())
    labels = [a.text() for a in menu.actions() if a.isCheckable()]
    assert labels == ["Autoreload", *(t.label for t in TRIGGERS)]
    qtreload.configure(before_script=False)
    actions = menu_actions(menu)
    assert not actions[BEFORE_SCRIPT.label].isChecked()
    assert actions[BEFORE_COMMAND.label].isChecked()
    actions[BEFORE_COMMAND.label].trigger()
    assert switches.before_command is False

    actions["Reload modules\u2026"].trigger()
    dialog = next(d for d in window.findChildren(ReloadDialog) if d.isVisible())
    assert not dialog.checkboxes[BEFORE_SCRIPT.label].isChecked()
    assert not dialog.checkboxes[BEFORE_COMMAND.label].isChecked()
    assert dialog.checkboxes[BEFORE_EVENTS.label].isChecked()
    dialog.checkboxes[BEFORE_SCRIPT.label].click()
    assert switches.before_script is True
    dialog.close()


def test_menu_opens_one_dialog_whose_switches_follow_the_menu(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    menu = install_menu(window.menuBar())
    actions = menu_actions(menu)

    actions["Reload modules\u2026"].trigger()
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, ReloadDialog)]
    dialog = next(d for d in dialogs if d.isVisible() and d.parent() is window)
    dialog.close()
    actions["Reload modules\u2026"].trigger()
    assert dialog.isVisible()
    assert [d for d in window.findChildren(ReloadDialog)] == [dialog]  # reused

    dialog.checkboxes["Autoreload"].click()
    assert not qtreload.is_enabled()
    assert not menu_actions(menu)["Autoreload"].isChecked()
    actions["Autoreload"].trigger()
    qtbot.waitUntil(lambda: dialog.checkboxes["Autoreload"].isChecked())  # live refresh


def test_dialog_takes_any_toggle_and_survives_a_failing_one(qtbot):
    hooked: list[bool] = []

    def set_hooked(on: bool) -> None:
        hooked[:] = [True] if on else []

    def broken(on: bool) -> None:
        raise RuntimeError("hook exploded")

    dialog = shown_dialog(qtbot, toggles=[
        Toggle("Before input events", lambda: bool(hooked), set_hooked),
        Toggle("Broken", lambda: False, broken),
    ])
    box = dialog.checkboxes["Before input events"]
    box.click()
    assert hooked == [True] and box.isChecked()
    box.click()
    assert hooked == [] and not box.isChecked()
    errors = _Errors()
    logging.getLogger("qtreload").addHandler(errors)
    try:
        dialog.checkboxes["Broken"].click()  # logged, not raised into Qt
    finally:
        logging.getLogger("qtreload").removeHandler(errors)
    assert [r.exc_info[1].args for r in errors.records] == [("hook exploded",)]
    assert not dialog.checkboxes["Broken"].isChecked()  # shows the real state


def test_notifications_show_reloads_and_failures_until_turned_off(qtbot, project):
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = window.statusBar()
    name = counted_module(project)
    qtreload.check()
    project.edit("mod", "VALUE = 1", "VALUE = 2")
    qtreload.check()
    assert bar.currentMessage() == ""  # off by default

    off = enable_notifications(window, timeout_ms=60_000)
    project.edit("mod", "VALUE = 2", "VALUE = 3")
    qtreload.check()
    assert bar.currentMessage() == f"Reloaded: {name}"
    project.edit("mod", "VALUE = 3", "VALUE = (3,")
    lineno = project.path("mod").read_text().splitlines().index("VALUE = (3,") + 1
    qtreload.check()
    message = bar.currentMessage()
    assert message.startswith(f"Reload failed: {name}.py:{lineno}: SyntaxError")

    off()
    off()  # idempotent
    flush_deletes()
    bar.clearMessage()
    project.edit("mod", "VALUE = (3,", "VALUE = 4")
    assert qtreload.check().reloaded == (name,)
    assert bar.currentMessage() == ""


def test_a_reload_in_another_thread_reaches_the_dialog_and_status_bar(qtbot, project):
    window = QMainWindow()
    qtbot.addWidget(window)
    enable_notifications(window)
    name = counted_module(project)
    dialog = shown_dialog(qtbot)
    qtbot.waitUntil(lambda: state_of(dialog, name) == "up to date")
    project.edit("mod", "VALUE = 1", "VALUE = (1,")
    worker = threading.Thread(target=qtreload.check)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: state_of(dialog, name) == "failed")
    assert window.statusBar().currentMessage().startswith(f"Reload failed: {name}.py:")
    assert dialog.outcome.text() == window.statusBar().currentMessage()


def test_notifier_drops_itself_with_its_status_bar(qtbot, project):
    listeners = qtreload.reloader.listeners
    window = QMainWindow()
    qtbot.addWidget(window)
    _states.memory_of(qtreload.reloader)  # the one shared, permanent listener
    flush_deletes()  # relays of earlier tests' widgets, deleted late, unregister now
    before = list(listeners)
    bar = QStatusBar()
    window.setStatusBar(bar)
    enable_notifications(bar)
    enable_notifications(bar)  # again: replaces, does not add a second notice
    flush_deletes()
    assert len(listeners) == len(before) + 1
    window.setStatusBar(QStatusBar())  # deletes the old bar
    flush_deletes()
    assert listeners == before
    project.write("mod", "X = 1\n")
    project.load("mod")
    qtreload.check()
    project.edit("mod", "X = 1", "X = 2")
    assert qtreload.check().reloaded  # no listener touches the deleted bar


def test_closed_and_deleted_dialog_leaves_no_listener_behind(qtbot, project):
    dialog = ReloadDialog()
    dialog.show()
    listener = dialog.listener
    assert listener in qtreload.reloader.listeners
    dialog.close()
    dialog.deleteLater()
    flush_deletes()
    assert listener not in qtreload.reloader.listeners
    ref = weakref.ref(dialog)
    del dialog
    gc.collect()
    assert ref() is None
    project.write("mod", "X = 1\n")
    project.load("mod")
    qtreload.check()
    project.edit("mod", "X = 1", "X = 2")
    assert qtreload.check().reloaded


def test_a_module_saved_with_a_broken_one_is_shown_waiting_for_it(qtbot, project):
    project.write("counter", "RUNS = []\n")
    project.write("mod", COUNTED)
    project.write("other", "VALUE = 1\n")
    project.load("counter")
    mod, other = project.load("mod"), project.load("other")
    name, broken = project.name("mod"), project.name("other")
    window = QMainWindow()
    qtbot.addWidget(window)
    enable_notifications(window, timeout_ms=60_000)
    dialog = shown_dialog(qtbot)
    qtbot.waitUntil(lambda: state_of(dialog, name) == "up to date")
    project.edit("mod", "VALUE = 1", "VALUE = 2")  # a good save...
    project.edit("other", "VALUE = 1", "VALUE = (1,")  # ...reloaded with a broken one
    assert [f.module for f in qtreload.check().failures] == [broken]
    qtbot.waitUntil(lambda: state_of(dialog, name) == "waiting")
    assert dialog.state(name) == ("waiting", f"waiting for {broken}")
    why = qtreload.reloader.waiting()[name]  # the engine's reason, shown as it says it
    item = dialog.tree.findItems(name, Qt.MatchExactly, 0)[0]
    assert item.toolTip(2) == f"{project.path('mod')}\n{why}" and broken in why
    assert f"Waiting:\n  {name}: {why}" in window.statusBar().toolTip()
    assert state_of(dialog, broken) == "failed"
    assert "1 waiting" in dialog.summary.text() and "1 failed" in dialog.summary.text()
    project.edit("other", "VALUE = (1,", "VALUE = 3")
    assert set(qtreload.check().reloaded) == {name, broken}
    qtbot.waitUntil(lambda: state_of(dialog, name) == "up to date")
    assert (mod.VALUE, other.VALUE) == (2, 3)


def test_dialog_cuts_nothing_off_and_shows_the_whole_failure_under_the_list(qtbot, project):
    name = counted_module(project)
    dialog = shown_dialog(qtbot)
    project.edit("mod", "VALUE = 1", "VALUE = (1,")
    assert qtreload.check().failures
    qtbot.waitUntil(lambda: state_of(dialog, name) == "failed")
    project.edit("counter", "RUNS = []", "RUNS = [0]")  # another state: changed on disk
    counter = project.name("counter")
    qtbot.waitUntil(lambda: state_of(dialog, counter) == "changed on disk", timeout=3000)
    metrics = dialog.tree.fontMetrics()
    for row in range(dialog.tree.topLevelItemCount()):
        shown = dialog.tree.topLevelItem(row)
        for column in (0, 1):  # the module and its state are never cut
            width = metrics.horizontalAdvance(shown.text(column))
            assert dialog.tree.columnWidth(column) >= width, shown.text(column)
    item = dialog.tree.findItems(name, Qt.MatchExactly, 0)[0]
    assert dialog.details.toPlainText() == ""
    dialog.tree.setCurrentItem(item)
    text = dialog.details.toPlainText()
    assert text.startswith(f"{name}: failed ({name}.py:")
    assert f'File "{project.path("mod")}", line' in text and "SyntaxError" in text
    project.edit("mod", "VALUE = (1,", "VALUE = 2")
    qtreload.check()
    qtbot.waitUntil(lambda: dialog.details.toPlainText().startswith(f"{name}: up to date"))


def test_a_long_status_message_is_elided_with_the_whole_report_in_the_tooltip(qtbot, project):
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = window.statusBar()
    window.resize(320, 200)
    window.show()
    qtbot.waitExposed(window)
    bar.setToolTip("the app's own tooltip")
    name = counted_module(project)
    enable_notifications(window, timeout_ms=60_000)
    project.edit("mod", "VALUE = 1", "VALUE = (1,")
    qtreload.check()
    message = bar.currentMessage()
    assert message.startswith("Reload failed: ") and message.endswith(".py, line 4)")
    assert "\u2026" in message  # elided in the middle: it did not fit
    assert bar.fontMetrics().horizontalAdvance(message) <= bar.width()
    tip = bar.toolTip()
    assert tip.startswith("Reload failed:\n")
    assert f"{project.path('mod')}:" in tip and "SyntaxError" in tip  # full path and error
    bar.clearMessage()
    assert bar.toolTip() == "the app's own tooltip"
    project.edit("mod", "VALUE = (1,", "VALUE = 2")
    qtreload.check()
    assert bar.currentMessage() == f"Reloaded: {name}"  # short enough: shown whole
    assert bar.toolTip() == f"Reloaded: {name}"
