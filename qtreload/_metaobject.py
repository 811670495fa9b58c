"""What Qt's meta-object allows a reload to change on a live Qt class.

Qt builds a class's meta-object (signals, slots, properties) once, when the
class is created, and the bindings cache which Python overrides of Qt virtuals
an instance has: the class rule here reports what needs a restart, and the
member rule keeps the members Qt still uses.
"""
from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

from ._compat import PYSIDE, SLOT_METADATA, QMetaMethod, Signal, is_binding_class, wrappertype
from ._default import reloader
from ._hotswap import PARTIAL


def qt_class_rule(old: type, new: type) -> Iterator[tuple[str, Any]]:
    """What makes a change to a Python subclass of a Qt class unsafe to apply live.

    Qt builds a class's meta-object (signals, slots, properties) once, at class
    creation: adding a ``pyqtSignal`` to a live class segfaults on connect, and
    new or changed slots and properties are invisible to Qt
    (docs/binding-facts.md, F7 and F8). So a meta-object change needs a restart,
    but only for those members: the live class takes the new method code and the
    rest (:data:`PARTIAL`), while :func:`qt_meta_member_rule` keeps its signals
    and slots as Qt knows them.
    """
    if not isinstance(old, wrappertype) or not hasattr(old, "staticMetaObject"):
        return
    before, after = _meta_members(old), _meta_members(new)
    for member in sorted(before ^ after):
        change = "added" if member in after else "removed"
        yield (f"Qt meta-object {member} {change}: the class takes the new method code, but "
               "Qt cannot change a live class's signals, slots and properties", PARTIAL)
    qt_base = next(b for b in old.__mro__ if is_binding_class(b))
    for name in sorted(new.__dict__.keys() - old.__dict__.keys()):
        if _is_virtual(qt_base, name):
            yield (f"new override of Qt virtual {name!r}: instances on which Qt already "
                   "called it keep the C++ version (the binding caches that)", False)
    if PYSIDE:  # it keeps calling, per instance, the override it called before (F7)
        for name in sorted(old.__dict__.keys() - new.__dict__.keys()):
            if _is_virtual(qt_base, name):
                yield (f"override of Qt virtual {name!r} removed: PySide keeps calling the "
                       "old one on instances where it already ran", False)
        for name in sorted(new.__dict__.keys() & old.__dict__.keys()):
            if _is_virtual(qt_base, name) and not _same_definition(old, new, name):
                yield (f"override of Qt virtual {name!r} replaced by another object: PySide "
                       "keeps calling the old one on instances where it already ran", False)


def _is_virtual(qt_base: type, name: str) -> bool:
    return callable(getattr(qt_base, name, None)) and not name.startswith("__")


def _same_definition(old: type, new: type, name: str) -> bool:
    """Will the hot-swap give the old function the new code (rather than replace it)?"""
    before, after = old.__dict__[name], new.__dict__[name]
    return (isinstance(before, types.FunctionType) and isinstance(after, types.FunctionType)
            and before.__qualname__ == after.__qualname__)


def _meta_members(cls: Any) -> frozenset[str]:
    """The class's own signals, slots and properties, as Qt sees them."""
    meta = cls.staticMetaObject
    kinds = {QMetaMethod.Signal: "signal", QMetaMethod.Slot: "slot"}
    members = {
        f"{kinds.get(m.methodType(), 'method')} {bytes(m.methodSignature()).decode()}"
        for m in map(meta.method, range(meta.methodOffset(), meta.methodCount()))
    }
    members.update(
        f"property {p.name()}: {p.typeName()}"
        for p in map(meta.property, range(meta.propertyOffset(), meta.propertyCount()))
    )
    return frozenset(members)


def qt_meta_member_rule(old: type, new: type, name: str) -> bool:
    """A live Qt class keeps its signals and slots as Qt knows them.

    Signals are never replaced, added or removed: PyQt5 uses a class's signal
    objects without owning them, so a connection made before a save that
    replaced ``cls.sig`` reads freed memory at the next emission
    (docs/binding-facts.md, F13). A slot the new class no longer has stays
    too, since Qt's meta-object still calls it.
    An unchanged signal needs nothing; a changed one is a meta-object change,
    reported as restart needed by :func:`qt_class_rule`.
    """
    if name == "staticMetaObject":
        # PySide6 puts one in each class: the new one is freed with the new class,
        # and the live class reading it would then segfault (docs/binding-facts.md, F12)
        return True
    current, value = old.__dict__.get(name), new.__dict__.get(name)
    if isinstance(current, Signal) or isinstance(value, Signal):
        return True
    return value is None and hasattr(current, SLOT_METADATA)


reloader.rules.append(qt_class_rule)
reloader.member_rules.append(qt_meta_member_rule)
