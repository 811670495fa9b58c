"""The import graph of watched modules, and the reload order it implies.

Imports are read from each module's source with a fast pattern scan rather than
a full parse, so that thousands of watched modules stay cheap. A false hit
(an import statement inside a string) only adds an edge: ordering stays valid,
and rebinding ``from X import NAME`` is guarded by an identity check.
"""
from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?P<src>[.\w]+)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]*)"
    rb"|import[ \t]+(?P<mods>[^\n#;]*))",
    re.MULTILINE,
)
_ALIAS = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?")


@dataclass(frozen=True)
class FromImport:
    """``from module import name as alias``: ``alias`` in the importer is ``module.name``."""

    module: str
    name: str
    alias: str


@dataclass(frozen=True)
class ModuleImports:
    """What one module's source imports: whole modules, and names from modules."""

    modules: frozenset[str]
    names: tuple[FromImport, ...]


def scan_imports(source: bytes, module: str, is_package: bool) -> ModuleImports:
    """Read the import statements of ``module`` (relative imports resolved)."""
    package = module if is_package else module.rpartition(".")[0]
    modules: set[str] = set()
    names: list[FromImport] = []
    for match in _IMPORT.finditer(source):
        if match["src"] is not None:
            base = _resolve(match["src"].decode(), package)
            if base is None:
                continue
            modules.add(base)
            text = match["names"].decode(errors="replace").strip("() \t\\\n")
            if text == "*":
                names.append(FromImport(base, "*", "*"))
                continue
            for name, alias in _ALIAS.findall(text.replace("\\\n", " ")):
                if "." in name:
                    continue
                modules.add(f"{base}.{name}")  # may be a submodule; harmless if not
                names.append(FromImport(base, name, alias or name))
        else:
            text = match["mods"].decode(errors="replace")
            for name, _alias in _ALIAS.findall(text):
                parts = name.split(".")
                modules.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    modules.discard(module)
    return ModuleImports(frozenset(modules), tuple(names))


def public_names(namespace: dict) -> list[str]:
    """The names ``from module import *`` takes from a module namespace."""
    names = namespace.get("__all__")
    if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
        return list(names)
    return [name for name in namespace if not name.startswith("_")]


def _resolve(name: str, package: str) -> str | None:
    try:
        return importlib.util.resolve_name(name, package) if name.startswith(".") else name
    except ImportError:
        return None


def reload_order(stale: Iterable[str], graph: Mapping[str, frozenset[str]]) -> list[str]:
    """Order ``stale`` so each module comes after the watched modules it imports.

    ``graph`` maps every watched module to the modules it imports. Dependencies
    through modules that did not change count too. An import cycle is broken
    deterministically: members of one cycle run in name order.
    """
    stale = set(stale)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    order: list[str] = []

    def connect(start: str) -> None:
        # Iterative Tarjan: strongly connected components come out dependencies first.
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    order.extend(sorted(m for m in component if m in stale))

    for name in sorted(stale):
        if name not in index and name in graph:
            connect(name)
    order.extend(sorted(stale - set(order)))
    return order
