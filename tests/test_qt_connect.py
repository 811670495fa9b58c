"""qtreload.connect and @autoreload_slot behave like direct Qt connections, plus reload."""
from __future__ import annotations

import functools
import gc
import logging
import threading
import weakref

import pytest
from qtpy.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot
from qtpy.QtWidgets import QComboBox, QPushButton, QSpinBox, QWidget
from reliability_helpers import assert_clean_exit, run_script

import qtreload
from qtreload import _compat
from qtreload._connections import MethodProxy


class Recorder(QObject):
    """A receiver that records the arguments and thread of every call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []
        self.threads: list[int] = []

    def none(self):
        self.calls.append(())

    def one(self, a):
        self.calls.append((a,))

    def star(self, *a):
        self.calls.append(a)

    def default(self, a=None, b=None):
        self.calls.append((a, b))

    def where(self, *a):
        self.threads.append(threading.get_ident())


NONE_CODE = Recorder.none.__code__


class Emitter(QObject):
    fired = Signal(int)


class Picker(QObject):
    """An overloaded signal (Qt 6 dropped the ``QString`` overloads of its own widgets)."""

    picked = Signal((int,), (str,))


HANDLERS = ("none", "one", "star", "default")


def _received(make, signal_of, emit, name: str, wrapped: bool) -> list[tuple]:
    """Arguments a fresh receiver's handler got from one emission of a fresh widget."""
    widget, rec = make(), Recorder()
    handler = getattr(rec, name)
    if wrapped:
        qtreload.connect(signal_of(widget), handler)
    else:
        signal_of(widget).connect(handler)
    emit(widget)
    return rec.calls


def _checkable_button() -> QPushButton:
    button = QPushButton()
    button.setCheckable(True)
    return button


def _combo() -> QComboBox:
    combo = QComboBox()
    combo.addItems(["zero", "one", "two"])
    return combo


CASES = {
    "clicked": (_checkable_button, lambda b: b.clicked, lambda b: b.click()),
    "valueChanged(int)": (QSpinBox, lambda s: s.valueChanged, lambda s: s.setValue(5)),
    "picked[str]": (Picker, lambda p: p.picked[str], lambda p: p.picked[str].emit("one")),
    "currentIndexChanged(int)": (_combo, lambda c: c.currentIndexChanged,
                                 lambda c: c.setCurrentIndex(2)),
}


#: What each handler gets from one emission: all the arguments, trailing ones dropped
#: until the call fits (PyQt's rule for a direct connection; qtreload's on every binding).
EXPECTED = {
    "clicked": True, "valueChanged(int)": 5, "picked[str]": "one",
    "currentIndexChanged(int)": 2,
}


def _expected(signal: str, name: str) -> list[tuple]:
    value = EXPECTED[signal]
    return [{"none": (), "one": (value,), "star": (value,), "default": (value, None)}[name]]


@pytest.mark.parametrize("name", HANDLERS)
@pytest.mark.parametrize("signal", CASES)
def test_trimming_matches_a_direct_pyqt_connection(qtbot, signal, name):
    through_qtreload = _received(*CASES[signal], name, wrapped=True)
    assert through_qtreload == _expected(signal, name)
    if _compat.PYQT:
        assert _received(*CASES[signal], name, wrapped=False) == through_qtreload


@pytest.mark.parametrize("name", HANDLERS)
def test_trimming_follows_an_edit_of_the_parameters(qtbot, name):
    """PySide counts a slot's parameters once, at connect time (binding facts F2):
    qtreload's slot has a fixed shape and trims for the handler's code of the moment."""
    emitter, rec = Emitter(), Recorder()
    qtreload.connect(emitter.fired, rec.none)
    edited = getattr(Recorder, name)
    Recorder.none.__code__, Recorder.none.__defaults__ = edited.__code__, edited.__defaults__
    try:
        emitter.fired.emit(7)
    finally:
        Recorder.none.__code__, Recorder.none.__defaults__ = NONE_CODE, None
    assert rec.calls == [{"none": (), "one": (7,), "star": (7,), "default": (7, None)}[name]]


