"""Hot-swap in place: existing functions and classes take on their new definitions.

After a module's new source ran, each function and class that existed before is
paired with its new definition by qualified name. The old object is kept (so
identity, ``isinstance``, aliases, registries and Qt/blinker connections keep
working) and gets the new behaviour; every reference to the new object in the
reloaded namespaces is then pointed back at the old one.

A :class:`HotSwap` first *plans* (pure, may raise, changes nothing) and then
*applies* a list of primitive edits with an undo log (:mod:`._edits`), so a failure at any
point rolls back completely. Nothing here scans the heap: the cost follows the
size of the changed modules, not the number of live objects.
"""
from __future__ import annotations

import abc
import enum
import functools
import logging
import operator
import types
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from . import _closures, _registries
from ._edits import MISSING, EditLog, cell_value, retype
from ._report import ReloadWarning
from ._trampoline import is_trampoline, trampoline_code

#: A class rule looks at (old class, new class) and yields (reason, fatal).
#: ``fatal`` True means the live class cannot be patched: a restart is needed, and
#: new code gets the new class. :data:`PARTIAL` means a restart is needed for what
#: the rule names, and the rest (method code, other attributes) is applied to the
#: live class all the same, which stays the class of old and new objects.
ClassRule = Callable[[type, type], Iterable[tuple[str, Any]]]

#: A registry rule runs after a committed reload with the hot-swap's mapping (a new
#: object -> the live object it was swapped into) and the reloaded namespaces. It
#: points registrations the module's run made with new objects at the live ones:
#: blinker's ``@signal.connect_via(...)`` connects the new function at every re-run,
#: and would call the handler once more after each save.
RegistryRule = Callable[[Callable[[Any], Any], list[dict]], None]

#: A class rule's verdict: restart needed for part of the change; the live class
#: takes the rest (its member rules keep what it must keep).
PARTIAL = "partial"

#: A member rule looks at (old class, new class, member name): True when the live
#: class keeps that member exactly as it is (present or absent), whatever the new
#: class has. The Qt adapter uses it for signals, which Qt must never see replaced.
MemberRule = Callable[[type, type, str], bool]

log = logging.getLogger("qtreload")

#: For :class:`Rebind`: a name that is not bound.
ABSENT = MISSING
# ``_abc_impl`` holds an ABC's registered virtual subclasses: the live one is kept.
_SKIP_CLASS_ATTRS = frozenset({"__dict__", "__weakref__", "__module__", "__qualname__",
                               "_abc_impl"})

# What a reload displaced (removed, or replaced by an unrelated object) that a
# binding may still call: functions, bound methods, and descriptors (classmethod,
# staticmethod, property, a decorator's own descriptor) with the functions they
# hold. PyQt5 holds *borrowed* references to connected methods: freeing one
# segfaults on the next emit (docs/binding-facts.md, F1, F14), so they live forever.
_keepalive: dict[int, Any] = {}

# Members removed from live classes, by class: a later save that brings one back
# revives the same object, which connections made before the removal still hold.
_removed_members: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()
_REVIVABLE = (types.FunctionType, staticmethod, classmethod, property)

# Per live class: the restart-needed reasons of PARTIAL verdicts already reported.
_reported: weakref.WeakKeyDictionary[type, set[str]] = weakref.WeakKeyDictionary()


#: Makers of stand-ins for members an edit removes from a live class: the first that
#: returns something other than None gives what stays under the name. The Qt adapter
#: adds one for PySide classes, where deleting a connected method segfaults (F1).
stand_ins: list[Callable[[type, str, Any], Any]] = []
_standing_in: dict[int, Any] = {}  # every stand-in made, by id (few, small: kept)


def _is_stand_in(value: Any) -> bool:
    return _standing_in.get(id(value), MISSING) is value


def _stand_in(cls: type, name: str, value: Any) -> Any:
    for make in stand_ins:
        made = make(cls, name, value)
        if made is not None:
            _standing_in[id(made)] = made
            return made
    return MISSING


def kept_alive() -> int:
    """How many displaced functions and descriptors are being kept alive."""
    return len(_keepalive)


