"""F3. Where the slot decorator keeps its signature, and what connectSlotsByName connects.

Usage: QT_API=<binding> python slot_metadata.py
PyQt keeps the signature in ``__pyqtSignature__``, PySide in ``_slots``;
``functools.wraps`` copies either. ``connectSlotsByName`` connects an
undecorated ``on_<name>_<signal>`` method in PyQt (once per overload of the
signal: twice for ``clicked``) and ignores it in PySide.
"""
import functools

from _common import BINDING, say
from qtpy.QtCore import QMetaObject, Slot
from qtpy.QtWidgets import QPushButton, QWidget


@Slot()
def decorated():
    pass


@functools.wraps(decorated)
def wrapper():
    pass


names = ("__pyqtSignature__", "_slots")
say(BINDING, "slot attribute:", [n for n in names if hasattr(decorated, n)],
    "copied by wraps:", [n for n in names if hasattr(wrapper, n)])
calls = []


class Form(QWidget):
    def __init__(self):
        super().__init__()
        self.button = QPushButton(self)
        self.button.setObjectName("go")
        QMetaObject.connectSlotsByName(self)

    def on_go_clicked(self, *args):
        calls.append(args)


form = Form()
form.button.click()
say("undecorated on_go_clicked ran", len(calls), "time(s) per click:", calls)
