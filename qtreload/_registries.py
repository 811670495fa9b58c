"""Class registries: what a base's hook registered for a re-run class names the live class.

When a module runs again, each class statement makes a new class, which the
hot-swap merges into the live class (the new one is thrown away). But the
class was also announced to its bases as it was made: a base's
``__init_subclass__``, or its metaclass's ``__new__``/``__init__``, may put it in
a registry held elsewhere (a module-level list or dict, a class attribute, a
function's closure, another module's registry). A restart has one entry there,
the class; the re-run adds the throw-away class. Registries in the modules
that re-ran start afresh and are mapped by the hot-swap itself; this is about
the others.

Which containers to look at is found from the hooks' code, not from the heap:
the lists, dicts and sets that the hooks (and the functions and methods they
call, a few calls deep) name, as globals, attributes of the modules, classes
and objects they name (with the methods called on those objects), attributes
of the class's own hierarchy, or cells of their closures. In those
(and in the lists, dicts and sets they hold, one level down), a throw-away class
is replaced by its live class, and an entry of a list that then names a class
already listed is removed (the registration made at the import stays, at its
place). The cost follows the size of those registries, never the heap's.
"""
from __future__ import annotations

import inspect
import logging
import types
from collections.abc import Iterable, Iterator, MutableMapping, MutableSequence, MutableSet
from typing import Any

from ._compiler import code_names
from ._edits import MISSING, cell_value

log = logging.getLogger("qtreload")

_DEPTH = 3  # how many calls deep from a hook to look for the registry
_CONTAINERS = (MutableMapping, MutableSequence, MutableSet)


def relink(pairs: Iterable[tuple[type, type]]) -> None:
    """Point registrations of each throw-away class at its live class.

    ``pairs``: (live class, the new class that was merged into it).
    """
    pairs = list(pairs)
    live_for = {id(new): live for live, new in pairs if new is not live}
    if not live_for:
        return
    # Attributes of the classes' hierarchies (``cls._registry``) and of their metaclasses.
    classes = tuple({id(c): c for live, _ in pairs
                     for c in (*live.__mro__, *inspect.getmro(type(live)))}.values())
    hooks = {id(hook): hook for _, new in pairs for hook in _hooks(new)}
    containers: dict[int, Any] = {}
    seen: set[tuple[int, int]] = set()
    for hook in hooks.values():
        for container in _named_containers(hook, classes, _DEPTH, seen):
            containers.setdefault(id(container), container)
    for container in containers.values():
        try:
            _relink(container, live_for, nested=True)
        except Exception:  # a container that refuses the edit: it keeps what it has
            log.debug("qtreload: could not relink the registry %r", container, exc_info=True)


def _hooks(cls: type) -> Iterator[types.FunctionType]:
    """The Python functions that ran as ``cls`` was made: its bases' ``__init_subclass__``,
    its metaclass's ``__new__`` and ``__init__``."""
    for base in cls.__mro__[1:]:
        yield from _functions(vars(base).get("__init_subclass__"))
    for meta in inspect.getmro(type(cls))[:-1]:  # not ``type`` itself
        for name in ("__new__", "__init__"):
            yield from _functions(vars(meta).get(name))


def _functions(value: Any) -> Iterator[types.FunctionType]:
    """The Python function behind ``value`` (a function, classmethod or staticmethod)."""
    value = getattr(value, "__func__", value)
    if isinstance(value, types.FunctionType):
        yield value


def _named_containers(func: types.FunctionType, classes: tuple[type, ...], depth: int,
                      seen: set[tuple[int, int]], owner: object = None) -> Iterator[Any]:
    """The lists, dicts and sets ``func`` names (and the functions it calls, ``depth`` deep).

    ``owner``: the object ``func`` is a method of, when called on one: its
    attributes are named too (``self._classes.append(cls)``).
    """
    if (id(func.__code__), id(owner)) in seen:
        return
    seen.add((id(func.__code__), id(owner)))
    names = code_names(func.__code__)
    cells = [value for value in map(cell_value, func.__closure__ or ()) if value is not MISSING]
    holders = [func.__globals__, *(vars(cls) for cls in classes)]
    if owner is not None:
        holders += [vars(cls) for cls in type(owner).__mro__] + [_own_attributes(owner)]
    found = [holder[name] for holder in holders for name in names if name in holder]
    calls: list[tuple[types.FunctionType, object]] = []
    for value in found + cells:
        if isinstance(value, types.MethodType):  # ``register = REGISTRY.add``
            calls += [(f, value.__self__) for f in _functions(value.__func__)]
        elif isinstance(value, (types.ModuleType, type)):  # ``registry.register(...)``
            attributes = vars(value)
            found += [attributes[name] for name in names if name in attributes]
        elif not isinstance(value, (_CONTAINERS, types.FunctionType)) and _own_attributes(value):
            # An object (``REGISTRY.add(cls)``): its attributes, and its methods called.
            attributes = _own_attributes(value)
            found += [attributes[name] for name in names if name in attributes]
            calls += [(f, value) for name in names
                      for f in _functions(inspect.getattr_static(type(value), name, None))]
    for value in found + cells:
        if isinstance(value, _CONTAINERS):
            yield value
        else:
            calls += [(f, None) for f in _functions(value)]
    if depth > 1:
        for called, on in calls:
            yield from _named_containers(called, classes, depth - 1, seen, on)


def _own_attributes(value: object) -> dict[str, Any]:
    """An object's own attributes (``vars``), or an empty dict if it has none."""
    attributes = getattr(value, "__dict__", None)
    return attributes if isinstance(attributes, dict) else {}


def _relink(container: Any, live_for: dict[int, type], nested: bool) -> None:
    """Replace throw-away classes in ``container`` by their live classes (see the module)."""
    def live(value: Any) -> Any:
        return live_for.get(id(value), value)

    if isinstance(container, MutableMapping):
        items = list(container.items())
        for key, value in items:
            if live(key) is not key:
                del container[key]  # the live key, if there, takes the new value in place
            if live(key) is not key or live(value) is not value:
                container[live(key)] = live(value)
        inner = [value for _, value in items]
    elif isinstance(container, MutableSequence):
        inner = list(container)
        listed = {id(value) for value in inner if live(value) is value}
        relinked, added = [], set()
        for value in inner:
            target = live(value)
            if target is not value:
                if id(target) in listed or id(target) in added:
                    continue  # the live class is listed already
                added.add(id(target))
            relinked.append(target)
        if relinked != inner or len(relinked) != len(inner):
            container.clear()
            container.extend(relinked)
    elif isinstance(container, MutableSet):
        inner = list(container)
        for value in [v for v in inner if live(v) is not v]:
            container.discard(value)
            container.add(live(value))
    if nested:
        for value in inner:
            if isinstance(value, _CONTAINERS):
                _relink(value, live_for, nested=False)
