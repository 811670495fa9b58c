"""F15. A QObject made in a worker, moved to the GUI thread: which thread runs its slot?

Usage: QT_API=<binding> python relay_slot_thread.py [undecorated|decorated]
The object is created in a worker thread, connected to its own signal there,
moved to the GUI thread, and the signal is emitted from the worker. Also prints
the GUI thread's event-loop level inside a modal dialog's ``exec``.
"""
import threading

from _common import BINDING, app, say, variant
from qtpy.QtCore import QObject, QThread, QTimer, Signal, Slot
from qtpy.QtWidgets import QDialog

how = variant("undecorated")
ran_in = []


class Relay(QObject):
    run = Signal()

    def plain(self):
        ran_in.append("gui" if threading.current_thread() is threading.main_thread()
                      else "worker")

    @Slot()
    def declared(self):
        self.plain()


def worker():
    relay = Relay()
    relay.run.connect(relay.plain if how == "undecorated" else relay.declared)
    relay.moveToThread(app.thread())
    relay.run.emit()
    keep.append(relay)


keep = []
thread = threading.Thread(target=worker)
thread.start()
thread.join()
app.processEvents()
say(BINDING, how, "-> slot ran in", ran_in)
dialog = QDialog()
QTimer.singleShot(0, lambda: (say("loop level inside a modal dialog:",
                                  QThread.currentThread().loopLevel()), dialog.accept()))
dialog.exec()
say("survived")
