"""Qt connections that run the stale check before each emission.

A QObject's bound method is connected through a small proxy QObject that is a
child of the receiver and lives in its thread. So, as with a direct connection,
the handler runs in the receiver's thread (queued across threads), the
connection dies with the receiver, and the receiver is never kept alive. The
proxy looks the method up by name at each call, so a method replaced, renamed
or removed by a reload never leaves Qt holding a freed function (which
segfaults in PyQt5, and ``del`` of a connected method segfaults in PySide6:
docs/binding-facts.md, F1). Every slot made here has the fixed shape of
``_trim.fixed_arity`` on PySide, which counts a slot's parameters once at
connect time, so that it passes all of a signal's arguments, as PyQt does (F2).
Any other callable runs in the thread that connected it, as PyQt runs it; on
PySide through :class:`HomeThread` (F5).
"""
from __future__ import annotations

import functools
import logging
import threading
import types
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ._compat import (
    BINDING,
    BINDINGS,
    COUNTS_SLOT_PARAMETERS,
    PYSIDE,
    BoundSignal,
    QObject,
    Qt,
    Signal,
    disconnect_once,
    is_deleted,
)
from ._default import reloader
from ._handlers import Getter, bound_method, current, handler_key, looked_up_by_name
from ._threadrelay import ThreadRelay
from ._trim import any_arity, fixed_arity

#: Makes the Python functions qtreload connects: PySide passes a function as many
#: arguments as it has parameters, so there they have a fixed shape (F2).
slot_function = fixed_arity if COUNTS_SLOT_PARAMETERS else any_arity

log = logging.getLogger("qtreload")

_call = reloader.call
_NO_KWARGS: dict = {}

# Slots made for handlers that are not QObject methods, by handler identity
# (an entry goes when its last slot is freed, i.e. disconnected or its sender deleted).
slots_by_handler: dict[Any, list[weakref.ref]] = {}


class MethodProxy(QObject):
    """Calls the receiver's method through the reloader; owned by the receiver.

    The method is looked up by name at each call; one made by hand with
    ``types.MethodType`` (not found by name) keeps its function instead.
    """

    def __init__(self, method: Any) -> None:
        super().__init__()
        receiver = method.__self__
        self.method_name = getattr(method, "__name__", "?")
        self.key = handler_key(method)
        self._reported = False
        by_name = looked_up_by_name(method)
        #: The name the receiver's method is looked up by (None: a hand-made method).
        self.lookup_name = self.method_name if by_name else None
        self._func = None if by_name else method.__func__  # held: never freed under Qt
        # A weak ref is cheaper than parent(); parent() covers a receiver whose
        # Python wrapper was collected while Qt kept the object.
        self._receiver = weakref.ref(receiver)
        if self.thread() is not receiver.thread():
            self.moveToThread(receiver.thread())
        self.setParent(receiver)

    def dispatch(self, args: tuple) -> Any:
        receiver = self._receiver()
        if receiver is None:
            receiver = self.parent()
        if self._func is not None:  # not found by name: the function it was made of
            method: Callable | None = types.MethodType(self._func, receiver)
        else:
            method = getattr(receiver, self.method_name, None)
        if method is None:
            if not self._reported:
                self._reported = True
                log.error("qtreload: %s.%s no longer exists (renamed or removed?); "
                          "the connection does nothing until it is restored",
                          type(receiver).__qualname__, self.method_name)
            return None
        if self._reported:
            self._reported = False
        return _call(method, args, _NO_KWARGS)

    # The connected slot, a method so that Qt runs it in the proxy's thread.
    call = slot_function(lambda _, args, kwargs: args[0].dispatch(args[1:]), None)
    call.__name__ = call.__qualname__ = "call"  # PySide finds a connected method by name


def _call_current(get: Getter, args: tuple, kwargs: dict) -> Any:
    target = get()
    return None if target is None else _call(target, args, kwargs)


def _checked(get: Getter, home: HomeThread | None, name: str) -> Callable:
    """A slot that runs the stale check, then the handler's current code, trimmed
    (in its ``home`` thread if there is one)."""
    if home is not None:
        slot = slot_function(_call_at_home, home)
        slot.home = home  # type: ignore[attr-defined]  # for disconnect()
    else:
        slot = slot_function(_call_current, get)
    slot.__name__ = slot.__qualname__ = name
    return slot


class HomeThread:
    """PySide: where a plain function's connection runs it, the thread that connected it.

    PyQt runs a plain function connected with the default (auto) type in the
    thread that called ``connect()``, queued from other threads; PySide6 runs it
    in the thread that emits (docs/binding-facts.md, F5). So on PySide the slot
    is connected direct, and calls the handler at once in its home thread and
    hands other threads' calls to a :class:`~qtreload._threadrelay.ThreadRelay` that lives
    there (queued, or blocking queued: the connection type asked for). The relay
    goes with the slot (sender deleted, or disconnected), by ``deleteLater`` in
    its own thread: it may be running a call.
    """

    __slots__ = ("get", "ident", "always", "relay", "connected")

    def __init__(self, get: Getter, kind: int) -> None:
        self.get = get
        self.connected = True
        self.ident = threading.get_ident()
        self.always = kind in (_QUEUED, _BLOCKING)  # queued even from the home thread
        self.relay = ThreadRelay()
        self.relay.listen(Qt.ConnectionType.BlockingQueuedConnection if kind == _BLOCKING
                          else Qt.ConnectionType.QueuedConnection)

    def retire(self) -> None:
        """Let the relay go (the slot is gone): deleted in its thread, by its event loop,
        after the calls already handed to it (as PyQt runs them when the sender is deleted)."""
        _retired[:] = [relay for relay in _retired if not is_deleted(relay)]
        if not is_deleted(self.relay):
            self.relay.deleteLater()
            _retired.append(self.relay)  # Python must not delete it here: Qt will


