"""The interactive namespace, updated after a reload like a watched module's.

A module that did ``from m import NAME`` gets ``NAME`` rebound when ``m``
reloads; an interactive session (an IPython cell, a ``qtreload shell`` line)
deserves the same. :class:`InteractiveBindings` reads each command's import
statements (the top level of the command, not inside a ``def``), remembers
which names of the session's namespace they bound and to what object, and
after each reload report rebinds them:

- ``from m import name`` and ``from m import name as alias``, constants too;
- ``import m.sub as alias`` (if the module object itself was replaced);
- ``from m import *``: rebound, and names ``m`` added since appear, names it
  removed disappear.

Only names bound by an import the session ran are touched, and only while
they still hold what the import gave them: a name the user assigned by hand
afterwards (``n = 5``) is the user's, and is left alone for good. (An object
cannot tell how it got into a dict: a hand assignment of the very same object,
``n = m.n``, counts as the import's binding.) Functions and classes need no
rebinding (they are swapped in place and keep their identity); what this adds
is the new objects a reload creates: numbers, strings, tuples, new names.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass

from ._imports import public_names
from ._report import ReloadReport

_MISSING = object()
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass
class _Binding:
    """``namespace[alias]`` was bound to ``value``: ``module.name`` (or the module, name None)."""

    module: str
    name: str | None
    value: object
    star: bool = False


def _imports_in(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements a command runs in its own namespace (not inside a def or class)."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif not isinstance(node, _SCOPES):
            todo.extend(ast.iter_child_nodes(node))
    return found


class InteractiveBindings:
    """The names an interactive namespace got from imports; rebinds them after reloads.

    Use :meth:`record` after each command ran, and call the object with each
    reload report (it is a ``reloader.listeners`` entry).
    """

    def __init__(self, namespace: dict) -> None:
        self.namespace = namespace
        self.bindings: dict[str, _Binding] = {}
        self.star_modules: set[str] = set()

    def record(self, source: str) -> None:
        """Note what the import statements of ``source`` (a command that just ran) bound."""
        if "import" not in source:
            return
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return  # not Python as such (a magic): it bound nothing we can read
        for node in _imports_in(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self._bind(alias.asname, alias.name, None)
            elif node.level == 0 and node.module:
                for alias in node.names:
                    if alias.name == "*":
                        self._bind_star(node.module)
                    else:
                        self._bind(alias.asname or alias.name, node.module, alias.name)

    def _bind(self, alias: str, module: str, name: str | None, star: bool = False) -> bool:
        """Remember ``alias`` if the namespace holds what the import gave it."""
        expected = self._source_value(module, name)
        current = self.namespace.get(alias, _MISSING)
        if expected is _MISSING or current is not expected:
            self.bindings.pop(alias, None)  # re-assigned in the same command
            return False
        self.bindings[alias] = _Binding(module, name, current, star)
        return True

    def _bind_star(self, module: str) -> None:
        self.star_modules.add(module)
        found = sys.modules.get(module)
        for name in public_names(vars(found)) if found is not None else ():
            self._bind(name, module, name, star=True)

    @staticmethod
    def _source_value(module: str, name: str | None) -> object:
        found = sys.modules.get(module)
        if found is None or name is None:
            return found if found is not None else _MISSING
        return getattr(found, name, _MISSING)

    def __call__(self, report: ReloadReport) -> None:
        """After a reload: rebind what the reloaded modules now define."""
        if not report.reloaded:
            return
        reloaded = set(report.reloaded)
        namespace = self.namespace
        for alias, binding in list(self.bindings.items()):
            if binding.module not in reloaded:
                continue
            current = namespace.get(alias, _MISSING)
            if current is not binding.value:
                del self.bindings[alias]  # the user's own now
                continue
            new = self._source_value(binding.module, binding.name)
            if new is _MISSING:
                if binding.star:  # gone from the module: gone from ``*``
                    del namespace[alias]
                    del self.bindings[alias]
                continue  # an explicit import keeps the last value it had
            if new is not current:
                namespace[alias] = binding.value = new
        for module in self.star_modules & reloaded:
            found = sys.modules.get(module)
            for name in public_names(vars(found)) if found is not None else ():
                value = getattr(found, name, _MISSING)
                # A name the user holds stays the user's.
                if name not in namespace and value is not _MISSING:
                    namespace[name] = value
                    self._bind(name, module, name, star=True)
