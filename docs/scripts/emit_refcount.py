"""F9. The reference count of ``True`` across emits from Python.

Usage: QT_API=<binding> python emit_refcount.py [emits]
PyQt's ``emit()`` returns None and leaves the count alone. PySide6's returns
True; in PySide6 6.12.0 each call also drops one reference to True, and on
Python 3.11 (where True is not immortal) the process aborts once the count
reaches zero, after a few hundred emits. 6.11.3 does not leak.
"""
import sys

from _common import BINDING, say, variant
from qtpy.QtCore import QObject, Signal


class Sender(QObject):
    fired = Signal()


sender = Sender()
emits = int(variant("200"))
before = sys.getrefcount(True)
for _ in range(emits):
    sender.fired.emit()
say(BINDING, f"refcount of True changed by {sys.getrefcount(True) - before} over {emits} emits")
