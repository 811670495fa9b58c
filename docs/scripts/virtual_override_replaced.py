"""F7. A virtual override (``mousePressEvent``) is replaced on the class after Qt called it.

Usage: QT_API=<binding> python virtual_override_replaced.py [replace|delete|code|add]
PyQt looks the override up at each call: the new function runs. PySide6 keeps,
per instance, a pointer to the function it called: once the old function is
freed, the next call on that instance segfaults (replace and delete). Swapping
``__code__`` is safe everywhere. add: an override added to the class after Qt
dispatched the virtual on an instance is never called for that instance
(the binding caches "not overridden" per instance), in PyQt and PySide6.
"""
import gc

from _common import BINDING, say, variant
from qtpy.QtCore import Qt
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QWidget


def old_press(self, event):
    say("old override ran")


def new_press(self, event):
    say("new override ran")


how = variant("replace")
Widget = type("Widget", (QWidget,), {} if how == "add" else {"mousePressEvent": old_press})
widget = Widget()
QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
if how == "replace":
    Widget.mousePressEvent = new_press
elif how == "delete":
    del Widget.mousePressEvent
elif how == "code":
    Widget.mousePressEvent.__code__ = new_press.__code__
else:
    Widget.mousePressEvent = new_press
del old_press
gc.collect()
say(BINDING, how, "-> click")
QTest.mouseClick(widget, Qt.MouseButton.LeftButton)
say("survived")
