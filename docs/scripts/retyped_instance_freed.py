"""F18. An instance given another class (``obj.__class__ = Other``), then freed.

Usage: QT_API=<binding> python retyped_instance_freed.py [retype|plain]
What a hot-swap does to a module-level object a save re-created: the new
instance takes the live class; a later save frees it. Prints the live class's
reference count before and after each instance is freed. PySide6 drops two
references from the class the instance has when freed (and never gives back
the one it took from the class it was made with): the live class loses one per
instance, is freed while in use, and the script segfaults on the third round.
PyQt5 and PyQt6 stay balanced; so does every binding with ``plain``.
"""
import gc
import sys

from _common import BINDING, say, variant
from qtpy.QtCore import QObject


def make_class():
    class Hub(QObject):
        pass
    return Hub


how = variant("retype")
live = make_class()  # the class the app's live objects have
say(BINDING, how)
for round_ in range(5):
    made_with = make_class()  # the class a save's run of the module made
    obj = made_with()
    if how == "retype":
        QObject.__setattr__(obj, "__class__", live)
    before = sys.getrefcount(live)
    del obj
    gc.collect()
    say(f"round {round_}: references to the live class {before} -> {sys.getrefcount(live)}")
say("survived")
