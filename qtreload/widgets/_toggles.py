"""The switches the menu and the dialog show: autoreload and its trigger points."""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .._default import reloader as default_reloader
from .._engine import Reloader

log = logging.getLogger("qtreload")


@dataclass(frozen=True)
class Toggle:
    """A switch shown as a checkbox and a checkable action: ``get()`` reads, ``set(on)`` flips.

    ``set`` is None when the switch is unavailable; it is then shown greyed out, with ``note``.
    """

    label: str
    get: Callable[[], bool]
    set: Callable[[bool], None] | None
    note: str = ""


def default_toggles(reloader: Reloader = default_reloader) -> list[Toggle]:
    """Autoreload (the master switch) and the two trigger points."""
    def set_enabled(on: bool) -> None:
        if on:
            reloader.enable()
        else:
            reloader.disable()

    calls = Toggle("Before wrapped calls", lambda: reloader.check_before_calls,
                   lambda on: setattr(reloader, "check_before_calls", on),
                   "Check before each @autoreload_slot / qtreload.connect handler")
    return [Toggle("Autoreload", lambda: reloader.enabled, set_enabled,
                   "Watch modules and reload them when their files change"),
            calls, event_hook_toggle()]


def switch(toggles: Sequence[Toggle], wanted: Sequence[bool]) -> None:
    """Flip each available toggle to its wanted state; a failing one is logged, not raised."""
    for toggle, on in zip(toggles, wanted, strict=True):
        if toggle.set is not None and on != bool(toggle.get()):
            try:
                toggle.set(on)
            except Exception:
                log.exception("qtreload: could not turn %r %s", toggle.label, ("off", "on")[on])


def event_hook_toggle() -> Toggle:
    """The input-event trigger of ``qtreload._eventhook``; off uninstalls it, on puts it back."""
    label = "Before input events"
    from .. import _eventhook as hook

    current, install, uninstall, timer_events = (
        hook.current, hook.install, hook.uninstall, hook.TIMER_EVENTS)
    kept: dict[str, Any] = {}  # the settings of the hook last switched off

    def set_on(on: bool) -> None:
        installed = current()
        if on and installed is not None:
            installed.enabled = True
        elif on:
            install(**kept)
        elif installed is not None:
            kept.update(timers=bool(installed.events & timer_events), check=installed.check)
            uninstall()

    return Toggle(label, lambda: bool(getattr(current(), "enabled", False)), set_on,
                  "Check before mouse clicks, key presses and wheel events reach any widget")
