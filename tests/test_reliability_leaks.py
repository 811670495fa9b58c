"""Leaks: what a long editing session leaves behind, and receivers that must die.

500 edit-and-reload cycles of a module whose handler is connected to live
widgets, each edit changing one string literal in the handler. Measured every
50 cycles: the process RSS (/proc/self/statm) and qtreload's own tables —
MethodProxy children, ``_hotswap.kept_alive()``, ``_closures._live`` and
``_trim._accepted``. None of them may grow with the number of reloads.
"""
from __future__ import annotations

import gc
import itertools
import weakref

import blinker
import pytest
from qtpy.QtCore import QCoreApplication, QEvent
from qtpy.QtWidgets import QPushButton
from reliability_helpers import click, rss_bytes

import qtreload
from qtreload import _closures, _hotswap, _trim
from qtreload._connections import MethodProxy

# RSS is read in this process, so these run with the slow tests, one process at a
# time (`.ci/run`: -n 0): pytest-xdist's worker threads allocate beside them.
pytestmark = pytest.mark.slow

PANEL = '''
import qtreload
from qtpy.QtWidgets import QLabel, QPushButton, QWidget

SENT = []


def on_send(sender, **kwargs):
    SENT.append("send s@N@")


class Panel(QWidget):
    def __init__(self):
        super().__init__()
        self.label = QLabel(self)
        self.button = QPushButton("go", self)
        self.button.clicked.connect(self.on_click)

    @qtreload.autoreload_slot
    def on_click(self):
        tag = (lambda: "@L@")()
        words = sorted(["@S@", "b", "a"], key=lambda s: s.lower())
        self.label.setText(" ".join(words) + " " + tag)

    def unchanged(self):
        return 1


def unchanged_function():
    return 2
'''

CYCLES = 500
PANELS = 4
SAMPLE_EVERY = 50

# RSS bound over the last 400 cycles (cycle 100 to 500; the first 100 let
# pymalloc arenas and Qt's caches settle). How it was chosen: measured on the
# reference VM (CPython 3.11.7, PyQt5 5.15, offscreen) with qtreload's tables
# bounded, growth was 92-248 KiB per run alone (12 runs, both variants) and
# 0 KiB inside the full suite. Part of it is PyQt5 itself: creating a QWidget
# subclass leaves ~140 B of Python objects in sip for good (plain ``exec`` of a
# class statement, no qtreload), and every reload creates one. When
# ``_trim._accepted`` kept one entry (so one dead code object) per reload,
# growth was 1172-1224 KiB; when ``_closures._live`` kept one entry per reload
# ([lambda]), 776 KiB. The bound, 640 KiB, is ~2.6x the worst clean figure and
# below both leaks.
RSS_BOUND = 640 * 1024


def settle() -> None:
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QCoreApplication.processEvents()
    gc.collect()


def proxies(widgets) -> int:
    return sum(len(w.findChildren(MethodProxy)) for w in widgets)


def sample(widgets) -> dict[str, int]:
    settle()
    return {
        "rss": rss_bytes(),
        "proxies": proxies(widgets),
        "kept_alive": _hotswap.kept_alive(),
        "live": len(_closures._live),
        "accepted": len(_trim._accepted),
    }


@pytest.mark.timeout(240)
@pytest.mark.parametrize("where", ["body", "lambda"])
def test_500_reload_cycles_stay_bounded(qtbot, project, measurements, where):
    """``where``: the literal that changes is in the handler's own body, or inside
    a lambda the handler creates and calls (a tracked closure)."""
    token = "@S@" if where == "body" else "@L@"
    other = "@L@" if where == "body" else "@S@"
    project.write("leaky", PANEL.replace(token, "s0").replace(other, "x").replace("@N@", "0"))
    module = project.load("leaky")
    panels = [module.Panel() for _ in range(PANELS)]
    for panel in panels:
        qtbot.addWidget(panel)
    outside = QPushButton("outside")
    qtbot.addWidget(outside)
    for panel in panels:
        qtreload.connect(outside.clicked, panel.on_click)  # one MethodProxy each
    signal = blinker.Signal()
    qtreload.connect(signal, module.on_send)
    unchanged = module.unchanged_function

    samples: list[tuple[int, dict[str, int]]] = []
    for cycle in range(CYCLES + 1):
        if cycle:
            project.edit("leaky", f'"s{cycle - 1}"', f'"s{cycle}"')
            project.edit("leaky", f'"send s{cycle - 1}"', f'"send s{cycle}"')
        click(qtbot, panels[cycle % PANELS].button)  # reloads
        click(qtbot, outside)
        signal.send("leak test")
        text = f"s{cycle}"
        assert all(text in p.label.text().split() for p in panels), cycle
        assert module.SENT[-1] == f"send {text}"
        del module.SENT[:]
        if cycle % SAMPLE_EVERY == 0:
            samples.append((cycle, sample(panels)))
    assert module.unchanged_function is unchanged

    measurements("\n".join(
        ["cycle       rss_KiB  proxies  kept_alive  _live  _accepted"]
        + [f"{cycle:5d} {s['rss'] // 1024:13d} {s['proxies']:8d} "
           f"{s['kept_alive']:11d} {s['live']:6d} {s['accepted']:10d}" for cycle, s in samples]))
    first, after_100, last = samples[0][1], samples[2][1], samples[-1][1]
    problems = []
    if not last["proxies"] == first["proxies"] == PANELS:
        problems.append(f"MethodProxy children {first['proxies']} -> {last['proxies']}")
    # Reloading a function that is paired (changed or not) displaces nothing.
    if last["kept_alive"] != first["kept_alive"]:
        problems.append(f"kept_alive {first['kept_alive']} -> {last['kept_alive']}")
    if last["live"] - first["live"] > 2:
        problems.append(f"_closures._live {first['live']} -> {last['live']}")
    if last["accepted"] - first["accepted"] > 4:
        problems.append(f"_trim._accepted {first['accepted']} -> {last['accepted']}")
    # A leak grows at every reload; the allocator grows in blocks. Leave out the
    # largest single step between two samples (50 cycles): PyQt6 sometimes takes
    # one ~940 KiB block once, with flat RSS before and after. Both known leaks
    # above grew steadily (~100-150 KiB per 50 cycles) and are still caught.
    steps = [b[1]["rss"] - a[1]["rss"] for a, b in itertools.pairwise(samples[2:])]
    growth = last["rss"] - after_100["rss"] - max(max(steps), 0)
    if growth >= RSS_BOUND:
        problems.append(f"RSS grew {growth // 1024} KiB over the last 400 cycles "
                        "(its largest single step left out) "
                        f"(bound {RSS_BOUND // 1024} KiB)")
    assert not problems, problems


