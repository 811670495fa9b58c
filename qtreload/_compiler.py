"""Compiling watched sources: straight from the bytes read, with live closures tracked.

qtreload never trusts ``__pycache__``: ``importlib.reload`` can load stale
bytecode after two same-size saves within one second. Every watched module is
compiled here from the exact bytes whose fingerprint was taken.

The compile also wraps each lambda and nested ``def`` in ``__qtreload_track__``
so that live closures (a lambda connected in ``__init__``) can be found again
by their code object when their source changes, without scanning the heap.
"""
from __future__ import annotations

import ast
import difflib
import importlib.machinery
import sys
import types
import weakref
from collections.abc import Callable
from typing import Protocol

TRACK_NAME = "__qtreload_track__"

# Live nested functions, by the code object they were created from.
_live: dict[types.CodeType, weakref.WeakSet] = {}


def track(func: Callable) -> Callable:
    """Remember a freshly created nested function or lambda; returns it unchanged."""
    code = getattr(func, "__code__", None)
    if code is not None:
        live = _live.get(code)
        if live is None:
            live = _live[code] = weakref.WeakSet()
        live.add(func)
    return func


def live_functions(code: types.CodeType) -> list[types.FunctionType]:
    """The live nested functions created from ``code``."""
    live = _live.get(code)
    return list(live) if live else []


def forget_dead() -> None:
    """Drop the entries of code objects none of whose closures is alive any more.

    A closure made and dropped on every call (``sorted(key=lambda ...)``) leaves
    an empty entry for each version of its code; without this, one per reload.
    """
    for code in [code for code, live in list(_live.items()) if not live]:
        live = _live.get(code)
        if live is not None and not live:  # still empty: no closure made meanwhile
            del _live[code]


def retrack(func: types.FunctionType, old: types.CodeType) -> None:
    """Move ``func`` from ``old``'s entry to its current code's entry."""
    live = _live.get(old)
    if live is not None:
        live.discard(func)
        if not live:
            del _live[old]
    track(func)


class _Tracker(ast.NodeTransformer):
    """Wraps lambdas and defs nested in functions with ``__qtreload_track__``."""

    def __init__(self) -> None:
        self._depth = 0

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        if self._depth:
            deco = ast.copy_location(ast.Name(TRACK_NAME, ast.Load()), node)
            node.decorator_list.append(deco)
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1
        name = ast.copy_location(ast.Name(TRACK_NAME, ast.Load()), node)
        return ast.copy_location(ast.Call(name, [node], []), node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        # Methods are reached through their class, not tracked as closures.
        saved, self._depth = self._depth, 0
        self.generic_visit(node)
        self._depth = saved
        return node


def compile_source(source: bytes, path: str) -> types.CodeType:
    """Compile module source as qtreload runs it. Raises SyntaxError naming the line."""
    tree = ast.parse(source, path)
    tree = _Tracker().visit(tree)  # every node it adds has a location: no fix-up pass
    return compile(tree, path, "exec", dont_inherit=True)


def nested_codes(code: types.CodeType) -> dict[str, list[types.CodeType]]:
    """Code objects of closures inside functions, by dotted path, in source order."""
    found: dict[str, list[types.CodeType]] = {}

    def walk(co: types.CodeType, prefix: str, in_function: bool) -> None:
        for const in co.co_consts:
            if isinstance(const, types.CodeType):
                path = f"{prefix}.{const.co_name}" if prefix else const.co_name
                if in_function:
                    found.setdefault(path, []).append(const)
                is_function = bool(const.co_flags & 0x02)  # CO_NEWLOCALS: not a class body
                walk(const, path, in_function or is_function)

    walk(code, "", False)
    return found


def match_nested_codes(old: types.CodeType, new: types.CodeType
                       ) -> tuple[list[tuple[types.CodeType, types.CodeType]],
                                  list[types.CodeType]]:
    """Pair each closure's old code with its new code, across two versions of a module.

    Closures at one path (``Panel.__init__.<lambda>``) are aligned by their body,
    ignoring line numbers: a lambda inserted before another must not take over
    the live copies of the one it displaced. Unchanged ones pair with their
    twin, edited ones pair by position between unchanged neighbours. Returns
    the pairs, and the old closure codes that found no partner.
    """
    pairs: list[tuple[types.CodeType, types.CodeType]] = []
    unmatched: list[types.CodeType] = []
    new_nested = nested_codes(new)
    for path, olds in nested_codes(old).items():
        news = new_nested.get(path, [])
        matcher = difflib.SequenceMatcher(
            None, [_shape(c) for c in olds], [_shape(c) for c in news], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                pairs.extend(zip(olds[i1:i2], news[j1:j2], strict=True))
            elif tag != "insert":
                unmatched.extend(olds[i1:i2])
    return pairs, unmatched


def _shape(code: types.CodeType) -> tuple:
    """What a code object does, without where it is (line numbers)."""
    consts = tuple(_shape(c) if isinstance(c, types.CodeType) else (type(c), c)
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars,
            code.co_cellvars)


class ImportWatcher(Protocol):
    """What the import hook asks of each reloader that installed it."""

    def is_watched(self, name: str, path: str) -> bool: ...

    def on_compiled(self, name: str, source: bytes, code: types.CodeType) -> None: ...


# The reloaders that installed the import hook; it stays while any remains.
_watchers: list[ImportWatcher] = []


class TrackingLoader(importlib.machinery.SourceFileLoader):
    """Loads watched modules through :func:`compile_source`, never from ``.pyc``."""

    def get_code(self, fullname: str) -> types.CodeType | None:
        path = self.get_filename(fullname)
        watchers = [w for w in list(_watchers) if w.is_watched(fullname, path)]
        if not watchers:
            return super().get_code(fullname)
        source = self.get_data(path)
        code = compile_source(source, path)
        for watcher in watchers:
            watcher.on_compiled(fullname, source, code)
        return code

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__.setdefault(TRACK_NAME, track)
        super().exec_module(module)


_hook = importlib.machinery.FileFinder.path_hook(
    (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    (TrackingLoader, importlib.machinery.SOURCE_SUFFIXES),
    (importlib.machinery.SourcelessFileLoader, importlib.machinery.BYTECODE_SUFFIXES),
)


def install_import_hook(watcher: ImportWatcher) -> None:
    """Route later imports of ``.py`` files through :class:`TrackingLoader` for ``watcher``."""
    if watcher not in _watchers:
        _watchers.append(watcher)
    if _hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _hook)
        sys.path_importer_cache.clear()


def uninstall_import_hook(watcher: ImportWatcher) -> None:
    """``watcher`` no longer needs the hook; it goes when no other reloader does."""
    if watcher in _watchers:
        _watchers.remove(watcher)
    if not _watchers and _hook in sys.path_hooks:
        sys.path_hooks.remove(_hook)
        sys.path_importer_cache.clear()
