"""The blinker adapter: receivers that reload before each ``send``.

blinker's own rules are kept: by default a receiver is held weakly and the
connection ends when the handler is collected (``weak=False`` keeps it), a
handler connected twice is called once, ``sender=`` filters, and async
handlers work with ``send_async``. A bound method is looked up by name at
each send, so a method replaced by a reload is not silently dropped (as a
plain blinker ``WeakMethod`` would be: qt-blinker-facts §8).
"""
from __future__ import annotations

import inspect
import types
import weakref
from collections.abc import Callable
from typing import Any

import blinker

from ._default import reloader

# Per signal: the receiver made for each handler (keyed like blinker's make_id).
_receivers: weakref.WeakKeyDictionary[blinker.Signal, dict[Any, Callable]] = (
    weakref.WeakKeyDictionary()
)


def _key(handler: Callable) -> Any:
    if isinstance(handler, types.MethodType):
        return (id(handler.__func__), id(handler.__self__))
    return id(handler)


def _target(handler: Callable, weak: bool, on_dead: Callable) -> Callable[[], Callable | None]:
    """A getter for the handler's current code (None once the handler was collected)."""
    if isinstance(handler, types.MethodType):
        obj, name = handler.__self__, handler.__name__
        if not weak:
            return lambda: getattr(obj, name)
        ref = weakref.ref(obj, on_dead)
        return lambda: None if (o := ref()) is None else getattr(o, name)
    if not weak:
        return lambda: handler
    return weakref.ref(handler, on_dead)


def connect(signal: blinker.Signal, handler: Callable, sender: Any = blinker.ANY,
            weak: bool = True) -> Callable:
    """Connect ``handler`` to a blinker signal; each send checks for reloads first."""
    connected = _receivers.setdefault(signal, {})
    key = _key(handler)
    if key in connected:
        return handler  # blinker calls a receiver once, however often it is connected

    signal_ref = weakref.ref(signal)  # a strong one would keep the signal alive forever

    def on_dead(_ref: Any) -> None:
        receiver, live_signal = connected.pop(key, None), signal_ref()
        if receiver is not None and live_signal is not None:
            live_signal.disconnect(receiver)

    target = _target(handler, weak, on_dead)
    call = reloader.call
    func = getattr(handler, "__func__", handler)
    if inspect.iscoroutinefunction(func):
        async def receiver(sender: Any, **kwargs: Any) -> Any:
            current = target()
            return None if current is None else await call(current, (sender,), kwargs)
    else:
        def receiver(sender: Any, **kwargs: Any) -> Any:
            current = target()
            return None if current is None else call(current, (sender,), kwargs)

    receiver.__name__ = receiver.__qualname__ = getattr(func, "__name__", "receiver")
    connected[key] = receiver
    signal.connect(receiver, sender=sender, weak=False)
    return handler


def disconnect(signal: blinker.Signal, handler: Callable, sender: Any = blinker.ANY) -> None:
    """Disconnect what :func:`connect` connected for ``handler``."""
    receiver = _receivers.get(signal, {}).pop(_key(handler), None)
    if receiver is None:
        raise ValueError(f"qtreload: {handler!r} is not connected to {signal!r}")
    signal.disconnect(receiver, sender=sender)