# -- receivers deleted while connected -----------------------------------------

RECEIVER = '''
import qtreload
from qtpy.QtWidgets import QWidget
from {p}recstate import CALLS


class Receiver(QWidget):
    @qtreload.autoreload_slot
    def on_click(self):
        CALLS.append(id(self))

    def plain(self):
        CALLS.append(("plain", id(self)))


class Listener:
    def on_send(self, sender, **kwargs):
        CALLS.append(("listener", id(self)))
'''


@pytest.fixture
def receivers(project):
    project.write("recstate", "CALLS = []\n")
    project.write("receivers", RECEIVER)
    return project.load("receivers")


@pytest.mark.parametrize("method", ["on_click", "plain"])
def test_qt_receiver_deleted_with_delete_later_is_freed_and_not_called(qtbot, receivers,
                                                                        method):
    button = QPushButton()
    qtbot.addWidget(button)
    receiver = receivers.Receiver()
    qtreload.connect(button.clicked, getattr(receiver, method))
    click(qtbot, button)
    assert len(receivers.CALLS) == 1
    ref = weakref.ref(receiver)
    receiver.deleteLater()
    del receiver
    settle()
    assert ref() is None, gc.get_referrers(ref())
    click(qtbot, button)
    assert len(receivers.CALLS) == 1


@pytest.mark.parametrize("method", ["on_click", "plain"])
def test_qt_parentless_receiver_dropped_is_freed_and_not_called(qtbot, receivers, method):
    button = QPushButton()
    qtbot.addWidget(button)
    receiver = receivers.Receiver()
    qtreload.connect(button.clicked, getattr(receiver, method))
    click(qtbot, button)
    ref = weakref.ref(receiver)
    del receiver
    settle()
    assert ref() is None, gc.get_referrers(ref())
    click(qtbot, button)
    assert len(receivers.CALLS) == 1


def test_qt_receiver_freed_after_a_reload_of_its_module(qtbot, project, receivers):
    """A reload in between must not leave anything holding the receiver."""
    button = QPushButton()
    qtbot.addWidget(button)
    receiver = receivers.Receiver()
    qtreload.connect(button.clicked, receiver.on_click)
    click(qtbot, button)
    project.edit("receivers", "CALLS.append(id(self))", "CALLS.append(-id(self))")
    click(qtbot, button)
    assert receivers.CALLS[-1] == -id(receiver)
    ref = weakref.ref(receiver)
    del receiver
    settle()
    assert ref() is None, gc.get_referrers(ref())
    click(qtbot, button)
    assert len(receivers.CALLS) == 2


def test_blinker_weak_receiver_is_freed_and_not_called(receivers):
    signal = blinker.Signal()
    listener = receivers.Listener()
    qtreload.connect(signal, listener.on_send)
    signal.send("s")
    assert [("listener", id(listener))] == receivers.CALLS
    ref = weakref.ref(listener)
    del listener
    gc.collect()
    assert ref() is None, gc.get_referrers(ref())
    assert signal.send("s") == []
    assert len(receivers.CALLS) == 1
    assert not signal.receivers


def test_blinker_weak_function_receiver_is_freed_and_not_called():
    signal = blinker.Signal()
    calls = []

    def handler(sender, **kwargs):
        calls.append(sender)

    qtreload.connect(signal, handler)
    signal.send("a")
    ref = weakref.ref(handler)
    del handler
    gc.collect()
    assert ref() is None, gc.get_referrers(ref())
    signal.send("b")
    assert calls == ["a"]
    assert not signal.receivers
