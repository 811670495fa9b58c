"""Qt-style argument trimming: call with fewer trailing arguments until the call fits.

PyQt5 calls a slot with all the signal's arguments and, when the call machinery
itself raises ``TypeError`` (no Python frame of the slot ran), drops the last
argument and retries. Wrappers and trampolines must keep that behaviour, or a
``clicked(bool)`` emission breaks every zero-argument handler they wrap. A
``TypeError`` raised inside the handler's body is never retried.

For Python functions the accepted count is learnt once per code object and
argument count, so the retry (an exception) is paid once per handler version,
not per call. For callables without code (``functools.partial``, builtins) the
count comes from their signature: retrying those would silently swallow a
genuine ``TypeError`` raised in C, as PyQt5 does (qt-blinker-facts §2).
"""
from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import Callable
from typing import Any

# (id(code), argument count) -> (weak ref to the code, accepted count). Keyed by
# id so that an entry never keeps the code object of a replaced version alive:
# the weak ref's callback drops the entry when the code object goes.
_accepted: dict[tuple[int, int], tuple[weakref.ref, int]] = {}
_limits: weakref.WeakKeyDictionary[Any, int | None] = weakref.WeakKeyDictionary()
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def call_trimmed(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Call ``func(*args, **kwargs)``, dropping trailing ``args`` the way PyQt5 does."""
    if not args:
        return func(**kwargs)  # nothing to trim
    code = getattr(func, "__code__", None)
    if code is None:
        limit = _positional_limit(func)
        if limit is not None:
            return func(*args[:limit], **kwargs)
    elif not kwargs:
        entry = _accepted.get((id(code), len(args)))
        if entry is not None and entry[0]() is code:
            return func(*args[:entry[1]], **kwargs)
    trimmed = args
    while True:
        try:
            result = func(*trimmed, **kwargs)
        except TypeError as exc:
            # Raised by the call itself (bad arity), not by the function's body?
            tb = exc.__traceback__
            if (tb is not None and tb.tb_next is not None) or not trimmed:
                raise
            trimmed = trimmed[:-1]
            continue
        if code is not None and not kwargs:
            _remember(code, len(args), len(trimmed))
        return result


def _remember(code: Any, nargs: int, accepted: int) -> None:
    key = (id(code), nargs)
    _accepted[key] = (weakref.ref(code, lambda _ref: _accepted.pop(key, None)), accepted)


def _positional_limit(func: Callable) -> int | None:
    """How many positional arguments ``func`` takes; None if unlimited or unknown."""
    try:
        return _limits[func]
    except (KeyError, TypeError):
        pass
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        limit = None
    else:
        kinds = [p.kind for p in parameters]
        unlimited = inspect.Parameter.VAR_POSITIONAL in kinds
        limit = None if unlimited else sum(kind in _POSITIONAL for kind in kinds)
    with contextlib.suppress(TypeError):  # not weakly referenceable: worked out next time
        _limits[func] = limit
    return limit
