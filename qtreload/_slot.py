"""``@autoreload_slot``: a handler that runs the stale check before every call."""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from ._connections import slot_function
from ._default import reloader
from ._engine import disabled_by_environment


def autoreload_slot(*args: Any, name: str | None = None, result: Any = None) -> Any:
    """Decorate a handler so each call first reloads stale modules, then runs the current code.

    Usable bare (``@autoreload_slot``) or with Qt slot types
    (``@autoreload_slot(int)``, ``@autoreload_slot()``), which also make it a
    ``pyqtSlot`` with that signature (``name`` and ``result`` as for
    ``pyqtSlot``). Works on functions, methods, staticmethods and
    classmethods, above or below ``@pyqtSlot``. Extra signal arguments are
    trimmed the way PyQt trims them for a direct connection, on every binding. With
    ``QTRELOAD=0`` it returns the handler unchanged.
    """
    if len(args) == 1 and _is_handler(args[0]) and name is None and result is None:
        return _wrap(args[0], None)
    slot_types = args
    for kind in slot_types:
        if not isinstance(kind, (type, str)):
            raise TypeError(f"autoreload_slot: expected a function to decorate, or slot types "
                            f"(int, str, 'QString', ...), not {kind!r}")

    def decorate(func: Any) -> Any:
        if not _is_handler(func):
            raise TypeError(f"autoreload_slot: expected a function, method, staticmethod or "
                            f"classmethod to decorate, not {func!r}")
        return _wrap(func, (slot_types, name, result))

    return decorate


def _is_handler(obj: Any) -> bool:
    return isinstance(obj, (staticmethod, classmethod)) or (
        callable(obj) and not isinstance(obj, type))


def _wrap(func: Any, slot: tuple | None) -> Any:
    if isinstance(func, (staticmethod, classmethod)):
        return type(func)(_wrap(func.__func__, slot))
    wrapper = func if disabled_by_environment() else _checked(func)
    if slot is not None:
        from ._compat import Slot

        slot_types, name, result = slot
        options = {k: v for k, v in (("name", name), ("result", result)) if v is not None}
        wrapper = Slot(*slot_types, **options)(wrapper)
    return wrapper


def _checked(func: Callable) -> Callable:
    """A function that runs the stale check, then ``func`` with trimmed arguments.

    Every binding passes it all of a signal's arguments (``_connections.slot_function``),
    whatever ``func`` takes now or after an edit. An
    ``async def`` gets an ``async def`` wrapper: ``inspect.iscoroutinefunction``
    and frameworks that look at it (blinker's ``send_async``, qasync) see it as one.
    """
    if inspect.iscoroutinefunction(func):
        call = reloader.call

        @functools.wraps(func)
        async def autoreload_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await call(func, args, kwargs)

        return autoreload_wrapper
    return functools.wraps(func)(slot_function(reloader.call, func))
