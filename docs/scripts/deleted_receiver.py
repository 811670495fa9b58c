"""F16. A button connected to a label's C++ method; the label is deleted; the button clicked.

Usage: QT_API=<binding> python deleted_receiver.py [direct|closure]
``direct``: ``clicked.connect(label.clear)``. ``closure``: a Python function
that calls ``label.clear()``, which is what a wrapper around the handler does.
The default excepthook is in place, as in an app.
"""
import sys

from _common import BINDING, say, variant
from qtpy.QtCore import QCoreApplication, QEvent
from qtpy.QtWidgets import QLabel, QPushButton

sys.excepthook = sys.__excepthook__
how = variant("direct")
button, label = QPushButton(), QLabel("text")
method = label.clear
if how == "direct":
    button.clicked.connect(method)
else:
    button.clicked.connect(lambda: method())
label.deleteLater()
QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
say(BINDING, how, "-> click")
button.click()
say("survived")
