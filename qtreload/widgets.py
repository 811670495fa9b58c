"""Developer UI for qtreload: a "Reload modules" dialog and menu, and status-bar notices.

Everything here only *reads* the reloader's state (it never runs the stale
check itself, so opening the dialog is never a reload trigger) and learns
about reloads through ``reloader.listeners``. Reports may arrive in any thread;
they reach widgets through a queued signal. No slot here lets an exception
reach Qt (PyQt5 aborts on those): errors are logged on the "qtreload" logger.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from PyQt5.QtCore import QObject, Qt, QTimer, pyqtSignal, pyqtSlot
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMenuBar,
    QPushButton,
    QStatusBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ._compat import is_deleted
from ._default import reloader as default_reloader
from ._detector import RACY_WINDOW_NS
from ._engine import Reloader
from ._report import ReloadFailure, ReloadReport
from ._triggers import TRIGGERS, switches_of
from ._watch import WatchedModule, fingerprint

__all__ = ["ReloadDialog", "Toggle", "default_toggles", "describe", "enable_notifications",
           "install_menu"]

log = logging.getLogger("qtreload")
F = TypeVar("F", bound=Callable[..., Any])

UP_TO_DATE, CHANGED, FAILED, DELETED = "up to date", "changed on disk", "failed", "deleted"
_COLORS = {CHANGED: QColor(170, 100, 0), FAILED: QColor(200, 0, 0), DELETED: QColor(128, 128, 128)}


def _guarded(func: F) -> F:
    """Qt calls it: log any exception instead of letting it abort the app."""
    @functools.wraps(func)
    def slot(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception:
            log.exception("qtreload: error in the reload UI (ignored)")
            return None
    return slot  # type: ignore[return-value]


# -- what the UI shows --------------------------------------------------------

@dataclass(frozen=True)
class Toggle:
    """A switch shown as a checkbox and a checkable action: ``get()`` reads, ``set(on)`` flips.

    ``set`` is None when the switch is unavailable; it is then shown greyed out, with ``note``.
    """

    label: str
    get: Callable[[], bool]
    set: Callable[[bool], None] | None
    note: str = ""


def default_toggles(reloader: Reloader = default_reloader) -> list[Toggle]:
    """Autoreload (the master switch) and the three trigger points of ``qtreload._triggers``."""
    def set_enabled(on: bool) -> None:
        if on:
            reloader.enable()
        else:
            reloader.disable()

    switches = switches_of(reloader)
    return [Toggle("Autoreload", lambda: reloader.enabled, set_enabled,
                   "Watch modules and reload them when their files change"),
            *(Toggle(t.label, functools.partial(switches.get, t),
                     functools.partial(switches.set, t), t.note) for t in TRIGGERS)]


def _switch(toggles: Sequence[Toggle], wanted: Sequence[bool]) -> None:
    """Flip each available toggle to its wanted state; a failing one is logged, not raised."""
    for toggle, on in zip(toggles, wanted, strict=True):
        if toggle.set is not None and on != bool(toggle.get()):
            try:
                toggle.set(on)
            except Exception:
                log.exception("qtreload: could not turn %r %s", toggle.label, ("off", "on")[on])


def _short(failure: ReloadFailure) -> str:
    """``file.py:12: SyntaxError: ...`` with the file's base name, for narrow places."""
    where = os.path.basename(failure.path) + (f":{failure.lineno}" if failure.lineno else "")
    return f"{where}: {type(failure.exception).__name__}: {failure.exception}"


def describe(report: ReloadReport) -> str:
    """One line for a report: "Reloaded: a, b" or "Reload failed: file:line: error"."""
    if report.failures:
        return "Reload failed: " + "; ".join(_short(f) for f in report.failures)
    restart = sum(w.restart_needed for w in report.warnings)
    tail = f" ({restart} change(s) need a restart)" if restart else ""
    if report.reloaded:
        return "Reloaded: " + ", ".join(report.reloaded) + tail
    return ("Reloaded with warnings" + tail) if report.warnings else "Nothing to reload"


