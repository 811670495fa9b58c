"""Importers that ran a module's code at their import: re-run with it, as a restart would.

Optional (``qtreload.configure(rerun_importers=True)``). A module that runs
again in full starts with fresh module-level data, and its functions and
classes take the new code. What other modules built at their own import by
calling it stays as its old code made it: classes an older ``attr.s`` made, the
registrations a base's metaclass made in a registry module that now starts
empty. A restart runs those importers again after it.

With the option, a reload that runs a module in full also runs, in full and
in import order, every unchanged watched module whose top level may run that
module's code at import: its top-level statements (class bodies, decorators,
bases and default values included) read a name that holds one of that
module's functions, classes or instances, or the module itself, directly or
through the module's own definitions that those statements use (a metaclass
or base defined beside them, a helper they call). And so on, for those
importers' own importers. This is read from the compiled statements and the
names in the module's namespace, not from a trace of the import: it may take
an importer that never called in (a class used as a plain value), never one
whose statements name nothing of the module. The cost is the importers' full
runs; what they reset is their own module-level data, as a restart does.
"""
from __future__ import annotations

import types
from collections.abc import Iterator

from ._compiler import DEFINITION_KINDS, ModuleInfo, code_names

# A module's reached names, by its ModuleInfo (a save makes a new one); ModuleInfo
# has no ``__weakref__``: the entry holds the info, and is replaced when it changes.
_reached: dict[str, tuple[ModuleInfo, frozenset[str]]] = {}


def runs_code_of(name: str, info: ModuleInfo, namespace: dict) -> set[str]:
    """The modules whose code the top level of module ``name`` (running ``info``, with
    ``namespace``) may run at its import."""
    cached = _reached.get(name)
    if cached is None or cached[0] is not info:
        cached = _reached[name] = (info, frozenset(_reached_names(info)))
    modules = set()
    for reached in cached[1]:
        value = namespace.get(reached)
        if value is None:
            continue
        owner = value.__name__ if isinstance(value, types.ModuleType) else getattr(
            value, "__module__", None)
        if isinstance(owner, str) and owner != name:
            modules.add(owner)
    return modules


def _reached_names(info: ModuleInfo) -> Iterator[str]:
    """Names the module's top-level statements read as they run, with the names used
    anywhere in the module's own definitions that they read."""
    definitions = {s.name: s for s in info.statements if s.kind in DEFINITION_KINDS and s.name}
    pending = [name for s in info.statements for name in (*s.loads, *s.bases)]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        yield name
        statement = definitions.get(name)
        if statement is not None and statement.code is not None:
            pending += code_names(statement.code)

