"""Importing PyQt5.QtWidgets runs ``QCoreApplication.__init__`` on a placeholder (``qApp``).

Usage: python docs/scripts/qapp_placeholder.py
Prints one line for each call of a wrapped ``QCoreApplication.__init__``: the
first comes from ``import PyQt5.QtWidgets`` itself, on an object whose C++
side is deleted straight away and that is not the application; the second is
the app the script creates. (PyQt5 5.15: "import: deleted=True instance=None",
then "app: deleted=False instance=app".)
"""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt5 import sip  # noqa: E402
from PyQt5.QtCore import QCoreApplication  # noqa: E402

original = QCoreApplication.__init__
moment = "import"


def spy(self, *args, **kwargs):
    original(self, *args, **kwargs)
    instance = QCoreApplication.instance()
    print(f"{moment}: deleted={sip.isdeleted(self)} "
          f"instance={'app' if instance is self else instance}", flush=True)


QCoreApplication.__init__ = spy
from PyQt5.QtWidgets import QApplication  # noqa: E402

moment = "app"
app = QApplication([])