def _file_digest(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return fingerprint(f.read())
    except OSError:
        return None


class _FailureMemory:
    """The last failure per module and the fingerprint of the source that failed."""

    def __init__(self) -> None:
        self.failures: dict[str, tuple[ReloadFailure, bytes | None]] = {}

    def __call__(self, report: ReloadReport) -> None:
        for name in report.reloaded:
            self.failures.pop(name, None)
        for failure in report.failures:
            self.failures[failure.module] = (failure, _file_digest(failure.path))
        for name in [n for n in self.failures if n not in sys.modules]:
            del self.failures[name]  # a module gone for good: let its traceback go too


_memories: weakref.WeakKeyDictionary[Reloader, _FailureMemory] = weakref.WeakKeyDictionary()


def _memory_of(reloader: Reloader) -> _FailureMemory:
    """One failure memory per reloader, listening from the first time the UI is used."""
    memory = _memories.get(reloader)
    if memory is None:
        memory = _memories[reloader] = _FailureMemory()
        reloader.listeners.append(memory)
    return memory


class _DiskDigests:
    """File fingerprints, re-hashed only when the file's stat signature moves.

    A signature taken within the detector's racy window of the file's mtime proves
    nothing (a same-size save in one tick), so recently written files are re-hashed.
    """

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int, int, int], bytes]] = {}

    def get(self, path: str) -> bytes | None:
        try:
            st = os.stat(path)
        except OSError:
            self._cache.pop(path, None)
            return None
        sig = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
        hit = self._cache.get(path)
        if hit and hit[0] == sig and time.time_ns() - max(sig[0], sig[3]) > RACY_WINDOW_NS:
            return hit[1]
        digest = _file_digest(path)
        if digest is not None:
            self._cache[path] = (sig, digest)
        return digest


def _module_state(record: WatchedModule, memory: _FailureMemory, disk: _DiskDigests,
                 trusted: bool) -> tuple[str, str, str]:
    """(state, details, tooltip) of one watched module.

    ``trusted``: the engine is enabled and its detector has nothing pending, so a
    clean record is known to match its file without touching the disk.
    """
    if trusted and record.disk is None and record.failed is None and not record.deleted:
        return UP_TO_DATE, "", record.path
    digest = disk.get(record.path)
    if digest is None:
        return DELETED, "keeps running its last good code", record.path
    if digest == record.fingerprint:
        return UP_TO_DATE, "", record.path
    if record.failed is not None and record.failed == digest:
        failure, failed_digest = memory.failures.get(record.name, (None, None))
        if failure is not None and failed_digest == digest:
            return FAILED, _short(failure), failure.traceback_text
        return FAILED, "not applied: a module reloaded with it failed", record.path
    return CHANGED, "", record.path


class _Listener:
    """The callback put in ``reloader.listeners``: hands each report to a relay held weakly."""

    def __init__(self, relay: _Relay) -> None:
        self._ref = weakref.ref(relay)

    def relay(self) -> _Relay | None:
        relay = self._ref()
        return None if relay is None or is_deleted(relay) else relay

    def __call__(self, report: ReloadReport) -> None:
        relay = self.relay()
        if relay is not None:
            with contextlib.suppress(RuntimeError):  # deleted by the GUI thread meanwhile
                relay.reported.emit(report)


class _Relay(QObject):
    """Carries reload reports from any thread to the GUI thread; unregisters when deleted."""

    reported = pyqtSignal(object)

    def __init__(self, reloader: Reloader, parent: QObject) -> None:
        super().__init__(parent)
        self.listener = _Listener(self)
        self._listeners = reloader.listeners
        reloader.listeners.append(self.listener)
        _Janitor.instance().watch(self, reloader.listeners)

    def stop(self) -> None:
        """Stop listening now and delete this relay."""
        _unregister(self._listeners, self.listener)
        self.setObjectName("")
        self.deleteLater()


class _Janitor(QObject):
    """Unregisters the listeners of deleted relays.

    ``destroyed`` reaches it through a plain Qt connection (a decorated slot of a
    long-lived object): a Python callable connected to a relay's own ``destroyed``
    can be freed by PyQt's garbage collection before the signal fires (a segfault).
    """

    _instance: _Janitor | None = None

    @classmethod
    def instance(cls) -> _Janitor:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def __init__(self) -> None:
        super().__init__()
        self._watched: list[tuple[list, _Listener]] = []

    def watch(self, relay: _Relay, listeners: list) -> None:
        self._watched.append((listeners, relay.listener))
        relay.destroyed.connect(self.sweep)

    @pyqtSlot()
    def sweep(self) -> None:
        try:
            alive = []
            for listeners, listener in self._watched:
                if listener.relay() is None:
                    _unregister(listeners, listener)
                else:
                    alive.append((listeners, listener))
            self._watched = alive
        except Exception:
            log.exception("qtreload: error in the reload UI (ignored)")


