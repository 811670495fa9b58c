"""F13. A class member other than a plain method is connected, then replaced and freed.

Usage: QT_API=<binding> python member_replaced.py [classmethod|descriptor|bound]
``classmethod``: ``clicked.connect(Panel.handle)`` where ``handle`` is a
classmethod, replaced by a staticmethod. ``descriptor``: a method under a small
decorator whose ``__get__`` returns ``types.MethodType``, replaced by a new
decorator object. ``bound``: a module-level ``handler = Helper().handle``
rebound to a new instance's method. Each time the old object is freed.
"""
import gc
import types

from _common import BINDING, say, variant
from qtpy.QtWidgets import QPushButton


class logged:
    def __init__(self, func):
        self.func = func

    def __get__(self, obj, owner=None):
        return self if obj is None else types.MethodType(self.func, obj)


class Panel:
    @classmethod
    def handle(cls):
        say("old classmethod ran")

    @logged
    def method(self):
        say("old descriptor method ran")


class Helper:
    def handle(self):
        say("old bound method ran")


how = variant("classmethod")
button = QPushButton()
if how == "classmethod":
    button.clicked.connect(Panel.handle)
    Panel.handle = staticmethod(lambda: say("new staticmethod ran"))
elif how == "descriptor":
    panel = Panel()
    button.clicked.connect(panel.method)
    Panel.method = logged(lambda self: say("new descriptor method ran"))
else:
    handler = Helper().handle
    button.clicked.connect(handler)
    handler = Helper().handle
for _ in range(3):
    gc.collect()
churn = [(lambda i=i: i) for i in range(2000)]  # reuse freed memory
say(BINDING, how, "-> click")
button.click()
say("survived")
