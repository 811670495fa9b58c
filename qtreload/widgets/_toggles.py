"""The switches the menu and the dialog show: autoreload and the three trigger points."""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._default import reloader as default_reloader
from .._engine import Reloader
from .._triggers import TRIGGERS, switches_of

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
    """Autoreload (the master switch) and the three trigger points of ``qtreload._triggers``."""
    def set_enabled(on: bool) -> None:
        if on:
            reloader.enable()
        else:
            reloader.disable()

    switches = switches_of(reloader)
    return [Toggle("Autoreload", lambda: reloader.enabled, set_enabled,
                   "Watch modules and reload them when their files change"),
            *(Toggle(t.label, functools.partial(switches.get, t),
                     functools.partial(switches.set, t), t.note) for t in TRIGGERS)]


def switch(toggles: Sequence[Toggle], wanted: Sequence[bool]) -> None:
    """Flip each available toggle to its wanted state; a failing one is logged, not raised."""
    for toggle, on in zip(toggles, wanted, strict=True):
        if toggle.set is not None and on != bool(toggle.get()):
            try:
                toggle.set(on)
            except Exception:
                log.exception("qtreload: could not turn %r %s", toggle.label, ("off", "on")[on])