def _unregister(listeners: list, listener: Callable) -> None:
    if listener in listeners:
        listeners.remove(listener)


# -- the dialog -----------------------------------------------------------------

class ReloadDialog(QDialog):
    """The watched modules with their state, a manual reload, and the autoreload switches."""

    REFRESH_MS = 500

    def __init__(self, parent: QWidget | None = None, reloader: Reloader = default_reloader,
                 toggles: Sequence[Toggle] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reload modules")
        self._reloader = reloader
        self._memory = _memory_of(reloader)
        self._disk = _DiskDigests()
        self._items: dict[str, QTreeWidgetItem] = {}

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Module", "State", "Details"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.AscendingOrder)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.summary = QLabel()
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.reload_button = QPushButton("Reload selected")
        self.reload_button.setEnabled(False)
        self.reload_button.clicked.connect(self._reload_selected)

        self._toggles = list(default_toggles(reloader) if toggles is None else toggles)
        self.checkboxes: dict[str, QCheckBox] = {}
        switches = QHBoxLayout()
        for toggle in self._toggles:
            box = self.checkboxes[toggle.label] = QCheckBox(toggle.label)
            box.setToolTip(toggle.note)
            box.setEnabled(toggle.set is not None)
            box.clicked.connect(self._apply_toggles)
            switches.addWidget(box)
        switches.addStretch()
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.reload_button)
        row.addWidget(self.summary, 1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(switches)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.outcome)
        layout.addLayout(row)
        self.resize(640, 420)

        self._timer = QTimer(self)
        self._timer.setInterval(self.REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._relay = _Relay(reloader, self)
        self._relay.reported.connect(self._on_report, Qt.QueuedConnection)
        self.refresh()

    @property
    def listener(self) -> Callable[[ReloadReport], None]:
        """The callback in ``reloader.listeners``; removed when the dialog is destroyed."""
        return self._relay.listener

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        self._timer.start()
        self.refresh()
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt name)
        self._timer.stop()
        super().hideEvent(event)

    @_guarded
    def refresh(self, *_: Any) -> None:
        """Re-read the module states and switches; never triggers a reload."""
        rel = self._reloader
        records = rel.watched()
        trusted = rel.enabled and not rel.stale_hint()
        counts: dict[str, int] = {}
        for name, record in records.items():
            state, details, tip = _module_state(record, self._memory, self._disk, trusted)
            counts[state] = counts.get(state, 0) + 1
            item = self._items.get(name)
            if item is None:
                item = self._items[name] = QTreeWidgetItem([name, "", ""])
                self.tree.addTopLevelItem(item)
            if (item.text(1), item.text(2), item.toolTip(2)) != (state, details, tip):
                item.setText(1, state)
                item.setText(2, details)
                item.setToolTip(2, tip)
                item.setForeground(1, _COLORS.get(state, self.palette().text().color()))
        for name in self._items.keys() - records.keys():
            item = self._items.pop(name)
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(item))
        others = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s != UP_TO_DATE)
        self.summary.setText(f"{len(records)} watched" + (f"; {others}" if others else ""))
        self._sync_toggles()

    def state(self, name: str) -> tuple[str, str] | None:
        """(state, details) shown for module ``name``, or None if it is not listed."""
        item = self._items.get(name)
        return None if item is None else (item.text(1), item.text(2))

    def _sync_toggles(self) -> None:
        for toggle in self._toggles:
            self.checkboxes[toggle.label].setChecked(bool(toggle.get()))

    @_guarded
    def _apply_toggles(self, *_: Any) -> None:
        _switch(self._toggles, [self.checkboxes[t.label].isChecked() for t in self._toggles])
        self.refresh()

    @_guarded
    def _selection_changed(self, *_: Any) -> None:
        self.reload_button.setEnabled(bool(self.tree.selectedItems()))

    @_guarded
    def _reload_selected(self, *_: Any) -> None:
        names = sorted(item.text(0) for item in self.tree.selectedItems())
        if not names:
            return
        try:
            text = describe(self._reloader.reload(*names))
        except Exception as exc:  # e.g. a module no longer watched
            log.warning("qtreload: reloading %s from the dialog failed: %s", names, exc)
            text = f"Reload failed: {exc}"
        self.outcome.setText(text)
        self.refresh()

    @_guarded
    def _on_report(self, report: ReloadReport) -> None:
        if report.failures or report.reloaded:
            self.outcome.setText(describe(report))
        if self.isVisible():
            self.refresh()