#: Relays of slots that are gone, until their thread's event loop deletes them.
_retired: list[ThreadRelay] = []


def _call_at_home(home: HomeThread, args: tuple, kwargs: dict) -> Any:
    if home.always or _thread_id() != home.ident:
        home.relay.run.emit(functools.partial(_call_relayed, home, args, kwargs))
        return None
    target = home.get()  # as _call_current, one call less on every emission
    return None if target is None else _call(target, args, kwargs)


_thread_id = threading.get_ident


def _call_relayed(home: HomeThread, args: tuple, kwargs: dict) -> Any:
    return _call_current(home.get, args, kwargs) if home.connected else None


def connect(signal: BoundSignal, handler: Callable, **options: Any) -> Any:
    """Connect ``handler`` to a Qt bound signal so each emission checks for reloads first.

    ``type=...UniqueConnection`` for a handler already connected to ``signal``
    raises ``TypeError``, as the binding does.
    """
    _check_signal(signal)
    unique = _unique(options.get("type"))
    kind = _kind(options.get("type", _AUTO)) & ~_UNIQUE
    qobject_method = _qobject_method(handler)
    if PYSIDE:
        # PySide6 makes no unique connection to a Python callable (F6); a plain
        # function's slot is connected direct, and runs in its home thread (F5).
        options = dict(options, type=Qt.ConnectionType(kind if qobject_method else _DIRECT))
    if unique:
        for slot in _candidates(handler):
            if PYSIDE:
                connected = disconnect_once(signal, slot)
                if connected:
                    signal.connect(slot, **options)  # as it was
            else:
                try:
                    return signal.connect(slot, **options)  # the same slot: Qt sees it twice
                except TypeError:
                    connected = True
            if connected:
                raise TypeError(f"qtreload.connect: {handler!r} is already connected to this "
                                "signal (type=UniqueConnection)")
    if qobject_method:
        return signal.connect(MethodProxy(handler).call, **options)
    # Like PyQt: a plain object's method is held weakly, anything else strongly.
    get = current(handler, weak=isinstance(handler, types.MethodType))
    home = HomeThread(get, kind) if PYSIDE and kind != _DIRECT else None
    slot = _checked(get, home, getattr(handler, "__name__", type(handler).__name__))
    connection = signal.connect(slot, **options)
    key = handler_key(handler)

    def forget(ref: weakref.ref) -> None:
        refs = slots_by_handler.get(key, [])
        if ref in refs:
            refs.remove(ref)
        if not refs:
            slots_by_handler.pop(key, None)
        if home is not None:
            home.retire()

    slots_by_handler.setdefault(key, []).append(weakref.ref(slot, forget))
    return connection


def disconnect(signal: BoundSignal, handler: Callable) -> None:
    """Disconnect every connection :func:`connect` made from ``signal`` to ``handler``."""
    found = False
    for slot in _candidates(handler):
        while disconnect_once(signal, slot):
            found = True
            home = getattr(slot, "home", None)
            if home is not None:  # PyQt drops the calls a disconnect left queued
                home.connected = False
            proxy = getattr(slot, "__self__", None)
            if isinstance(proxy, MethodProxy):
                proxy.setParent(None)
                proxy.deleteLater()
                break
    if not found:
        raise TypeError(f"qtreload: {handler!r} is not connected to this signal")


def _candidates(handler: Any) -> Iterator[Callable]:
    key = handler_key(handler)
    if _qobject_method(handler):
        name = getattr(handler, "__name__", None)
        for proxy in handler.__self__.findChildren(MethodProxy):
            if proxy.key == key or (proxy.lookup_name is not None and proxy.lookup_name == name):
                yield proxy.call
        return
    for ref in list(slots_by_handler.get(key, ())):
        slot = ref()
        if slot is not None:
            yield slot


def _check_signal(signal: Any) -> None:
    """A ``TypeError`` naming what was expected, at the call, for anything but a bound signal."""
    if isinstance(signal, BoundSignal):
        return
    if isinstance(signal, Signal):
        raise TypeError(f"qtreload.connect: {signal!r} is a class's signal, not bound to an "
                        "object: connect the signal of an instance (button.clicked, not "
                        "QPushButton.clicked)")
    other = type(signal).__module__.split(".")[0]
    if other in BINDINGS.values():
        raise TypeError(f"qtreload.connect: {signal!r} is a signal of {other}, but qtreload "
                        f"uses {BINDING}: set QT_API={other.lower()} (or import {other} "
                        "before qtreload)")
    raise TypeError(f"qtreload.connect: expected a Qt bound signal (button.clicked) or a "
                    f"blinker.Signal, not {signal!r}")


def _kind(kind: Any) -> int:
    """A connection type (an enum or an int) as an int."""
    return int(getattr(kind, "value", kind))


_AUTO = _kind(Qt.ConnectionType.AutoConnection)
_DIRECT = _kind(Qt.ConnectionType.DirectConnection)
_QUEUED = _kind(Qt.ConnectionType.QueuedConnection)
_BLOCKING = _kind(Qt.ConnectionType.BlockingQueuedConnection)
_UNIQUE = _kind(Qt.ConnectionType.UniqueConnection)


def _unique(kind: Any) -> bool:
    """Does the connection type ``kind`` (an enum, an int, or None) ask for a unique one?"""
    return kind is not None and bool(_kind(kind) & _UNIQUE)


def _qobject_method(handler: Any) -> bool:
    """A QObject's method (Python or C++): connected through a proxy that dies with it."""
    return bound_method(handler) and isinstance(handler.__self__, QObject)
