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


def relink_receivers(mapped: Callable[[Any], Any], namespaces: list[dict]) -> None:
    """After a reload: a receiver the module's run connected is the live function again.

    ``@signal.connect_via(sender)`` (or a top-level ``signal.connect(f)``) runs
    again with each full re-run and connects the *new* function, which the
    hot-swap made into a copy of the live one: without this, the handler would
    be called once more after each save. Looks at the signals the reloaded
    modules hold and at blinker's named signals.
    """
    signals = {id(v): v for ns in namespaces for v in list(ns.values())
               if isinstance(v, blinker.Signal)}
    signals.update((id(v), v) for v in list(blinker.default_namespace.values()))
    for signal in signals.values():
        for receiver_id, held in list(signal.receivers.items()):
            receiver = held() if isinstance(held, weakref.ref) else held
            if receiver is None or mapped(receiver) is receiver:
                continue
            live = mapped(receiver)
            senders = [_sender(signal, sender_id)
                       for sender_id in list(signal._by_receiver.get(receiver_id, ()))]
            if any(sender is _UNKNOWN for sender in senders):
                continue  # a sender blinker keeps no reference to: leave it as it is
            signal.disconnect(receiver)
            for sender in senders:
                signal.connect(live, sender=sender, weak=isinstance(held, weakref.ref))


_UNKNOWN = object()


def _sender(signal: blinker.Signal, sender_id: Any) -> Any:
    """The sender blinker knows by ``sender_id``: ANY, a live sender, a str or int; or _UNKNOWN."""
    if sender_id == blinker.base.ANY_ID:
        return blinker.ANY
    ref = signal._weak_senders.get(sender_id)
    if ref is not None:
        sender = ref()
        return _UNKNOWN if sender is None else sender
    return sender_id if isinstance(sender_id, (str, int)) else _UNKNOWN


reloader.registry_rules.append(relink_receivers)
