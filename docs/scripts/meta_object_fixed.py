"""F8. A signal added to a Python subclass of QObject after the class was created.

Usage: QT_API=<binding> python meta_object_fixed.py
Qt builds a class's meta-object (its signals, slots, properties) once, when
the class statement runs. A signal set on the class later is unknown to Qt:
PyQt fails to connect it (TypeError); PySide6 6.12 refuses it on an instance
created before (RuntimeError). New or changed ``Slot``s and ``Property``s are
likewise invisible to Qt, which is why qtreload reports such edits as
"restart needed".
"""
from _common import BINDING, say
from qtpy.QtCore import QObject, Signal


class Panel(QObject):
    pass


panel = Panel()
Panel.added = Signal(int)
try:
    panel.added.connect(lambda value: say("got", value))
    panel.added.emit(1)
    say(BINDING, "late signal works on the live instance")
except (TypeError, RuntimeError, AttributeError) as exc:
    say(BINDING, "late signal refused:", type(exc).__name__, str(exc).splitlines()[0])
