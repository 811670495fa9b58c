"""The import graph of watched modules, and the reload order it implies.

Imports are read from each module's source with a fast pattern scan rather than
a full parse, so that thousands of watched modules stay cheap. A false hit
(an import statement inside a string) only adds an edge: ordering stays valid,
and rebinding ``from X import NAME`` is guarded by an identity check.
"""
from __future__ import annotations

import builtins
import contextlib
import importlib.util
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?P<src>[.\w]+)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#;]*)"
    rb"|import[ \t]+(?P<mods>[^\n#;]*))",
    re.MULTILINE,
)
_ALIAS = re.compile(r"([\w.]+)(?:\s+as\s+(\w+))?")
# Blocks whose imports do not run when the module runs: function bodies, ``if TYPE_CHECKING:``.
_QUIET_BLOCK = re.compile(
    rb"[ \t]*(?:(?:async[ \t]+)?def[ \t]|if[ \t]+(?:[\w.]+\.)?TYPE_CHECKING[ \t]*:)")


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


#: One import statement as the scan found it: (``from`` source or None, its names
#: text, ``import`` modules text); bytes as written, relative names unresolved.
Found = tuple["bytes | None", "bytes | None", "bytes | None"]


def scan_imports(source: bytes, module: str, is_package: bool,
                 found: tuple[Found, ...] | None = None) -> ModuleImports:
    """Read the import statements of ``module`` (relative imports resolved).

    ``found``: what :func:`found_imports` gave for ``source`` (the start-up cache
    keeps it), else ``source`` is scanned.
    """
    return _resolved(found_imports(source) if found is None else found, module, is_package)


class StatementImports:
    """The import scan of a module's top-level statements, kept by statement text.

    A save scans only the statements whose text it changed: what the others
    import is known. Scanning each top-level statement alone finds what the
    scan of the whole source finds (a top-level statement starts at column 0,
    which closes every block the scan tracks; the lines between statements are
    comments and blank lines).
    """

    def __init__(self) -> None:
        self._known: dict[bytes, tuple[Found, ...]] = {}

    def scan(self, texts: Iterable[bytes], module: str, is_package: bool) -> ModuleImports:
        """What the statements ``texts`` (a module's, in order) import."""
        known, now = self._known, {}
        for text in texts:
            found = known.get(text)
            now[text] = found_imports(text) if found is None else found
        self._known = now  # only the texts the module has now
        return _resolved([found for each in now.values() for found in each], module, is_package)


def found_imports(source: bytes) -> tuple[Found, ...]:
    """The import statements in ``source`` that run with it, as written."""
    if b"import" not in source:
        return ()
    matches = list(_IMPORT.finditer(source))
    # A line at column 0 closes every block: only indented ones may be quiet.
    quiet = (_quiet_lines(source) if any(source[m.start()] in b" \t" for m in matches)
             else frozenset())
    return tuple((match["src"], match["names"], match["mods"]) for match in matches
                 if match.start() not in quiet)  # quiet: runs later, or never


def _resolved(found: Iterable[Found], module: str, is_package: bool) -> ModuleImports:
    """The modules and names ``found`` imports, relative imports resolved."""
    package = module if is_package else module.rpartition(".")[0]
    modules: set[str] = set()
    names: list[FromImport] = []
    for src, what, mods in found:
        if src is not None:
            base = _resolve(src.decode(), package)
            if base is None:
                continue
            modules.add(base)
            text = (what or b"").decode(errors="replace").strip("() \t\\\n")
            if text == "*":
                names.append(FromImport(base, "*", "*"))
                continue
            for name, alias in _ALIAS.findall(text.replace("\\\n", " ")):
                if "." in name:
                    continue
                modules.add(f"{base}.{name}")  # may be a submodule; harmless if not
                names.append(FromImport(base, name, alias or name))
        else:
            for name, _alias in _ALIAS.findall((mods or b"").decode(errors="replace")):
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


