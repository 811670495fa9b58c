"""Line shifts: a definition that only moved keeps its live objects; its code moves with it.

A save that adds or removes lines above a definition (a comment, a blank line,
an edited function) leaves its text as it was; only its line numbers change.
Instead of running it again, the live functions it made take the same code
moved to the new lines (:func:`._compiler.shift_code` made it), so tracebacks and
``inspect`` point at the new lines, and nothing else about them changes.

That is only done when every function the definition's code defines (the
function itself, or a class's methods, nested classes included) is found on
the live object: directly, as a class member, or behind ``__wrapped__``,
``staticmethod``/``classmethod``/``property`` and a descriptor's attributes. A
function a decorator hid in a closure of its own cannot be found: the
definition then runs again, as before. Lambdas and nested functions made by
the live functions are moved by the hot-swap with the other live closures
(:mod:`._closures`).
"""
from __future__ import annotations

import inspect
import types
from typing import Any

# Attributes through which descriptors hold functions (staticmethod, classmethod, property).
_HOLDERS = ("__func__", "fget", "fset", "fdel")

#: A move: a live function and the code, at its new lines, it takes.
Move = tuple[types.FunctionType, types.CodeType]


def moves(value: Any, old: types.CodeType, new: types.CodeType) -> list[Move] | None:
    """The moves that give the live ``value`` the code ``new`` in place of ``old``.

    ``old`` and ``new``: the top-level code object of a definition (a function's
    code or a class body), before and after the shift: the same tree, other
    lines. None when a function ``old`` defines is not found on ``value``.
    """
    if type(value) is types.FunctionType and value.__code__ is old:
        return [(value, new)]  # a plain function (the usual case)
    pairs: dict[int, tuple[types.CodeType, types.CodeType]] = {}
    needed: set[int] = set()
    work = [(old, new, True)]
    while work:
        before, after, defines = work.pop()
        pairs[id(before)] = (before, after)
        function = bool(before.co_flags & inspect.CO_NEWLOCALS)
        if defines and function:
            needed.add(id(before))
        # What a class body defines is the class's; what a function makes, its own.
        work.extend((a, b, defines and not function)
                    for a, b in zip(before.co_consts, after.co_consts, strict=True)
                    if isinstance(a, types.CodeType))
    found: list[Move] = []
    for func in _functions(value, getattr(value, "__qualname__", None)):
        pair = pairs.get(id(func.__code__))
        if pair is not None and pair[0] is func.__code__:
            found.append((func, pair[1]))
            needed.discard(id(pair[0]))
    return None if needed else found


def _functions(value: Any, owner: str | None) -> list[types.FunctionType]:
    """The functions reachable from ``value``: itself, what it wraps, a class's members
    and nested classes (those whose qualified name is under ``owner``)."""
    found: list[types.FunctionType] = []
    seen: set[int] = set()
    work = [value]
    while work:
        current = work.pop()
        if id(current) in seen or current is None:
            continue
        seen.add(id(current))
        if isinstance(current, types.FunctionType):
            found.append(current)
            work.append(current.__dict__.get("__wrapped__"))
        elif isinstance(current, type):
            name = getattr(current, "__qualname__", "")
            if owner is not None and (name == owner or name.startswith(owner + ".")):
                work.extend(current.__dict__.values())
        else:
            # A decorator's object or a descriptor: what it holds, where such objects
            # keep it (looked up on its type first: no instance ``__getattr__`` runs).
            work.extend(getattr(current, attr, None) for attr in _HOLDERS
                        if hasattr(type(current), attr))
            try:
                state = object.__getattribute__(current, "__dict__")
            except Exception:
                continue
            if isinstance(state, dict):
                work.extend(v for v in state.values() if isinstance(v, types.FunctionType))
    return found