def _may_be_called(value: Any) -> bool:
    """Could a binding hold (a borrowed reference into) ``value`` to call it later?

    Functions and bound methods, and any descriptor (whatever ``__get__`` gives,
    a connection may have taken): kept alive once displaced. Classes are not:
    a replaced class stays referenced by its live instances.
    """
    return (isinstance(value, (types.FunctionType, types.MethodType))
            or (hasattr(type(value), "__get__") and not isinstance(value, type)))


def _standard_rules(old: type, new: type, mapped: Callable[[Any], Any]) -> Iterator[str]:
    if tuple(mapped(b) for b in new.__bases__) != old.__bases__:
        yield "base classes changed"
    if mapped(type(new)) is not type(old):
        yield "metaclass changed"
    if old.__dict__.get("__slots__") != new.__dict__.get("__slots__"):
        yield "__slots__ layout changed"
    if issubclass(old, tuple) and old.__dict__.get("_fields") != new.__dict__.get("_fields"):
        yield "namedtuple fields changed"


def _cells(func: types.FunctionType) -> dict[str, types.CellType]:
    return dict(zip(func.__code__.co_freevars, func.__closure__ or (), strict=True))


def _code_name(code: types.CodeType) -> str:
    """The qualified name of a code object (``co_qualname`` exists from Python 3.11)."""
    return getattr(code, "co_qualname", code.co_name)


@dataclass
class ModuleChange:
    """One module of the reload, as the hot-swap plans it."""

    name: str
    old_ns: dict  # its namespace before the run (a copy)
    namespace: dict  # its namespace now (after the run)
    removed: dict  # definitions earlier saves removed (revived if they come back)
    #: The top-level code objects (or the module code) that ran before and now, to
    #: re-code live closures; ``old_code`` None when qtreload did not compile it.
    old_code: Any
    new_code: Any
    names: Iterable[str] | None  # the only names the run can have changed (None: any)
    changed: dict  # the part of ``namespace`` the run can have changed
    #: Objects the run made that stand outside the namespace: what the module's
    #: code put in ``sys.modules`` in its place. They take the live classes too.
    outside: tuple = ()
    #: Live functions of definitions that only moved (they did not run): the
    #: code at their new lines each takes.
    moves: Iterable[tuple[types.FunctionType, types.CodeType]] = ()


@dataclass
class Rebind:
    """``from module import name`` in a module that did not re-run: ``namespace[name]``.

    ``old`` and ``new``: what ``module`` exported before and now; either may be
    :data:`ABSENT`.
    """

    module: str
    namespace: dict
    name: str
    old: Any
    new: Any


