"""F12. PySide6 gives each Python QObject subclass its own ``staticMetaObject``.

Usage: QT_API=<binding> python static_meta_object.py
A reload defines the class again. A hot-swap that copied every attribute of
the new class onto the live one would copy ``staticMetaObject`` too: in
PySide6 it belongs to the new class and is freed with it, and the live class
reading it then segfaults. PyQt keeps it out of the subclass's ``__dict__``.
"""
import gc

from _common import BINDING, say
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QWidget


def define():
    return type("Panel", (QWidget,), {"done": Signal(int)})


Panel = define()
panel = Panel()
say(BINDING, "in the class's own __dict__:", "staticMetaObject" in Panel.__dict__)
newer = define()
Panel.staticMetaObject = newer.staticMetaObject  # what a naive hot-swap copies
del newer
gc.collect()
say("after the newer class is freed:", Panel.staticMetaObject.className())
