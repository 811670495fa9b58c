"""Qt-style argument trimming: call with fewer trailing arguments until the call fits.

PyQt5 calls a slot with all the signal's arguments and, when the call machinery
itself raises ``TypeError`` (no Python frame of the slot ran), drops the last
argument and retries. Wrappers and trampolines must keep that behaviour, or a
``clicked(bool)`` emission breaks every zero-argument handler they wrap. A
``TypeError`` raised inside the handler's body is never retried.

The accepted count is remembered per code object and argument count, so the
retry cost (an exception per call) is paid once per handler version, not per call.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

_accepted: dict[tuple[Any, int], int] = {}


def call_trimmed(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Call ``func(*args, **kwargs)``, dropping trailing ``args`` the way PyQt5 does."""
    code = getattr(func, "__code__", None)
    key = (code, len(args))
    n = _accepted.get(key) if code is not None and not kwargs else None
    if n is not None:
        return func(*args[:n], **kwargs)
    trimmed = args
    while True:
        try:
            result = func(*trimmed, **kwargs)
        except TypeError as exc:
            # Raised by the call itself (bad arity), not by the function's body?
            if exc.__traceback__.tb_next is not None or not trimmed:
                raise
            trimmed = trimmed[:-1]
            continue
        if code is not None and not kwargs:
            _accepted[key] = len(trimmed)
        return result