class HotSwap:
    """Plans and applies the hot-swap of one reload transaction."""

    def __init__(self, rules: Iterable[ClassRule] = (),
                 member_rules: Iterable[MemberRule] = ()) -> None:
        self._rules = list(rules)
        self._member_rules = list(member_rules)
        self._old_for_new: dict[int, Any] = {}
        self._hold: list[Any] = []  # keeps the new objects (and their ids) alive
        self._class_pairs: list[tuple[str, type, type]] = []
        self._function_pairs: list[tuple[types.FunctionType, types.FunctionType]] = []
        self._edits = EditLog()
        self._module = ""  # the module whose edits are being planned
        self._displaced: list[Any] = []
        self._retyped: set[int] = set()  # instances planned to take the live class
        self.warnings: list[ReloadWarning] = []

    @property
    def failed_module(self) -> str | None:
        """After a failed :meth:`apply`: the module whose edit raised."""
        return self._edits.failed_module

    # -- planning -------------------------------------------------------------

    def plan(self, changes: list[ModuleChange], rebinds: Iterable[Rebind]) -> None:
        """Plan the whole hot-swap: pure, may raise, changes nothing.

        ``changes``: the reloaded modules, in the order they finished running;
        ``rebinds``: the names other modules imported from them (read last).
        """
        for change in changes:
            self._pair_module(change.name, change.old_ns, change.namespace, change.removed)
        self._check_classes()
        for change in changes:
            self._module = change.name
            for func, code in change.moves:
                self._edit("set", func, "__code__", code)
            self._plan_module(change.name, change.namespace, change.old_ns, change.removed,
                              change.old_code, change.new_code, change.names)
            for value in change.outside:
                self._plan_instance(value)
        self._plan_new_functions(change.changed for change in changes)
        for rebind in rebinds:
            self._plan_rebind(rebind.module, rebind.namespace, rebind.name, rebind.old,
                              rebind.new)

    def mapped(self, value: Any) -> Any:
        """The object ``value`` stands for after the swap (the old one, if paired)."""
        return self._old_for_new.get(id(value), value)

    def _edit(self, kind: str, target: Any, key: Any, value: Any) -> None:
        self._edits.add(self._module, kind, target, key, value)

    def _pair(self, new: Any, old: Any) -> None:
        self._old_for_new[id(new)] = old
        self._hold.append(new)

    def _pair_module(self, module: str, old_ns: dict, new_ns: dict, removed: dict) -> None:
        """Pair the old and new top-level definitions of ``module`` by qualified name.

        ``removed`` holds definitions earlier saves removed: one that comes back
        is paired with its old self.
        """
        self._module = module
        for name, new in new_ns.items():
            old = old_ns.get(name, removed.get(name, MISSING))
            if old is MISSING or old is new or id(new) in self._old_for_new:
                continue
            if _ran_again_unchanged(old, new, module):
                self._pair(new, old)  # the live one is it already: nothing more to plan
                continue
            self._pair_values(module, old, new)

    def _pair_values(self, module: str, old: Any, new: Any) -> None:
        if type(new) is types.FunctionType and type(old) is types.FunctionType:
            # (``FunctionType`` cannot be subclassed: this is every function pair.
            # A function's ``__wrapped__`` is in its ``__dict__``.)
            if new.__module__ == module and old.__qualname__ == new.__qualname__:
                self._pair(new, old)
                self._function_pairs.append((old, new))
                if "__wrapped__" in old.__dict__ and "__wrapped__" in new.__dict__:
                    self._pair_values(module, old.__dict__["__wrapped__"],
                                      new.__dict__["__wrapped__"])
            return
        if getattr(new, "__module__", None) != module:
            return
        if getattr(old, "__qualname__", None) != getattr(new, "__qualname__", MISSING):
            return
        if isinstance(old, type) and isinstance(new, type):
            self._pair(new, old)
            self._class_pairs.append((module, old, new))
            if isinstance(old, enum.EnumMeta) and isinstance(new, enum.EnumMeta):
                members: dict[str, enum.Enum] = dict(new.__members__)
                for name, member in members.items():
                    previous = old.__members__.get(name)
                    if previous is not None:
                        self._pair(member, previous)  # members keep their identity
            for name, value in new.__dict__.items():
                if isinstance(value, type):
                    sub = old.__dict__.get(name, MISSING)
                    if sub is not MISSING:
                        self._pair_values(module, sub, value)
            # Bases the module made without naming them (``class P(namedtuple(...))``).
            for old_base, new_base in zip(old.__bases__, new.__bases__, strict=False):
                if old_base is not new_base and id(new_base) not in self._old_for_new:
                    self._pair_values(module, old_base, new_base)
        elif type(old) is type(new) and hasattr(new, "__wrapped__"):
            # A decorator's wrapper object (lru_cache, a Qt slot wrapper...): keep
            # the old wrapper and swap what it wraps.
            self._pair(new, old)
            self._pair_values(module, old.__wrapped__, new.__wrapped__)
            if hasattr(old, "cache_clear"):
                self._edit("call", old.cache_clear, None, None)

    def _check_classes(self) -> None:
        """Apply the class rules; a fatal reason unpairs the class (and its dependents).

        An unpaired new class is what new code gets; it is rebased onto the live
        classes (bases, metaclass), so that it fits with everything else.
        """
        unpaired: list[tuple[str, type]] = []
        changed = True
        while changed:
            changed = False
            for module, old, new in list(self._class_pairs):
                reasons = [(r, True) for r in _standard_rules(old, new, self.mapped)]
                for rule in self._rules:
                    reasons.extend(rule(old, new))
                reported = _reported.setdefault(old, set())
                for reason, verdict in reasons:
                    if verdict is PARTIAL and reason in reported:
                        continue  # the live class still waits for the restart: said once
                    self._warn(module, old.__qualname__, reason, bool(verdict))
                    if verdict is PARTIAL:
                        self._edit("call", functools.partial(reported.add, reason), None, None)
                if any(verdict is True for _, verdict in reasons):
                    # The new class stays for new code; live instances keep the old one.
                    del self._old_for_new[id(new)]
                    self._class_pairs.remove((module, old, new))
                    unpaired.append((module, new))
                    changed = True
        self.warnings = list({w: None for w in self.warnings})
        for module, new in unpaired:
            self._module = module
            bases = tuple(self.mapped(b) for b in new.__bases__)
            if bases != new.__bases__:
                self._edit("rebase", new, "__bases__", bases)
            if self.mapped(type(new)) is not type(new):
                self._edit("rebase", new, "__class__", self.mapped(type(new)))
            # Its attributes naming the module's other classes and functions
            # (``context_class = Context``) name the live ones, not this run's copies.
            for name, value in list(new.__dict__.items()):
                mapped = self.mapped(value)
                if (mapped is not value and name not in _SKIP_CLASS_ATTRS
                        and "." not in getattr(value, "__qualname__", ".")):
                    self._edit("attr", new, name, mapped)

    def _warn(self, module: str, qualname: str, reason: str, restart: bool = True) -> None:
        self.warnings.append(ReloadWarning(module, qualname, reason, restart))

    def _plan_module(self, module: str, namespace: dict, old_ns: dict, removed: dict,
                    old_code: Any, new_code: Any, names: Iterable[str] | None = None) -> None:
        """Plan every edit for ``module`` (call after all modules are paired).

        ``old_code`` and ``new_code``: the top-level code objects (or the module
        code) that ran before and now, to re-code live closures; ``old_code``
        None when the module was not compiled by qtreload. ``names``: the only
        names whose values the run can have changed (None: any).
        """
        self._module = module
        if names is None:
            values, olds = list(namespace.items()), list(old_ns.items())
        else:
            values = [(name, namespace[name]) for name in names if name in namespace]
            olds = [(name, old_ns[name]) for name in names if name in old_ns]
        old_for_new = self._old_for_new
        for _, value in values:
            if id(type(value)) in old_for_new:  # an instance of a class the run made again
                self._plan_instance(value)  # first: class attributes may hold them too
        for old, new in self._function_pairs:
            if new.__module__ == module:
                self._plan_function(old, new)
        for mod, old_class, new_class in self._class_pairs:
            if mod == module:
                self._plan_class(old_class, new_class)
        rebound = {}  # definitions: no container, no instance to retype; the live one
        for name, value in values:
            if type(value) is types.FunctionType or isinstance(value, type):
                live = old_for_new.get(id(value), value)
                if live is not value:
                    rebound[name] = live  # takes its place
            else:
                self._plan_rebind_value(namespace, name, value)
        if rebound:
            self._edit("items", namespace, None, rebound)
        for name, old in olds:
            new = namespace.get(name, MISSING)
            if new is not MISSING and old_for_new.get(id(new), new) is old:
                continue  # the live object stays under its name
            if _may_be_called(old):
                self._displaced.append(old)
            if new is MISSING and _defines(old, module, name):
                self._edit("item", removed, name, old)
        for name, old in removed.items():
            if self.mapped(namespace.get(name)) is old:
                self._edit("item", removed, name, MISSING)  # revived
        if old_code is not None:
            self._plan_live_closures(module, old_code, new_code)

    def _plan_new_functions(self, namespaces: Iterable[dict]) -> None:
        """Point the closure cells of surviving new functions at the old objects."""
        seen: set[int] = set()
        for namespace in namespaces:
            self._module = namespace["__name__"]
            for value in namespace.values():
                if (type(value) is types.FunctionType and value.__closure__ is None
                        and "__wrapped__" not in value.__dict__):
                    continue  # no cell to point anywhere
                for func in _functions_in(value, seen):
                    for cell in func.__closure__ or ():
                        content = cell_value(cell)
                        if content is not MISSING and self.mapped(content) is not content:
                            self._edit("cell", cell, None, self.mapped(content))

    def _plan_function(self, old: types.FunctionType, new: types.FunctionType) -> None:
        # Framework metadata (dunder keys) keeps its old value: PyQt's meta-object
        # points into the old ``__pyqtSignature__``, and freeing it segfaults.
        attrs = {k: old.__dict__[k] if k.startswith("__") and k in old.__dict__
                 else self.mapped(v) for k, v in new.__dict__.items()} if new.__dict__ else {}
        if old.__code__ is new.__code__ and self._swap_changes_nothing(old, new, attrs):
            return  # a definition that ran again unchanged: the live one is already it
        # A new closure, or globals of its own (generated code): old forwards to new.
        forwards = (is_trampoline(old) or old.__code__.co_freevars != new.__code__.co_freevars
                    or old.__globals__ is not new.__globals__)
        code = trampoline_code(new, len(old.__closure__ or ())) if forwards else new.__code__
        self._edit("set", old, "__code__", code)
        self._edit("set", old, "__defaults__", self._mapped_tuple(new.__defaults__))
        self._edit("set", old, "__kwdefaults__", self._mapped_dict(new.__kwdefaults__))
        if forwards:
            attrs["__wrapped__"] = new  # what it forwards to (inspect.unwrap() finds it)
        else:
            new_cells = _cells(new)
            for name, cell in _cells(old).items():
                self._edit("cell", cell, None, self.mapped(cell_value(new_cells[name])))
        for attr in ("__doc__", "__annotations__"):
            self._edit("set", old, attr, getattr(new, attr))
        self._edit("dict", old.__dict__, None, attrs)

    def _swap_changes_nothing(self, old: types.FunctionType, new: types.FunctionType,
                              attrs: dict) -> bool:
        """Would giving ``old`` the code, defaults, closure, doc, annotations and
        ``__dict__`` (``attrs``) of ``new`` leave it as it is? (Its code is ``new``'s.)

        Values compare by identity, after the mapping: a default made afresh by
        the run (``x=[]``) is a change, as is a closure cell now holding another object.
        """
        mapped = self.mapped
        defaults = old.__defaults__
        if defaults is not new.__defaults__ and not _same_items(defaults, new.__defaults__,
                                                                 mapped):
            return False
        kwdefaults = old.__kwdefaults__
        if kwdefaults is not new.__kwdefaults__ and (
                kwdefaults is None or new.__kwdefaults__ is None
                or not _same_dict(kwdefaults, new.__kwdefaults__, mapped)):
            return False
        if old.__closure__ is not None:
            for old_cell, new_cell in zip(old.__closure__, new.__closure__ or (), strict=True):
                if cell_value(old_cell) is not mapped(cell_value(new_cell)):
                    return False
        if old.__doc__ is not new.__doc__:
            return False
        annotations = old.__annotations__
        if (annotations or new.__annotations__) and not _same_dict(
                annotations, new.__annotations__, _itself):
            return False
        return not (old.__dict__ or attrs) or _same_dict(old.__dict__, attrs, _itself)

    def _mapped_tuple(self, values: tuple | None) -> tuple | None:
        if values is None:
            return None
        mapped = tuple(self.mapped(v) for v in values)
        return values if all(m is v for m, v in zip(mapped, values, strict=True)) else mapped

    def _mapped_dict(self, values: dict | None) -> dict | None:
        return None if values is None else {k: self.mapped(v) for k, v in values.items()}

    def _plan_class(self, old: type, new: type) -> None:
        removed = _removed_members.get(old)
        if removed is None:
            removed = _removed_members[old] = {}
        kept = {name for name in old.__dict__.keys() | new.__dict__.keys()
                if any(rule(old, new, name) for rule in self._member_rules)}
        for name, value in new.__dict__.items():
            # The old class's own slots serve the same (unchanged) layout.
            if name in _SKIP_CLASS_ATTRS or _is_slot_of(value, new) or name in kept:
                continue
            current = old.__dict__.get(name, MISSING)
            if _is_stand_in(current):
                current = MISSING
            elif (_ran_again_unchanged(current, value, self._module)
                  and current.__globals__ is value.__globals__
                  and id(value) not in self._old_for_new):
                self._pair(value, current)  # a method the class body made again unchanged
                continue
            if current is MISSING and name in removed:
                current = removed[name]  # brought back: revive the removed member
                self._edit("item", removed, name, MISSING)
                if self._swaps_in_place(current, value):
                    self._edit("attr", old, name, current)
                    continue
            elif self._swaps_in_place(current, value):
                continue
            self._plan_container(value)
            self._plan_instance(value)
            self._edit("attr", old, name, self.mapped(value))
            if _may_be_called(current):
                self._displaced.append(current)
        for name, current in old.__dict__.items():
            if (name not in new.__dict__ and name not in _SKIP_CLASS_ATTRS and name not in kept
                    and not _is_stand_in(current)):
                self._edit("attr", old, name, _stand_in(old, name, current))
                if _may_be_called(current):
                    self._displaced.append(current)
                if isinstance(current, _REVIVABLE):
                    self._edit("item", removed, name, current)
        if isinstance(old, enum.EnumMeta) and isinstance(new, enum.EnumMeta):
            self._plan_enum(old, new)
        if "_abc_impl" in old.__dict__:
            reset = abc._reset_caches  # type: ignore[attr-defined]  # CPython's; not in typeshed
            self._edit("call", functools.partial(reset, old), None, None)

    def _swaps_in_place(self, current: Any, value: Any) -> bool:
        """Is ``current`` kept as is, because it is (or holds) a paired old object?"""
        if current is MISSING:
            return False
        if self.mapped(value) is current:
            return True
        if self.mapped(type(value)) is not type(current):
            return False
        if isinstance(value, types.FunctionType):
            return self._swap_function(current, value)
        if isinstance(value, (staticmethod, classmethod)):
            return self._swap_function(current.__func__, value.__func__)
        accessors = ("fget", "fset", "fdel")
        if all(hasattr(value, a) for a in accessors):  # property, pyqtProperty
            pairs = [(getattr(current, a), getattr(value, a)) for a in accessors]
            if any((o is None) != (n is None) for o, n in pairs):
                return False
            return all(o is None or self._swap_function(o, n) for o, n in pairs)
        return self._swap_descriptor(current, value)

    def _swap_descriptor(self, current: Any, value: Any) -> bool:
        """A decorator's own descriptor (same type, same state but its functions): keep it.

        Its functions take the new code, so a method a binding took from it
        (``types.MethodType`` made by its ``__get__``) runs the new code too.
        """
        if not hasattr(type(value), "__get__"):
            return False
        old_state, new_state = getattr(current, "__dict__", None), getattr(value, "__dict__", None)
        if not isinstance(old_state, dict) or not isinstance(new_state, dict):
            return False
        if old_state.keys() != new_state.keys():
            return False
        functions = [k for k, v in new_state.items() if isinstance(v, types.FunctionType)]
        try:
            same_rest = all(old_state[k] is v or old_state[k] == v
                            for k, v in new_state.items() if k not in functions)
        except Exception:  # an attribute whose ``==`` fails: not the same state
            return False
        return bool(functions) and same_rest and all(
            self._swap_function(old_state[k], new_state[k]) for k in functions)

    def _swap_function(self, old: Any, new: Any) -> bool:
        """Pair ``new`` with ``old`` and plan the swap, if they are the same definition."""
        if not (isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType)):
            return False
        if id(new) in self._old_for_new:
            return self._old_for_new[id(new)] is old
        if (old.__qualname__, old.__module__) != (new.__qualname__, new.__module__):
            return False  # e.g. ``alias = foo`` became ``alias = bar``: rebind, never overwrite
        if old.__globals__ is not new.__globals__:
            # Code generated with globals of its own (attrs' ``__init__``): the new
            # code reads names only the new globals hold. The member is replaced.
            return False
        self._pair(new, old)
        if hasattr(old, "__wrapped__") and hasattr(new, "__wrapped__"):
            self._swap_function(old.__wrapped__, new.__wrapped__)
        self._plan_function(old, new)
        return True

    def _plan_enum(self, old: enum.EnumMeta, new: enum.EnumMeta) -> None:
        # Paired members keep their identity and take their new values.
        member: enum.Enum
        for member in new.__members__.values():
            previous = self.mapped(member)
            if previous is member:
                self._edit("retype", member, None, old)  # a new member joins the live class
            else:
                self._edit("set", previous, "_value_", member._value_)

    def _plan_container(self, value: Any) -> None:
        """Point a new dict's, list's or set's items (and dict keys) at the old objects."""
        if isinstance(value, list):
            for index, item in enumerate(value):
                self._plan_instance(item)
                if self.mapped(item) is not item:
                    self._edit("item", value, index, self.mapped(item))
        elif isinstance(value, (dict, set)):
            items = list(value.items()) if isinstance(value, dict) else [(k, k) for k in value]
            for _, item in items:
                self._plan_instance(item)
            if any(self.mapped(k) is not k or self.mapped(v) is not v for k, v in items):
                contents = {self.mapped(k): self.mapped(v) for k, v in items}
                self._edit("contents", value, None, contents if isinstance(value, dict)
                           else set(contents))

    def _plan_instance(self, value: Any) -> None:
        """An instance the module created while it ran: give it the live class.

        Python refuses some slotted layouts that do match (``__weakref__`` after
        other slots, as attrs makes them): such an instance is replaced by a
        twin of the live class holding the same values.
        """
        old_class = self.mapped(type(value))
        if (old_class is not type(value) and self.mapped(value) is value
                and not isinstance(value, (type, enum.Enum)) and id(value) not in self._retyped):
            self._retyped.add(id(value))  # the value is held by the namespace: ids stay unique
            if _can_retype(value, old_class):
                self._edit("retype", value, None, old_class)
            else:
                twin = _twin(value, old_class)
                if twin is not None:
                    self._pair(value, twin)

    def _plan_rebind_value(self, namespace: dict, name: str, value: Any) -> None:
        self._plan_container(value)
        self._plan_instance(value)
        mapped = self.mapped(value)
        if type(value) in (tuple, frozenset) and any(self.mapped(v) is not v for v in value):
            mapped = type(value)(self.mapped(v) for v in value)  # immutable: a mapped copy
        if mapped is not value:
            self._edit("item", namespace, name, mapped)

    def _plan_rebind(self, module: str, namespace: dict, name: str, old_value: Any,
                    new_value: Any) -> None:
        """Rebind ``namespace[name]`` (``from module import name``) if it holds ``old_value``.

        Either value may be :data:`ABSENT`: a name ``module`` did not export
        before is bound if ``namespace`` lacks it; one it no longer exports is
        removed if ``namespace`` still holds what it exported.
        """
        self._module = module
        new_value = self.mapped(new_value)
        if namespace.get(name, MISSING) is old_value and new_value is not old_value:
            self._edit("item", namespace, name, new_value)

    def _plan_live_closures(self, module: str, old_code: Any, new_code: Any) -> None:
        """Give live lambdas and nested functions the new code of their definition."""
        if not _closures.any_made(old_code):
            return
        pairs, unmatched = _closures.match_nested_codes(old_code, new_code)
        for code, replacement in pairs:
            if replacement == code:
                continue
            live = [f for f in _closures.live_functions(code) if f.__code__ is code]
            if live and replacement.co_freevars != code.co_freevars:
                reason = "closure variables changed; live copies keep the old code"
                self._warn(module, _code_name(code), reason, restart=False)
                continue
            for func in live:
                self._edit("set", func, "__code__", replacement)
                self._edit("retrack", func, code, None)
        for code in unmatched:
            if any(f.__code__ is code for f in _closures.live_functions(code)):
                reason = "removed or moved among its siblings; live copies keep the old code"
                self._warn(module, _code_name(code), reason, restart=False)

    # -- applying -------------------------------------------------------------

    def apply(self) -> None:
        """Apply every planned edit; on any error undo them all and re-raise."""
        self._edits.apply()
        _keepalive.update((id(value), value) for value in self._displaced)

    def relink(self, rules: Iterable[RegistryRule], namespaces: list[dict]) -> None:
        """After the commit: let each registry rule point registrations at the live objects,
        and the class registries re-run classes were added to (:mod:`._registries`).

        An error in a rule is logged; the reload stays committed.
        """
        try:
            for rule in rules:
                try:
                    rule(self.mapped, namespaces)
                except Exception:
                    log.exception("qtreload: registry rule %r failed (ignored)", rule)
            try:
                _registries.relink([(old, new) for _, old, new in self._class_pairs
                                    if self.mapped(new) is old])
            except Exception:
                log.exception("qtreload: relinking class registries failed (ignored)")
        finally:
            self._hold.clear()

