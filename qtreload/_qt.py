"""The Qt adapter: connections that reload before each emission, and Qt's class rules.

A QObject's bound method is connected through a small proxy QObject that is a
child of the receiver and lives in its thread. So, as with a direct connection,
the handler runs in the receiver's thread (queued across threads), the
connection dies with the receiver, and the receiver is never kept alive. The
proxy looks the method up by name at each call, so a method replaced, renamed
or removed by a reload never leaves Qt holding a freed function (which
segfaults in PyQt5: qt-blinker-facts §1).
"""
from __future__ import annotations

import logging
import types
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ._compat import QMetaMethod, QObject, pyqtBoundSignal, wrappertype
from ._default import reloader
from ._slot import checked

log = logging.getLogger("qtreload")

_call = reloader.call
_NO_KWARGS: dict = {}

# Wrappers made for handlers that are not QObject methods, by handler identity.
_wrappers: dict[Any, list[weakref.ref]] = {}


class MethodProxy(QObject):
    """Calls ``parent().<name>(...)`` through the reloader; owned by the receiver."""

    def __init__(self, receiver: QObject, name: str) -> None:
        super().__init__()
        self.method_name = name
        self._reported = False
        # A weak ref is cheaper than parent(); parent() covers a receiver whose
        # Python wrapper was collected while Qt kept the object.
        self._receiver = weakref.ref(receiver)
        if self.thread() is not receiver.thread():
            self.moveToThread(receiver.thread())
        self.setParent(receiver)

    def call(self, *args: Any) -> Any:
        receiver = self._receiver()
        method = getattr(receiver if receiver is not None else self.parent(),
                         self.method_name, None)
        if method is None:
            if not self._reported:
                self._reported = True
                log.error("qtreload: %s.%s no longer exists (renamed or removed?); "
                          "the connection does nothing until it is restored",
                          type(self.parent()).__qualname__, self.method_name)
            return None
        if self._reported:
            self._reported = False
        return _call(method, args, _NO_KWARGS)


def _late_bound(obj: Any, name: str) -> Callable:
    """A checked caller of ``obj.<name>`` that holds ``obj`` weakly (as PyQt does)."""
    ref = weakref.ref(obj)

    def method(*args: Any) -> Any:
        target = ref()
        return None if target is None else getattr(target, name)(*args)

    method.__name__ = method.__qualname__ = name
    return checked(method)


def _handler_key(handler: Any) -> Any:
    self = getattr(handler, "__self__", None)
    if self is not None and not isinstance(handler, types.BuiltinFunctionType):
        return (id(self), handler.__name__)
    return id(handler)


def connect(signal: pyqtBoundSignal, handler: Callable, **options: Any) -> Any:
    """Connect ``handler`` to a Qt bound signal so each emission checks for reloads first."""
    self = getattr(handler, "__self__", None)
    if isinstance(handler, types.MethodType) and isinstance(self, QObject):
        proxy = MethodProxy(self, handler.__name__)
        return signal.connect(proxy.call, **options)
    if isinstance(handler, types.MethodType):
        wrapper = _late_bound(self, handler.__name__)
    else:
        wrapper = checked(handler)
    connection = signal.connect(wrapper, **options)
    refs = _wrappers.setdefault(_handler_key(handler), [])
    refs[:] = [r for r in refs if r() is not None]
    refs.append(weakref.ref(wrapper))
    return connection


def disconnect(signal: pyqtBoundSignal, handler: Callable) -> None:
    """Disconnect every connection :func:`connect` made from ``signal`` to ``handler``."""
    found = False
    for slot in _candidates(handler):
        while True:
            try:
                signal.disconnect(slot)
            except TypeError:
                break
            found = True
            if isinstance(getattr(slot, "__self__", None), MethodProxy):
                slot.__self__.setParent(None)
                slot.__self__.deleteLater()
                break
    if not found:
        raise TypeError(f"qtreload: {handler!r} is not connected to this signal")


def _candidates(handler: Callable) -> Iterator[Callable]:
    self = getattr(handler, "__self__", None)
    if isinstance(handler, types.MethodType) and isinstance(self, QObject):
        for proxy in self.findChildren(MethodProxy):
            if proxy.method_name == handler.__name__:
                yield proxy.call
        return
    for ref in _wrappers.get(_handler_key(handler), ()):
        wrapper = ref()
        if wrapper is not None:
            yield wrapper


def qt_class_rule(old: type, new: type) -> Iterator[tuple[str, bool]]:
    """What makes a change to a Python subclass of a Qt class unsafe to apply live.

    Qt builds a class's meta-object (signals, slots, properties) once, at class
    creation: adding a ``pyqtSignal`` to a live class segfaults on connect, and
    new or changed slots and properties are invisible to Qt (facts §7).
    """
    if not isinstance(old, wrappertype) or not hasattr(old, "staticMetaObject"):
        return
    before, after = _meta_members(old), _meta_members(new)
    for member in sorted(before ^ after):
        change = "added" if member in after else "removed"
        yield f"Qt meta-object {member} {change}: Qt cannot change a live class", True
    qt_base = next(b for b in old.__mro__ if b.__module__.startswith("PyQt5."))
    for name in sorted(new.__dict__.keys() - old.__dict__.keys()):
        if callable(getattr(qt_base, name, None)) and not name.startswith("__"):
            yield (f"new override of Qt virtual {name!r}: instances on which Qt already "
                   "called it keep the C++ version (sip caches it)", False)


def _meta_members(cls: type) -> set[str]:
    """The class's own signals, slots and properties, as Qt sees them."""
    meta = cls.staticMetaObject
    kinds = {QMetaMethod.Signal: "signal", QMetaMethod.Slot: "slot"}
    members = {
        f"{kinds.get(m.methodType(), 'method')} {bytes(m.methodSignature()).decode()}"
        for m in map(meta.method, range(meta.methodOffset(), meta.methodCount()))
    }
    members.update(
        f"property {p.name()}: {p.typeName()}"
        for p in map(meta.property, range(meta.propertyOffset(), meta.propertyCount()))
    )
    return members


reloader.rules.append(qt_class_rule)
