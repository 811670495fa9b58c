"""The "Reload modules" dialog: the watched modules and their state, a manual reload.

Nothing is cut off: the module and state columns fit their text, long details
are elided in the middle (the full text is in the tooltip), and the pane under
the list shows everything about the selected module (a failure's traceback).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from .._compat import (
    QAbstractItemView,
    QCheckBox,
    QColor,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    Qt,
    QTimer,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from .._default import reloader as default_reloader
from .._engine import Reloader
from .._report import ReloadReport
from ._describe import describe
from ._relay import Relay, guarded
from ._states import (
    CHANGED,
    DELETED,
    FAILED,
    UP_TO_DATE,
    WAITING,
    DiskDigests,
    memory_of,
    module_state,
)
from ._toggles import Toggle, default_toggles, switch

log = logging.getLogger("qtreload")

_COLORS = {CHANGED: QColor(170, 100, 0), FAILED: QColor(200, 0, 0), DELETED: QColor(128, 128, 128),
           WAITING: QColor(30, 90, 190)}
_MODULE, _STATE, _DETAILS = range(3)


class ReloadDialog(QDialog):
    """The watched modules with their state, a manual reload, and the autoreload switches."""

    REFRESH_MS = 500

    def __init__(self, parent: QWidget | None = None, reloader: Reloader = default_reloader,
                 toggles: Sequence[Toggle] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reload modules")
        self._reloader = reloader
        self._memory = memory_of(reloader)
        self._disk = DiskDigests()
        self._items: dict[str, QTreeWidgetItem] = {}

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Module", "State", "Details"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.tree.header()
        assert header is not None  # a tree view always has one
        fit = QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(_MODULE, fit)
        header.setSectionResizeMode(_STATE, fit)
        header.setStretchLastSection(True)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.currentItemChanged.connect(self._show_details)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText(
            "Select a module to see its file and, if its save failed, the error.")
        self.summary = QLabel()
        self.outcome = QLabel()
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
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
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.reload_button)
        row.addWidget(self.summary, 1)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(switches)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        layout.addWidget(self.outcome)
        layout.addLayout(row)
        self.resize(720, 480)

        self._timer = QTimer(self)
        self._timer.setInterval(self.REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._relay = Relay(reloader, self)
        queued = Qt.ConnectionType.QueuedConnection
        # PyQt5's stub of connect() omits its connection-type argument.
        self._relay.reported.connect(self._on_report, queued)  # type: ignore[call-arg]
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

    @guarded
    def refresh(self, *_: Any) -> None:
        """Re-read the module states and switches; never triggers a reload."""
        rel = self._reloader
        records = rel.watched()
        trusted = rel.enabled and not rel.stale_hint()
        waiting = rel.waiting()
        counts: dict[str, int] = {}
        for name, record in records.items():
            state, details, tip = module_state(record, self._memory, self._disk, trusted,
                                               waiting)
            counts[state] = counts.get(state, 0) + 1
            item = self._items.get(name)
            if item is None:
                item = self._items[name] = QTreeWidgetItem([name, "", ""])
                self.tree.addTopLevelItem(item)
            if (item.text(_STATE), item.text(_DETAILS), item.toolTip(_DETAILS)) != (
                    state, details, tip):
                item.setText(_STATE, state)
                item.setText(_DETAILS, details)
                item.setToolTip(_MODULE, record.path)
                item.setToolTip(_STATE, details or state)
                item.setToolTip(_DETAILS, tip)
                item.setForeground(_STATE, _COLORS.get(state, self.palette().text().color()))
                if item is self.tree.currentItem():
                    self._show_details(item)
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

    @guarded
    def _apply_toggles(self, *_: Any) -> None:
        switch(self._toggles, [self.checkboxes[t.label].isChecked() for t in self._toggles])
        self.refresh()

    @guarded
    def _show_details(self, item: QTreeWidgetItem | None, *_: Any) -> None:
        """Everything about the current module in the pane under the list."""
        if item is None:
            self.details.clear()
            return
        state, details, tip = item.text(_STATE), item.text(_DETAILS), item.toolTip(_DETAILS)
        head = f"{item.text(_MODULE)}: {state}" + (f" ({details})" if details else "")
        self.details.setPlainText(f"{head}\n\n{tip}")

    @guarded
    def _selection_changed(self, *_: Any) -> None:
        self.reload_button.setEnabled(bool(self.tree.selectedItems()))

    @guarded
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

    @guarded
    def _on_report(self, report: ReloadReport) -> None:
        if report.failures or report.reloaded:
            self.outcome.setText(describe(report))
        if self.isVisible():
            self.refresh()
