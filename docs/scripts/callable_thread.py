"""F5. Which thread runs a plain function connected to a signal of an object in another thread.

Usage: QT_API=<binding> python callable_thread.py
The sender lives in a worker thread and emits there; the function was connected
in the main thread. PyQt runs it in the thread that called ``connect()``
(main, queued); PySide6 runs it in the sender's thread (worker). A QObject's
method runs in the receiver's thread in every binding, which is why qtreload
connects through a small QObject that lives in the receiver's thread.
"""
import threading

from _common import BINDING, app, say
from qtpy.QtCore import QObject, QThread, QTimer, Signal


class Sender(QObject):
    fired = Signal()


worker = QThread()
worker.start()
sender = Sender()
sender.moveToThread(worker)
ran_in = []
sender.fired.connect(lambda: ran_in.append(threading.current_thread().name))
starter = QTimer()
starter.setSingleShot(True)
starter.moveToThread(worker)
starter.timeout.connect(sender.fired.emit)  # runs in the worker thread
QTimer.singleShot(0, lambda: starter.metaObject().invokeMethod(starter, "start"))
QTimer.singleShot(500, app.quit)
app.exec()
worker.quit()
worker.wait()
say(BINDING, "connected in main, emitted in the worker, ran in:", ran_in)
