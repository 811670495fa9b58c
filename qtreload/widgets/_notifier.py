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
from ._describe import describe, describe_in_full
from ._relay import Relay, guarded

#: Room QStatusBar keeps on each side of its message (its layout margin, in pixels).
_MARGIN = 6


class _Notifier(Relay):
    """A child of the status bar: shows each report there, and dies with it.

    A message too long for the bar is elided in the middle; the bar's tooltip
    holds the whole report while the message shows.
    """

    def __init__(self, reloader: Reloader, bar: QStatusBar, timeout_ms: int) -> None:
        super().__init__(reloader, bar)
        self.setObjectName("qtreload-notifier")
        self._timeout = timeout_ms
        self._shown: str | None = None  # the message on the bar now, if it is ours
        self._saved_tip = ""  # the bar's own tooltip, put back when our message goes
        self.reported.connect(self._show)
        bar.messageChanged.connect(self._message_changed)

    def _bar(self) -> QStatusBar | None:
        bar = self.parent()
        return bar if isinstance(bar, QStatusBar) else None

    @guarded
    def _show(self, report: ReloadReport) -> None:
        bar = self._bar()
        if bar is None or not (report.reloaded or report.failures):
            return
        text = describe(report)
        if bar.isVisible():
            room = bar.contentsRect().width() - 2 * _MARGIN
            text = bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, room)
        if self._shown is None:
            self._saved_tip = bar.toolTip()
        self._shown = text
        bar.setToolTip(describe_in_full(report))
        bar.showMessage(text, self._timeout)

    @guarded
    def _message_changed(self, message: str) -> None:
        if self._shown is not None and message != self._shown:
            self._give_back_tooltip()

    def _give_back_tooltip(self) -> None:
        bar = self._bar()
        if bar is not None and self._shown is not None:
            bar.setToolTip(self._saved_tip)
        self._shown = None

    def stop(self) -> None:
        self._give_back_tooltip()
        super().stop()


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
