"""F4. An exception escaping a slot, under Python's default ``sys.excepthook``.

Usage: QT_API=<binding> python slot_exception.py [slot|virtual]
PyQt5 and PyQt6 print the traceback and abort the process (rc -6). PySide
prints it and goes on; but an exception in a virtual override that Qt called
synchronously from Python code (``sendEvent``) is raised into that caller.
"""
from _common import BINDING, say, variant
from qtpy.QtCore import QEvent, QObject, Signal
from qtpy.QtWidgets import QApplication


class Boom(QObject):
    fired = Signal()

    def event(self, event):
        if event.type() == QEvent.Type.User:
            raise ValueError("boom in a virtual")
        return super().event(event)


how = variant("slot")
say(BINDING, how)
obj = Boom()
if how == "slot":
    obj.fired.connect(lambda: 1 / 0)
    obj.fired.emit()
else:
    try:
        QApplication.sendEvent(obj, QEvent(QEvent.Type.User))
    except Exception as exc:
        say("raised into the caller:", type(exc).__name__)
say("survived")