def test_type_error_inside_handler_is_not_masked_or_retried(qtbot):
    calls = []

    def handler(checked):
        calls.append(checked)
        raise TypeError("from the handler body")

    button = QPushButton()
    qtbot.addWidget(button)
    qtreload.connect(button.clicked, handler)
    with qtbot.captureExceptions() as caught:
        button.click()
    assert calls == [False]
    assert [str(exc) for _, exc, _ in caught] == ["from the handler body"]


def test_handler_exception_propagates_like_a_direct_connection(qtbot):
    class Boom(QWidget):
        @qtreload.autoreload_slot
        def on_click(self):
            raise ValueError("boom")

    widget, button = Boom(), QPushButton()
    qtbot.addWidget(widget)
    qtbot.addWidget(button)
    button.clicked.connect(widget.on_click)
    with qtbot.captureExceptions() as caught:
        qtbot.mouseClick(button, Qt.LeftButton)
    assert [type(exc) for _, exc, _ in caught] == [ValueError]


def test_internal_error_in_check_never_reaches_qt(qtbot, monkeypatch, caplog):
    calls = []
    button = QPushButton()
    qtbot.addWidget(button)
    qtreload.connect(button.clicked, lambda: calls.append("ran"))

    def broken(*args):
        raise RuntimeError("qtreload bug")

    monkeypatch.setattr(qtreload.reloader, "_locked_check", broken)
    monkeypatch.setattr(qtreload.reloader, "_new_imports", True)
    with caplog.at_level(logging.ERROR, logger="qtreload"):
        qtbot.mouseClick(button, Qt.LeftButton)  # pytest-qt fails the test if anything escapes
    assert calls == ["ran"]
    assert "internal error" in caplog.text


class SlotWidget(QWidget):
    """Decorator orders and connectSlotsByName (docs/binding-facts.md, F3)."""

    def __init__(self):
        super().__init__()
        self.calls = []
        for name in ("a", "b", "c", "d", "e"):
            button = QPushButton(self)
            button.setObjectName(name)
            setattr(self, name, button)
        self.picker = Picker(self)
        self.picker.setObjectName("picker")
        QMetaObject.connectSlotsByName(self)

    @Slot()
    @qtreload.autoreload_slot
    def on_a_clicked(self):
        self.calls.append("a")

    @qtreload.autoreload_slot
    @Slot()
    def on_b_clicked(self):
        self.calls.append("b")

    @qtreload.autoreload_slot()
    def on_c_clicked(self):
        self.calls.append("c")

    @qtreload.autoreload_slot
    def on_d_clicked(self):
        self.calls.append("d")

    def on_e_clicked(self):
        self.calls.append("e")

    @qtreload.autoreload_slot(str)
    def on_picker_picked(self, text):
        self.calls.append(("picker", text))


@pytest.mark.parametrize("name", ["a", "b", "c"])
def test_connect_slots_by_name_calls_decorated_handler_once(qtbot, name):
    widget = SlotWidget()
    qtbot.addWidget(widget)
    qtbot.mouseClick(getattr(widget, name), Qt.LeftButton)
    assert widget.calls == [name]


def test_bare_decorator_is_called_as_often_as_the_undecorated_handler(qtbot):
    """Documented: without a slot signature, connectSlotsByName connects every
    overload of ``clicked``, for a plain handler as for a wrapped one."""
    widget = SlotWidget()
    qtbot.addWidget(widget)
    qtbot.mouseClick(widget.e, Qt.LeftButton)
    plain = widget.calls.count("e")
    qtbot.mouseClick(widget.d, Qt.LeftButton)
    # PyQt connects an undecorated handler once per overload; PySide not at all (F3)
    assert widget.calls.count("d") == plain == (2 if _compat.PYQT else 0)


