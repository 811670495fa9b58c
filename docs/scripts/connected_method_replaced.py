"""F1. A QObject's bound method is connected; the class function is replaced or deleted, then freed.

Usage: QT_API=<binding> python connected_method_replaced.py [replace|delete|code]
PyQt5 keeps a borrowed pointer to the function: emitting after it is freed
segfaults. PyQt6 keeps the old function alive and runs it. PySide looks the
method up by name at each emit: replacing runs the new code, deleting
segfaults. Swapping ``__code__`` runs the new code everywhere.
"""
import gc

from _common import BINDING, say, variant
from qtpy.QtCore import QObject, Signal


class Sender(QObject):
    fired = Signal()


class Receiver(QObject):
    def handle(self):
        say("old code ran")


def new_handle(self):
    say("new code ran")


how = variant("replace")
sender, receiver = Sender(), Receiver()
sender.fired.connect(receiver.handle)
if how == "replace":
    Receiver.handle = new_handle
elif how == "delete":
    del Receiver.handle
else:
    Receiver.handle.__code__ = new_handle.__code__
gc.collect()
say(BINDING, how, "-> emit")
sender.fired.emit()
say("survived")
