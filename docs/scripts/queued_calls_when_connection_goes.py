"""F5. Calls queued from a worker to a plain function, when the connection goes.

Usage: QT_API=<binding> python queued_calls_when_connection_goes.py [delete|disconnect]
A plain function connected in the main thread; the sender lives in a worker
thread, emits three times there, then (``delete``) is deleted in the worker, or
(``disconnect``) stays, and the function disconnects itself at its first call.
Then the main thread runs its events. PyQt runs all three calls after
``delete`` and one after ``disconnect``, in the main thread. (PySide6 runs them
in the worker at once: no call is queued.)
"""
import threading

from _common import BINDING, app, say, variant
from qtpy.QtCore import QCoreApplication, QEvent, QObject, QThread, Signal


class Sender(QObject):
    fired = Signal(int)


class Firing(QThread):
    def __init__(self, sender):
        super().__init__()
        self.sender_object = sender

    def run(self):
        for value in range(3):
            self.sender_object.fired.emit(value)
        if how == "delete":
            self.sender_object = None  # its last reference: deleted here, in the worker


how = variant("delete")
calls = []
sender = Sender()


def handler(value):
    calls.append((value, "main" if threading.current_thread() is threading.main_thread()
                  else "worker"))
    if how == "disconnect" and len(calls) == 1:
        sender.fired.disconnect(handler)


sender.fired.connect(handler)
worker = Firing(sender)
sender.moveToThread(worker)
if how == "delete":
    del sender
worker.start()
worker.wait()
app.processEvents()
QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
app.processEvents()
say(BINDING, how, "-> calls (value, thread):", calls)
