"""The reload transaction: run every changed module, hot-swap, commit or roll back.

All changed sources of one check are compiled and run in dependency order,
each in its own live module namespace (so new functions get the right
globals). Only when all of them ran, and the hot-swap applied, is the result
committed. On any error every namespace is restored from its snapshot and
every hot-swap edit undone: no half-run module, no names left behind.

A module whose save only edited function and class definitions takes the fast
path (:mod:`._fastpath`): only those statements run, in the live namespace
without clearing it, so everything else keeps its objects and module-level
data survives. The snapshot, hot-swap and rollback are the same.
"""
from __future__ import annotations

import sys
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ._compiler import ModuleInfo, recompile
from ._fastpath import Chunk, find_chunk
from ._hotswap import ClassRule, HotSwap, MemberRule
from ._imports import FromImport, reload_order
from ._report import ReloadFailure, ReloadReport, error_lineno
from ._watch import WatchedModule

_KEEP = frozenset({
    "__name__", "__file__", "__spec__", "__loader__", "__package__", "__path__",
    "__cached__", "__builtins__",
})


@dataclass
class _Step:
    record: WatchedModule
    source: bytes
    info: ModuleInfo | None = None  # the new source, described
    fast: Chunk | None = None  # the fast path: run only this chunk, without clearing
    snapshot: dict | None = None

    @property
    def namespace(self) -> dict:
        return sys.modules[self.record.name].__dict__


def _public_names(namespace: dict) -> list[str]:
    """The names ``from module import *`` takes from a module namespace."""
    names = namespace.get("__all__")
    if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names):
        return list(names)
    return [name for name in namespace if not name.startswith("_")]


class ReloadTransaction:
    """One all-or-nothing reload of a set of changed modules."""

    def __init__(self, changed: Mapping[WatchedModule, bytes],
                 watched: Mapping[str, WatchedModule], rules: Iterable[ClassRule],
                 member_rules: Iterable[MemberRule] = ()) -> None:
        self._steps = {record.name: _Step(record, source) for record, source in changed.items()}
        self._watched = watched
        self._rules = list(rules)
        self._member_rules = list(member_rules)

    def run(self) -> ReloadReport:
        """Reload, and commit on full success; otherwise change nothing."""
        for step in self._steps.values():
            try:
                step.info = recompile(step.record.info, step.source, step.record.path)
            except Exception as exc:  # SyntaxError; ValueError: null bytes; anything else
                return self._failed(step, exc)
            # A module that imports another one reloading now re-runs its imports.
            if not step.record.imports.modules & self._steps.keys():
                step.fast = find_chunk(step.record.info, step.info)
        graph = {name: r.imports.modules for name, r in self._watched.items()}
        order = reload_order(self._steps, graph)
        ran: list[_Step] = []
        step = swap = None
        try:
            for name in order:
                step = self._steps[name]
                self._execute(step)
                ran.append(step)
            step = None
            swap = self._plan(order)
            swap.apply()
        except BaseException as exc:
            self._restore(ran + ([step] if step and step.snapshot is not None else []))
            if isinstance(exc, KeyboardInterrupt):
                raise  # still nothing changed, and the user gets it
            # Any other BaseException (SystemExit, GeneratorExit, the app's own) is
            # a failed reload like any error: reported once, never raised into Qt.
            failed = swap.failed_module if swap is not None else None
            culprit = step or self._steps.get(failed) or self._steps[order[-1]]
            return self._failed(culprit, exc)
        for name in order:
            step = self._steps[name]
            step.record.commit(step.source, step.info)
        return ReloadReport(reloaded=tuple(order), warnings=tuple(swap.warnings))

    def _execute(self, step: _Step) -> None:
        namespace = step.namespace
        step.snapshot = dict(namespace)
        if step.fast is None:
            name = step.record.name
            for key, value in list(namespace.items()):
                submodule = (isinstance(value, types.ModuleType)
                             and value.__name__ == f"{name}.{key}")
                if key not in _KEEP and not submodule:
                    del namespace[key]
            namespace["__doc__"] = None
        (step.fast or step.info).run(namespace)

    def _plan(self, order: list[str]) -> HotSwap:
        swap = HotSwap(self._rules, self._member_rules)
        steps = [self._steps[name] for name in order]
        for step in steps:
            swap.pair_module(step.record.name, step.snapshot, step.namespace,
                             step.record.removed)
        swap.check_classes()
        for step in steps:
            old_info, names = step.record.info, None
            if step.fast is not None:
                old_codes, new_codes = step.fast.old_codes, step.fast.new_codes
                names = step.fast.names  # the fast path changed no other name
            else:
                old_codes = old_info.codes() if old_info is not None else None
                new_codes = step.info.codes() if step.info is not None else []
            swap.plan_module(step.record.name, step.namespace, step.snapshot,
                             step.record.removed, old_codes, new_codes, names)
        swap.plan_new_functions(self._changed_values(step) for step in steps)
        for imported, importer in self._from_imports():
            step = self._steps[imported.module]
            namespace = getattr(sys.modules.get(importer), "__dict__", None)
            if namespace is None:
                continue
            if imported.name == "*":
                names = [(name, name) for name in _public_names(step.snapshot)]
            else:
                names = [(imported.name, imported.alias)]
            for name, alias in names:
                # A name the module no longer defines stays as the importer has it.
                if name in step.snapshot and name in step.namespace:
                    swap.plan_rebind(imported.module, namespace, alias, step.snapshot[name],
                                     step.namespace[name])
        return swap

    @staticmethod
    def _changed_values(step: _Step) -> dict:
        """The part of the step's namespace the run can have changed."""
        if step.fast is None:
            return step.namespace
        namespace = step.namespace
        changed = {name: namespace[name] for name in step.fast.names if name in namespace}
        changed["__name__"] = namespace["__name__"]
        return changed

    def _from_imports(self) -> Iterable[tuple[FromImport, str]]:
        """``from X import NAME`` in watched modules that did not re-run, X re-ran.

        (A module on the fast path never has its imports among the changed ones.)
        """
        for name, record in self._watched.items():
            if name in self._steps:
                continue
            for imported in record.imports.names:
                if imported.module in self._steps:
                    yield imported, name

    @staticmethod
    def _restore(steps: list[_Step]) -> None:
        for step in reversed(steps):
            namespace = step.namespace
            namespace.clear()
            namespace.update(step.snapshot)

    @staticmethod
    def _failed(step: _Step, exc: BaseException) -> ReloadReport:
        path = step.record.path
        failure = ReloadFailure(step.record.name, path, exc, error_lineno(exc, path))
        return ReloadReport(failures=(failure,))