# -- the menu -------------------------------------------------------------------

class _MenuController(QObject):
    """Owned by the submenu: keeps its actions in step with the toggles, owns one dialog."""

    def __init__(self, menu: QMenu, reloader: Reloader, toggles: Sequence[Toggle] | None) -> None:
        super().__init__(menu)
        self._reloader = reloader
        _memory_of(reloader)  # remember failures from now on, not only once the dialog opens
        self._toggles = list(default_toggles(reloader) if toggles is None else toggles)
        self.dialog: ReloadDialog | None = None
        menu.addAction("Reload modules\u2026").triggered.connect(self.open_dialog)
        menu.addSeparator()
        self._actions = []
        for toggle in self._toggles:
            action = menu.addAction(toggle.label)
            action.setCheckable(True)
            action.setEnabled(toggle.set is not None)
            action.setToolTip(toggle.note or toggle.label)
            action.triggered.connect(self._apply)
            self._actions.append(action)
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(self._sync)
        self._sync()

    @_guarded
    def _sync(self, *_: Any) -> None:
        for toggle, action in zip(self._toggles, self._actions, strict=True):
            action.setChecked(bool(toggle.get()))

    @_guarded
    def _apply(self, *_: Any) -> None:
        _switch(self._toggles, [action.isChecked() for action in self._actions])
        self._sync()

    @_guarded
    def open_dialog(self, *_: Any) -> None:
        """Show this menu's dialog, creating it the first time (or after it was deleted)."""
        if self.dialog is None or is_deleted(self.dialog):
            owner = self.parent()
            while isinstance(owner, (QMenu, QMenuBar)):
                owner = owner.parentWidget()
            window = owner.window() if isinstance(owner, QWidget) else None
            self.dialog = ReloadDialog(window, self._reloader, self._toggles)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()


def install_menu(menu_or_menubar: QMenu | QMenuBar, reloader: Reloader = default_reloader,
                 toggles: Sequence[Toggle] | None = None) -> QMenu:
    """Add a "Reload modules" submenu: the switches as checkable actions, and the dialog."""
    menu = QMenu("Reload modules", menu_or_menubar)
    menu_or_menubar.addMenu(menu)
    _MenuController(menu, reloader, toggles)
    return menu


# -- status-bar notices ---------------------------------------------------------

class _Notifier(_Relay):
    """A child of the status bar: shows each report there, and dies with it."""

    def __init__(self, reloader: Reloader, bar: QStatusBar, timeout_ms: int) -> None:
        super().__init__(reloader, bar)
        self.setObjectName("qtreload-notifier")
        self._timeout = timeout_ms
        self.reported.connect(self._show)

    @_guarded
    def _show(self, report: ReloadReport) -> None:
        bar = self.parent()
        if isinstance(bar, QStatusBar) and (report.reloaded or report.failures):
            bar.showMessage(describe(report), self._timeout)


def enable_notifications(window_or_statusbar: QMainWindow | QStatusBar, timeout_ms: int = 4000,
                         reloader: Reloader = default_reloader) -> Callable[[], None]:
    """Show "Reloaded: …" / "Reload failed: …" in a status bar; returns the off switch.

    Calling it again for the same status bar replaces the earlier notifier.
    """
    bar = window_or_statusbar
    if isinstance(bar, QMainWindow):
        bar = bar.statusBar()
    if not isinstance(bar, QStatusBar):
        raise TypeError(f"expected a QMainWindow or QStatusBar, not {type(bar).__name__}")
    for old in bar.findChildren(_Notifier, "qtreload-notifier", Qt.FindDirectChildrenOnly):
        old.stop()
    ref = weakref.ref(_Notifier(reloader, bar, timeout_ms))

    def turn_off() -> None:
        notifier = ref()
        if notifier is not None and not is_deleted(notifier):
            notifier.stop()

    return turn_off