def test_slot_signature_selects_the_overload(qtbot):
    widget = SlotWidget()
    qtbot.addWidget(widget)
    widget.picker.picked.emit(1)
    widget.picker.picked[str].emit("one")
    assert widget.calls == [("picker", "one")]
    meta = widget.metaObject()
    assert meta.indexOfSlot("on_picker_picked(QString)") >= 0


def test_decorator_forms_on_static_and_class_methods():
    class Handlers:
        @qtreload.autoreload_slot
        @staticmethod
        def static(x):
            return ("static", x)

        @qtreload.autoreload_slot
        @classmethod
        def klass(cls, x):
            return (cls.__name__, x)

        @qtreload.autoreload_slot()
        def method(self, x):
            return ("method", x)

    assert Handlers.static(1) == ("static", 1)
    assert Handlers.klass(2) == ("Handlers", 2)
    assert Handlers().method(3) == ("method", 3)
    assert Handlers.method.__wrapped__.__name__ == "method"


class Worker(QObject):
    def __init__(self):
        super().__init__()
        self.threads = []
        self.done = threading.Event()

    def handle(self, value):
        self.threads.append((threading.get_ident(), value))
        self.done.set()


def test_qobject_method_runs_in_the_receivers_thread(qtbot):
    thread = QThread()
    worker = Worker()
    worker.moveToThread(thread)
    thread.start()
    try:
        emitter = Emitter()
        qtreload.connect(emitter.fired, worker.handle)
        emitter.fired.emit(7)
        assert worker.done.wait(5)
        (tid, value), = worker.threads
        assert value == 7 and tid != threading.get_ident()
        proxy, = worker.findChildren(MethodProxy)
        assert proxy.thread() is thread
    finally:
        thread.quit()
        thread.wait(5000)


class Firing(QThread):
    """A worker thread that emits ``emitter.fired`` from its own ``run``."""

    def __init__(self, emitter: Emitter, value: int) -> None:
        super().__init__()
        self.emitter, self.value = emitter, value

    def run(self) -> None:
        self.emitter.fired.emit(self.value)


def _ran_in(qtbot, connect_type=None) -> list[tuple[int, int]]:
    """(value, thread) of each call of a plain function connected in the main thread to a
    signal of an object that lives in a worker QThread and emits there."""
    ran_in: list[tuple[int, int]] = []
    emitter = Emitter()
    options = {} if connect_type is None else {"type": connect_type}
    qtreload.connect(emitter.fired, lambda value: ran_in.append((value, threading.get_ident())),
                     **options)
    worker = Firing(emitter, 7)
    emitter.moveToThread(worker)
    worker.start()
    try:
        qtbot.waitUntil(lambda: bool(ran_in), timeout=5000)
        assert worker.wait(5000)
        qtbot.wait(20)  # and no second call comes
    finally:
        worker.wait(5000)
    return ran_in


def test_plain_function_runs_in_the_thread_that_connected_it(qtbot):
    """The same on every binding (PySide6 alone would run it in the sender's thread, F5)."""
    assert _ran_in(qtbot) == [(7, threading.get_ident())]


def test_plain_function_with_a_direct_connection_runs_in_the_emitting_thread(qtbot):
    (value, tid), = _ran_in(qtbot, Qt.ConnectionType.DirectConnection)
    assert value == 7 and tid != threading.get_ident()


def test_plain_function_connected_in_a_worker_runs_in_that_worker(qtbot):
    """Connected in a worker thread (with an event loop), emitted in the main thread."""

    class Connector(QObject):
        connect_now = Signal(object)

        @Slot(object)
        def on_connect_now(self, signal) -> None:
            self.connected_in = threading.get_ident()
            qtreload.connect(signal, lambda value: ran_in.append((value, threading.get_ident())))
            self.done.set()

    ran_in: list[tuple[int, int]] = []
    thread = QThread()
    connector = Connector()
    connector.done = threading.Event()
    connector.moveToThread(thread)
    connector.connect_now.connect(connector.on_connect_now)
    thread.start()
    try:
        emitter = Emitter()
        connector.connect_now.emit(emitter.fired)
        assert connector.done.wait(5)
        emitter.fired.emit(3)
        qtbot.waitUntil(lambda: bool(ran_in), timeout=5000)
        assert ran_in == [(3, connector.connected_in)]
        assert connector.connected_in != threading.get_ident()
    finally:
        thread.quit()
        thread.wait(5000)


