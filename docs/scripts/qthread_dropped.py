"""F14. The last reference to a running QThread is dropped.

Usage: QT_API=<binding> python qthread_dropped.py [drop|keep]
What a reload does to a module-level ``QThread`` it replaces (or one a failed
save started): the Python object goes, with the thread still running.
"""
import gc
import time

from _common import BINDING, say, variant
from qtpy.QtCore import QThread


class Runner(QThread):
    def run(self):
        self.msleep(300)


how = variant("drop")
say(BINDING, how, "-> start, then at once clear the namespace while the thread runs")
namespace = {"runner": Runner()}  # a module namespace, as a reload clears it
namespace["runner"].start()
kept = list(namespace.values()) if how == "keep" else []
namespace.clear()
gc.collect()
time.sleep(0.5)
say("survived")
