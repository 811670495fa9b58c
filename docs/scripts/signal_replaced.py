"""F12. A QObject subclass's signal object is replaced on the class while a connection is live.

Usage: QT_API=<binding> python signal_replaced.py [replace|keep]
``replace`` does what a naive reload of the module does: the class attribute
gets the new class's signal object and the old one is freed; then the signal
is emitted and connected again. ``keep`` leaves the class's own signal.
"""
import gc

from _common import BINDING, say, variant
from qtpy.QtCore import QObject, Signal


class Box(QObject):
    moved = Signal(int)


how = variant("replace")
box = Box()
got = []
box.moved.connect(got.append)
box.moved.emit(1)
if how == "replace":
    class NewBox(QObject):
        moved = Signal(int)

    Box.moved = NewBox.__dict__["moved"]
    del NewBox
for _ in range(3):
    gc.collect()
churn = [Box() for _ in range(200)]
say(BINDING, how, "-> emit, connect, emit")
box.moved.emit(2)
box.moved.connect(got.append)
box.moved.emit(3)
say("survived", got)