def test_plain_function_with_a_queued_connection_runs_later_in_the_same_thread(qtbot):
    emitter, ran_in = Emitter(), []
    qtreload.connect(emitter.fired, lambda value: ran_in.append((value, threading.get_ident())),
                     type=Qt.ConnectionType.QueuedConnection)
    emitter.fired.emit(4)
    assert ran_in == []
    qtbot.waitUntil(lambda: bool(ran_in), timeout=5000)
    assert ran_in == [(4, threading.get_ident())]


def _live_thread_relays() -> int:
    from qtreload._threadrelay import ThreadRelay

    gc.collect()
    return sum(isinstance(o, ThreadRelay) and not _compat.is_deleted(o) for o in gc.get_objects())


def test_what_carries_a_plain_function_to_its_thread_goes_with_the_sender(qtbot):
    before = _live_thread_relays()
    emitters = [Emitter() for _ in range(20)]
    for emitter in emitters:
        qtreload.connect(emitter.fired, lambda value: None)
    del emitters, emitter
    qtbot.waitUntil(lambda: _live_thread_relays() <= before, timeout=5000)


QUEUED_FROM_A_WORKER = """
import threading
from qtpy.QtCore import QThread

class Emitter(QObject):
    fired = Signal(int)

class Firing(QThread):
    def __init__(self, emitter):
        super().__init__()
        self.emitter = emitter

    def run(self):
        for value in range(3):
            self.emitter.fired.emit(value)
        self.emitter = None  # the sender's last reference: deleted in the worker

calls = []
for _ in range(30):
    emitter = Emitter()
    box = []

    def handler(value, emitter=emitter):
        calls.append((value, threading.get_ident()))
        if PARAMS["disconnect"] and box:
            qtreload.disconnect(emitter.fired, box.pop())

    box.append(handler)
    qtreload.connect(emitter.fired, handler)
    worker = Firing(emitter)
    emitter.moveToThread(worker)
    del emitter, handler
    worker.start()
    assert worker.wait(5000)
    settle()
    settle()
    box.clear()
main = threading.get_ident()
assert all(tid == main for _, tid in calls), calls
print("CALLS", [value for value, _ in calls].count(0), len(calls))
"""


@pytest.mark.parametrize("disconnect", [False, True])
def test_calls_queued_from_a_worker_when_the_connection_goes(tmp_path, disconnect):
    """A plain function connected in the main thread; a worker emits three times.
    Deleting the sender afterwards: the three calls run (in the main thread). The
    handler disconnecting itself at its first call: the other two are dropped."""
    result = run_script(QUEUED_FROM_A_WORKER, tmp_path, {"disconnect": disconnect})
    assert f"CALLS 30 {30 if disconnect else 90}" in assert_clean_exit(result)


def test_deleted_receiver_is_not_called_and_is_freed(qtbot):
    emitter = Emitter()
    rec = Recorder()
    qtreload.connect(emitter.fired, rec.star)
    emitter.fired.emit(1)
    assert rec.calls == [(1,)]
    calls, ref = rec.calls, weakref.ref(rec)
    rec.deleteLater()
    qtbot.wait(10)  # deliver the DeferredDelete
    del rec
    gc.collect()
    emitter.fired.emit(2)
    assert calls == [(1,)]
    assert ref() is None


def test_connection_does_not_keep_a_parentless_receiver_alive(qtbot):
    emitter = Emitter()
    rec = Recorder()
    qtreload.connect(emitter.fired, rec.star)
    ref = weakref.ref(rec)
    del rec
    gc.collect()
    assert ref() is None
    emitter.fired.emit(3)  # nothing left to call; must not crash


