"""F6. ``Qt.UniqueConnection`` with a plain Python function.

Usage: QT_API=<binding> python unique_connection.py
PyQt connects once and raises TypeError on the second connect. PySide6 warns
("unique connections require a pointer to member function") and makes no
connection at all, so the function never runs.
"""
from _common import BINDING, say
from qtpy.QtCore import QObject, Qt, Signal


class Sender(QObject):
    fired = Signal()


calls = []


def handler():
    calls.append(1)


sender = Sender()
for attempt in (1, 2):
    try:
        sender.fired.connect(handler, Qt.ConnectionType.UniqueConnection)
    except TypeError as exc:
        say(f"connect #{attempt} raised TypeError: {exc}")
sender.fired.emit()
say(BINDING, "calls after one emit:", len(calls))