def _quiet_lines(source: bytes) -> set[int]:
    """Offsets of the lines inside function bodies and ``if TYPE_CHECKING:`` blocks.

    Read from indentation alone (no parse): a line indented no deeper than a
    block's header ends the block (so ``else:`` after ``if TYPE_CHECKING:``
    runs). Text at a shallower indentation inside a string or a bracket ends a
    block early: its imports then count, which only adds an ordering edge.
    """
    quiet: set[int] = set()
    blocks: list[int] = []  # indentation of the open quiet blocks' headers
    offset = 0
    for line in source.splitlines(keepends=True):
        start, offset = offset, offset + len(line)
        text = line.lstrip(b" \t")
        if not text.strip() or text.startswith(b"#"):
            continue
        indent = len(line) - len(text)
        while blocks and blocks[-1] >= indent:
            blocks.pop()
        if blocks:
            quiet.add(start)
        elif _QUIET_BLOCK.match(line):
            blocks.append(indent)
    return quiet


def _resolve(name: str, package: str) -> str | None:
    try:
        return importlib.util.resolve_name(name, package) if name.startswith(".") else name
    except ImportError:
        return None


def reload_order(stale: Iterable[str], graph: Mapping[str, frozenset[str]],
                 started: Mapping[str, int] | None = None) -> list[str]:
    """Order ``stale`` so each module comes after the watched modules it imports.

    ``graph`` maps every watched module to the modules it imports. Dependencies
    through modules that did not change count too. The members of an import
    cycle are started packages first, then in the order they started running
    at their first import (``started``: module -> rank; modules without one
    after, in name order): the first one's import statements then run the
    others when they ask for them (see :func:`imports_seen`), as a restart does.
    """
    started = started or {}

    def first_started(name: str) -> tuple[int, int, int, str]:
        # A package starts before its submodules, as at any import.
        rank = started.get(name)
        depth = name.count(".")
        return (depth, 0, rank, name) if rank is not None else (depth, 1, 0, name)

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
                    order.extend(sorted((m for m in component if m in stale), key=first_started))

    for name in sorted(stale):
        if name not in index and name in graph:
            connect(name)
    order.extend(sorted(stale - set(order)))
    return order


@contextlib.contextmanager
def imports_seen(before: Callable[[list[str]], None]) -> Iterator[None]:
    """While in the block, ``before(names)`` runs ahead of each import statement this thread runs.

    ``names``: the absolute names of the modules the statement may load
    (``from . import x`` in ``pkg``: ``pkg``, ``pkg.x``). The
    reload transaction runs a changed module there, when the code that imports
    it asks for it, as a restart would. Other threads' imports pass straight
    through; so do ``importlib.import_module`` calls (they take the plan's order).
    """
    original = builtins.__import__
    owner = threading.get_ident()

    def seen(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
             level: int = 0) -> Any:
        if threading.get_ident() == owner:
            target = _absolute(name, globals, level)
            if target:
                # Not the parent packages of the module named, nor those of the
                # module running the statement: a restart has started them already
                # (a submodule is imported after its package), so it does not run them.
                names = [f"{target}.{item}" for item in fromlist or () if item != "*"]
                importer = globals.get("__name__", "") if isinstance(globals, dict) else ""
                if not f"{importer}.".startswith(f"{target}."):
                    names.insert(0, target)
                before(names)
        return original(name, globals, locals, fromlist, level)

    builtins.__import__ = seen
    try:
        yield
    finally:
        if builtins.__import__ is seen:
            builtins.__import__ = original


def _absolute(name: str, globals: Any, level: int) -> str | None:
    if not level:
        return name
    if not isinstance(globals, dict):
        return None
    package = globals.get("__package__")
    if package is None:
        own = str(globals.get("__name__", ""))
        package = own if "__path__" in globals else own.rpartition(".")[0]
    return _resolve("." * level + name, package)
