"""qtreload.connect on blinker signals: blinker's rules, plus reload before each send."""
from __future__ import annotations

import asyncio
import gc
import weakref

import blinker

import qtreload

RECEIVERS = """
    def on_event(sender, **kw):
        return ("v1", sender, kw)

    class Listener:
        def __init__(self):
            self.seen = []

        def on_event(self, sender, **kw):
            self.seen.append(("listener v1", sender))
            return "listener v1"
"""


def test_receiver_edited_between_two_sends(project):
    project.write("receivers", RECEIVERS)
    receivers = project.load("receivers")
    signal = blinker.Signal()
    qtreload.connect(signal, receivers.on_event)
    assert signal.send("a", x=1)[0][1] == ("v1", "a", {"x": 1})
    project.edit("receivers", '("v1", sender, kw)', '("v2", sender, kw)')
    assert signal.send("a", x=2)[0][1] == ("v2", "a", {"x": 2})


def test_bound_method_survives_a_reload_of_its_class(project):
    """Plain blinker silently drops a WeakMethod whose function was replaced (binding facts F10)."""
    project.write("receivers", RECEIVERS)
    receivers = project.load("receivers")
    listener = receivers.Listener()
    signal = blinker.Signal()
    qtreload.connect(signal, listener.on_event)
    signal.send("s")
    project.edit("receivers", "listener v1", "listener v2")
    assert [r for _, r in signal.send("s")] == ["listener v2"]
    assert listener.seen == [("listener v1", "s"), ("listener v2", "s")]


def test_weak_receivers_are_collected_and_strong_ones_kept():
    signal = blinker.Signal()
    calls = []

    def weak_handler(sender):
        calls.append("weak")

    def strong_handler(sender):
        calls.append("strong")

    qtreload.connect(signal, weak_handler)
    qtreload.connect(signal, strong_handler, weak=False)
    qtreload.connect(signal, lambda sender: calls.append("inline lambda"))  # dropped at once
    signal.send(None)
    assert sorted(calls) == ["strong", "weak"]
    del weak_handler, strong_handler
    gc.collect()
    calls.clear()
    signal.send(None)
    assert calls == ["strong"]
    assert len(signal.receivers) == 1


def test_weak_bound_method_dies_with_its_object():
    class Obj:
        def handle(self, sender):
            return "alive"

    signal, obj = blinker.Signal(), Obj()
    qtreload.connect(signal, obj.handle)
    assert [r for _, r in signal.send(1)] == ["alive"]
    del obj
    gc.collect()
    assert signal.send(1) == []
    assert not signal.receivers


def test_connection_does_not_keep_the_signal_alive():
    signal = blinker.Signal()

    def handler(sender):
        return "called"

    qtreload.connect(signal, handler)
    ref = weakref.ref(signal)
    del signal
    gc.collect()
    assert ref() is None


def test_sender_filter_results_and_dedup():
    signal = blinker.Signal()
    a, b = object(), object()
    calls = []

    def handler(sender, **kw):
        calls.append(sender)
        return kw.get("value", 0) * 2

    qtreload.connect(signal, handler, sender=a)
    qtreload.connect(signal, handler, sender=a)  # blinker's rule: once
    assert [r for _, r in signal.send(a, value=21)] == [42]
    assert signal.send(b, value=1) == []
    assert calls == [a]


def test_disconnect_by_original_handler():
    signal = blinker.Signal()

    def handler(sender):
        return "called"

    qtreload.connect(signal, handler)
    qtreload.disconnect(signal, handler)
    assert signal.send(None) == []
    qtreload.disconnect(signal, handler)  # blinker's rule: not connected, ignored
    qtreload.connect(signal, handler)
    assert [r for _, r in signal.send(None)] == ["called"]


def test_named_signal_and_async_receivers():
    signal = blinker.signal("qtreload-test-async")

    async def handler(sender, **kw):
        await asyncio.sleep(0)
        return ("async", sender)

    qtreload.connect(signal, handler)
    try:
        result = asyncio.run(signal.send_async("s"))
        assert [r for _, r in result] == [("async", "s")]
    finally:
        qtreload.disconnect(signal, handler)


def test_one_handler_for_several_senders_like_blinker():
    signal, a, b, c = blinker.Signal(), object(), object(), object()
    calls = []

    def handler(sender):
        calls.append(sender)

    qtreload.connect(signal, handler, sender=a)
    qtreload.connect(signal, handler, sender=b)
    for sender in (a, b, c):
        signal.send(sender)
    assert calls == [a, b]
    qtreload.disconnect(signal, handler)
    signal.send(a)
    assert calls == [a, b]
