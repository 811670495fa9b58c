"""One repaint of the visible windows after a reload that changed code.

Qt repaints a widget when it thinks its look changed; an edited ``paintEvent``
or ``QGraphicsItem.paint`` does not tell it so, and would show only at the next
repaint Qt happens to do (a resize, a hover). A :class:`Repainter` in
``reloader.listeners`` asks for one repaint of every visible window and its
visible children after each reload that committed code (never after a check
that found nothing, a failure or warnings alone). The event hook installs one
with itself.
"""
from __future__ import annotations

import logging

from ._compat import QCoreApplication, QObject, Signal, is_deleted
from ._report import ReloadReport

log = logging.getLogger("qtreload")


class Repainter(QObject):
    """After a reload that changed code, repaint every visible window once.

    Reports may come from any thread: they reach the GUI thread through a
    signal (a direct call there, queued from elsewhere).
    """

    reloaded = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.reloaded.connect(self.repaint)

    def __call__(self, report: ReloadReport) -> None:
        if report.reloaded and not is_deleted(self):
            self.reloaded.emit()

    def repaint(self) -> None:
        try:
            app = QCoreApplication.instance()
            for widget in getattr(app, "topLevelWidgets", list)():
                if widget.isVisible():
                    widget.update()
                    for child in widget.findChildren(QObject):
                        if getattr(child, "isVisible", bool)() and hasattr(child, "update"):
                            child.update()
        except Exception:
            log.exception("qtreload: repaint after a reload failed (ignored)")
