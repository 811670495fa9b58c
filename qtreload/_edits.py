"""The undo log of a hot-swap: primitive edits, applied in order and undone on failure.

A hot-swap plan is a list of primitive edits, each of one *kind* ("set" an
attribute, "attr" on a class, "item" of a dict or list, a closure "cell", ...).
Each kind is one small class below that keeps how it is applied next to how it is
undone. :class:`EditLog` applies the planned edits and records what each one
replaced; on any error it undoes them all, newest first, so a failed hot-swap
changes nothing.
"""
from __future__ import annotations

import enum
import logging
import types
from collections.abc import Callable
from typing import Any

from . import _closures

log = logging.getLogger("qtreload")

#: A value that is not there: an edit to :data:`MISSING` deletes (an item, a class
#: attribute, a cell's contents); an undo to it deletes what the edit added.
MISSING: Any = object()


def cell_value(cell: types.CellType) -> Any:
    """The contents of a closure cell, or :data:`MISSING` when it is empty."""
    try:
        return cell.cell_contents
    except ValueError:
        return MISSING


#: Called as ``hook(instance, cls)`` after :func:`retype` gave ``instance`` the class
#: ``cls``. The Qt adapter adds one for PySide, whose objects, when freed, give back a
#: reference to the class they have then that they took from the class they were made with.
retype_hooks: list[Callable[[Any, type], None]] = []


def retype(instance: Any, cls: type) -> None:
    """Give ``instance`` the class ``cls``, past the class's own ``__setattr__``.

    A frozen dataclass or attrs class refuses every attribute write through its
    ``__setattr__``; the class of an instance is not its data. The setter used is
    the first one not written in Python: ``object``'s, or an extension type's
    (PySide6's objects refuse ``object.__setattr__``).
    """
    setter = next(s for s in (base.__dict__.get("__setattr__") for base in type(instance).__mro__)
                  if s is not None and not isinstance(s, types.FunctionType))
    setter(instance, "__class__", cls)
    for hook in retype_hooks:
        hook(instance, cls)


def _set_class_attr(cls: type, name: str, value: Any, undo: bool = False) -> None:
    """Set (or with :data:`MISSING` delete) a class attribute, past Enum's member guard.

    An undo goes past a metaclass that refuses it, where Python allows that.
    """
    enum_class = isinstance(cls, enum.EnumMeta)
    if value is MISSING and name not in cls.__dict__:
        return
    try:
        if value is MISSING:
            (type.__delattr__ if enum_class else delattr)(cls, name)
        else:
            (type.__setattr__ if enum_class else setattr)(cls, name, value)
    except Exception:
        if not undo:
            raise
        if value is MISSING:
            type.__delattr__(cls, name)
        else:
            type.__setattr__(cls, name, value)


class _Kind:
    """One kind of edit. :meth:`apply` records in the log what :meth:`undo` needs."""

    def __init__(self, name: str) -> None:
        self.name = name

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        raise NotImplementedError

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        """Put back ``previous``, what :meth:`apply` replaced (nothing by default)."""


class _Set(_Kind):
    """``setattr(target, key, value)``."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        undo_log.record(self, target, key, getattr(target, key))
        setattr(target, key, value)

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        setattr(target, key, previous)


class _Attr(_Kind):
    """A class attribute (:data:`MISSING`: delete it), past Enum's member guard."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        undo_log.record(self, target, key, target.__dict__.get(key, MISSING))
        _set_class_attr(target, key, value)

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        _set_class_attr(target, key, previous, undo=True)


class _Retype(_Kind):
    """An instance takes the class ``value``."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        undo_log.record(self, target, None, type(target))
        retype(target, value)

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        retype(target, previous)


class _Item(_Kind):
    """``target[key] = value`` (:data:`MISSING`: delete the item)."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        try:
            previous = target[key]
        except (KeyError, IndexError):
            previous = MISSING
        undo_log.record(self, target, key, previous)
        if value is not MISSING:
            target[key] = value
        elif previous is not MISSING:
            del target[key]

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        if previous is MISSING:
            del target[key]
        else:
            target[key] = previous


class _Items(_Kind):
    """``target.update(value)``: many items of one dict at once (a namespace's names)."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        undo_log.record(self, target, None, {k: target.get(k, MISSING) for k in value})
        target.update(value)

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        for k, v in previous.items():
            if v is MISSING:
                target.pop(k, None)
            else:
                target[k] = v


class _Cell(_Kind):
    """A closure cell's contents (:data:`MISSING`: empty it)."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        undo_log.record(self, target, None, cell_value(target))
        self.undo(target, None, value)

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        if previous is MISSING:
            del target.cell_contents
        else:
            target.cell_contents = previous


class _Contents(_Kind):
    """A dict's or set's whole contents ("dict": a function's ``__dict__``; "contents")."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        undo_log.record(self, target, None, target.copy())
        self.undo(target, None, value)

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        target.clear()
        target.update(previous)


class _Retrack(_Kind):
    """A live closure given new code moves to its new code's entry (``key``: the old code)."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        _closures.retrack(target, key)
        undo_log.record(self, target, target.__code__, None)

    def undo(self, target: Any, key: Any, previous: Any) -> None:
        _closures.retrack(target, key)


class _Call(_Kind):
    """Call ``target()`` (clear a cache, note a report): nothing to undo."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        target()


class _Rebase(_Kind):
    """Best effort ``setattr``: an incompatible layout keeps the new one (undone as "set")."""

    def apply(self, undo_log: EditLog, target: Any, key: Any, value: Any) -> None:
        previous = getattr(target, key)
        try:
            setattr(target, key, value)
        except TypeError:
            return
        undo_log.record(_KINDS["set"], target, key, previous)


_KINDS: dict[str, _Kind] = {kind.name: kind for kind in (
    _Set("set"), _Attr("attr"), _Retype("retype"), _Item("item"), _Items("items"),
    _Cell("cell"),
    _Contents("dict"), _Contents("contents"), _Retrack("retrack"), _Call("call"),
    _Rebase("rebase"))}


class EditLog:
    """The planned edits of one hot-swap, and the undo log of those applied."""

    def __init__(self) -> None:
        self._planned: list[tuple[str, _Kind, Any, Any, Any]] = []  # (module, kind, target, ...)
        self._undo: list[tuple[_Kind, Any, Any, Any]] = []
        #: After a failed :meth:`apply`: the module whose edit raised.
        self.failed_module: str | None = None

    def add(self, module: str, kind: str, target: Any, key: Any, value: Any) -> None:
        """Plan an edit of ``kind`` for ``module`` (one of the kinds above, by name)."""
        self._planned.append((module, _KINDS[kind], target, key, value))

    def record(self, kind: _Kind, target: Any, key: Any, previous: Any) -> None:
        """Note what an edit being applied replaced, for :meth:`rollback`."""
        self._undo.append((kind, target, key, previous))

    def apply(self) -> None:
        """Apply every planned edit; on any error undo them all and re-raise."""
        try:
            for module, kind, target, key, value in self._planned:
                self.failed_module = module
                kind.apply(self, target, key, value)
        except BaseException:
            self.rollback()
            raise
        self.failed_module = None

    def rollback(self) -> None:
        """Undo the applied edits, newest first; one that cannot be undone does not stop it."""
        while self._undo:
            kind, target, key, previous = self._undo.pop()
            try:
                kind.undo(target, key, previous)
            except Exception:
                log.exception("qtreload: could not undo a %s edit of %r", kind.name, target)