def _ran_again_unchanged(old: Any, new: Any, module: str) -> bool:
    """Is ``new`` a plain function ``module``'s run made exactly as the live ``old``?

    The same code object, defaults that are the very same objects, no keyword
    defaults, closure, attributes nor annotations, the same doc: the hot-swap
    would change nothing. (The usual case of a full run; the rest goes through
    :meth:`HotSwap._plan_function`, which tells the same with the mapping.)
    """
    return (type(new) is types.FunctionType and type(old) is types.FunctionType
            and old.__code__ is new.__code__ and new.__module__ == module
            and old.__qualname__ == new.__qualname__
            and new.__closure__ is None and old.__closure__ is None
            and new.__kwdefaults__ is None and old.__kwdefaults__ is None
            and not new.__dict__ and not old.__dict__ and old.__doc__ is new.__doc__
            and (old.__defaults__ is new.__defaults__ or _same_items(
                old.__defaults__, new.__defaults__, _itself))
            and not old.__annotations__ and not new.__annotations__)


def _itself(value: Any) -> Any:
    return value


def _same_items(old: tuple | None, new: tuple | None, mapped: Callable[[Any], Any]) -> bool:
    """Does ``old`` hold, one by one, the very objects ``new`` maps to?"""
    if old is None or new is None:
        return old is new
    if len(old) != len(new):
        return False
    if mapped is _itself:
        return all(map(operator.is_, old, new))
    return all(o is mapped(n) for o, n in zip(old, new, strict=True))


