"""The "Reload modules" submenu: the switches as checkable actions, and the dialog."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._compat import (
    QAction,
    QMenu,
    QMenuBar,
    QObject,
    QWidget,
    is_deleted,
)
from .._default import reloader as default_reloader
from .._engine import Reloader
from ._dialog import ReloadDialog
from ._relay import guarded
from ._states import memory_of
from ._toggles import Toggle, default_toggles, switch


def _add_action(menu: QMenu, text: str) -> QAction:
    action = QAction(text, menu)
    menu.addAction(action)
    return action


class _MenuController(QObject):
    """Owned by the submenu: keeps its actions in step with the toggles, owns one dialog."""

    def __init__(self, menu: QMenu, reloader: Reloader, toggles: Sequence[Toggle] | None) -> None:
        super().__init__(menu)
        self._reloader = reloader
        memory_of(reloader)  # remember failures from now on, not only once the dialog opens
        self._toggles = list(default_toggles(reloader) if toggles is None else toggles)
        self.dialog: ReloadDialog | None = None
        _add_action(menu, "Reload modules\u2026").triggered.connect(self.open_dialog)
        menu.addSeparator()
        self._actions = []
        for toggle in self._toggles:
            action = _add_action(menu, toggle.label)
            action.setCheckable(True)
            action.setEnabled(toggle.set is not None)
            action.setToolTip(toggle.note or toggle.label)
            action.triggered.connect(self._apply)
            self._actions.append(action)
        menu.setToolTipsVisible(True)
        menu.aboutToShow.connect(self._sync)
        self._sync()

    @guarded
    def _sync(self, *_: Any) -> None:
        for toggle, action in zip(self._toggles, self._actions, strict=True):
            action.setChecked(bool(toggle.get()))

    @guarded
    def _apply(self, *_: Any) -> None:
        switch(self._toggles, [action.isChecked() for action in self._actions])
        self._sync()

    @guarded
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
