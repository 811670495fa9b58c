"""Stand-ins for methods an edit removed from a live Qt class (PySide)."""
from __future__ import annotations

import logging
import types
from collections.abc import Callable
from typing import Any

from ._compat import PYSIDE, wrappertype
from ._hotswap import stand_ins

log = logging.getLogger("qtreload")


def removed_method_stand_in(cls: type, name: str, value: Any) -> Callable | None:
    """PySide: what stays under the name of a function an edit removed from a Qt class.

    PySide calls a connected method by name at each emit, and segfaults once the
    name is gone (docs/binding-facts.md, F1); so the name keeps a function that
    calls the inherited member (a Qt virtual: its C++ default), or reports once
    that the method no longer exists and does nothing.
    """
    if not (PYSIDE and isinstance(cls, wrappertype) and isinstance(value, types.FunctionType)):
        return None
    reported: list[bool] = []

    def removed(self: Any, *args: Any) -> Any:
        inherited = getattr(super(cls, self), name, None)
        if inherited is not None:
            return inherited(*args)
        if not reported:
            reported.append(True)
            log.error("qtreload: %s.%s no longer exists (renamed or removed?); "
                      "connections to it do nothing until it is restored",
                      cls.__qualname__, name)
        return None

    removed.__name__ = name
    removed.__qualname__ = f"{cls.__qualname__}.{name}"
    return removed


stand_ins.append(removed_method_stand_in)