def _same_dict(old: dict, new: dict, mapped: Callable[[Any], Any]) -> bool:
    """Does ``old`` hold the same keys, in the same order, as ``new``, each with the
    very object ``new``'s value maps to?"""
    if len(old) != len(new):
        return False
    return all(ko == kn and vo is mapped(vn)
               for (ko, vo), (kn, vn) in zip(old.items(), new.items(), strict=True))


def _defines(value: Any, module: str, name: str) -> bool:
    """Is ``value`` the function or class that ``module`` defines as ``name``?"""
    return (isinstance(value, (types.FunctionType, type))
            and getattr(value, "__module__", None) == module
            and getattr(value, "__qualname__", None) == name)


def _is_slot_of(value: Any, cls: type) -> bool:
    """Is ``value`` a ``__slots__`` descriptor made for ``cls``? It fits no other class."""
    return isinstance(value, types.MemberDescriptorType) and value.__objclass__ is cls


def _can_retype(instance: Any, cls: type) -> bool:
    """Would Python let ``instance`` take the class ``cls``? (Tried on a bare instance.)"""
    kind = type(instance)
    if "__slots__" not in kind.__dict__ or any("__del__" in c.__dict__ for c in kind.__mro__[:-1]):
        return True  # no slots of its own: the layout is its bases', which did not change
    try:
        probe = object.__new__(kind)
    except TypeError:
        return True  # not a plain object: the hot-swap finds out, and rolls back
    try:
        retype(probe, cls)
    except TypeError:
        return False
    return True


