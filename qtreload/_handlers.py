"""Handler references shared by the Qt and blinker adapters.

A handler is kept as a *getter* of its current code rather than as the object
itself: a bound method is looked up by name on its instance at each call, so a
method replaced by a reload runs its new code and a freed function is never
called. A method that cannot be found by name (``types.MethodType(func, obj)``
made by hand) keeps its function, held strongly.
"""
from __future__ import annotations

import types
import weakref
from collections.abc import Callable
from typing import Any

Getter = Callable[[], "Callable | None"]


def bound_method(handler: Any) -> bool:
    """Is ``handler`` a method bound to an object (Python or C++ code, e.g. ``label.clear``)?"""
    if isinstance(handler, types.MethodType):
        return True
    return (isinstance(handler, types.BuiltinMethodType)
            and not isinstance(handler.__self__, (types.ModuleType, type(None))))


def handler_key(handler: Any) -> Any:
    """Identity of a handler, as blinker's ``make_id``: bound methods by function and self."""
    if isinstance(handler, types.MethodType):
        return (id(handler.__func__), id(handler.__self__))
    if bound_method(handler):
        return (handler.__name__, id(handler.__self__))
    return id(handler)


def looked_up_by_name(method: Any) -> bool:
    """Does ``getattr(method.__self__, method.__name__)`` give this method's function?

    A bound C++ method (``label.clear``) is always found by name.
    """
    name = getattr(method, "__name__", None)
    if not isinstance(name, str):
        return False
    if not isinstance(method, types.MethodType):
        return True
    found = getattr(type(method.__self__), name, None)
    return getattr(found, "__func__", found) is method.__func__


def current(handler: Callable, weak: bool, on_dead: Callable[[Any], None] | None = None) -> Getter:
    """A getter of the handler's current code; None once a weakly held handler is gone."""
    if isinstance(handler, types.MethodType):
        obj, func = handler.__self__, handler.__func__
        name = handler.__name__ if looked_up_by_name(handler) else None
        ref = weakref.ref(obj, on_dead) if weak else (lambda: obj)

        def method() -> Callable | None:
            target = ref()
            if target is None:
                return None
            return getattr(target, name) if name else types.MethodType(func, target)

        return method
    if not weak:
        return lambda: handler
    return weakref.ref(handler, on_dead)
