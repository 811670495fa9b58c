"""Status-bar notices: "Reloaded: ..." / "Reload failed: ..." after each reload."""
from __future__ import annotations

import weakref
from collections.abc import Callable

from .._compat import (
    QMainWindow,
    QStatusBar,
    Qt,
    is_deleted,
)
from .._default import reloader as default_reloader
from .._engine import Reloader
from .._report import ReloadReport
from ._describe import describe
from ._relay import Relay, guarded


class _Notifier(Relay):
    """A child of the status bar: shows each report there, and dies with it."""

    def __init__(self, reloader: Reloader, bar: QStatusBar, timeout_ms: int) -> None:
        super().__init__(reloader, bar)
        self.setObjectName("qtreload-notifier")
        self._timeout = timeout_ms
        self.reported.connect(self._show)

    @guarded
    def _show(self, report: ReloadReport) -> None:
        bar = self.parent()
        if isinstance(bar, QStatusBar) and (report.reloaded or report.failures):
            bar.showMessage(describe(report), self._timeout)


def enable_notifications(window_or_statusbar: QMainWindow | QStatusBar, timeout_ms: int = 4000,
                         reloader: Reloader = default_reloader) -> Callable[[], None]:
    """Show "Reloaded: …" / "Reload failed: …" in a status bar; returns the off switch.

    Calling it again for the same status bar replaces the earlier notifier.
    """
    bar: object = window_or_statusbar
    if isinstance(window_or_statusbar, QMainWindow):
        bar = window_or_statusbar.statusBar()
    if not isinstance(bar, QStatusBar):
        raise TypeError(f"expected a QMainWindow or QStatusBar, not {type(bar).__name__}")
    direct = Qt.FindChildOption.FindDirectChildrenOnly
    for old in bar.findChildren(_Notifier, "qtreload-notifier", direct):
        old.stop()
    ref = weakref.ref(_Notifier(reloader, bar, timeout_ms))

    def turn_off() -> None:
        notifier = ref()
        if notifier is not None and not is_deleted(notifier):
            notifier.stop()

    return turn_off