def _twin(instance: Any, cls: type) -> Any:
    """A bare instance of ``cls`` holding ``instance``'s slot values and ``__dict__``; or None."""
    try:
        twin: Any = object.__new__(cls)
        for kind in type(instance).__mro__:
            for name, slot in vars(kind).items():
                if not (isinstance(slot, types.MemberDescriptorType) and slot.__objclass__ is kind):
                    continue
                try:
                    value = slot.__get__(instance, kind)
                except AttributeError:
                    continue  # never set
                target = next(vars(c)[name] for c in cls.__mro__
                              if isinstance(vars(c).get(name), types.MemberDescriptorType))
                target.__set__(twin, value)
        if hasattr(instance, "__dict__"):
            object.__getattribute__(twin, "__dict__").update(instance.__dict__)
    except Exception:
        return None
    return twin


def _functions_in(value: Any, seen: set[int]) -> Iterator[types.FunctionType]:
    """Functions defined by ``value`` that have a closure: itself, or the members of a
    class (nested classes too). Iterative: a class of hundreds of methods is walked
    without a generator per member."""
    work = [value]
    while work:
        current = work.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, types.FunctionType):
            if current.__closure__:
                yield current
            wrapped = current.__dict__.get("__wrapped__")  # what a decorator's wrapper calls
            if wrapped is not None:
                work.append(wrapped)
        elif isinstance(current, (staticmethod, classmethod)):
            work.append(current.__func__)
        elif isinstance(current, property):
            work.extend(a for a in (current.fget, current.fset, current.fdel) if a is not None)
        elif isinstance(current, type):
            work.extend(current.__dict__.values())
