"""The three trigger points of the stale check, as switches shared by every front end.

They are named as in the reload menu of the application qtreload's design
comes from (itom's "Script » reload modules"):

- **before script execution**: ``%run script.py`` in IPython (and whatever
  runs a script through :func:`before_script`);
- **before single command**: before each command typed at an interactive
  prompt (an IPython cell, a ``python -m qtreload shell`` line);
- **before events and function calls**: before a handler wrapped by
  qtreload is called, and before the user-input events the event hook sees.

The command line (``python -m qtreload run/shell``), the menu and dialog of
:mod:`qtreload.widgets`, the ``%qtreload`` magic and ``qtreload.configure``
all read and flip the same :data:`switches`. Each switch starts from an
environment variable (``QTRELOAD_BEFORE_SCRIPT``, ``QTRELOAD_BEFORE_COMMAND``,
``QTRELOAD_BEFORE_EVENTS``: ``1``/``0``, ``on``/``off``, ...), on by default.

This module knows no Qt: the event hook, when one is installed, follows the
"before events" switch through :meth:`TriggerSwitches.on_change`.
"""
from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from ._default import reloader as default_reloader
from ._engine import Reloader
from ._report import NOTHING, ReloadReport

log = logging.getLogger("qtreload")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


@dataclass(frozen=True)
class Trigger:
    """One trigger point: its key (``configure`` keyword, magic word), label and variable."""

    key: str
    label: str
    env: str
    note: str

    @property
    def word(self) -> str:
        """The name used on the command line and in ``%qtreload``: ``before-script``."""
        return self.key.replace("_", "-")


BEFORE_SCRIPT = Trigger(
    "before_script", "Autoreload before script execution", "QTRELOAD_BEFORE_SCRIPT",
    "Check before a script runs (%run in IPython)")
BEFORE_COMMAND = Trigger(
    "before_command", "Autoreload before single command", "QTRELOAD_BEFORE_COMMAND",
    "Check before each command typed at an interactive prompt (IPython cell, qtreload shell)")
BEFORE_EVENTS = Trigger(
    "before_events", "Autoreload before events and function calls", "QTRELOAD_BEFORE_EVENTS",
    "Check before each handler wrapped by qtreload and before user input reaches a widget "
    "(when the event hook is installed)")

#: The trigger points, in the order the menu shows them.
TRIGGERS: tuple[Trigger, ...] = (BEFORE_SCRIPT, BEFORE_COMMAND, BEFORE_EVENTS)
_BY_KEY = {t.key: t for t in TRIGGERS} | {t.word: t for t in TRIGGERS}


def find(name: str) -> Trigger:
    """The trigger named ``name`` (``before_script`` or ``before-script``); ValueError if none."""
    trigger = _BY_KEY.get(name)
    if trigger is None:
        known = ", ".join(t.word for t in TRIGGERS)
        raise ValueError(f"qtreload: no trigger point {name!r} (known: {known})")
    return trigger


def parse_switch(text: str, what: str) -> bool:
    """``on``/``off``, ``1``/``0``, ``yes``/``no``, ``true``/``false``; ValueError otherwise."""
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"qtreload: {what} must be on or off (1/0, yes/no), not {text!r}")


def _from_environment(trigger: Trigger) -> bool:
    text = os.environ.get(trigger.env, "")
    if not text.strip():
        return True
    try:
        return parse_switch(text, trigger.env)
    except ValueError as exc:
        log.warning("%s; it stays on", exc)
        return True


class TriggerSwitches:
    """The on/off state of the three trigger points of one reloader.

    "Before events and function calls" also sets the reloader's own gate for
    wrapped calls (``reloader.check_before_calls``, the one flag the hot path
    reads; ``run --no-wrapped`` turns only that gate off) and, through
    :attr:`listeners`, the event hook's; the other two are read by the
    interactive front ends.
    """

    def __init__(self, reloader: Reloader = default_reloader) -> None:
        self.reloader = reloader
        self._on = {t.key: _from_environment(t) for t in TRIGGERS}
        #: Called with (trigger, on) after a switch flips.
        self.listeners: list[Callable[[Trigger, bool], None]] = []
        reloader.check_before_calls = self._on[BEFORE_EVENTS.key]

    def get(self, name: str | Trigger) -> bool:
        """Is the trigger point on?"""
        trigger = name if isinstance(name, Trigger) else find(name)
        return self._on[trigger.key]

    def set(self, name: str | Trigger, on: bool) -> None:
        """Turn a trigger point on or off."""
        if not isinstance(on, bool):
            raise TypeError(f"qtreload: a trigger switch is True or False, not {on!r}")
        trigger = name if isinstance(name, Trigger) else find(name)
        self._on[trigger.key] = on
        if trigger is BEFORE_EVENTS:
            self.reloader.check_before_calls = on
        for listener in list(self.listeners):
            try:
                listener(trigger, on)
            except Exception:
                log.exception("qtreload: trigger switch listener failed (ignored)")

    def state(self) -> dict[str, bool]:
        """``{"before_script": True, ...}`` in menu order."""
        return {t.key: self.get(t) for t in TRIGGERS}

    @property
    def before_script(self) -> bool:
        return self.get(BEFORE_SCRIPT)

    @property
    def before_command(self) -> bool:
        return self.get(BEFORE_COMMAND)

    @property
    def before_events(self) -> bool:
        return self.get(BEFORE_EVENTS)

    def check_if(self, trigger: Trigger) -> ReloadReport:
        """The stale check for ``trigger``'s moment: :data:`NOTHING` when the switch is off."""
        if not self.get(trigger):
            return NOTHING
        return self.reloader.check()


#: The switches of the process-wide reloader.
switches = TriggerSwitches()
_others: weakref.WeakKeyDictionary[Reloader, TriggerSwitches] = weakref.WeakKeyDictionary()


def switches_of(reloader: Reloader) -> TriggerSwitches:
    """The trigger switches of ``reloader`` (:data:`switches` for the process-wide one)."""
    if reloader is switches.reloader:
        return switches
    found = _others.get(reloader)
    if found is None:
        found = _others[reloader] = TriggerSwitches(reloader)
    return found