def test_plain_object_method_is_held_weakly_like_pyqt(qtbot):
    class Plain:
        def __init__(self):
            self.calls = []

        def handle(self, value):
            self.calls.append(value)

    emitter, plain = Emitter(), Plain()
    qtreload.connect(emitter.fired, plain.handle)
    emitter.fired.emit(1)
    assert plain.calls == [1]
    ref = weakref.ref(plain)
    del plain
    gc.collect()
    assert ref() is None
    emitter.fired.emit(2)


def test_partial_and_lambda_and_connection_type(qtbot):
    emitter, got = Emitter(), []
    qtreload.connect(emitter.fired, functools.partial(got.append), type=Qt.QueuedConnection)
    qtreload.connect(emitter.fired, lambda value: got.append(value * 10))
    emitter.fired.emit(4)
    assert got == [40]  # queued one not delivered yet
    qtbot.waitUntil(lambda: got == [40, 4])


def test_connect_twice_calls_twice_and_disconnect_finds_original(qtbot):
    emitter, rec = Emitter(), Recorder()
    got = []

    def handler(value):
        got.append(value)

    qtreload.connect(emitter.fired, handler)
    qtreload.connect(emitter.fired, handler)
    qtreload.connect(emitter.fired, rec.one)
    emitter.fired.emit(1)
    assert got == [1, 1] and rec.calls == [(1,)]
    qtreload.disconnect(emitter.fired, handler)
    qtreload.disconnect(emitter.fired, rec.one)
    emitter.fired.emit(2)
    assert got == [1, 1] and rec.calls == [(1,)]
    with pytest.raises(TypeError):
        qtreload.disconnect(emitter.fired, handler)


def test_type_error_from_a_c_callable_is_not_swallowed(qtbot):
    """PyQt5 retries ``partial(sum, [1, 2])('x')`` as ``sum([1, 2])``; qtreload does not."""
    from qtpy.QtCore import QObject as _QObject

    class Texts(_QObject):
        sent = Signal(str)

    texts, results = Texts(), []
    qtreload.connect(texts.sent, functools.partial(sum, [1, 2]))
    qtreload.connect(texts.sent, functools.partial(results.append))
    with qtbot.captureExceptions() as caught:
        texts.sent.emit("x")
    assert [type(exc) for _, exc, _ in caught] == [TypeError]
    assert results == ["x"]


def test_plain_object_method_gets_trimmed_arguments_like_a_direct_connection(qtbot):
    class Plain:
        def __init__(self):
            self.calls = []

        def handle(self):
            self.calls.append(())

    button, direct, through = QPushButton(), Plain(), Plain()
    qtbot.addWidget(button)
    button.clicked.connect(direct.handle)
    qtreload.connect(button.clicked, through.handle)
    button.click()
    assert through.calls == direct.calls == [()]


def test_method_made_by_hand_from_a_callable_is_called_and_kept(qtbot):
    """``MethodType(callable_obj, qobject)``: PyQt5 borrows it (F1); qtreload keeps it."""
    calls = []

    class Callable:
        __name__ = "by_hand"

        def __call__(self, receiver, *args):
            calls.append((receiver, args))

    import types

    emitter, rec = Emitter(), Recorder()
    method = types.MethodType(Callable(), rec)
    qtreload.connect(emitter.fired, method)
    del method
    gc.collect()
    emitter.fired.emit(5)
    assert calls == [(rec, (5,))]


def test_slots_for_dead_senders_are_forgotten(qtbot):
    from qtreload import _connections

    handlers = [lambda value: None for _ in range(50)]
    emitters = [Emitter() for _ in handlers]
    for emitter, handler in zip(emitters, handlers, strict=True):
        qtreload.connect(emitter.fired, handler)
    assert all(id(handler) in _connections.slots_by_handler for handler in handlers)
    del emitters, emitter

    def forgotten() -> bool:
        gc.collect()
        return not any(id(handler) in _connections.slots_by_handler for handler in handlers)

    # PyQt deletes its internal slot proxies with deleteLater: wait for the event loop to run it.
    qtbot.waitUntil(forgotten, timeout=5000)
