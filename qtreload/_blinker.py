"""The blinker adapter: receivers that reload before each ``send``.

blinker's own rules are kept: by default a receiver is held weakly and the
connection ends when the handler is collected (``weak=False`` keeps it), a
handler connected twice is called once, ``sender=`` filters, and async
handlers work with ``send_async``. A bound method is looked up by name at
each send, so a method replaced by a reload is not silently dropped (as a
plain blinker ``WeakMethod`` would be: docs/binding-facts.md, F10).
"""
from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import Any

import blinker

from ._default import reloader
from ._handlers import current, handler_key

# Per signal: the receiver made for each handler (keyed like blinker's make_id).
_receivers: weakref.WeakKeyDictionary[blinker.Signal, dict[Any, Callable]] = (
    weakref.WeakKeyDictionary()
)


def connect(signal: blinker.Signal, handler: Callable, sender: Any = blinker.ANY,
            weak: bool = True) -> Callable:
    """Connect ``handler`` to a blinker signal; each send checks for reloads first."""
    connected = _receivers.setdefault(signal, {})
    key = handler_key(handler)
    if key in connected:
        # blinker's rule: one receiver, called once per send, for every sender given.
        signal.connect(connected[key], sender=sender, weak=False)
        return handler

    signal_ref = weakref.ref(signal)  # a strong one would keep the signal alive forever

    def on_dead(_ref: Any) -> None:
        receiver, live_signal = connected.pop(key, None), signal_ref()
        if receiver is not None and live_signal is not None:
            live_signal.disconnect(receiver)

    target = current(handler, weak, on_dead)
    call = reloader.call
    func = getattr(handler, "__func__", handler)
    async def async_receiver(sender: Any, **kwargs: Any) -> Any:
        current = target()
        return None if current is None else await call(current, (sender,), kwargs)

    def sync_receiver(sender: Any, **kwargs: Any) -> Any:
        current = target()
        return None if current is None else call(current, (sender,), kwargs)

    receiver = async_receiver if inspect.iscoroutinefunction(func) else sync_receiver

    receiver.__name__ = receiver.__qualname__ = getattr(func, "__name__", "receiver")
    connected[key] = receiver
    signal.connect(receiver, sender=sender, weak=False)
    return handler


def disconnect(signal: blinker.Signal, handler: Callable, sender: Any = blinker.ANY) -> None:
    """Disconnect what :func:`connect` connected for ``handler`` (from ``sender``, or all).

    As in blinker, a handler that is not connected is ignored.
    """
    connected = _receivers.get(signal, {})
    key = handler_key(handler)
    receiver = connected.get(key)
    if receiver is None:
        return  # blinker's rule: disconnecting what is not connected does nothing
    signal.disconnect(receiver, sender=sender)
    if id(receiver) not in signal.receivers:
        del connected[key]
