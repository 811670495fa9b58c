"""F2. How a binding fits a signal's arguments to a Python slot, and when it decides.

Usage: QT_API=<binding> python trimming.py [swap|star|partial]
swap: a 0-argument function is connected to ``Signal(int)``, then its code is
swapped for a 1-argument version. PyQt retries at every emit, dropping
trailing arguments while the call itself raises TypeError, so the new code gets
``(7,)``. PySide counts the function's positional parameters once, at connect
time, so the new code is called with no argument and raises TypeError.
star: what a ``(*args)`` slot gets from ``QPushButton.clicked`` (PySide
connects the ``clicked()`` overload by default). partial: a ``functools.partial``
of a 0-argument function on ``Signal(int)``: PyQt trims it, PySide passes all.
"""
import functools
import sys

from _common import BINDING, say, variant
from qtpy.QtCore import QObject, Signal
from qtpy.QtWidgets import QPushButton


class Sender(QObject):
    number = Signal(int)


def report(exc_type, exc, tb):
    say("TypeError reported:" if exc_type is TypeError else exc_type.__name__, exc)


sys.excepthook = report
how = variant("swap")
say(BINDING, how)
sender = Sender()
if how == "swap":
    def handler():
        say("old code got ()")

    def one_arg(value):
        say(f"new code got ({value},)")

    sender.number.connect(handler)
    handler.__code__ = one_arg.__code__
    sender.number.emit(7)
elif how == "star":
    button = QPushButton()
    button.setCheckable(True)
    button.clicked.connect(lambda *args: say("(*args) slot got", args))
    button.click()
else:
    sender.number.connect(functools.partial(lambda: say("partial of f() ran")))
    sender.number.emit(7)
