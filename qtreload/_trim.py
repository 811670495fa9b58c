"""Qt-style argument trimming: call with fewer trailing arguments until the call fits.

PyQt5 calls a slot with all the signal's arguments and, when the call machinery
itself raises ``TypeError`` (no Python frame of the slot ran), drops the last
argument and retries. Wrappers must keep that behaviour, or a
``clicked(bool)`` emission breaks every zero-argument handler they wrap. A
``TypeError`` raised inside the handler's body is never retried.

For Python functions the accepted count is learnt once per code object and
argument count, so the retry (an exception) is paid once per handler version,
not per call. For callables without code (``functools.partial``, builtins) the
count comes from their signature: retrying those would silently swallow a
genuine ``TypeError`` raised in C, as PyQt does (docs/binding-facts.md, F2).

PySide does not retry: it passes a Python function as many arguments as its
code has positional parameters, counted once, at connect time (F2). A slot
that takes ``*args`` would get none, and one shaped like the handler would
break when an edit changes the handler's parameters. :func:`fixed_arity` makes
slots with a stable shape that every binding calls with all the arguments;
they trim for the handler themselves, at each call.
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


#: Positional parameters of a :func:`fixed_arity` slot: more than Qt signals carry.
SLOT_ARITY = 10
_NO = object()  # an argument Qt did not pass


def fixed_arity(call: Callable[[Any, tuple, dict], Any], target: Any) -> Callable[..., Any]:
    """A function of up to ``SLOT_ARITY`` positional arguments: ``call(target, args, kwargs)``.

    ``args`` holds exactly the positional arguments given. No ``*args``: PySide
    treats a function that has one as taking none (F2). ``target`` sits in the
    function's own closure, where a hot-swap finds it (a reload of a decorated
    function maps it to the live function).
    """
    def slot(a0=_NO, a1=_NO, a2=_NO, a3=_NO, a4=_NO, a5=_NO, a6=_NO, a7=_NO, a8=_NO, a9=_NO,
             **kwargs):
        if a0 is _NO:
            return call(target, (), kwargs)
        if a1 is _NO:
            return call(target, (a0,), kwargs)
        args = (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9)
        if a9 is _NO:
            args = args[:args.index(_NO)]
        return call(target, args, kwargs)

    return slot


def any_arity(call: Callable[[Any, tuple, dict], Any], target: Any) -> Callable[..., Any]:
    """``f(*args, **kwargs)`` that calls ``call(target, args, kwargs)``: for PyQt, which
    passes a slot every argument (cheaper than :func:`fixed_arity`)."""
    def slot(*args: Any, **kwargs: Any) -> Any:
        return call(target, args, kwargs)

    return slot


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
